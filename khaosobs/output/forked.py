"""A forked worker process that does one piece of work and sends back one picklable answer.

Fork, not multiprocessing: the child starts with the parent's validated model in memory (nothing to
pickle or import again, no start-up cost), and it answers through a pipe. The child never returns
into the parent's code: it leaves with `os._exit`, so no buffered output is flushed twice and no
exit handler runs twice.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
from collections.abc import Callable
from typing import Any


class WorkerFailed(Exception):
    """The worker died, or its work raised: the caller should do the work itself."""


def can_fork() -> bool:
    return hasattr(os, "fork")


class Worker:
    """Runs `work()` in a forked child; `result()` waits for what it returned."""

    def __init__(self, work: Callable[[], Any]) -> None:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read_end)
            code = 0
            try:
                answer = pickle.dumps(("ok", work()), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:  # the parent decides what a failure means
                answer = pickle.dumps(("failed", f"{type(exc).__name__}: {exc}"))
                code = 1
            try:
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(answer)
            finally:
                os._exit(code)
        os.close(write_end)
        self.pid = pid
        self._pipe = os.fdopen(read_end, "rb")
        self._done = False

    def result(self) -> Any:
        """What `work()` returned; WorkerFailed when it raised or the child died."""
        try:
            data = self._pipe.read()
        finally:
            self._pipe.close()
            self._reap()
        try:
            status, value = pickle.loads(data)
        except Exception as exc:  # the child died before answering: no (whole) answer
            raise WorkerFailed("the worker ended without an answer") from exc
        if status != "ok":
            raise WorkerFailed(value)
        return value

    def stop(self) -> None:
        """Kill the worker if it still runs, and reap it (no zombie, nothing left running)."""
        if self._done:
            return
        with contextlib.suppress(ProcessLookupError):  # it ended already
            os.kill(self.pid, signal.SIGKILL)
        self._pipe.close()
        self._reap()

    def _reap(self) -> None:
        if not self._done:
            os.waitpid(self.pid, 0)
            self._done = True

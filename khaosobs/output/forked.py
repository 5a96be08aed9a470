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
from collections.abc import Callable, Iterator
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


class WorkQueue:
    """The numbers 0..count-1, for the processes of one fork to take from as each gets free: made
    before the fork, so whichever process ends its own work first takes more of the shared work,
    whatever the machine or the spec makes each process's share cost.

    A pipe of 4-byte records, filled and closed for writing before the fork: a read of one record
    takes it (the kernel copies a pipe read under the pipe's lock, so two readers never get the same
    record), and a process that dies holds nothing the other waits for. At most MAX_RECORDS records,
    one write of at most PIPE_BUF (4,096 bytes): each record stands for `chunk` consecutive numbers.
    """

    MAX_RECORDS = 1024

    def __init__(self, count: int) -> None:
        self.count = count
        self.chunk = max(1, -(-count // self.MAX_RECORDS))
        read_end, write_end = os.pipe()
        try:
            os.write(write_end, b"".join(start.to_bytes(4, "little") for start in range(0, count, self.chunk)))
        finally:
            os.close(write_end)
        self._read_end: int | None = read_end
        self.taken: list[int] = []  # the numbers this process took (a forked child starts with a copy)

    def take(self) -> Iterator[int]:
        """The numbers this process takes, one at a time, until none is left."""
        while self._read_end is not None:
            record = os.read(self._read_end, 4)
            if not record:
                return
            start = int.from_bytes(record, "little")
            for number in range(start, min(start + self.chunk, self.count)):
                self.taken.append(number)
                yield number

    def close(self) -> None:
        if self._read_end is not None:
            os.close(self._read_end)
            self._read_end = None

"""Validated spec -> the files of every selected target, in memory or planned against a tree."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from khaosobs.output import OutputFile
from khaosobs.output.forked import Worker, WorkerFailed, WorkQueue, can_fork
from khaosobs.output.templating import Renderer, make_environment
from khaosobs.output.writer import Part, Plan, Planner, Staging, combine, read_manifest
from khaosobs.spec.model import Service, Spec
from khaosobs.targets import ServicesAt, Share, Target, all_targets

# A large spec renders in two processes: a forked child renders some targets while the parent runs
# the checks and the other targets. A small spec is not worth a fork. The child takes Grafana's
# dashboards (the largest share of the time and of the bytes) and the Kubernetes manifests (they embed
# the dashboards: one render of them).
ONE_PROCESS_ENV = "KHAOSOBS_ONE_PROCESS"  # set to 1: never fork (a container that counts processes)
CHILD_TARGETS = frozenset({"grafana", "kubernetes"})
# Then, last in each process, the targets whose files are each one service's (`render_share`): both
# processes take services from one queue per target (`WorkQueue`) as each gets free, so the two end
# together whatever the machine, the spec and `--check` make each share cost (fixed shares left one
# process idle for 0.5 s to 2 s on this busy VM). Never a target another one embeds (Loki's rules in
# Kubernetes' ConfigMaps): that one reads all of its files in its own process.
SHARED_TARGETS = frozenset({"instrumentation", "loki", "prometheus_tests", "telemetry"})
SPLIT_FROM_SERVICES = 16


def selected_targets(spec: Spec, targets: list[str] | None) -> list[Target]:
    return [t for t in all_targets() if (t.name in targets if targets is not None else t.by_default(spec))]


def in_render_order(chosen: list[Target]) -> list[Target]:
    """A target that embeds others' files comes after them (see targets/__init__.py)."""
    return sorted(chosen, key=lambda t: bool(t.uses))


def target_files(target: Target, spec: Spec, renderer: Renderer, chosen: list[Target]) -> Iterable[OutputFile]:
    """The files of one target; kept on the renderer when another of the `chosen` embeds them."""
    files = target.render(spec, renderer)
    if any(target.name in other.uses for other in chosen):
        files = list(files)
        renderer.kept[target.name] = (spec, files)
    return files


def files_of(spec: Spec, renderer: Renderer, chosen: list[Target],
             split: dict[str, Share] | None = None) -> Iterator[OutputFile]:
    """The files of the `chosen` targets, one at a time, as they are made; not yet proven. A target
    named in `split` gives the files of that share of the services only (`render_share`), last."""
    ordered = in_render_order(chosen)
    if split:  # no target embeds one in `split` (TreeRender.start): it may come after all of them
        ordered.sort(key=lambda t: t.name in split)
    for target in ordered:
        share = split.get(target.name) if split else None
        if share is not None and target.render_share is not None:
            yield from target.render_share(spec, renderer, share)
        else:
            yield from target_files(target, spec, renderer, chosen)


@dataclass(frozen=True)
class Queued:
    """The services this process takes from the queue both processes of a render share."""

    queue: WorkQueue

    def services(self, spec: Spec) -> Iterator[tuple[int, Service]]:
        return ((i, spec.services[i]) for i in self.queue.take())


def rendered_files(spec: Spec, spec_source: str, chosen: list[Target], templates: Path | None) -> Iterator[OutputFile]:
    """The files of the `chosen` targets, each proven (parsed back), one at a time."""
    renderer = Renderer(make_environment(templates), spec_source)
    for file in files_of(spec, renderer, chosen):
        renderer.prove(file)
        yield file


def render_outputs(spec: Spec, spec_source: str, *, targets: list[str] | None = None,
                   templates: Path | None = None) -> list[OutputFile]:
    return sorted(rendered_files(spec, spec_source, selected_targets(spec, targets), templates),
                  key=lambda f: f.path)


class TreeRender:
    """The render of a spec into an output folder, planned against what is there (see writer.py).

    `start` may be called as soon as the model exists, before the checks: on a large spec it forks
    the child that renders CHILD_TARGETS meanwhile; `plan` renders the rest and gathers both. Used as
    a context manager, it leaves the tree untouched (no child left running, nothing staged) unless
    `plan`'s result was applied.
    """

    def __init__(self, outdir: Path, *, targets: list[str] | None = None, templates: Path | None = None,
                 check: bool = False, split: bool | None = None) -> None:
        self.outdir = outdir
        self.targets = targets
        self.templates = templates
        self.check = check
        self.split = split  # None: by the spec's size
        self.previous = read_manifest(outdir)
        self.staging: Staging | None = None
        self.worker: Worker | None = None
        self._child_share: list[Target] = []
        self._shared: list[Target] = []  # rendered by both processes, each for the services it takes
        self._queues: dict[str, WorkQueue] = {}  # of the services, one per `_shared` target
        self._started = False

    def __enter__(self) -> TreeRender:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.worker is not None:
            self.worker.stop()
        for queue in self._queues.values():
            queue.close()
        if kind is not None and self.staging is not None:
            self.staging.discard()

    def start(self, spec: Spec, spec_source: str) -> None:
        self._started = True
        if self.staging is None and not self.check:
            self.staging = Staging.make(self.outdir)
        split = self.split if self.split is not None else (
            len(spec.services) >= SPLIT_FROM_SERVICES and os.environ.get(ONE_PROCESS_ENV) != "1")
        if not split or not can_fork() or self.worker is not None:
            return
        chosen = selected_targets(spec, self.targets)
        self._shared = [t for t in chosen if t.name in SHARED_TARGETS and t.render_share is not None
                        and not any(t.name in other.uses for other in chosen)]
        self._child_share = [t for t in chosen if t.name in CHILD_TARGETS or t in self._shared]
        if self._child_share:
            # made before the fork: the child takes from them too
            self._queues = {t.name: WorkQueue(len(spec.services)) for t in self._shared}
            share, child_split = self._child_share, self._split()
            self.worker = Worker(lambda: self._plan_share(spec, spec_source, share, child_split))

    def plan(self, spec: Spec, spec_source: str) -> Plan:
        """Every selected target rendered and compared with the tree; what changed is staged."""
        if not self._started:
            self.start(spec, spec_source)
        own = [t for t in selected_targets(spec, self.targets) if t not in self._child_share or t in self._shared]
        parts = [self._plan_share(spec, spec_source, own, self._split())]
        if self.worker is not None:
            parts.append(self._child_part(spec, spec_source))
        return combine(self.outdir, parts, self.previous, self.targets, staging=self.staging, diffs=self.check)

    def _split(self) -> dict[str, Share]:
        """The shared targets, each for the services this process takes from its queue."""
        return {name: Queued(queue) for name, queue in self._queues.items()}

    def _plan_share(self, spec: Spec, spec_source: str, share: list[Target],
                    split: dict[str, Share] | None = None) -> Part:
        """The files of `share` (of `split`'s targets, those of their share of the services) compared
        with the tree; the planner proves those it stages or diffs."""
        renderer = Renderer(make_environment(self.templates), spec_source)
        planner = Planner(self.outdir, self.previous, staging=self.staging, diffs=self.check, prove=renderer.prove)
        return planner.add_all(files_of(spec, renderer, share, split))

    def _child_part(self, spec: Spec, spec_source: str) -> Part:
        assert self.worker is not None
        try:
            part: Part = self.worker.result()
        except WorkerFailed:
            # do the child's share here: a bug or a broken override template then fails as it
            # does in one process, with its own exception and message
            # (of a shared target, the services this process did not take from its queue: the child's)
            every = frozenset(range(len(spec.services)))
            rest: dict[str, Share] = {name: ServicesAt(every - frozenset(queue.taken))
                                      for name, queue in self._queues.items()}
            part = self._plan_share(spec, spec_source, self._child_share, rest)
        finally:
            self.worker = None
        return part

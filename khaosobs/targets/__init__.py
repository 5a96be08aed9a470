"""Output targets: one module per output, each turning the validated spec into files.

Every module in this package (not starting with `_`) defines `NAME: str`, `DESCRIPTION: str` and
`render(spec: Spec, renderer: Renderer) -> Iterable[OutputFile]` (build a plain context, then
`renderer.file(...)`). It is picked up by `all_targets()`; the CLI, the writer and the tests
parametrize over that registry, so a new output is one module plus its templates.

A module may also define `by_default(spec: Spec) -> bool`: whether a plain `render` (no
`--target`) renders it; without it, always. `--target NAME` renders a target whatever it says.
And `USES: tuple[str, ...]`: the targets whose files it embeds (Kubernetes' manifests hold the
rules and dashboards), which it reads through `embedded_files`: rendered in the same process after
them, it finds their files kept on the renderer instead of rendering them a second time.

And `render_share(spec: Spec, renderer: Renderer, share: Share) -> Iterable[OutputFile]`, for a
target each of whose files belongs to one service: the files of the services in `share`, so that
the shares of a partition of the services give `render`'s files between them. A large render
shares such a target between its two processes (commands/render.py): each takes services from one
queue as it gets free, which evens their work out.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Protocol

from khaosobs.output import OutputFile
from khaosobs.output.templating import Renderer
from khaosobs.spec.model import Service, Spec


class Share(Protocol):
    """Some of a spec's services, for `render_share`."""

    def services(self, spec: Spec) -> Iterable[tuple[int, Service]]:
        """(index in the spec, service) of each service of this share."""
        ...


@dataclass(frozen=True)
class ServicesAt:
    """The services at `indexes` in the spec (None: every service), in the spec's order."""

    indexes: frozenset[int] | None = None

    def services(self, spec: Spec) -> Iterator[tuple[int, Service]]:
        return ((i, s) for i, s in enumerate(spec.services) if self.indexes is None or i in self.indexes)


EVERY_SERVICE = ServicesAt()

RenderFn = Callable[[Spec, Renderer], Iterable[OutputFile]]
ShareFn = Callable[[Spec, Renderer, Share], Iterable[OutputFile]]
DefaultFn = Callable[[Spec], bool]


def _always(spec: Spec) -> bool:
    return True


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    render: RenderFn
    by_default: DefaultFn = _always
    uses: tuple[str, ...] = ()
    render_share: ShareFn | None = None  # its files service by service (see above), when it has it


def target_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def all_targets() -> list[Target]:
    targets = []
    for name in target_names():
        module = importlib.import_module(f"{__name__}.{name}")
        targets.append(Target(module.NAME, module.DESCRIPTION, module.render,
                              getattr(module, "by_default", _always), getattr(module, "USES", ()),
                              getattr(module, "render_share", None)))
    return targets


def embedded_files(module: ModuleType, spec: Spec, renderer: Renderer) -> Iterable[OutputFile]:
    """The files of the target `module`, for a target that embeds them (one it USES): those this
    render kept of the same spec, else rendered now."""
    kept = renderer.kept.get(module.NAME)
    if kept is not None and kept[0] is spec:
        return kept[1]
    files: Iterable[OutputFile] = module.render(spec, renderer)
    return files

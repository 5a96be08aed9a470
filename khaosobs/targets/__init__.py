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
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType

from khaosobs.output import OutputFile
from khaosobs.output.templating import Renderer
from khaosobs.spec.model import Spec

RenderFn = Callable[[Spec, Renderer], Iterable[OutputFile]]
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


def target_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def all_targets() -> list[Target]:
    targets = []
    for name in target_names():
        module = importlib.import_module(f"{__name__}.{name}")
        targets.append(Target(module.NAME, module.DESCRIPTION, module.render,
                              getattr(module, "by_default", _always), getattr(module, "USES", ())))
    return targets


def embedded_files(module: ModuleType, spec: Spec, renderer: Renderer) -> Iterable[OutputFile]:
    """The files of the target `module`, for a target that embeds them (one it USES): those this
    render kept of the same spec, else rendered now."""
    kept = renderer.kept.get(module.NAME)
    if kept is not None and kept[0] is spec:
        return kept[1]
    files: Iterable[OutputFile] = module.render(spec, renderer)
    return files

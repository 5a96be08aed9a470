"""Output targets: one module per output, each turning the validated spec into files.

Every module in this package (not starting with `_`) defines `NAME: str`, `DESCRIPTION: str` and
`render(spec: Spec, renderer: Renderer) -> list[OutputFile]` (build a plain context, then
`renderer.file(...)`). It is picked up by `all_targets()`; the CLI, the writer and the tests
parametrize over that registry, so a new output is one module plus its templates.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from khaosobs.model import Spec
from khaosobs.output import OutputFile
from khaosobs.templating import Renderer

RenderFn = Callable[[Spec, Renderer], list[OutputFile]]


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    render: RenderFn


def target_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def all_targets() -> list[Target]:
    targets = []
    for name in target_names():
        module = importlib.import_module(f"{__name__}.{name}")
        targets.append(Target(module.NAME, module.DESCRIPTION, module.render))
    return targets

"""Output targets: one module per output, each turning the validated spec into files.

A target module defines `NAME: str`, `DESCRIPTION: str` and
`render(spec: Spec, renderer: Renderer) -> list[OutputFile]` (build a plain context,
then `renderer.file(...)`). Add its name to TARGET_MODULES;
the CLI, the writer and the tests pick it up from `all_targets()`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from khaosobs.model import Spec
from khaosobs.output import OutputFile
from khaosobs.templating import Renderer

TARGET_MODULES: tuple[str, ...] = ()


RenderFn = Callable[[Spec, Renderer], list[OutputFile]]


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    render: RenderFn


def _load(module: ModuleType) -> Target:
    return Target(module.NAME, module.DESCRIPTION, module.render)


def all_targets() -> list[Target]:
    return [_load(importlib.import_module(f"khaosobs.targets.{name}")) for name in TARGET_MODULES]


def target_names() -> list[str]:
    return list(TARGET_MODULES)

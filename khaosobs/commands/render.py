"""Validated spec -> the in-memory files of every selected target."""

from __future__ import annotations

from pathlib import Path

from khaosobs.output import OutputFile
from khaosobs.output.templating import Renderer, make_environment
from khaosobs.spec.model import Spec
from khaosobs.targets import all_targets


def render_outputs(spec: Spec, spec_source: str, *, targets: list[str] | None = None,
                   templates: Path | None = None) -> list[OutputFile]:
    renderer = Renderer(make_environment(templates), spec_source)
    files: list[OutputFile] = []
    for target in all_targets():
        if target.name in targets if targets is not None else target.by_default(spec):
            files.extend(target.render(spec, renderer))
    return sorted(files, key=lambda f: f.path)

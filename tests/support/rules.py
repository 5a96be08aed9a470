"""Helpers for the rule, promtool-test and instrumentation target tests: render through the real CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import EXAMPLE_SPECS, ROOT, render_spec, rendered_once

RULE_TARGETS = ("prometheus", "prometheus_tests", "loki", "instrumentation")


def spec_arg(spec: Path) -> str:
    """The spec as a path relative to the repository, so headers never hold a machine's path."""
    return spec.relative_to(ROOT).as_posix() if spec.is_relative_to(ROOT) else str(spec)


def render(spec: Path | str, out: Path, *targets: str, cwd: Path = ROOT) -> Path:
    return render_spec(spec, out, *(targets or RULE_TARGETS), cwd=cwd)


def rendered_example(spec: Path) -> Path:
    """The example spec rendered once per test session (every rule target)."""
    return rendered_once(spec, *RULE_TARGETS)


def yielded(target: str) -> list[tuple[Path, str]]:
    """(spec, output path) of every file `target` yields for the example specs, for parametrizing."""
    from khaosobs.commands.render import render_outputs
    from khaosobs.commands.validate import validate_paths

    found = []
    for spec in EXAMPLE_SPECS:
        validation = validate_paths([spec])
        assert validation.spec is not None, f"{spec} is invalid"
        found += [(spec, f.path) for f in render_outputs(validation.spec, spec.name, targets=[target])]
    return found


def ids(pairs: list[tuple[Path, str]]) -> list[str]:
    return [f"{spec.stem}:{path}" for spec, path in pairs]


def promtool(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)

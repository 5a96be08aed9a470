"""Snapshots of every target (from the registry) for every example spec.

Parametrized over `khaosobs.targets.target_names()`: a new target is snapshot-tested the moment
its module exists. Review a snapshot change like code: `pytest --snapshot-update`, then read the diff.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from khaosobs.commands.render import render_outputs
from khaosobs.commands.validate import validate_paths
from khaosobs.output import OutputFile
from khaosobs.targets import target_names
from tests.conftest import ROOT

INVALID_EXAMPLES = {"seed-as-written.yaml"}  # its defects are the point; tested in test_checks
EXAMPLES = [ROOT / "specs", *sorted(p for p in (ROOT / "tests" / "specs").glob("*.yaml")
                                    if p.name not in INVALID_EXAMPLES)]


@cache
def rendered(spec: Path) -> tuple[OutputFile, ...]:
    validation = validate_paths([spec])
    assert validation.ok, [str(d) for d in validation.diagnostics.errors]
    assert validation.spec is not None and validation.loaded is not None
    return tuple(render_outputs(validation.spec, validation.loaded.display_name()))


@pytest.mark.parametrize("target", target_names())
@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_target_output(spec: Path, target: str, snapshot: SnapshotAssertion) -> None:
    files = {f.path: f.content for f in rendered(spec) if f.target == target}
    assert files == snapshot


def test_every_target_renders_something_for_the_main_example() -> None:
    produced = {f.target for f in rendered(ROOT / "specs")}
    assert produced == set(target_names())

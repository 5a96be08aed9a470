"""`khaosobs schema`: the committed copy (specs/spec-v1.schema.json, for editors and
check-jsonschema) is exactly what the command prints, and every valid spec of the repository
validates against it (the data as the loader reads it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from khaosobs.spec.loader import load_paths
from tests.conftest import ROOT, SPECS, run_khaosobs

COMMITTED = SPECS / "spec-v1.schema.json"
# Specs whose structure is valid (semantic findings are not the schema's business).
STRUCTURALLY_VALID = sorted([*SPECS.glob("*.yaml"), *(ROOT / "tests" / "specs").glob("*.yaml")])


def test_committed_schema_is_current() -> None:
    result = run_khaosobs("schema")
    assert result.returncode == 0, result.stderr
    assert COMMITTED.read_text(encoding="utf-8") == result.stdout, (
        "specs/spec-v1.schema.json is stale: run `khaosobs schema > specs/spec-v1.schema.json`"
    )


def test_schema_is_a_valid_json_schema() -> None:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False  # unknown keys are errors for editors too


@pytest.mark.parametrize("spec", STRUCTURALLY_VALID, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_specs_validate_against_schema(spec: Path) -> None:
    validator = Draft202012Validator(json.loads(COMMITTED.read_text(encoding="utf-8")))
    data = load_paths([spec]).data
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]
    assert not errors, errors


def test_schema_rejects_what_khaosobs_rejects() -> None:
    """A typo'd key and a wrong type: the schema catches them as `khaosobs validate` does."""
    validator = Draft202012Validator(json.loads(COMMITTED.read_text(encoding="utf-8")))
    spec = load_paths([SPECS / "strategickhaos.yaml"]).data
    spec["services"][0]["alerts"][0]["sevrity"] = "warning"
    spec["services"][0]["metrics"][0]["help"] = False
    messages = [e.message for e in validator.iter_errors(spec)]
    assert any("sevrity" in m for m in messages), messages
    assert any("False is not of type 'string'" in m for m in messages), messages

"""Validation never crashes: arbitrary bytes, YAML-ish text built from spec fragments, mutations of
the example spec and arbitrary strings in every field all end in diagnostics, never an exception.

In-process through khaosobs.commands.validate.validate_paths (fast, and a raised exception fails the test
with its traceback), plus a few runs of the real CLI that must exit 0 or 1 (never 3, never a crash).
"""

from __future__ import annotations

import copy
import os
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khaosobs.checks._support import walk_strings
from khaosobs.commands.validate import Validation, validate_paths
from khaosobs.diagnostics.reporters import FORMATS, reporter
from tests.conftest import ROOT, SPECS, run_khaosobs

EXAMPLE = (SPECS / "strategickhaos.yaml").read_text(encoding="utf-8")
EXAMPLE_DATA: dict[str, Any] = yaml.safe_load(EXAMPLE)
STRING_PATHS = [path for path, _ in walk_strings(EXAMPLE_DATA)]
INVALID_LINES = sorted(
    {
        line
        for case in (ROOT / "tests" / "invalid").glob("*.yaml")
        for line in case.read_text(encoding="utf-8").splitlines()
    }
)
FRAGMENTS = [
    *EXAMPLE.splitlines(),
    *INVALID_LINES,
    "",
    "- ",
    "  - ",
    ": ",
    "&a x",
    "*a",
    "? ",
    "--- ",
    "...",
    "!!python/object:os.system",
    "!!binary aGVsbG8=",
    '"\\u00e9"',
    "|",
    ">-",
    "{",
    "}",
    "[",
    "]",
    "\t",
]
YAMLISH = "{}[],:-?#&*!|>'\"%@`\n\t \\"
PROMQLISH = "(){}[]\"'`=~!,+-*/^%<>@ :_.0123456789abcxyz\\$\n"
# KHAOSOBS_FUZZ_EXAMPLES raises the number of examples for a longer local run.
SETTINGS = settings(
    max_examples=int(os.environ.get("KHAOSOBS_FUZZ_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def spec_file() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="khaosobs-fuzz-") as folder:
        yield Path(folder) / "fuzz.yaml"


def validate_bytes(path: Path, raw: bytes) -> Validation:
    path.write_bytes(raw)
    result = validate_paths([path])
    assert isinstance(result, Validation)
    if result.spec is None:
        assert result.diagnostics.errors, "a spec that did not load must say why"
    for diagnostic in result.diagnostics.items:
        assert diagnostic.code and diagnostic.message
        if diagnostic.location is not None:
            assert diagnostic.location.line >= 1 and diagnostic.location.column >= 1
    sources = result.loaded.sources if result.loaded else {}
    for fmt in FORMATS:
        assert isinstance(reporter(fmt)(result.diagnostics.sorted(), sources), str)
    return result


@SETTINGS
@given(raw=st.binary(max_size=4096))
def test_arbitrary_bytes(spec_file: Path, raw: bytes) -> None:
    validate_bytes(spec_file, raw)


@SETTINGS
@given(lines=st.lists(st.sampled_from(FRAGMENTS), max_size=60))
def test_yamlish_fragments(spec_file: Path, lines: list[str]) -> None:
    validate_bytes(spec_file, "\n".join(lines).encode("utf-8"))


@SETTINGS
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, len(EXAMPLE)),
            st.sampled_from(["insert", "delete", "replace"]),
            st.sampled_from(YAMLISH + PROMQLISH),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_mutated_example(spec_file: Path, edits: list[tuple[int, str, str]]) -> None:
    text = EXAMPLE
    for at, action, char in edits:
        at = min(at, len(text))
        if action == "insert":
            text = text[:at] + char + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + char + text[at + 1 :]
    validate_bytes(spec_file, text.encode("utf-8"))


def dump(data: Any) -> bytes:
    """YAML text of the data (libyaml's emitter: the pure-Python one took most of these tests' time)."""
    return yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False).encode("utf-8")


def _set(data: Any, path: tuple[str | int, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


@SETTINGS
@given(
    index=st.integers(0, len(STRING_PATHS) - 1),
    value=st.one_of(st.text(max_size=300), st.text(alphabet=PROMQLISH, max_size=300)),
)
def test_arbitrary_field_values(spec_file: Path, index: int, value: str) -> None:
    """Any string in any field of the example: PromQL, LogQL, durations, names, URLs all survive it."""
    data = copy.deepcopy(EXAMPLE_DATA)
    _set(data, STRING_PATHS[index], value)
    validate_bytes(spec_file, dump(data))


@SETTINGS
@given(value=st.text(alphabet=PROMQLISH, max_size=400))
def test_arbitrary_expressions_everywhere(spec_file: Path, value: str) -> None:
    """One arbitrary string as every PromQL and LogQL expression of the example at once."""
    data = copy.deepcopy(EXAMPLE_DATA)
    for path in STRING_PATHS:
        if path[-1] in ("expr", "logql", "errors", "total", "series", "values"):
            _set(data, path, value)
    validate_bytes(spec_file, dump(data))


def _cli_inputs() -> list[bytes]:
    rng = random.Random(20240115)
    mutated = list(EXAMPLE)
    for _ in range(40):
        mutated[rng.randrange(len(mutated))] = rng.choice(YAMLISH + PROMQLISH)
    return [
        bytes(rng.randrange(256) for _ in range(2048)),
        "".join(mutated).encode("utf-8"),
        "\n".join(rng.choice(FRAGMENTS) for _ in range(80)).encode("utf-8"),
        EXAMPLE.encode("utf-8"),
    ]


@pytest.mark.parametrize("number", range(4))
def test_cli_exits_0_or_1(number: int, tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_bytes(_cli_inputs()[number])
    result = run_khaosobs("validate", "spec.yaml", cwd=tmp_path, process=True)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    if number == 3:
        assert result.returncode == 0, result.stdout

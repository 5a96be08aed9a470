"""The invalid-spec corpus: every case is refused by the real CLI with exit 1, no traceback, the
expected finding at the expected line, and a stable report (snapshot).

Each tests/invalid/*.yaml starts with `# expect: line N code`. Cases that cannot be committed
(an empty file, non-UTF-8 bytes, a 30 MB value, PromQL nested 20,000 deep) are generated into
tmp_path. The CLI runs with the case's folder as working directory, so paths in reports are
relative and snapshots machine-independent.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_khaosobs

INVALID = ROOT / "tests" / "invalid"
CASES = sorted(INVALID.glob("*.yaml"))
EXPECT_RE = re.compile(r"# expect: line (\d+) (?:(warning) )?([a-z0-9-]+)\n")
SEED_AS_WRITTEN = ROOT / "tests" / "specs" / "seed-as-written.yaml"


def expectation(text: str) -> tuple[int, str]:
    match = EXPECT_RE.match(text)
    assert match, "a case file starts with `# expect: line N code` (or `line N warning code`)"
    return int(match.group(1)), match.group(3)


def expects_warning(case: Path) -> bool:
    """A warning case (`# expect: line N warning code`) is refused under --strict."""
    match = EXPECT_RE.match(case.read_text(encoding="utf-8"))
    return bool(match and match.group(2))


@pytest.fixture(scope="module")
def reports() -> dict[str, subprocess.CompletedProcess[str]]:
    """Every committed case through the real CLI, run in parallel (one process each)."""

    def run(case: Path) -> subprocess.CompletedProcess[str]:
        strict = ("--strict",) if expects_warning(case) else ()
        return run_khaosobs("validate", *strict, case.relative_to(ROOT))

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip((c.name for c in CASES), pool.map(run, CASES), strict=True))


def assert_refused(result: subprocess.CompletedProcess[str], shown: str, line: int, code: str,
                   severity: str = "error") -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output and "internal error" not in output, output
    found = re.search(
        rf"^{re.escape(shown)}:{line}:\d+: {severity}\[{re.escape(code)}\]", result.stdout, re.MULTILINE
    )
    assert found, f"expected {severity}[{code}] on line {line} of {shown}:\n{output}"


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 35
    codes = {expectation(case.read_text(encoding="utf-8"))[1] for case in CASES}
    assert len(codes) >= 30, sorted(codes)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_invalid_case(
    case: Path, reports: dict[str, subprocess.CompletedProcess[str]], snapshot: object
) -> None:
    line, code = expectation(case.read_text(encoding="utf-8"))
    result = reports[case.name]
    severity = "warning" if expects_warning(case) else "error"
    assert_refused(result, case.relative_to(ROOT).as_posix(), line, code, severity)
    assert result.stdout == snapshot


# --- cases generated at test time ------------------------------------------------------------


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _not_utf8(path: Path) -> None:
    path.write_bytes(b"version: 1\nproject: demo\nservices:\n  - name: caf\xe9\n")


def _huge_value(path: Path) -> None:
    path.write_text(
        'version: 1\nproject: demo\nservices:\n  - name: api\n    team: "' + "x" * 30_000_000 + '"\n',
        encoding="utf-8",
    )


def _deep_promql(path: Path) -> None:
    # the Rust PromQL parser overflows its stack (and kills the process) on such nesting: it must be
    # refused before it is parsed
    expr = "(" * 20_000 + "up" + ")" * 20_000
    path.write_text(
        f"version: 1\nproject: demo\nservices:\n  - name: api\n    alerts:\n      - name: Deep\n"
        f"        expr: {expr}\n        severity: info\n        summary: deep\n",
        encoding="utf-8",
    )


def _nul_byte(path: Path) -> None:
    path.write_bytes(b"version: 1\nproject: demo\x00\n")


GENERATED: dict[str, tuple[Callable[[Path], None], int, str]] = {
    "empty": (_empty, 1, "empty-spec"),
    "not-utf8": (_not_utf8, 4, "not-utf8"),
    "huge-value": (_huge_value, 5, "value-too-long"),
    "deep-promql": (_deep_promql, 7, "promql-syntax"),
    "nul-byte": (_nul_byte, 2, "not-text"),
}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_case(name: str, tmp_path: Path, snapshot: object) -> None:
    write, line, code = GENERATED[name]
    write(tmp_path / f"{name}.yaml")
    result = run_khaosobs("validate", f"{name}.yaml", cwd=tmp_path)
    assert_refused(result, f"{name}.yaml", line, code)
    assert result.stdout == snapshot


def test_yaml_bomb_is_refused_fast() -> None:
    bomb = INVALID / "yaml-bomb.yaml"
    start = time.perf_counter()
    result = run_khaosobs("validate", bomb.relative_to(ROOT))
    elapsed = time.perf_counter() - start
    assert result.returncode == 1
    assert "yaml-alias-bomb" in result.stdout
    print(f"billion laughs refused in {elapsed:.2f}s (process start included)")
    assert elapsed < 5


# --- other report formats ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "github"])
@pytest.mark.parametrize(
    "case", ["promql-histogram-quantile-base", "secret-discord-webhook", "yaml-duplicate-key", "credentials-masked"]
)
def test_report_formats(case: str, fmt: str, snapshot: object) -> None:
    result = run_khaosobs("validate", "--format", fmt, (INVALID / f"{case}.yaml").relative_to(ROOT))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == snapshot


# --- the seed, as written -----------------------------------------------------------------------


def test_seed_as_written_names_both_defects() -> None:
    text = SEED_AS_WRITTEN.read_text(encoding="utf-8").splitlines()
    quantile_line = next(
        i
        for i, line in enumerate(text, 1)
        if "histogram_quantile(0.95, discord_command_duration_seconds)" in line
    )
    receiver_line = next(i for i, line in enumerate(text, 1) if "receiver: discord-warnings" in line)
    column = text[quantile_line - 1].index("discord_command_duration_seconds") + 1
    shown = SEED_AS_WRITTEN.relative_to(ROOT).as_posix()

    result = run_khaosobs("validate", shown)

    assert_refused(result, shown, quantile_line, "histogram-quantile")
    assert_refused(result, shown, receiver_line, "route-receiver")
    assert f"{shown}:{quantile_line}:{column}: error[histogram-quantile]" in result.stdout
    assert "rate(discord_command_duration_seconds_bucket[5m])" in result.stdout
    assert '"discord-warnings" is not defined' in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("2 errors,"), result.stdout

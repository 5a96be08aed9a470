"""The invalid-spec corpus: every case is refused by the CLI with exit 1, no traceback, the
expected finding at the expected line, and a stable report (snapshot).

Each tests/invalid/*.yaml starts with `# expect: line N code` (an error) or
`# expect: line N warning code` (a case for a code that is only ever a warning). The CLI's app
runs in this process (`run_in_process`: the same exit code and streams, without starting ~60
interpreters); a few tests below run the real process for exit codes, streams and the guards that
protect the process itself. Cases that cannot be committed (an empty file, non-UTF-8 bytes, a
30 MB value, PromQL nested 20,000 deep) are generated into tmp_path. The CLI runs with the case's
folder as working directory, so paths in reports are relative and snapshots machine-independent.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_in_process, run_khaosobs

INVALID = ROOT / "tests" / "invalid"
CASES = sorted(INVALID.glob("*.yaml"))
EXPECT_RE = re.compile(r"# expect: line (\d+) (?:(warning) )?([a-zA-Z0-9-]+)\n")
SEED_AS_WRITTEN = ROOT / "tests" / "specs" / "seed-as-written.yaml"


def expectation(text: str) -> tuple[int, str, str]:
    """(line, severity, code) of a case's first line."""
    match = EXPECT_RE.match(text)
    assert match, "a case file starts with `# expect: line N code` or `# expect: line N warning code`"
    return int(match.group(1)), match.group(2) or "error", match.group(3)


@pytest.fixture(scope="module")
def reports() -> dict[str, subprocess.CompletedProcess[str]]:
    """Every committed case through the CLI's app, in this process."""
    return {case.name: run_in_process("validate", case.relative_to(ROOT)) for case in CASES}


def assert_refused(result: subprocess.CompletedProcess[str], shown: str, line: int, code: str,
                   severity: str = "error") -> None:
    output = result.stdout + result.stderr
    has_errors = re.search(r"^\S+:\d+:\d+: error\[", result.stdout, re.MULTILINE) is not None
    assert result.returncode == (1 if severity == "error" or has_errors else 0), output
    assert "Traceback" not in output and "internal error" not in output, output
    found = re.search(
        rf"^{re.escape(shown)}:{line}:\d+: {severity}\[{re.escape(code)}\]", result.stdout, re.MULTILINE
    )
    assert found, f"expected {severity}[{code}] on line {line} of {shown}:\n{output}"


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 35
    codes = {expectation(case.read_text(encoding="utf-8"))[2] for case in CASES}
    assert len(codes) >= 30, sorted(codes)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_invalid_case(
    case: Path, reports: dict[str, subprocess.CompletedProcess[str]], snapshot: object
) -> None:
    line, severity, code = expectation(case.read_text(encoding="utf-8"))
    result = reports[case.name]
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
# a failing guard would kill the process (the Rust parser's stack): never risk the test runner's
IN_A_PROCESS = {"deep-promql"}


@pytest.fixture(scope="module")
def generated_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    folder = tmp_path_factory.mktemp("generated")
    found = {}
    for name, (write, _line, _code) in GENERATED.items():
        write(folder / f"{name}.yaml")
        found[name] = run_khaosobs("validate", f"{name}.yaml", cwd=folder, process=name in IN_A_PROCESS)
        (folder / f"{name}.yaml").unlink()  # the 30 MB one
    return found


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_case(name: str, generated_reports: dict[str, subprocess.CompletedProcess[str]],
                        snapshot: object) -> None:
    _write, line, code = GENERATED[name]
    result = generated_reports[name]
    assert_refused(result, f"{name}.yaml", line, code)
    assert result.stdout == snapshot


# --- findings about the files themselves (no line to point at, or more than one file) -----------


def _merge_conflict(folder: Path) -> str:
    (folder / "merge-conflict").mkdir()
    (folder / "merge-conflict" / "a.yaml").write_text("version: 1\nproject: demo\n", encoding="utf-8")
    (folder / "merge-conflict" / "b.yaml").write_text("version: 1\nproject: other\n", encoding="utf-8")
    return "merge-conflict"


def _too_large(folder: Path) -> str:
    from khaosobs.spec.limits import MAX_FILE_BYTES

    with (folder / "too-large.yaml").open("wb") as sparse:  # never read: refused on its size
        sparse.truncate(MAX_FILE_BYTES + 1)
    return "too-large.yaml"


def _env_unknown(folder: Path) -> str:
    (folder / "spec.yaml").write_text("version: 1\nproject: demo\n", encoding="utf-8")
    return "spec.yaml"


def _import_unreadable(folder: Path) -> str:
    (folder / "rules.yaml").write_text("groups: [\n", encoding="utf-8")  # never closed
    return "rules.yaml"


FILE_CASES: dict[str, tuple[Callable[[Path], str], str]] = {
    "missing": (lambda folder: "no-such-spec.yaml", r"^error\[file-missing\]: no such file or folder: no-such-spec"),
    "empty-folder": (lambda folder: (folder / "empty").mkdir() or "empty",
                     r"^error\[file-missing\]: folder empty holds no \*\.yaml"),
    # reading /proc/self/mem at offset 0 fails with EIO: an unreadable file even for root
    "unreadable": (lambda folder: "/proc/self/mem", r"^error\[file-unreadable\]: cannot read \S*proc/self/mem: "),
    "too-large": (_too_large, r"^too-large\.yaml:1:1: error\[file-too-large\]: spec file is 67108865 bytes"),
    "merge-conflict": (_merge_conflict,
                       r"^merge-conflict/b\.yaml:2:10: error\[merge-conflict\]: \"project\" is set differently"),
    "env-unknown": (_env_unknown, r"error\[env-unknown\]: "),
    "import-unreadable": (_import_unreadable, r"^rules\.yaml:2:1: error\[import-unreadable\]: not valid YAML"),
}
# cases that are not `validate SPEC`: the command line they run
COMMANDS = {"env-unknown": ("validate", "--env", "staging"), "import-unreadable": ("import", "-o", "spec.yaml")}


@pytest.fixture(scope="module")
def file_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    found = {}
    for name, (make, _expected) in FILE_CASES.items():
        folder = tmp_path_factory.mktemp(name)
        command = COMMANDS.get(name, ("validate",))
        found[name] = run_in_process(command[0], make(folder), *command[1:], cwd=folder)
    return found


@pytest.mark.parametrize("name", sorted(FILE_CASES))
def test_file_case(name: str, file_reports: dict[str, subprocess.CompletedProcess[str]]) -> None:
    _make, expected = FILE_CASES[name]
    result = file_reports[name]
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(expected, result.stdout + result.stderr, re.MULTILINE), result.stdout + result.stderr


def test_every_registered_code_has_a_case(
    reports: dict[str, subprocess.CompletedProcess[str]],
    generated_reports: dict[str, subprocess.CompletedProcess[str]],
    file_reports: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    """Every code of khaosobs/diagnostics/codes.py is emitted by some case above: none is dead or untested."""
    from khaosobs.diagnostics.codes import REGISTRY

    outputs = [r.stdout + r.stderr for found in (reports, generated_reports, file_reports) for r in found.values()]
    emitted = set(re.findall(r"(?:error|warning)\[([A-Za-z0-9-]+)\]", "".join(outputs)))
    assert not emitted - set(REGISTRY), "emitted but not registered"
    unexercised = sorted(set(REGISTRY) - emitted)
    assert not unexercised, f"registered codes without a case in tests/invalid: {unexercised}"


@pytest.mark.parametrize("case", ["promql-syntax", "yaml-duplicate-key"])
def test_the_real_process_reports_as_in_process(case: str) -> None:
    """Exit code and streams of the real `python -m khaosobs validate` are those the corpus checks."""
    shown = (INVALID / f"{case}.yaml").relative_to(ROOT)
    real, in_process = run_khaosobs("validate", shown, process=True), run_in_process("validate", shown)
    assert (real.returncode, real.stdout, real.stderr) == (1, in_process.stdout, "")
    assert in_process.returncode == 1 and in_process.stderr == ""


def test_yaml_bomb_is_refused_fast() -> None:
    bomb = INVALID / "yaml-bomb.yaml"
    start = time.perf_counter()
    result = run_khaosobs("validate", bomb.relative_to(ROOT), process=True)
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
    result = run_in_process("validate", "--format", fmt, (INVALID / f"{case}.yaml").relative_to(ROOT))
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

    result = run_in_process("validate", shown)

    assert_refused(result, shown, quantile_line, "histogram-quantile")
    assert_refused(result, shown, receiver_line, "route-receiver")
    assert f"{shown}:{quantile_line}:{column}: error[histogram-quantile]" in result.stdout
    assert "rate(discord_command_duration_seconds_bucket[5m])" in result.stdout
    assert '"discord-warnings" is not defined' in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("2 errors,"), result.stdout

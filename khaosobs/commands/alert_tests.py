"""`khaosobs test`: render the alert tests and run them with the real `promtool test rules`.

promtool 2.42 reports a failed `promql_expr_test` as its expression and evaluation time (not its
test's name). Every expression we render is unique per alert test (it ends in a comment naming
the alert and the test), so (expression, time) leads back to the spec's expectation and its
line in the spec.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from khaosobs.commands.render import render_outputs
from khaosobs.diagnostics import Location
from khaosobs.domain.durations import duration_ms
from khaosobs.domain.naming import prometheus_slo_tests_path
from khaosobs.output.writer import atomic_write
from khaosobs.spec.loader import LoadedSpec
from khaosobs.spec.model import Spec
from khaosobs.targets.prometheus_tests import Expectation, UnitTest, all_tests

PROMTOOL_TIMEOUT = 300.0
RENDERED_TARGETS = ["prometheus", "prometheus_tests"]

# promtool's report of one failed promql_expr_test: a Go-quoted expression, then exp / got
_FAILURE = re.compile(
    r'^[ \t]*expr: (?P<expr>"(?:[^"\\\n]|\\.)*"), time: (?P<time>[^,\s]+),[ \t]*\n'
    r"[ \t]*exp: (?P<exp>.*)\n[ \t]*got: (?P<got>.*)$",
    re.MULTILINE,
)


class PromtoolMissing(Exception):
    """`promtool` is not on PATH."""


@dataclass(frozen=True)
class Failure:
    expectation: Expectation | None  # None: promtool reported an expression we did not render
    time: str  # as promtool printed it
    expected: str
    got: str
    location: Location | None = None

    def describe(self) -> str:
        e = self.expectation
        if e is None:
            return f"at {self.time}: expected {self.expected}, got {self.got}"
        where = f"{self.location.file}:{self.location.line}:{self.location.column}: " if self.location else ""
        want = "firing" if e.firing else "not firing"
        if e.labels:
            want += " with " + ", ".join(f'{k}="{v}"' for k, v in e.labels.items())
        was = "it was not firing" if e.firing else "it was firing"
        return f'{where}{e.alert}, test "{e.test}", at {e.at}: expected {want}, but {was}'


@dataclass
class FileResult:
    path: str  # the test file, relative to the output folder
    tests: list[UnitTest]
    failures: list[Failure] = field(default_factory=list)
    error: str | None = None  # promtool failed without a parseable expectation failure

    @property
    def service(self) -> str:
        return self.tests[0].service if self.tests else self.path

    @property
    def expectations(self) -> list[Expectation]:
        return [e for test in self.tests for e in test.expectations]

    @property
    def failed_tests(self) -> int:
        if self.error is not None:
            return len(self.tests)
        # an expectation's spec path up to its test names the test: services[s].alerts[a].tests[t]
        # (a generated SLO proof's expectations all point at their SLO: its test name tells them apart)
        failed = {(f.expectation.path[:6], f.expectation.test) if f.expectation else None for f in self.failures}
        return min(len(failed), len(self.tests))

    @property
    def ok(self) -> bool:
        return self.error is None and not self.failures


@dataclass
class AlertTestRun:
    results: list[FileResult]

    @property
    def tests(self) -> int:
        return sum(len(r.tests) for r in self.results)

    @property
    def failed_tests(self) -> int:
        return sum(r.failed_tests for r in self.results)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


def _go_unquote(quoted: str) -> str:
    try:
        value = ast.literal_eval(quoted)  # Go's %q escapes are a subset of Python's
    except (ValueError, SyntaxError):
        return quoted
    return value if isinstance(value, str) else quoted


def parse_failures(output: str, expectations: list[Expectation], loaded: LoadedSpec | None) -> list[Failure]:
    index: dict[tuple[str, int | None], Expectation] = {}
    for e in expectations:
        index.setdefault((e.expr, duration_ms(e.at)), e)
    failures = []
    for match in _FAILURE.finditer(output):
        expr, time = _go_unquote(match["expr"]), match["time"]
        found = index.get((expr, duration_ms(time)))
        location = loaded.location(found.path) if found is not None and loaded is not None else None
        failures.append(Failure(found, time, match["exp"].strip(), match["got"].strip(), location))
    return failures


def run_promtool(promtool: str, folder: Path, path: str, tests: list[UnitTest],
                 loaded: LoadedSpec | None) -> FileResult:
    result = FileResult(path, tests)
    try:
        proc = subprocess.run([promtool, "test", "rules", path], cwd=folder, capture_output=True, text=True,
                              timeout=PROMTOOL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        result.error = f"promtool test rules {path} did not finish in {PROMTOOL_TIMEOUT:.0f}s"
        return result
    if proc.returncode == 0:
        return result
    output = proc.stdout + proc.stderr
    result.failures = parse_failures(output, result.expectations, loaded)
    if not result.failures:
        lines = [line.strip() for line in output.splitlines()
                 if line.strip() and not line.startswith("Unit Testing:") and line.strip() != "FAILED:"]
        result.error = "\n".join(lines) or f"promtool exited with code {proc.returncode}"
    return result


def run_alert_tests(spec: Spec, spec_source: str, loaded: LoadedSpec | None = None, *,
                    templates: Path | None = None) -> AlertTestRun:
    """Render the rules and their tests into a temporary folder and run promtool on every test file."""
    tests = all_tests(spec)
    if not tests:
        return AlertTestRun([])
    promtool = shutil.which("promtool")
    if promtool is None:
        raise PromtoolMissing("promtool is not on PATH")
    with tempfile.TemporaryDirectory(prefix="khaosobs-test-") as temp:
        folder = Path(temp)
        for file in render_outputs(spec, spec_source, targets=RENDERED_TARGETS, templates=templates):
            atomic_write(folder / file.path, file.content)
        with ThreadPoolExecutor() as pool:
            results = list(pool.map(lambda item: run_promtool(promtool, folder, item[0], item[1], loaded),
                                    tests.items()))
    return AlertTestRun(results)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def format_report(run: AlertTestRun, spec_source: str) -> str:
    if not run.results:
        return f"{spec_source}: no alert tests (add `tests:` to an alert to have promtool run it)\n"
    lines = []
    for result in run.results:
        count = f"{_count(len(result.tests), 'test')}, {_count(len(result.expectations), 'expectation')}"
        name = result.service
        if result.path == prometheus_slo_tests_path(result.service):
            name += " (SLO proofs)"
        lines.append(f"{name}: {count}: {'ok' if result.ok else 'FAILED'}")
        for failure in result.failures:
            lines.append(f"  {failure.describe()}")
        if result.error is not None:
            lines.append("  promtool could not run the tests:")
            lines.extend(f"    {line}" for line in result.error.splitlines())
    failed = run.failed_tests
    outcome = f"{failed} failed" if failed else "all passed"
    lines.append(f"{_count(run.tests, 'alert test')} ran with promtool; {outcome}")
    return "\n".join(lines) + "\n"

"""The prometheus_tests target and `khaosobs test`: alert tests run by the real promtool."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from khaosobs.commands.alert_tests import AlertTestRun, format_report, run_promtool
from khaosobs.domain.durations import duration_ms
from tests.conftest import EXAMPLE_SPECS, SPECS, run_khaosobs
from tests.support.rules import ids, promtool, render, rendered_example, spec_arg, yielded

pytestmark = pytest.mark.realtools
EXAMPLE = SPECS / "strategickhaos.yaml"
TEST_FILES = yielded("prometheus_tests")


def copy_example(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """The example spec copied into tmp_path with targeted edits (each must apply exactly once),
    without its SLOs: their generated proofs simulate days of traffic, and these tests are about
    the spec's own alert tests (tests/domain/test_slo.py runs the proofs)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    data = yaml.safe_load(text)
    for service in data["services"]:
        service.pop("slos", None)
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return spec




@pytest.mark.parametrize(("spec", "path"), TEST_FILES, ids=ids(TEST_FILES))
def test_promtool_passes_the_rendered_tests(spec: Path, path: str) -> None:
    out = rendered_example(spec)
    result = promtool("test", "rules", path, cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    doc = yaml.safe_load((out / path).read_text(encoding="utf-8"))
    proofs = path.endswith(".slo.test.yml")  # the generated SLO proofs: their own file and interval
    service = Path(path).name.removesuffix(".slo.test.yml" if proofs else ".test.yml")
    assert doc["rule_files"] == [f"../rules/{service}.yml"]
    assert doc["evaluation_interval"] == ("5m" if proofs else "1m")


def test_every_seed_alert_has_a_firing_and_a_quiet_expectation() -> None:
    from khaosobs.commands.validate import validate_paths

    validation = validate_paths([EXAMPLE])
    assert validation.spec is not None
    alerts = {a.name: a for s in validation.spec.services for a in s.alerts}
    for name in ("DiscordBotDisconnected", "HighCommandLatency", "WebhookVerificationFailures"):
        outcomes = {e.firing for t in alerts[name].tests for e in t.expect}
        assert outcomes == {True, False}, name


def test_khaosobs_test_passes_on_the_example_its_default() -> None:
    result = run_khaosobs("test")  # the default is specs/: the example
    assert result.returncode == 0, result.stdout + result.stderr
    assert "discord-ops-bot: 3 tests, 6 expectations: ok" in result.stdout
    assert "event-gateway: 2 tests, 3 expectations: ok" in result.stdout
    # 4 proofs per SLO (page and ticket, firing and quiet) for its two SLOs
    assert "discord-ops-bot (SLO proofs): 8 tests, 12 expectations: ok" in result.stdout
    assert "13 alert tests ran with promtool; all passed" in result.stdout


def test_a_wrong_expectation_fails_naming_alert_test_and_time(tmp_path: Path) -> None:
    spec = copy_example(tmp_path, ("- {at: 12m, firing: true, labels: {severity: warning}}",
                                   "- {at: 12m, firing: false}"))
    result = run_khaosobs("test", spec.name, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if "HighCommandLatency" in x)
    assert line.strip().startswith("spec.yaml:")  # the expectation's place in the spec
    assert 'HighCommandLatency, test "fires once p95 latency stays above 5s", at 12m' in line
    assert "expected not firing, but it was firing" in line
    assert "discord-ops-bot: 3 tests, 6 expectations: FAILED" in result.stdout
    assert "event-gateway: 2 tests, 3 expectations: ok" in result.stdout
    assert "5 alert tests ran with promtool; 1 failed" in result.stdout


def test_expectation_labels_narrow_the_match(tmp_path: Path) -> None:
    """HighCommandLatency is a warning: expecting it to fire as critical must fail."""
    spec = copy_example(tmp_path, ("- {at: 12m, firing: true, labels: {severity: warning}}",
                                   "- {at: 12m, firing: true, labels: {severity: critical}}"))
    result = run_khaosobs("test", spec.name, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert ('HighCommandLatency, test "fires once p95 latency stays above 5s", at 12m: '
            'expected firing with severity="critical", but it was not firing') in result.stdout


def test_a_pending_alert_is_not_firing(tmp_path: Path) -> None:
    """At 6m DiscordBotDisconnected has been true for 1m of its `for: 2m`: pending, so not firing."""
    spec = copy_example(tmp_path, ("- {at: 6m, firing: false}", "- {at: 6m, firing: true}"),
                        ("- {at: 3m, firing: false}", "- {at: 180s, firing: true}"))
    result = run_khaosobs("test", spec.name, cwd=tmp_path)
    assert result.returncode == 1
    assert 'DiscordBotDisconnected, test "fires after two minutes without a gateway connection", at 6m: ' \
           "expected firing, but it was not firing" in result.stdout
    # promtool prints 180s as 3m: still traced back to the expectation as the spec wrote it
    assert 'WebhookVerificationFailures, test "fires on sustained signature failures", at 180s: ' \
           "expected firing, but it was not firing" in result.stdout
    assert "2 failed" in result.stdout


def test_a_broken_test_reports_promtool_output(tmp_path: Path) -> None:
    spec = copy_example(tmp_path, ('values: "0+60x20"             # one failure a second',
                                   'values: "0+60xx20"'))
    result = run_khaosobs("test", spec.name, cwd=tmp_path)
    assert result.returncode == 1
    assert "0+60xx20" in result.stdout + result.stderr or "series values" in result.stdout + result.stderr


def test_promtool_errors_that_are_no_expectation_are_reported_verbatim(tmp_path: Path) -> None:
    """Checks catch bad series notation first; should promtool still fail otherwise, its words are shown."""
    (tmp_path / "broken.test.yml").write_text(
        'rule_files: []\ntests:\n  - input_series: [{series: up, values: "1xx3"}]\n', encoding="utf-8")
    result = run_promtool(shutil.which("promtool") or "promtool", tmp_path, "broken.test.yml", [], None)
    assert not result.ok and result.failures == []
    assert result.error is not None and 'unexpected "x" in series values' in result.error
    report = format_report(AlertTestRun([result]), "spec.yaml")
    assert "promtool could not run the tests:" in report and "Unit Testing" not in report


def test_missing_promtool_exits_2(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    env = {**os.environ, "PATH": str(bin_dir)}
    assert shutil.which("promtool", path=env["PATH"]) is None
    result = run_khaosobs("test", spec_arg(EXAMPLE), env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "promtool is not on PATH" in result.stderr
    assert result.stdout == ""


def test_a_spec_without_tests_says_so(tmp_path: Path) -> None:
    (tmp_path / "none.yaml").write_text("version: 1\nproject: p\nservices:\n  - name: quiet\n",
                                        encoding="utf-8")
    result = run_khaosobs("test", "none.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "none.yaml: no alert tests" in result.stdout


def test_an_invalid_spec_runs_nothing(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("version: 1\nproject: p\nservices:\n  - name: x\n    alerts: 3\n",
                                       encoding="utf-8")
    result = run_khaosobs("test", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert "no tests were run" in result.stderr


def test_test_names_and_expectations_reach_promtool_exactly(tmp_path: Path) -> None:
    """A test name with quotes, a newline and unicode; expectation label values that need escaping."""
    spec = tmp_path / "odd.yaml"
    spec.write_text('''version: 1
project: odd
services:
  - name: api
    metrics:
      - {name: api_up, type: gauge, help: Up, labels: [zone]}
    alerts:
      - name: ApiDown
        expr: api_up == 0
        severity: critical
        summary: down
        tests:
          - name: "fires \\"now\\"\\nin zone é"
            interval: 30s
            series:
              - {series: 'api_up{zone="a\\\\b\\"c"}', values: "0x10"}
            expect:
              - {at: 1m, firing: true, labels: {zone: "a\\\\b\\"c"}}
              - {at: 90s, firing: true, labels: {zone: "other"}}
''', encoding="utf-8")
    out = render("odd.yaml", tmp_path / "out", "prometheus", "prometheus_tests", cwd=tmp_path)
    doc = yaml.safe_load((out / "prometheus/tests/api.test.yml").read_text(encoding="utf-8"))
    [test] = doc["tests"]
    assert test["name"] == 'ApiDown: fires "now"\nin zone é'
    assert test["interval"] == "30s"
    assert test["input_series"] == [{"series": 'api_up{zone="a\\\\b\\"c"}', "values": "0x10"}]
    first = test["promql_expr_test"][0]["expr"]
    assert first.startswith('group(ALERTS{alertname="ApiDown", alertstate="firing", zone="a\\\\b\\"c"})  # ')
    assert "\n" not in first
    result = run_khaosobs("test", "odd.yaml", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'at 1m:' not in result.stdout, "the escaped label value matched"
    assert 'at 90s: expected firing with zone="other", but it was not firing' in result.stdout


@pytest.mark.parametrize(("text", "ms"), [("12m", 720_000), ("1h30m", 5_400_000), ("90s", 90_000),
                                          ("1d", 86_400_000), ("500ms", 500), ("1x", None), ("", None)])
def test_duration_ms(text: str, ms: int | None) -> None:
    assert duration_ms(text) == ms


def test_only_services_with_tests_get_a_test_file() -> None:
    for spec in EXAMPLE_SPECS:
        from khaosobs.commands.validate import validate_paths

        validation = validate_paths([spec])
        assert validation.spec is not None
        with_tests = [s.name for s in validation.spec.services if any(a.tests for a in s.alerts)]
        with_slos = [s.name for s in validation.spec.services if s.slos]  # the generated proofs
        assert sorted(p for s, p in TEST_FILES if s == spec) == sorted(
            [f"prometheus/tests/{n}.test.yml" for n in with_tests]
            + [f"prometheus/tests/{n}.slo.test.yml" for n in with_slos])

"""promtool unit tests from the spec's alert tests: one test file per service that has some.

Each expectation is a `promql_expr_test` on `ALERTS{alertname=…, alertstate="firing"}`, so a test
never repeats annotation text. `group(…)` yields exactly one sample `{} 1` when at least one
matching alert fires and nothing when none does, so `firing: true` expects `[{} 1]` and
`firing: false` expects no sample. The expression ends in a PromQL comment naming the alert and
the test: promtool 2.42 prints a failure's expression and time but not its test's name, so the
comment makes every failure traceable (see `khaosobs.commands.alert_tests`).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from khaosobs.domain.naming import prometheus_rules_path, prometheus_slo_tests_path, prometheus_tests_path
from khaosobs.output import OutputFile
from khaosobs.output.serialise import comment_text
from khaosobs.output.templating import Renderer
from khaosobs.spec.model import Service, Spec
from khaosobs.spec.sources import Path_
from khaosobs.targets import EVERY_SERVICE, Share
from khaosobs.targets._rules import promql_selector
from khaosobs.targets._slo_tests import EVALUATION_MINUTES, slo_tests

NAME = "prometheus_tests"
DESCRIPTION = "promtool unit test files from the alert tests and the SLOs' generated proofs, one per service"
EVALUATION_INTERVAL = "1m"
# The SLO proofs run for up to three days of rule evaluations: every 5m keeps promtool fast, and all
# their times are multiples of it (`_slo_tests.EVALUATION_MINUTES`).
SLO_EVALUATION_INTERVAL = f"{EVALUATION_MINUTES}m"
FIRING_SAMPLES: list[dict[str, Any]] = [{"labels": "{}", "value": 1}]


@dataclass(frozen=True)
class Expectation:
    """One expectation of one alert test, as promtool runs it and as `khaosobs test` reports it."""

    service: str
    alert: str
    test: str  # the spec test's name
    at: str  # verbatim from the spec, e.g. 12m
    firing: bool
    labels: dict[str, str]
    expr: str
    path: Path_  # where the expectation is in the spec


@dataclass(frozen=True)
class UnitTest:
    service: str
    alert: str
    test: str  # the spec test's name
    name: str  # promtool's test group name
    interval: str
    series: list[dict[str, str]]
    expectations: list[Expectation]


def render(spec: Spec, renderer: Renderer) -> list[OutputFile]:
    return render_share(spec, renderer, EVERY_SERVICE)


def render_share(spec: Spec, renderer: Renderer, share: Share) -> list[OutputFile]:
    """The test files of the services in `share`: each service's are its own."""
    files = []
    for index, service in share.services(spec):
        tests = service_tests(service, index)
        if tests:
            files.append(renderer.file(NAME, "prometheus/tests.yml.j2", prometheus_tests_path(service.name),
                                       "yaml", **test_file_context(service, tests)))
        generated = slo_unit_tests(service, index)
        if generated:
            files.append(renderer.file(NAME, "prometheus/tests.yml.j2", prometheus_slo_tests_path(service.name),
                                       "yaml", **test_file_context(service, generated, SLO_EVALUATION_INTERVAL)))
    return files


def rule_file_reference(service: str) -> str:
    """The service's rule file, relative to its test file (promtool resolves it from there)."""
    test_dir = posixpath.dirname(prometheus_tests_path(service))
    return posixpath.relpath(prometheus_rules_path(service), test_dir)


def alerts_expr(alert: str, labels: dict[str, str], note: str) -> str:
    selector = promql_selector("ALERTS", {"alertname": alert, "alertstate": "firing", **labels})
    return f"group({selector})  # {comment_text(note)}"


def service_tests(service: Service, service_index: int) -> list[UnitTest]:
    tests = []
    for a, alert in enumerate(service.alerts):
        for t, test in enumerate(alert.tests):
            note = f"{alert.name}, test {t + 1}: {test.name}"
            base: Path_ = ("services", service_index, "alerts", a, "tests", t)
            expectations = [
                Expectation(service.name, alert.name, test.name, expect.at, expect.firing, expect.labels,
                            alerts_expr(alert.name, expect.labels, note), (*base, "expect", e))
                for e, expect in enumerate(test.expect)
            ]
            series = [{"series": s.series, "values": s.values} for s in test.series]
            tests.append(UnitTest(service.name, alert.name, test.name, f"{alert.name}: {test.name}",
                                  test.interval, series, expectations))
    return tests


def slo_unit_tests(service: Service, service_index: int) -> list[UnitTest]:
    """The generated proof of the service's SLO alerts (see `khaosobs.targets._slo_tests`)."""
    tests = []
    for slo_test in slo_tests(service, service_index):
        note = f"{slo_test.alert}, generated test: {slo_test.name}"
        expectations = [Expectation(service.name, check.alert, slo_test.name, check.at, check.firing, {},
                                    alerts_expr(check.alert, {}, note), slo_test.path)
                        for check in slo_test.checks]
        tests.append(UnitTest(service.name, slo_test.alert, slo_test.name, f"{slo_test.alert}: {slo_test.name}",
                              f"{slo_test.step}m", slo_test.series, expectations))
    return tests


def all_tests(spec: Spec) -> dict[str, list[UnitTest]]:
    """Test file path -> its tests, in file order."""
    found: dict[str, list[UnitTest]] = {}
    for index, service in enumerate(spec.services):
        tests = service_tests(service, index)
        if tests:
            found[prometheus_tests_path(service.name)] = tests
        generated = slo_unit_tests(service, index)
        if generated:
            found[prometheus_slo_tests_path(service.name)] = generated
    return found


def test_file_context(service: Service, tests: list[UnitTest],
                      evaluation_interval: str = EVALUATION_INTERVAL) -> dict[str, Any]:
    return {
        "rule_files": [rule_file_reference(service.name)],
        "evaluation_interval": evaluation_interval,
        "tests": [
            {
                "name": test.name,
                "interval": test.interval,
                "input_series": test.series,
                "checks": [
                    {"expr": e.expr, "eval_time": e.at, "exp_samples": FIRING_SAMPLES if e.firing else []}
                    for e in test.expectations
                ],
            }
            for test in tests
        ],
    }

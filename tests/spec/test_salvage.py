"""Every problem at once: a structural error does not hide the semantic findings of the rest."""

from __future__ import annotations

from pathlib import Path

from khaosobs.commands.validate import validate_paths
from tests.conftest import run_khaosobs

SPEC = """\
version: 1
project: demo
services:
  - name: api
    metrics:
      - name: http_requests_total
        type: countr
        help: Requests
      - name: queue_depth
        type: gauge
        help: Items
    alerts:
      - name: QueueHigh
        expr: rate(queue_depth[5m]) > 1
        for: 5 minutes
        severity: page
        summary: x
        sumary: y
      - name: RequestsStalled
        expr: rate(http_requests_total[5m]) == 0
        severity: warning
        summary: no requests
      - name: QueueTypo
        expr: queue_dept > 3
        severity: info
        summary: typo below a pruned item
    slos:
      - name: avail
        objective: 100
        sli: {errors: 'http_requests_total{code=~"5.."}', total: http_requests_total}
dashboards:
  - title: API
    panels:
      - {title: Q, type: graph, expr: queue_depth}
alerting:
  receivers:
    - name: main
      webhook: {url: 5}
    - name: spare
      webhook: {url: "http://gateway.internal/spare"}
  route: {receiver: mian, routes: [{match: {severity: critical}, receiver: spare}]}
"""


def findings(tmp_path: Path, text: str) -> list[tuple[int, str, str]]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    validation = validate_paths([spec])
    assert validation.spec is None, "a structurally broken spec never validates"
    return [(d.location.line if d.location else 0, d.code, d.path_text) for d in validation.diagnostics.sorted()]


def test_structure_and_meaning_are_reported_together(tmp_path: Path) -> None:
    found = findings(tmp_path, SPEC)
    assert found == [
        (7, "invalid-value", "services[0].metrics[0].type"),
        (14, "rate-over-gauge", "services[0].alerts[0].expr"),
        (15, "duration", "services[0].alerts[0].for"),
        (16, "invalid-value", "services[0].alerts[0].severity"),
        (18, "unknown-key", "services[0].alerts[0].sumary"),
        (24, "unknown-metric", "services[0].alerts[2].expr"),
        (29, "slo-objective", "services[0].slos[0].objective"),
        (34, "invalid-value", "dashboards[0].panels[0].type"),
        (38, "wrong-type", "alerting.receivers[0].webhook.url"),
        (41, "route-receiver", "alerting.route.receiver"),
        (34, "panel-unit", "dashboards[0].panels[0]"),  # a warning: queue_depth has no unit, whatever the type
    ]


def test_what_was_set_aside_makes_up_no_finding(tmp_path: Path) -> None:
    codes = {code for _, code, _ in findings(tmp_path, SPEC)}
    # http_requests_total was set aside (bad type): the alert and SLO that use it are not "unknown metric";
    # receiver "main" was set aside (bad url): no unreached/default-only routing warnings are invented
    found = findings(tmp_path, SPEC)
    assert not [f for f in found if f[1] == "unknown-metric" and f[0] != 24]
    assert "route-unreached" not in codes and "route-default-only" not in codes


def test_an_alert_test_series_of_a_set_aside_metric_is_not_unknown(tmp_path: Path) -> None:
    # a metric with a misspelt type is set aside; the alert test feeding its series must not be told
    # that no rule reads it (the code declares refers_to_definition: salvage drops it)
    tested = SPEC.replace(
        "        summary: no requests\n",
        "        summary: no requests\n        tests:\n          - name: stalls\n            series:\n"
        "              - {series: http_requests_total, values: '0x20'}\n"
        "            expect: [{at: 10m, firing: true}]\n",
    )
    assert tested != SPEC
    codes = [code for _, code, _ in findings(tmp_path, tested)]
    assert "alert-test-series" not in codes
    assert codes.count("invalid-value") == 3  # the misspelt type is still reported
    # and with the metric misspelt instead, the warning is real and still given
    undefined = tested.replace("series: http_requests_total,", "series: http_request_total,")
    assert "alert-test-series" in [code for _, code, _ in findings(tmp_path, undefined)]


def test_an_unrecoverable_structure_still_reports_cleanly(tmp_path: Path) -> None:
    found = findings(tmp_path, "version: 1\nproject: [demo]\nservices: {}\n")
    assert [(line, code) for line, code, _ in found] == [(2, "wrong-type"), (3, "wrong-type")]


def test_the_cli_exits_1_with_all_findings(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    result = run_khaosobs("validate", spec, "--format", "json")
    assert result.returncode == 1
    assert '"errors": 10' in result.stdout

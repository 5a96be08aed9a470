"""Grafana's dashboard-linter rules (ported in tests/support/dashboard_linter.py) on every generated
dashboard of every example spec: automatic dashboards pass every rule; on hand-written ones the
only findings are about the user's own panels, and `validate` warns about exactly those."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from khaosobs.commands.validate import validate_paths
from khaosobs.domain.dashboards import OVERVIEW_TAG, spec_panels
from tests.conftest import ROOT, rendered_once
from tests.support.dashboard_linter import Finding, lint

EXAMPLES = [ROOT / "specs",
            *sorted(p for p in (ROOT / "tests/specs").glob("*.yaml") if p.name != "seed-as-written.yaml")]
# linter rule -> the validate warning about the same panel
USER_PANEL_RULES = {
    "target-rate-interval-rule": "panel-rate-interval",
    "target-counter-agg-rule": "panel-counter-aggregation",
    "panel-units-rule": "panel-unit",
    "panel-title-description-rule": "panel-description",
    "target-job-rule": "panel-label-filter",
    "target-instance-rule": "panel-label-filter",
}


def _dashboards(spec: Path) -> dict[str, dict[str, Any]]:
    out = rendered_once(spec, "grafana")
    return {p.name: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((out / "grafana/dashboards").glob("*.json"))}


# An SLO dashboard reads the SLO's recording rules, which aggregate over every job and instance
# (the error ratio is one series per SLO and group): a job or instance filter could only ever
# select nothing there, so those four rules do not apply to it. Every other rule does.
SLO_DASHBOARD_EXEMPT = {"template-job-rule", "template-instance-rule", "target-job-rule", "target-instance-rule"}


def _is_slo_dashboard(name: str) -> bool:
    return name.endswith("-slos.json")


def lint_generated(name: str, dashboard: dict[str, Any]) -> list[Finding]:
    """The linter's findings on a generated dashboard, less the job/instance rules where they cannot
    apply: all of an SLO dashboard, and an overview's SLO row (queries of `slo:` series)."""
    findings = lint(dashboard)
    return [f for f in findings if not (f.rule in SLO_DASHBOARD_EXEMPT
                                        and (_is_slo_dashboard(name) or "slo:" in f.message))]


def _warned_panels(spec: Path) -> set[tuple[str, str]]:
    """(dashboard title, panel title, code) of every dashboard-rule warning validate gives."""
    validation = validate_paths([spec])
    assert validation.spec is not None
    titles = {}
    for d, dashboard in enumerate(validation.spec.dashboards):
        for path, panel in spec_panels(dashboard, d):
            titles[path] = (dashboard.title, panel.title)
    found = set()
    for diagnostic in validation.diagnostics.warnings:
        if diagnostic.code not in USER_PANEL_RULES.values():
            continue
        for length in range(len(diagnostic.path), 0, -1):
            if diagnostic.path[:length] in titles:
                found.add((*titles[diagnostic.path[:length]], diagnostic.code))
                break
    return found


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_automatic_dashboards_pass_every_rule(spec: Path) -> None:
    automatic = {n: d for n, d in _dashboards(spec).items() if OVERVIEW_TAG in d["tags"] or _is_slo_dashboard(n)}
    for name, dashboard in automatic.items():
        assert lint_generated(name, dashboard) == [], name


def test_the_example_has_automatic_dashboards() -> None:
    assert sum(OVERVIEW_TAG in d["tags"] for d in _dashboards(ROOT / "specs").values()) == 2


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_hand_written_dashboards_fail_only_where_validate_warns(spec: Path) -> None:
    linted: set[tuple[str, str, str]] = set()
    for name, dashboard in _dashboards(spec).items():
        if OVERVIEW_TAG in dashboard["tags"] or _is_slo_dashboard(name):
            continue
        for finding in lint(dashboard):
            assert finding.rule in USER_PANEL_RULES, (name, finding)  # the rest khaosobs guarantees
            assert finding.panel is not None
            linted.add((dashboard["title"], finding.panel, USER_PANEL_RULES[finding.rule]))
    assert linted == _warned_panels(spec)


def test_the_example_spec_passes_every_rule() -> None:
    for name, dashboard in _dashboards(ROOT / "specs").items():
        assert lint_generated(name, dashboard) == [], name


def _rules(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings if f.severity == "error"}


@pytest.mark.parametrize(
    ("mutation", "rule"),
    [
        ("editable", "uneditable-dashboard-rule"),
        ("no-datasource-variable", "template-datasource-rule"),
        ("no-job-variable", "template-job-rule"),
        ("instance-single", "template-instance-rule"),
        ("refresh-on-load", "template-on-time-change-reload"),
        ("bad-variable-query", "template-label-promql-rule"),
        ("fixed-datasource", "panel-datasource-rule"),
        ("no-description", "panel-title-description-rule"),
        ("no-unit", "panel-units-rule"),
        ("fixed-range", "target-rate-interval-rule"),
        ("raw-counter", "target-counter-agg-rule"),
        ("no-job-matcher", "target-job-rule"),
    ],
)
def test_the_linter_port_can_fail(mutation: str, rule: str) -> None:
    # event-gateway: an overview without an SLO row (whose `slo:` queries carry no job or instance)
    dashboard = copy.deepcopy(_dashboards(ROOT / "specs")["khaosobs-event-gateway.json"])
    assert lint(dashboard) == []
    templates = dashboard["templating"]["list"]
    timeseries = next(p for row in dashboard["panels"] for p in [row, *row.get("panels", [])]
                      if p["type"] == "timeseries")
    target = timeseries["targets"][0]
    if mutation == "editable":
        dashboard["editable"] = True
    elif mutation == "no-datasource-variable":
        templates.pop(0)
    elif mutation == "no-job-variable":
        templates.pop(1)
    elif mutation == "instance-single":
        templates[2]["multi"] = False
    elif mutation == "refresh-on-load":
        templates[1]["refresh"] = 1
    elif mutation == "bad-variable-query":
        templates[1]["query"] = "label_values(rate(, job)"
    elif mutation == "fixed-datasource":
        timeseries["datasource"] = {"type": "prometheus", "uid": "prometheus"}
    elif mutation == "no-description":
        del timeseries["description"]
    elif mutation == "no-unit":
        del timeseries["fieldConfig"]["defaults"]["unit"]
    elif mutation == "fixed-range":
        target["expr"] = target["expr"].replace("$__rate_interval", "5m")
    elif mutation == "raw-counter":
        target["expr"] = 'sum(discord_commands_total{job=~"$job", instance=~"$instance"})'
    elif mutation == "no-job-matcher":
        target["expr"] = target["expr"].replace('job=~"$job", ', "")
    assert rule in _rules(lint(dashboard))


def test_validate_warns_about_options_a_panel_ignores(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        """version: 1
project: demo
services:
  - name: api
    metrics:
      - {name: http_requests_total, type: counter, help: Requests served, labels: [code]}
dashboards:
  - title: API
    variables: [job]
    panels:
      - title: Requests
        type: stat
        expr: sum(rate(http_requests_total{job="api"}[5m]))
        stacking: normal
        legend_options: {mode: table}
        content: "# not a text panel"
        thresholds:
          - {value: 3, color: green}
          - {value: 5, color: red}
      - title: Raw
        expr: http_requests_total
""",
        encoding="utf-8",
    )
    validation = validate_paths([spec])
    assert validation.ok
    found = sorted((d.code, ".".join(map(str, d.path))) for d in validation.diagnostics.warnings)
    assert found == [
        ("dashboard-variable", "dashboards.0.variables.0"),
        ("panel-counter-aggregation", "dashboards.0.panels.1.expr"),
        ("panel-label-filter", "dashboards.0.panels.0.expr"),
        ("panel-option", "dashboards.0.panels.0.content"),
        ("panel-option", "dashboards.0.panels.0.legend_options"),
        ("panel-option", "dashboards.0.panels.0.stacking"),
        ("panel-rate-interval", "dashboards.0.panels.0.expr"),
        ("panel-thresholds", "dashboards.0.panels.0.thresholds.0.value"),
    ]


def test_a_dashboard_taking_an_overview_uid_is_named(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        """version: 1
project: demo
services:
  - name: api
    metrics:
      - {name: http_requests_total, type: counter, help: Requests served}
dashboards:
  - title: Mine
    uid: khaosobs-api
    panels:
      - {title: Requests, expr: 'sum(rate(http_requests_total[$__rate_interval]))'}
""",
        encoding="utf-8",
    )
    validation = validate_paths([spec])
    assert [(d.code, d.path) for d in validation.diagnostics.warnings] == [
        ("dashboard-overview-uid", ("dashboards", 0, "uid"))]
    out = rendered_once(spec, "grafana")
    assert [p.name for p in (out / "grafana/dashboards").glob("*.json")] == ["khaosobs-api.json"]
    assert json.loads((out / "grafana/dashboards/khaosobs-api.json").read_text(encoding="utf-8"))["title"] == "Mine"

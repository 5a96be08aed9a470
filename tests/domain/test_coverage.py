"""`khaosobs coverage` and the policy check: each service against the spec's `policy` block."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from khaosobs.domain.coverage import REQUIREMENTS, coverage
from khaosobs.spec.model import Spec
from tests.conftest import ROOT, run_khaosobs

EXAMPLE = "specs/strategickhaos.yaml"

SPEC = """version: 1
project: demo
policy:
  require: [metrics, alerts, dashboard, slo, log_alerts]
  severity: {severity}
services:
  - name: api
    metrics:
      - {{name: http_requests_total, type: counter, help: Requests, labels: [code]}}
      - {{name: http_request_duration_seconds, type: histogram, help: Latency}}
    slos:
      - name: availability
        objective: 99.9
        sli: {{errors: 'http_requests_total{{code=~"5.."}}', total: http_requests_total}}
        alerting: {{page: false, ticket: false}}
  - name: worker
    recording_rules:
      - {{record: "worker:jobs:rate5m", expr: "sum(rate(jobs_total[5m]))"}}
  - name: logs-only
    log_alerts:
      - {{name: Panics, expr: 'sum(count_over_time({{service="logs-only"}} |= "panic" [5m])) > 0',
          severity: critical, summary: panics}}
external_metrics: [jobs_total]
dashboards:
  - title: Latency
    panels:
      - {{title: p95, expr: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))'}}
  - title: Work
    panels:
      - title: Jobs
        targets: [{{expr: 'worker:jobs:rate5m'}}]
      - {{title: Panics, type: logs, logql: '{{service="logs-only"}} |= "panic"'}}
"""


def test_example_meets_its_policy_table(snapshot: object) -> None:
    result = run_khaosobs("coverage", EXAMPLE)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == snapshot


def test_example_meets_its_policy_json(snapshot: object) -> None:
    result = run_khaosobs("coverage", EXAMPLE, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["policy"]["require"] == ["metrics", "alerts", "dashboard"]
    assert [s["service"] for s in data["services"]] == ["discord-ops-bot", "event-gateway"]
    assert all(s["meets_policy"] for s in data["services"])
    assert result.stdout == snapshot


def what_covers(spec_text: str) -> dict[str, dict[str, list[str]]]:
    import yaml

    spec = Spec.model_validate(yaml.safe_load(spec_text))
    return {row.service: {name: cell.covered_by for name, cell in row.cells.items()} for row in coverage(spec)}


def test_what_covers_each_requirement() -> None:
    found = what_covers(SPEC.format(severity="error"))
    # the automatic overview of a service with metrics counts as its dashboard
    assert found["api"] == {"metrics": ["2 metrics"], "alerts": [], "dashboard": ["Latency", "api overview"],
                            "slo": ["availability"], "log_alerts": []}, "an SLO with both tiers off alerts nobody"
    assert found["worker"]["dashboard"] == ["Work"], "a recording rule of the service counts as its series"
    assert found["logs-only"]["dashboard"] == ["Work"], "a logs panel selecting its logs counts"
    assert found["logs-only"]["alerts"] == ["1 log alert"]
    assert set(REQUIREMENTS) == set(found["api"])


@pytest.mark.parametrize("severity", ["error", "warning"])
def test_unmet_requirements_are_findings_at_the_service(tmp_path: Path, severity: str) -> None:
    (tmp_path / "demo.yaml").write_text(SPEC.format(severity=severity), encoding="utf-8")
    result = run_khaosobs("validate", "demo.yaml", "--format", "json", cwd=tmp_path)
    assert result.returncode == (1 if severity == "error" else 0), result.stdout + result.stderr
    found = {(d["line"], d["message"].split(",")[0]) for d in json.loads(result.stdout)["diagnostics"]
             if d["code"] == "coverage-policy" and d["severity"] == severity}
    assert found == {
        (7, "service api has no alert (alerts"),
        (7, "service api has no log alert"),
        (16, "service worker declares no metrics"),
        (16, "service worker has no alert (alerts"),
        (16, "service worker has no SLO"),
        (16, "service worker has no log alert"),
        (19, "service logs-only declares no metrics"),
        (19, "service logs-only has no SLO"),
    }


def test_coverage_command_shows_unmet_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text(SPEC.format(severity="error"), encoding="utf-8")
    result = run_khaosobs("coverage", "demo.yaml", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:4]}
    assert "unmet: alerts, log_alerts" in rows["api"]
    assert "unmet: metrics, alerts, slo, log_alerts" in rows["worker"]
    assert "✗ missing" in rows["worker"] and "✓ Work" in rows["worker"]
    data = json.loads(run_khaosobs("coverage", "demo.yaml", "-f", "json", cwd=tmp_path).stdout)
    assert [s["meets_policy"] for s in data["services"]] == [False, False, False]


def test_coverage_refuses_an_otherwise_invalid_spec(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("version: 1\nproject: demo\nservices:\n  - name: api\n    team: 3\n",
                                       encoding="utf-8")
    result = run_khaosobs("coverage", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "bad.yaml:5:11" in result.stderr and "fix it to see its coverage" in result.stderr
    assert run_khaosobs("coverage", EXAMPLE, "--format", "xml", cwd=ROOT).returncode == 2

"""The prometheus target: rule files promtool accepts, text kept exactly, SLO burn-rate math proven."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from khaosobs.domain.alerts import alert_labels, slo_alert_labels, slo_tiers
from khaosobs.domain.naming import slo_alert_name, slo_ratio_record
from khaosobs.domain.slo import slo_plan
from khaosobs.spec.model import SLO, Service, Spec
from khaosobs.targets.prometheus import SLO_WINDOWS, decimal_text, error_budget
from tests.conftest import EXAMPLE_SPECS
from tests.support.rules import ids, promtool, render, rendered_example, yielded

RULE_FILES = [(spec, path) for spec, path in yielded("prometheus") if path.startswith("prometheus/rules/")]


def load_spec(spec: Path) -> Spec:
    from khaosobs.commands.validate import validate_paths

    validation = validate_paths([spec])
    assert validation.spec is not None
    return validation.spec


METADATA_RECORDS = 7  # period ratio, objective, budget, days, current/period burn rate, budget remaining


def slo_alert_count(service: Service, slo: SLO) -> int:
    plan = slo_plan(service, slo)
    return len(plan.tiers) + (plan.no_data is not None)


def slo_record_count(service: Service, slo: SLO) -> int:
    return len(slo_plan(service, slo).windows) + METADATA_RECORDS


def expected_rule_count(spec: Spec, service_name: str) -> int:
    service = next(s for s in spec.services if s.name == service_name)
    slo_rules = sum(slo_record_count(service, slo) + slo_alert_count(service, slo) for slo in service.slos)
    return len(service.recording_rules) + slo_rules + len(service.alerts)




@pytest.mark.realtools
@pytest.mark.parametrize(("spec", "path"), RULE_FILES, ids=ids(RULE_FILES))
def test_promtool_accepts_every_rule_file(spec: Path, path: str) -> None:
    result = promtool("check", "rules", rendered_example(spec) / path)
    assert result.returncode == 0, result.stdout + result.stderr
    service = Path(path).stem
    count = expected_rule_count(load_spec(spec), service)
    assert f"SUCCESS: {count} rules found" in result.stdout, result.stdout


def test_example_yields_one_file_per_service() -> None:
    for spec in EXAMPLE_SPECS:
        services = [s.name for s in load_spec(spec).services]
        expected = sorted(f"prometheus/rules/{s}.yml" for s in services)
        assert sorted(p for s, p in RULE_FILES if s == spec) == expected
        # and prometheus.yml, which names them (tests/targets/test_prometheus_config.py)
        assert sorted(p for s, p in yielded("prometheus") if s == spec) == sorted(
            [*expected, "prometheus/prometheus.yml"])


@pytest.mark.parametrize("spec", EXAMPLE_SPECS, ids=[s.stem for s in EXAMPLE_SPECS])
def test_rule_groups_carry_the_spec_exactly(spec: Path) -> None:
    model = load_spec(spec)
    out = rendered_example(spec)
    for service in model.services:
        doc = yaml.safe_load((out / f"prometheus/rules/{service.name}.yml").read_text(encoding="utf-8"))
        [group] = doc["groups"]
        assert group["name"] == service.name
        rules = group["rules"]
        records = [r for r in rules if "record" in r]
        alerts = [r for r in rules if "alert" in r]
        # order: recording rules, SLO rules, then the service's alerts
        assert rules[: len(service.recording_rules)] == [
            {"record": r.record, "expr": r.expr, **({"labels": r.labels} if r.labels else {})}
            for r in service.recording_rules
        ]
        assert alerts[len(alerts) - len(service.alerts):] == rules[len(rules) - len(service.alerts):]
        for alert, rule in zip(service.alerts, rules[len(rules) - len(service.alerts):], strict=True):
            assert rule["alert"] == alert.name
            assert rule["expr"] == alert.expr
            assert rule.get("for") == alert.for_
            assert rule["labels"] == alert_labels(service, alert)
            assert list(rule["labels"].items()) == list(alert_labels(service, alert).items())
            assert rule["annotations"]["summary"] == alert.summary
        slo_alerts = [r for r in alerts if r["alert"] not in {a.name for a in service.alerts}]
        assert len(slo_alerts) == sum(slo_alert_count(service, slo) for slo in service.slos)
        assert len(records) == len(service.recording_rules) + sum(slo_record_count(service, slo)
                                                                  for slo in service.slos)


TRICKY_SPEC = r'''
version: 1
project: tricky
services:
  - name: api
    team: web
    labels: {tier: "edge: public"}
    metrics:
      - {name: api_requests_total, type: counter, help: Requests, labels: [code, route]}
    alerts:
      - name: ApiDown
        expr: sum by (route) (rate(api_requests_total{code=~"5.."}[5m])) > 1
        for: 0m
        severity: critical
        summary: "API: {{ $labels.route }} says \"no\" # not a comment"
        description: |-
          Line one: {{ $value | humanize }}
            indented {{ $labels }}
          unicode: é ✓ 日本 and a tab	here
        runbook_url: https://runbooks.example.com/api#down
        labels: {page: "yes", "odd": "null"}
        annotations: {dashboard: "https://grafana.example.com/d/api?var-x={{ $labels.route }}", "yes": "no"}
      - name: ApiSlow
        expr: sum(rate(api_requests_total[5m])) == 0
        severity: info
        summary: "'single' quotes and a backslash \\ and {{`{{ literal }}`}}"
    slos:
      - name: availability
        objective: 99.95
        window: 28d
        sli:
          errors: api_requests_total{code=~"5.."}
          total: api_requests_total
        alerting: {page: {severity: critical}, ticket: false}
  - name: quiet
'''


@pytest.fixture
def tricky(tmp_path: Path) -> tuple[Path, Path]:
    spec = tmp_path / "tricky.yaml"
    spec.write_text(TRICKY_SPEC, encoding="utf-8")
    return spec, render(spec.name, tmp_path / "out", "prometheus", cwd=tmp_path)


def test_text_comes_out_exactly_as_written(tricky: tuple[Path, Path]) -> None:
    spec, out = tricky
    model = Spec.model_validate(yaml.safe_load(spec.read_text(encoding="utf-8")))
    api = model.services[0]
    doc = yaml.safe_load((out / "prometheus/rules/api.yml").read_text(encoding="utf-8"))
    by_name = {r.get("alert"): r for r in doc["groups"][0]["rules"] if "alert" in r}
    down, slow = by_name["ApiDown"], by_name["ApiSlow"]
    assert down["expr"] == api.alerts[0].expr
    assert down["for"] == "0m", "`for: 0m` is kept verbatim"
    assert "for" not in slow, "no `for` when the spec sets none"
    assert down["labels"] == {"severity": "critical", "service": "api", "team": "web", "tier": "edge: public",
                              "page": "yes", "odd": "null"}
    assert down["annotations"] == {
        "summary": api.alerts[0].summary,
        "description": api.alerts[0].description,
        "runbook_url": "https://runbooks.example.com/api#down",
        "dashboard": "https://grafana.example.com/d/api?var-x={{ $labels.route }}",
        "yes": "no",
    }
    assert list(down["annotations"]) == ["summary", "description", "runbook_url", "dashboard", "yes"]
    assert slow["annotations"] == {"summary": api.alerts[1].summary}, "only the annotations that are set"
    assert "\\" in slow["annotations"]["summary"] and "{{`{{ literal }}`}}" in slow["annotations"]["summary"]


@pytest.mark.realtools
def test_tricky_rules_pass_promtool_and_an_empty_service_gets_an_empty_group(
        tricky: tuple[Path, Path]) -> None:
    _, out = tricky
    result = promtool("check", "rules", out / "prometheus/rules/api.yml", out / "prometheus/rules/quiet.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    # 4 ratio records (the page tier's windows: `ticket: false`) + 7 metadata records + 1 page alert
    # + 1 no-data alert + 2 alerts
    assert "SUCCESS: 15 rules found" in result.stdout
    assert "SUCCESS: 0 rules found" in result.stdout
    quiet = yaml.safe_load((out / "prometheus/rules/quiet.yml").read_text(encoding="utf-8"))
    assert quiet["groups"] == [{"name": "quiet", "rules": []}]


def test_slo_rules_use_exact_budgets_and_the_naming_rules(tricky: tuple[Path, Path]) -> None:
    _, out = tricky
    text = (out / "prometheus/rules/api.yml").read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    rules = doc["groups"][0]["rules"]
    records = [r for r in rules if r.get("record", "").startswith("slo:sli_error:ratio_rate")]
    page_windows = ("5m", "30m", "1h", "6h")  # only the windows an enabled tier reads are recorded
    assert [r["record"] for r in records] == [slo_ratio_record(w) for w in page_windows]
    for rule, window in zip(records, page_windows, strict=True):
        assert rule["labels"] == {"service": "api", "slo": "availability"}
        assert rule["expr"] == (f'(sum(rate(api_requests_total{{code=~"5.."}}[{window}])) or vector(0))'
                                f" / sum(rate(api_requests_total[{window}]))")
    [page] = [r for r in rules if r.get("alert") == slo_alert_name("availability", "page")]
    assert slo_alert_name("availability", "ticket") not in text, "`ticket: false` turns the tier off"
    # 28d: the workbook's shares give 2% x 28d / 1h = 13.44 and 5% x 28d / 6h = 5.6 (not 30d's 14.4 and 6)
    assert "(13.44 * 0.0005)" in page["expr"] and "(5.6 * 0.0005)" in page["expr"]
    assert "14.4" not in page["expr"]
    assert page["labels"] == {"severity": "critical", "service": "api", "team": "web", "tier": "edge: public",
                              "slo": "availability"}
    assert "99.95%" in page["annotations"]["description"] and "28d" in page["annotations"]["description"]
    assert not re.search(r"\d\.\d*0000\d|99999", text), "no float noise"


@pytest.mark.parametrize(("objective", "budget"), [
    (99.9, "0.001"), (99.95, "0.0005"), (99.99, "0.0001"), (99.999, "0.00001"), (99.0, "0.01"),
    (99, "0.01"), (95, "0.05"), (90.5, "0.095"), (50, "0.5"), (99.12345678, "0.0087654322"),
])
def test_error_budget_is_exact(objective: float, budget: str) -> None:
    assert decimal_text(error_budget(objective)) == budget


def test_slo_labels_come_from_alerts_module() -> None:
    model = load_spec(EXAMPLE_SPECS[0])
    doc = yaml.safe_load((rendered_example(EXAMPLE_SPECS[0]) / "prometheus/rules/discord-ops-bot.yml")
                         .read_text(encoding="utf-8"))
    service = next(s for s in model.services if s.name == "discord-ops-bot")
    slo = service.slos[0]
    rules = {r.get("alert"): r for r in doc["groups"][0]["rules"]}
    for tier_name, tier in slo_tiers(slo):
        assert rules[slo_alert_name(slo.name, tier_name)]["labels"] == slo_alert_labels(service, slo, tier)


# --- the burn-rate math, proven with promtool -----------------------------------------------------

SLO_SPEC = """
version: 1
project: burn
services:
  - name: api
    metrics:
      - {name: api_requests_total, type: counter, help: Requests, labels: [code]}
    slos:
      - name: availability
        objective: 99.9
        sli:
          errors: api_requests_total{code="500"}
          total: api_requests_total
"""
PAGE, TICKET = slo_alert_name("availability", "page"), slo_alert_name("availability", "ticket")


def alerts_firing(alert: str, severity: str, firing: bool) -> dict[str, Any]:
    labels = (f'{{__name__="ALERTS", alertname="{alert}", alertstate="firing", service="api", '
              f'severity="{severity}", slo="availability"}}')
    return {"expr": f'ALERTS{{alertname="{alert}", alertstate="firing"}}',
            "samples": [{"labels": labels, "value": 1}] if firing else []}


def burn_test(name: str, errors: str, ok: str, at: str, page: bool, ticket: bool) -> dict[str, Any]:
    """1000 requests a minute; `errors`/`ok` in promtool's notation; which tiers fire at `at`."""
    checks = [alerts_firing(PAGE, "critical", page), alerts_firing(TICKET, "warning", ticket)]
    return {
        "name": name,
        "interval": "1m",
        "input_series": [{"series": 'api_requests_total{code="500"}', "values": errors},
                         {"series": 'api_requests_total{code="200"}', "values": ok}],
        "promql_expr_test": [{"expr": c["expr"], "eval_time": at, "exp_samples": c["samples"]}
                             for c in checks],
    }


def unit_test_file(tests: list[dict[str, Any]]) -> str:
    return yaml.safe_dump({"rule_files": ["prometheus/rules/api.yml"], "evaluation_interval": "1m",
                           "tests": tests}, sort_keys=False)


@pytest.mark.realtools
def test_burn_rate_math_with_promtool(tmp_path: Path) -> None:
    """Budget 0.001: page above 14.4x (1h & 5m) or 6x (6h & 30m); ticket above 3x (1d & 2h) or 1x
    (3d & 6h)."""
    (tmp_path / "burn.yaml").write_text(SLO_SPEC, encoding="utf-8")
    out = render("burn.yaml", tmp_path / "out", "prometheus", cwd=tmp_path)
    tests = [
        # 2% errors = 20x budget: above 14.4x, so both tiers fire
        burn_test("20x", "0+20x300", "0+980x300", "3h", page=True, ticket=True),
        # 7x: under 14.4x but above 6x over 6h & 30m: pages
        burn_test("7x", "0+7x300", "0+993x300", "3h", page=True, ticket=True),
        # 5x: under 6x, above 3x: a ticket, no page
        burn_test("5x", "0+5x300", "0+995x300", "3h", page=False, ticket=True),
        # 2x: under 3x, above 1x over 3d & 6h: still a ticket
        burn_test("2x", "0+2x300", "0+998x300", "3h", page=False, ticket=True),
        # 0.5x: within budget: nothing fires
        burn_test("0.5x", "0+0.5x300", "0+999.5x300", "3h", page=False, ticket=False),
        # 10% errors for an hour, then none: at 1h35m the 1h window still burns above 14.4x, but the 5m
        # and 30m windows have reset, so no page; the ticket (1d & 2h) keeps firing
        burn_test("spike over", "0+100x60 6000+0x239", "0+900x60 55000+1000x239", "1h35m", page=False,
                  ticket=True),
        # the same spike as it happens: the 5m and 1h windows both exceed 14.4x
        burn_test("spike on", "0+100x60 6000+0x239", "0+900x60 55000+1000x239", "30m", page=True,
                  ticket=True),
        # no traffic at all: 0/0 is NaN, which never fires
        burn_test("idle", "0x300", "0x300", "3h", page=False, ticket=False),
    ]
    test_file = tmp_path / "out" / "burn.test.yml"
    test_file.write_text(unit_test_file(tests), encoding="utf-8")
    result = promtool("test", "rules", test_file.name, cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout

    # the same file with one expectation flipped must fail: the test can tell right from wrong
    tests[2] = burn_test("5x", "0+5x300", "0+995x300", "3h", page=True, ticket=True)
    test_file.write_text(unit_test_file(tests), encoding="utf-8")
    result = promtool("test", "rules", test_file.name, cwd=out)
    assert result.returncode == 1
    assert PAGE in result.stderr and "time: 3h" in result.stderr


@pytest.mark.realtools
def test_the_error_ratio_is_recorded_for_every_window(tmp_path: Path) -> None:
    (tmp_path / "burn.yaml").write_text(SLO_SPEC, encoding="utf-8")
    out = render("burn.yaml", tmp_path / "out", "prometheus", cwd=tmp_path)
    checks = [
        {"expr": f'{slo_ratio_record(w)}{{slo="availability", service="api"}} * 1000', "eval_time": "5h",
         "exp_samples": [{"labels": '{service="api", slo="availability"}', "value": 20}]}
        for w in SLO_WINDOWS
    ]
    checks.append({"expr": f'{slo_ratio_record("5m")}{{slo="availability"}}', "eval_time": "10m",
                   "exp_samples": [{"labels": f'{{__name__="{slo_ratio_record("5m")}", service="api", '
                                              'slo="availability"}', "value": 0}]})
    tests = [
        {"name": "2%", "interval": "1m",
         "input_series": [{"series": 'api_requests_total{code="500"}', "values": "0+20x400"},
                          {"series": 'api_requests_total{code="200"}', "values": "0+980x400"}],
         "promql_expr_test": checks[:-1]},
        # no error series at all: the ratio is 0, not missing (`or vector(0)`)
        {"name": "no error series", "interval": "1m",
         "input_series": [{"series": 'api_requests_total{code="200"}', "values": "0+1000x20"}],
         "promql_expr_test": checks[-1:]},
    ]
    (out / "ratio.test.yml").write_text(yaml.safe_dump({"rule_files": ["prometheus/rules/api.yml"],
                                                         "evaluation_interval": "1m", "tests": tests}),
                                        encoding="utf-8")
    result = promtool("test", "rules", "ratio.test.yml", cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr

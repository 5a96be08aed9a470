"""SLOs right for any window, proven with the real promtool.

The burn-rate math is held to the SRE workbook written out here independently of khaosobs (the
shares 2%/5%/10%/10% over 1h/6h/1d/3d, factor = share x window / long window): after an hour of
clean traffic, a constant burn of `b` times the budget makes a condition (long L, short S, factor f)
true once `b > f` and the burn has lasted `L x f / b` (the long window's average reaches f; the short
one, S << L, is there first). A tier fires as soon as one of its conditions is true.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from khaosobs.domain.gotemplate import go_template_literal
from khaosobs.domain.naming import slo_alert_name
from khaosobs.domain.slo import burn_factor, prometheus_float
from tests.support.rules import promtool, render
from tests.targets.test_grafana import dashboard_problems

pytestmark = pytest.mark.realtools

DAY_MIN = 1440
# the workbook, as data: tier -> (long, short, share), minutes
WORKBOOK = {
    "page": ((60, 5, Fraction(2, 100)), (360, 30, Fraction(5, 100))),
    "ticket": ((DAY_MIN, 120, Fraction(10, 100)), (3 * DAY_MIN, 360, Fraction(10, 100))),
}
WINDOW_DAYS = {"30d": 30, "28d": 28, "7d": 7}
EXPECTED_FACTORS = {  # the table
    "30d": ("14.4", "6", "3", "1"),
    "28d": ("13.44", "5.6", "2.8", "0.933333"),
    "7d": ("3.36", "1.4", "0.7", "0.233333"),
}
HISTORY = 60  # minutes of clean traffic before a burn
FULL_HISTORY = 3 * 1440  # clean traffic filling every window, as the workbook's arithmetic assumes
RATE = 1000  # events a minute
BUDGET = Fraction(1, 1000)  # objective 99.9


def factor(window: str, long: int, share: Fraction) -> Fraction:
    return share * WINDOW_DAYS[window] * DAY_MIN / long


def fires_after(window: str, tier: str, burn: Fraction) -> Fraction | None:
    """Minutes of burn after which the tier fires (the workbook's arithmetic), None for never."""
    times = [long * factor(window, long, share) / burn
             for long, _short, share in WORKBOOK[tier] if burn > factor(window, long, share)]
    return min(times) if times else None


def spec_text(window: str, sli: str, objective: str = "99.9", extra: str = "") -> str:
    return f"""
version: 1
project: burn
external_metrics: [probe_success]
services:
  - name: api
    metrics:
      - {{name: api_requests_total, type: counter, help: Requests, labels: [code, instance]}}
      - {{name: api_request_duration_seconds, type: histogram, help: Latency, labels: [instance],
         buckets: [0.1, 0.5, 1, 2.5]}}
    slos:
      - name: availability
        objective: {objective}
        window: {window}
        sli:
{sli}
{extra}
"""


ERRORS_TOTAL = """          errors: api_requests_total{code="500"}
          total: api_requests_total"""


def counter_values(per_step: Fraction | int, steps: int, start: Fraction | int = 0) -> str:
    return f"{float(start):.6f}+{float(per_step):.6f}x{steps}"


def burn_series(burn: Fraction, minutes: int, step: int, clean: int = HISTORY) -> list[dict[str, str]]:
    """Errors and successes (one metric, two codes) at `step`-minute samples: `clean` minutes without
    errors, then `minutes` of `burn`."""
    history, steps = clean // step, -(-minutes // step)
    errors_per_step = burn * BUDGET * RATE * step
    return [
        {"series": 'api_requests_total{code="500"}',
         "values": f"0x{history - 1} {counter_values(errors_per_step, steps)}"},
        {"series": 'api_requests_total{code="200"}',
         "values": f"0+{RATE * step}x{history - 1} "
                   f"{counter_values(RATE * step - errors_per_step, steps, RATE * step * history)}"},
    ]


def firing_check(alert: str, at: int, firing: bool) -> dict[str, Any]:
    return {"expr": f'group(ALERTS{{alertname="{alert}", alertstate="firing"}})', "eval_time": f"{at}m",
            "exp_samples": [{"labels": "{}", "value": 1}] if firing else []}


def run_tests(out: Path, tests: list[dict[str, Any]], name: str = "acceptance.test.yml"):  # type: ignore[no-untyped-def]
    (out / name).write_text(yaml.safe_dump({"rule_files": ["prometheus/rules/api.yml"],
                                            "evaluation_interval": "5m", "tests": tests}), encoding="utf-8")
    return promtool("test", "rules", name, cwd=out)


def on_grid(minutes: Fraction | float, grid: int, up: bool) -> int:
    whole = -(-Fraction(minutes) // grid) if up else Fraction(minutes) // grid
    return int(whole) * grid


def window_tests(window: str) -> list[dict[str, Any]]:
    """For each tier condition: a burn just above (1.05x) and just below (0.95x) its factor, after
    three clean days (every window full). Each tier is checked just before (90%) and just after the
    workbook's firing time, or at the end of its longest window when the workbook says it never fires."""
    page_long, _, page_share = WORKBOOK["page"][0]
    tests = []
    for tier_name, conditions in WORKBOOK.items():
        for long, _short, share in conditions:
            for scale in (Fraction(105, 100), Fraction(95, 100)):
                burn = scale * factor(window, long, share)
                if burn * BUDGET >= 1:
                    continue
                # samples every minute when the 1h/5m page condition can fire (its 5m window needs
                # them), else every 10 minutes: the 3-day tests stay fast
                step = 1 if burn > factor(window, page_long, page_share) else 10
                grid = max(step, 5)  # the evaluation interval is 5m
                checks, horizon = [], FULL_HISTORY
                for other in WORKBOOK:
                    alert = slo_alert_name("availability", other)
                    after = fires_after(window, other, burn)
                    if after is None:
                        at = on_grid(FULL_HISTORY + max(c[0] for c in WORKBOOK[other]), grid, up=True)
                        checks.append(firing_check(alert, at, False))
                    else:
                        before = on_grid(FULL_HISTORY + after * Fraction(9, 10), grid, up=False)
                        at = on_grid(FULL_HISTORY + after + step, grid, up=True)
                        if before > FULL_HISTORY:
                            checks.append(firing_check(alert, before, False))
                        checks.append(firing_check(alert, at, True))
                    horizon = max(horizon, at)
                tests.append({"name": f"{window} {tier_name} {long}m at {float(scale)}x: burn {float(burn):.4f}",
                              "interval": f"{step}m",
                              "input_series": burn_series(burn, horizon - FULL_HISTORY + step, step, FULL_HISTORY),
                              "promql_expr_test": checks})
    return tests


@pytest.mark.parametrize("window", list(WINDOW_DAYS))
def test_factors_follow_the_window(window: str) -> None:
    shown = tuple(str(burn_factor(Decimal(str(share.numerator / share.denominator)), WINDOW_DAYS[window] * 86_400_000,
                                  long * 60_000))
                  for conditions in WORKBOOK.values() for long, _short, share in conditions)
    assert shown == EXPECTED_FACTORS[window]


@pytest.mark.parametrize("window", list(WINDOW_DAYS))
def test_each_tier_fires_when_the_workbook_says(tmp_path: Path, window: str) -> None:
    (tmp_path / "slo.yaml").write_text(spec_text(window, ERRORS_TOTAL), encoding="utf-8")
    out = render("slo.yaml", tmp_path / "out", "prometheus", cwd=tmp_path)
    rules = (out / "prometheus/rules/api.yml").read_text(encoding="utf-8")
    for text in EXPECTED_FACTORS[window]:
        assert f"({text} * 0.001)" in rules
    tests = window_tests(window)
    assert len(tests) >= 7
    result = run_tests(out, tests)
    assert result.returncode == 0, result.stdout + result.stderr

    # the old output (30d factors whatever the window) fails the same tests: they can tell
    if window != "30d":
        old = rules
        for new, thirty in zip(EXPECTED_FACTORS[window], EXPECTED_FACTORS["30d"], strict=True):
            old = old.replace(f"({new} * 0.001)", f"({thirty} * 0.001)")
        (out / "prometheus/rules/api.yml").write_text(old, encoding="utf-8")
        result = run_tests(out, tests)
        assert result.returncode == 1, result.stdout + result.stderr


def test_a_window_shorter_than_a_tier_is_refused(tmp_path: Path) -> None:
    from tests.conftest import run_khaosobs

    (tmp_path / "slo.yaml").write_text(spec_text("1d", ERRORS_TOTAL), encoding="utf-8")
    result = run_khaosobs("validate", "slo.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert "error[slo-window-too-short]" in result.stdout and "3d long window" in result.stdout
    (tmp_path / "ok.yaml").write_text(spec_text("1d", ERRORS_TOTAL, extra="        alerting: {ticket: false}"),
                                      encoding="utf-8")
    assert run_khaosobs("validate", "ok.yaml", cwd=tmp_path).returncode == 0


# --- the SLI kinds ---------------------------------------------------------------------------------

LATENCY = "          latency: {histogram: api_request_duration_seconds, threshold: 0.5}"


def latency_series(slow_fraction: Fraction, reset_at: int | None, minutes: int) -> list[dict[str, str]]:
    """Two instances, 500 requests a minute each; instance b restarts (its counters go to 0) at `reset_at`."""
    per = RATE // 2
    fast = per * (1 - slow_fraction)
    series = []
    for instance in ("a", "b"):
        for suffix, le, inc in (("bucket", "0.5", fast), ("count", None, per)):
            labels = f'instance="{instance}"' + (f', le="{le}"' if le else "")
            if instance == "b" and reset_at is not None:
                values = f"{counter_values(inc, reset_at - 1)} {counter_values(inc, minutes - reset_at)}"
            else:
                values = counter_values(inc, minutes)
            series.append({"series": f"api_request_duration_seconds_{suffix}{{{labels}}}", "values": values})
    return series


def test_latency_sli_counts_per_series_rates_across_a_counter_reset(tmp_path: Path) -> None:
    (tmp_path / "slo.yaml").write_text(spec_text("30d", LATENCY, objective="99"), encoding="utf-8")
    out = render("slo.yaml", tmp_path / "out", "prometheus", cwd=tmp_path)
    rules = (out / "prometheus/rules/api.yml").read_text(encoding="utf-8")
    assert 'le=\\"0.5\\"' in rules and "api_request_duration_seconds_count" in rules
    page, ticket = slo_alert_name("availability", "page"), slo_alert_name("availability", "ticket")
    half = Fraction(1, 2) * 1 * Fraction(1, 100)  # 0.5x the smallest factor (1) of a 1% budget
    tests = [
        {"name": "0.5x with a restart of instance b: quiet", "interval": "1m",
         "input_series": latency_series(half, reset_at=150, minutes=400),
         "promql_expr_test": [firing_check(page, at, False) for at in (155, 200, 390)]
         + [firing_check(ticket, at, False) for at in (155, 390)]
         # the error ratio is 0.5% right after the restart (rate() of a sum of counters would read ~50%)
         + [{"expr": 'round(slo:sli_error:ratio_rate1h{slo="availability"} * 10000)', "eval_time": "180m",
             "exp_samples": [{"labels": '{service="api", slo="availability"}', "value": 50}]}]},
        {"name": "20x: the page tier fires", "interval": "1m",
         "input_series": latency_series(Fraction(20, 100), reset_at=None, minutes=200),
         "promql_expr_test": [firing_check(page, 130, True)]},
    ]
    result = run_tests(out, tests)
    assert result.returncode == 0, result.stdout + result.stderr


def test_latency_le_is_written_as_prometheus_client_exposes_it() -> None:
    from prometheus_client.utils import floatToGoString  # a test dependency (the instrumentation tests)

    for bound in (0.005, 0.5, 1, 1.0, 2.5, 10, 1e6, 123456789.0, float("inf")):
        assert prometheus_float(bound) == floatToGoString(bound)


GOOD_TOTAL = """          good: api_requests_total{code="200"}
          total: api_requests_total"""


def test_good_total_sli(tmp_path: Path) -> None:
    (tmp_path / "slo.yaml").write_text(spec_text("30d", GOOD_TOTAL), encoding="utf-8")
    out = render("slo.yaml", tmp_path / "out", "prometheus", cwd=tmp_path)
    page, ticket = slo_alert_name("availability", "page"), slo_alert_name("availability", "ticket")
    tests = [
        {"name": "1.05x page", "interval": "1m", "input_series": burn_series(Fraction("15.12"), 70, 1),
         "promql_expr_test": [firing_check(page, 50, False), firing_check(page, 125, True)]},
        {"name": "0.5x quiet", "interval": "10m", "input_series": burn_series(Fraction(1, 2), 3 * DAY_MIN + 20, 10),
         "promql_expr_test": [firing_check(page, 420, False), firing_check(ticket, HISTORY + 3 * DAY_MIN, False)]},
    ]
    result = run_tests(out, tests)
    assert result.returncode == 0, result.stdout + result.stderr


BOOL_GAUGE = '          bool_gauge: probe_success{job="blackbox"}'


def test_bool_gauge_sli_is_the_fraction_of_time_up(tmp_path: Path) -> None:
    (tmp_path / "slo.yaml").write_text(spec_text("30d", BOOL_GAUGE, objective="99"), encoding="utf-8")
    out = render("slo.yaml", tmp_path / "out", "prometheus", cwd=tmp_path)
    page, ticket = slo_alert_name("availability", "page"), slo_alert_name("availability", "ticket")
    down_one_in = {5: "20% down: above 14.4x a 1% budget", 50: "2% down: 2x, a ticket, no page"}
    tests = []
    for every, name in down_one_in.items():
        pattern = " ".join(["1"] * (every - 1) + ["0"])
        values = f"1x{HISTORY - 1} " + " ".join([pattern] * (400 // every))
        tests.append({"name": name, "interval": "1m",
                      "input_series": [{"series": 'probe_success{job="blackbox"}', "values": values}],
                      "promql_expr_test": [firing_check(page, 125, every == 5),
                                           firing_check(ticket, 440, True)]})
    quiet = f"1x{HISTORY - 1} " + " ".join([" ".join(["1"] * 199 + ["0"])] * 22)  # 0.5%: 0.5x
    tests.append({"name": "0.5% down: quiet", "interval": "1m",
                  "input_series": [{"series": 'probe_success{job="blackbox"}', "values": quiet}],
                  "promql_expr_test": [firing_check(page, 440, False), firing_check(ticket, 4400, False)]})
    result = run_tests(out, tests)
    assert result.returncode == 0, result.stdout + result.stderr


# --- options, metadata, no data, escaping, dashboard ------------------------------------------------

OPTIONS = """        group_by: [instance]
        labels: {owner: web}
        description: "under {{ 500ms"
        alerting:
          runbook_url: https://runbooks.example.com/slo
          page: {for: 5m, labels: {pager: "yes"}, name: ApiPage}
          ticket: {enabled: false}
          no_data: {severity: critical, for: 10m}"""


def test_options_grouping_metadata_and_no_data(tmp_path: Path) -> None:
    (tmp_path / "slo.yaml").write_text(spec_text("30d", ERRORS_TOTAL, extra=OPTIONS), encoding="utf-8")
    out = render("slo.yaml", tmp_path / "out", "prometheus", cwd=tmp_path)
    check = promtool("check", "rules", out / "prometheus/rules/api.yml")
    assert check.returncode == 0, check.stdout + check.stderr
    rules = {r.get("alert") or r["record"]: r for r in
             yaml.safe_load((out / "prometheus/rules/api.yml").read_text(encoding="utf-8"))["groups"][0]["rules"]}
    page = rules["ApiPage"]
    assert page["for"] == "5m" and page["labels"]["pager"] == "yes" and page["labels"]["owner"] == "web"
    assert page["annotations"]["runbook_url"] == "https://runbooks.example.com/slo"
    assert page["annotations"]["description"].startswith(go_template_literal("under {{ 500ms"))
    assert slo_alert_name("availability", "ticket") not in rules
    no_data = rules["AvailabilitySLONoData"]
    assert no_data["expr"] == "absent(api_requests_total)" and no_data["for"] == "10m"
    assert no_data["labels"]["severity"] == "critical" and no_data["labels"]["slo"] == "availability"
    assert "sum by (instance)" in rules["slo:sli_error:ratio_rate5m"]["expr"]

    def errors(instance: str, per_minute: float) -> list[dict[str, str]]:
        return [{"series": f'api_requests_total{{code="500", instance="{instance}"}}',
                 "values": f"0+{per_minute}x200"},
                {"series": f'api_requests_total{{code="200", instance="{instance}"}}',
                 "values": f"0+{1000 - per_minute}x200"}]

    by_instance = '{alertname="ApiPage", alertstate="firing", instance="%s"}'
    tests = [
        {"name": "one alert per group", "interval": "1m", "input_series": errors("a", 20) + errors("b", 0),
         "promql_expr_test": [
             {"expr": 'count by (instance) (ALERTS{alertname="ApiPage", alertstate="firing"})', "eval_time": "90m",
              "exp_samples": [{"labels": '{instance="a"}', "value": 1}]},
             {"expr": f'ALERTS{by_instance % "b"}', "eval_time": "90m", "exp_samples": []},
             {"expr": 'slo:period_error_budget_remaining:ratio{instance="b"}', "eval_time": "90m",
              "exp_samples": [{"labels": '{__name__="slo:period_error_budget_remaining:ratio", instance="b", '
                                         'owner="web", service="api", slo="availability"}', "value": 1}]},
             {"expr": 'slo:current_burn_rate:ratio{instance="a"}', "eval_time": "90m",
              "exp_samples": [{"labels": '{__name__="slo:current_burn_rate:ratio", instance="a", owner="web", '
                                         'service="api", slo="availability"}', "value": 20}]},
             {"expr": "slo:objective:ratio", "eval_time": "90m",
              "exp_samples": [{"labels": '{__name__="slo:objective:ratio", owner="web", service="api", '
                                         'slo="availability"}', "value": 0.999}]},
             {"expr": "slo:time_period:days", "eval_time": "90m",
              "exp_samples": [{"labels": '{__name__="slo:time_period:days", owner="web", service="api", '
                                         'slo="availability"}', "value": 30}]},
         ]},
        {"name": "no data", "interval": "1m",
         "input_series": [{"series": 'other_total', "values": "0+1x30"}],
         "promql_expr_test": [firing_check("AvailabilitySLONoData", 5, False),
                              firing_check("AvailabilitySLONoData", 15, True)]},
    ]
    result = run_tests(out, tests)
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_proofs_run_with_khaosobs_test_and_catch_wrong_factors(tmp_path: Path) -> None:
    from tests.conftest import run_khaosobs

    (tmp_path / "slo.yaml").write_text(spec_text("28d", ERRORS_TOTAL), encoding="utf-8")
    result = run_khaosobs("test", "slo.yaml", cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 tests" in result.stdout
    out = render("slo.yaml", tmp_path / "out", "prometheus", "prometheus_tests", cwd=tmp_path)
    proof = yaml.safe_load((out / "prometheus/tests/api.slo.test.yml").read_text(encoding="utf-8"))
    assert [t["name"].split(": ", 1)[1] for t in proof["tests"]] == [
        "availability: page fires at 1.05x (13.44x budget over 1h and 5m)",
        "availability: page is quiet at 0.5x (5.6x budget)",
        "availability: ticket fires at 1.05x (2.8x budget over 1d and 2h)",
        "availability: ticket is quiet at 0.5x (0.933333x budget)",
    ]
    rules_path = out / "prometheus/rules/api.yml"
    rules_path.write_text(rules_path.read_text(encoding="utf-8").replace("(13.44 * 0.001)", "(14.4 * 0.001)")
                          .replace("(5.6 * 0.001)", "(6 * 0.001)"), encoding="utf-8")
    failed = promtool("test", "rules", "api.slo.test.yml", cwd=out / "prometheus/tests")
    assert failed.returncode == 1 and "AvailabilitySLOPageBurnRate" in failed.stderr


def test_description_braces_give_rules_promtool_accepts(tmp_path: Path) -> None:
    (tmp_path / "slo.yaml").write_text(spec_text("30d", ERRORS_TOTAL, extra='        description: "under {{ 500ms"'),
                                       encoding="utf-8")
    out = render("slo.yaml", tmp_path / "out", "prometheus", cwd=tmp_path)
    result = promtool("check", "rules", out / "prometheus/rules/api.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("text", ["under {{ 500ms", "{{ $labels.x }}", "a{{{b}}}", "{{{{", "}}{{", "plain"])
def test_go_template_literal_renders_exactly_the_text(tmp_path: Path, text: str) -> None:
    """Through promtool: an alert whose summary is the literal fires with exactly that summary."""
    rules = {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "vector(1)",
                                                   "annotations": {"summary": go_template_literal(text)}}]}]}
    (tmp_path / "r.yml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    tests = {"rule_files": ["r.yml"], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": [],
        "alert_rule_test": [{"eval_time": "1m", "alertname": "A",
                             "exp_alerts": [{"exp_labels": {}, "exp_annotations": {"summary": text}}]}]}]}
    (tmp_path / "t.yml").write_text(yaml.safe_dump(tests), encoding="utf-8")
    result = promtool("test", "rules", "t.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_slo_dashboard_is_valid_and_reads_the_recorded_series(tmp_path: Path) -> None:
    (tmp_path / "slo.yaml").write_text(spec_text("28d", LATENCY, objective="99"), encoding="utf-8")
    out = render("slo.yaml", tmp_path / "out", "grafana", cwd=tmp_path)
    dashboard = json.loads((out / "grafana/dashboards/api-slos.json").read_text(encoding="utf-8"))
    assert dashboard_problems(dashboard, {"prometheus": "prometheus", "loki": "loki", "tempo": "tempo",
                                          "alertmanager": "alertmanager"}) == []
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert any("slo:period_error_budget_remaining:ratio" in e for e in exprs)
    assert any(e.startswith("ALERTS") or "ALERTS{" in e for e in exprs)
    burn = next(p for p in dashboard["panels"] if p["title"].endswith("burn rate per window"))
    steps = [s["value"] for s in burn["fieldConfig"]["defaults"]["thresholds"]["steps"][1:]]
    assert steps == [0.933333, 2.8, 5.6, 13.44]

"""The semantic checks, beyond the invalid corpus: what they must accept (checked against the real
promtool 2.42), the warnings they give for conventions, and the precision of their locations."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from khaosobs.checks.alert_tests import VALUE_ITEM_RE
from khaosobs.commands.validate import validate_paths
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.durations import duration_ms
from khaosobs.domain.promql_analysis import analyse
from khaosobs.domain.versions import parse_version, version_text
from tests.conftest import ROOT, run_khaosobs

EDGE_CASES = ROOT / "tests" / "specs" / "checks-edge-cases.yaml"
PROMETHEUS_242 = (2, 42)

# PromQL the parser's Prometheus 3 grammar and promtool 2.42 might disagree on.
ACCEPTED_BY_242 = [
    "holt_winters(x[5m], 0.5, 0.5)",
    "x offset -5m",
    "x @ start()",
    "rate(x[5m] @ 100)",
    "x[1y]",
    "x[1h30m]",
    "present_over_time(x[5m])",
    "histogram_count(x)",
    'label_replace(x, "a", "$1", "b", "(.*)")',
    '{__name__=~"x_.*", __name__!="x_y"}',
    "sum(x) by (a) > bool 1",
    "max_over_time(deriv(rate(x[1m])[5m:1m])[5m:])",
    "x # a comment",
    "0x1F + 1e3 + Inf",
    "group(x) by (le)",
    'x{a="b",}',
    "x{a='single'} + x{a=`raw`} + x{a=\"\\u00e9\"}",
    "x atan2 y",
    "x @ 1609746000",
    "avg_over_time((x > 0)[5m:])",
    "+x - - - y",
    '{a=~".+"}',
]
REJECTED_BY_242 = [
    'sort_by_label(x, "a")',
    "mad_over_time(x[5m])",
    "histogram_avg(x)",
    "histogram_stddev(x)",
    "limitk(2, x)",
    "double_exponential_smoothing(x[5m], 0.5, 0.5)",
    "info(x)",
    "first_over_time(x[5m])",
    '{"x.y"}',
    'x{"a.b"="c"}',
    'x{a="b" or c="d"}',
    "x[300]",
    "x offset 300",
    "rate(x)",
    "x[5m:1m] + 1[5m]",
    "{}",
    'x{a=~"("}',
    "sum(x) by",
    "x bool > 1",
    "x and bool y",
    '{a=~".*"}',
    "rate(x[5m]) offset 5m",
    "x offset 5m offset 5m",
    "histogram_quantile(0.9, x) by (le)",
    "0b101",
]


def _write_rule(folder: Path, number: int, expr: str) -> Path:
    path = folder / f"rule{number}.yml"
    path.write_text(
        yaml.safe_dump({"groups": [{"name": "g", "rules": [{"record": "r", "expr": expr}]}]}),
        encoding="utf-8",
    )
    return path


def _promtool_accepts(path: Path) -> bool:
    result = subprocess.run(
        ["promtool", "check", "rules", str(path)], capture_output=True, text=True, check=False, timeout=60
    )
    return result.returncode == 0


def _flagged(expr: str) -> bool:
    analysis = analyse(expr)
    return analysis.error is not None or any(since > PROMETHEUS_242 for _, since, _ in analysis.compat)


@pytest.mark.realtools
def test_promql_verdicts_agree_with_promtool_242(tmp_path: Path) -> None:
    expressions = ACCEPTED_BY_242 + REJECTED_BY_242
    files = [_write_rule(tmp_path, i, expr) for i, expr in enumerate(expressions)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        accepted = list(pool.map(_promtool_accepts, files))
    disagreements = [
        f"{expr!r}: promtool {'accepts' if ok else 'rejects'}, "
        f"khaosobs {'rejects' if _flagged(expr) else 'accepts'}"
        for expr, ok in zip(expressions, accepted, strict=True)
        if ok == _flagged(expr)
    ]
    assert not disagreements, disagreements
    assert accepted == [True] * len(ACCEPTED_BY_242) + [False] * len(REJECTED_BY_242)


def test_edge_cases_spec_is_clean() -> None:
    """--strict: not a single error or warning on constructs that are all correct."""
    result = run_khaosobs("validate", "--strict", EDGE_CASES.relative_to(ROOT))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("valid")


@pytest.mark.realtools
def test_edge_cases_render_to_rules_promtool_accepts(tmp_path: Path) -> None:
    result = run_khaosobs(
        "render",
        EDGE_CASES,
        "--target",
        "prometheus",
        "--target",
        "prometheus_tests",
        "-o",
        tmp_path / "out",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    rules = sorted((tmp_path / "out" / "prometheus" / "rules").glob("*.yml"))
    check = subprocess.run(
        ["promtool", "check", "rules", *map(str, rules)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    tests = sorted((tmp_path / "out" / "prometheus" / "tests").glob("*.yml"))
    assert tests, "the edge-case spec has an alert test"
    run = subprocess.run(
        ["promtool", "test", "rules", *(t.name for t in tests)],
        cwd=tests[0].parent,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr


# --- warnings: conventions, never errors ------------------------------------------------------

BASE: dict[str, Any] = {
    "version": 1,
    "project": "demo",
    "services": [
        {
            "name": "api",
            "metrics": [
                {"name": "api_requests_total", "type": "counter", "help": "Requests", "labels": ["code"]},
                {"name": "api_queue_depth", "type": "gauge", "help": "Queue"},
            ],
            "alerts": [],
        }
    ],
}


def _validate(tmp_path: Path, data: dict[str, Any]) -> list[Diagnostic]:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return validate_paths([path]).diagnostics.items


def _alert(expr: str, **extra: Any) -> dict[str, Any]:
    return {"name": "SomethingWrong", "expr": expr, "severity": "warning", "summary": "s", **extra}


def _service(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(yaml.safe_dump(BASE))
    data["services"][0].update(changes)
    return data


def _metric(name: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "help": "h", **extra}


SLI = {"errors": 'api_requests_total{code="500"}', "total": "api_requests_total"}
WARNINGS: dict[str, tuple[str, dict[str, Any]]] = {
    "counter without _total (and its _total series resolves)": (
        "counter-total",
        _service(metrics=[_metric("api_jobs", "counter")], alerts=[_alert("rate(api_jobs_total[5m]) > 1")]),
    ),
    "unit not a base unit": ("metric-unit", _service(metrics=[_metric("api_latency_milliseconds", "gauge")])),
    "gauge named like a counter": ("metric-suffix", _service(metrics=[_metric("api_things_total", "gauge")])),
    "label le on a counter": (
        "label-reserved",
        _service(metrics=[_metric("api_x_total", "counter", labels=["le"])]),
    ),
    "delta over a counter": (
        "gauge-function-over-counter",
        _service(alerts=[_alert("delta(api_requests_total[5m])")]),
    ),
    "quantile over an external non-bucket": (
        "histogram-quantile",
        {
            **_service(alerts=[_alert("histogram_quantile(0.9, rate(legacy_latency[5m]))")]),
            "external_metrics": ["legacy_latency"],
        },
    ),
    "SLO objective too low for the page tier": (
        "slo-burn-rate",
        _service(slos=[{"name": "avail", "objective": 90, "sli": SLI}]),
    ),
    "SLO window shorter than a day": (
        "slo-window",
        _service(slos=[{"name": "avail", "objective": 99.9, "window": "12h", "sli": SLI,
                        "alerting": {"ticket": False}}]),  # with the ticket tier, 12h is an error
    ),
    "error_ratio SLI without [$window]": (
        "slo-sli-window",
        _service(slos=[{"name": "avail", "objective": 99.9,
                        "sli": {"error_ratio": 'sum(rate(api_requests_total{code="500"}[1h])) / '
                                               "sum(rate(api_requests_total[1h]))"}}]),
    ),
    "SLO tier whose 28d factor needs more than 100% errors": (
        "slo-burn-rate",  # 13.44 x a 10% budget
        _service(slos=[{"name": "avail", "objective": 90, "window": "28d", "sli": SLI}]),
    ),
    "SLI over an external non-counter": (
        "slo-sli-type",
        {
            **_service(
                slos=[{"name": "avail", "objective": 99.9, "sli": {**SLI, "errors": "legacy_errors"}}]
            ),
            "external_metrics": ["legacy_errors"],
        },
    ),
    "recording rule without level:metric:operations": (
        "record-name",
        _service(recording_rules=[{"record": "api_requests_rate5m", "expr": "rate(api_requests_total[5m])"}]),
    ),
    "severity label repeating severity": (
        "severity-label",
        _service(alerts=[_alert("up == 0", labels={"severity": "warning"})]),
    ),
    "team as a label without team:": ("label-override", _service(labels={"team": "web"})),
    "test series no rule reads": (
        "alert-test-series",
        _service(
            alerts=[
                _alert(
                    "up == 0",
                    tests=[
                        {
                            "name": "t",
                            "series": [{"series": "upp", "values": "0x5"}],
                            "expect": [{"at": "1m", "firing": False}],
                        }
                    ],
                )
            ]
        ),
    ),
    "legend with targets": (
        "panel-legend",
        {
            **BASE,
            "dashboards": [
                {"title": "D", "panels": [{"title": "P", "legend": "{{code}}", "targets": [{"expr": "up"}]}]}
            ],
        },
    ),
    "log query on a timeseries panel": (
        "panel-query",
        {**BASE, "dashboards": [{"title": "D", "panels": [{"title": "P", "logql": '{service="api"}'}]}]},
    ),
    **{
        f"dashboard rule {code}": (code, {**BASE, "dashboards": [dashboard]})
        for code, dashboard in {
            "panel-rate-interval": {"title": "D", "panels": [
                {"title": "P", "expr": "sum(rate(api_requests_total[5m]))"}]},
            "panel-counter-aggregation": {"title": "D", "panels": [
                {"title": "P", "expr": "sum(api_requests_total)"}]},
            "panel-unit": {"title": "D", "panels": [{"title": "P", "type": "stat", "expr": "vector(1)",
                                                     "description": "d"}]},
            "panel-description": {"title": "D", "panels": [{"title": "P", "expr": "vector(1)", "unit": "none"}]},
            "panel-label-filter": {"title": "D", "panels": [
                {"title": "P", "expr": 'api_queue_depth{instance="a:1"}'}]},
            "panel-option": {"title": "D", "panels": [{"title": "P", "type": "stat", "expr": "api_queue_depth",
                                                       "fill": 20}]},
            "panel-thresholds": {"title": "D", "panels": [{"title": "P", "expr": "api_queue_depth",
                                                           "thresholds": [{"color": "green", "value": 1}]}]},
            "dashboard-variable": {"title": "D", "variables": ["instance"], "panels": []},
            "dashboard-overview-uid": {"title": "D", "uid": "khaosobs-api", "panels": []},
        }.items()
    },
}


@pytest.mark.parametrize("name", sorted(WARNINGS))
def test_convention_warnings(name: str, tmp_path: Path) -> None:
    code, data = WARNINGS[name]
    found = _validate(tmp_path, data)
    assert [d for d in found if d.severity.value == "error"] == [], found
    assert code in {d.code for d in found if d.severity.value == "warning"}, found


# --- locations ---------------------------------------------------------------------------------

LOCATED = """version: 1
project: demo
services:
  - name: api
    metrics:
      - {name: api_requests_total, type: counter, help: Requests}
    alerts:
      - name: Block
        expr: |
          sum(rate(api_requests_total[5m]))
            / sum(rate(api_request_totl[5m])) > 1
        severity: info
        summary: s
      - name: SingleQuoted
        expr: 'api_requests_total{a=''x''} > api_reqs'
        severity: info
        summary: s
      - name: DoubleQuotedWithEscape
        expr: "api_requests_total{a=\\"x\\"} > api_reqz"
        severity: info
        summary: s
"""


def test_locations_inside_scalars(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(LOCATED, encoding="utf-8")
    found = {
        d.message.split('"')[1]: d.location
        for d in validate_paths([path]).diagnostics.items
        if d.code == "unknown-metric"
    }
    lines = LOCATED.splitlines()
    block = found["api_request_totl"]
    assert block is not None and block.line == 11
    assert lines[10][block.column - 1 :].startswith("api_request_totl") and block.length == len(
        "api_request_totl"
    )
    single = found["api_reqs"]
    assert single is not None and (single.line, single.column) == (15, lines[14].index("api_reqs") + 1)
    escaped = found["api_reqz"]  # escapes shift columns: the whole expression is pointed at instead
    assert escaped is not None and (escaped.line, escaped.column) == (19, lines[18].index('"') + 1)


# --- building blocks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("0", 0),
        ("30s", 30_000),
        ("1h30m", 5_400_000),
        ("2w", 1_209_600_000),
        ("100ms", 100),
        ("1y", 31_536_000_000),
    ],
)
def test_duration_ms(text: str, ms: int) -> None:
    assert duration_ms(text) == ms


@pytest.mark.parametrize("text", ["", "5", "5 m", "1.5h", "30m1h", "5M", "-5m", "1h 30m"])
def test_not_durations(text: str) -> None:
    assert duration_ms(text) is None


@pytest.mark.parametrize(
    "item",
    [
        "1",
        "-1",
        "1e3",
        "Inf",
        "-Inf",
        "NaN",
        "_",
        "_x3",
        "stale",
        "0+10x20",
        "5-1x4",
        "1x5",
        ".5",
        "1.5e-3+0.5x10",
    ],
)
def test_series_value_items(item: str) -> None:
    assert VALUE_ITEM_RE.fullmatch(item)


@pytest.mark.parametrize("item", ["to", "0x", "x5", "1+x5", "0xFF", "1+1", "abc", "1,2"])
def test_not_series_value_items(item: str) -> None:
    assert not VALUE_ITEM_RE.fullmatch(item)


def test_deeply_nested_promql_is_refused_before_parsing() -> None:
    # the Rust parser would overflow its stack and kill the process
    assert analyse("(" * 50_000 + "up" + ")" * 50_000).error is not None
    assert analyse("-" * 50_000 + "up").error is not None
    assert analyse(" + ".join(["up"] * 50_000)).error is not None


def test_parse_version() -> None:
    assert parse_version("2.42") == (2, 42, 0)
    assert parse_version("v3.1.0") == (3, 1, 0)
    assert parse_version("3") == (3, 0, 0)
    assert parse_version("0.28.1") == (0, 28, 1)
    assert parse_version("banana") is None and parse_version("2.42-rc") is None
    assert version_text((0, 28, 0)) == "0.28" and version_text((0, 28, 1)) == "0.28.1"


def test_no_check_imports_another_check() -> None:
    """Checks share helpers through khaosobs/domain/ or checks/_*.py modules, never through each other."""
    import ast

    from khaosobs.checks import check_modules

    checks = set(check_modules())
    for name in sorted(checks):
        source = (ROOT / "khaosobs" / "checks" / f"{name}.py").read_text(encoding="utf-8")
        imported = {node.module for node in ast.walk(ast.parse(source))
                    if isinstance(node, ast.ImportFrom) and node.module}
        others = {m for m in imported if m.startswith("khaosobs.checks.") and m.rsplit(".", 1)[1] in checks}
        assert not others, f"checks/{name}.py imports the checks {sorted(others)}"
    assert "promql" in checks and "logql" in checks


def test_selected_names_are_the_analysis_selectors_names() -> None:
    # coverage asks only which series a query reads (selected_names); the checks' full analysis must agree
    from benchmarks.workload import khaosobs_spec
    from khaosobs.domain.promql import grafana_substituted
    from khaosobs.domain.promql_analysis import analysis_of, selected_names
    from tests.support.realworld import source_rules

    workload = yaml.safe_load(khaosobs_spec(3))
    queries = [rule.expr for rule in source_rules()]
    queries += [grafana_substituted(p["expr"]) for d in workload["dashboards"] for p in d["panels"]]
    queries += ['{__name__="up", job="x"}', '{__name__=~"up|down"}', 'sum(rate({__name__!="a", __name__="b"}[5m]))',
                'topk(scalar(x), y{__name__="z"}) and on() absent(w)', "x[5m:1m] offset 1h", "1 + 2", "", "sum(("]
    assert len(queries) > 900
    for text in queries:
        expected = [s.name for s in analysis_of(text).selectors if s.name is not None]
        assert selected_names(text) == expected, text

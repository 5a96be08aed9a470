"""Grafana target: every dashboard validates against Grafana's own published JSON Schemas (the
oracle in shared/oracles/grafana-jsonschema) and the rules those schemas do not encode; the
provisioning file defines exactly the datasources the panels refer to; output is canonical JSON.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from khaosobs import naming
from khaosobs.model import Metric, Panel, Spec
from khaosobs.pipeline import validate_paths
from khaosobs.targets import _units, grafana
from tests.conftest import EXAMPLE_SPECS, ROOT, SHARED, render_spec, rendered_once, run_khaosobs

ORACLE = SHARED / "oracles/grafana-jsonschema"
LAYOUT_SPEC = ROOT / "tests/specs/grafana-layout.yaml"
SPECS_UNDER_TEST = [*EXAMPLE_SPECS, LAYOUT_SPEC]
DATASOURCES = "grafana/provisioning/datasources/khaosobs.yml"
PROVIDER = "grafana/provisioning/dashboards/khaosobs.yml"
REMOVED_PANEL_TYPES = {"graph", "singlestat", "table-old"}


# --- the checker: Grafana's schemas plus the rules they do not encode ----------------------------


@functools.cache
def _registry() -> Registry:
    resources = [
        (
            p.name,
            Resource.from_contents(json.loads(p.read_text(encoding="utf-8")), default_specification=DRAFT7),
        )
        for p in sorted(ORACLE.glob("*.jsonschema.json"))
    ]
    return Registry().with_resources(resources)


@functools.cache
def _validator(ref: str) -> Draft7Validator:
    return Draft7Validator({"$ref": ref}, registry=_registry())


@functools.cache
def _has_definition(schema_file: str, name: str) -> bool:
    path = ORACLE / schema_file
    return path.is_file() and name in json.loads(path.read_text(encoding="utf-8")).get("definitions", {})


def schema_errors(ref: str, instance: Any, where: str) -> list[str]:
    return [f"{where}{e.json_path[1:]}: {e.message} ({ref})" for e in _validator(ref).iter_errors(instance)]


def _overlap(a: dict[str, int], b: dict[str, int]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def dashboard_problems(dashboard: dict[str, Any], datasources: dict[str, str]) -> list[str]:
    """Every way `dashboard` is not importable as is; `datasources` maps provisioned uid -> type."""
    found = schema_errors("dashboard.jsonschema.json", dashboard, "dashboard")
    uid = dashboard.get("uid")
    if not isinstance(uid, str) or not naming.UID_RE.fullmatch(uid):
        found.append(f"uid {uid!r} is not 1-40 characters of [a-zA-Z0-9_-]")
    if dashboard.get("schemaVersion") != grafana.SCHEMA_VERSION:
        found.append(f"schemaVersion {dashboard.get('schemaVersion')!r}, expected {grafana.SCHEMA_VERSION}")
    panels = dashboard.get("panels") or []
    ids = [p.get("id") for p in panels]
    if ids != list(range(1, len(panels) + 1)):
        found.append(f"panel ids {ids} are not unique and sequential from 1")
    for i, panel in enumerate(panels):
        where = f"panels[{i}]"
        found += schema_errors("dashboard.jsonschema.json#/definitions/Panel", panel, where)
        kind = panel.get("type")
        if kind in REMOVED_PANEL_TYPES:
            found.append(f"{where}: panel type {kind!r} was removed from Grafana")
        if _has_definition(f"{kind}.jsonschema.json", "Options"):
            found += schema_errors(
                f"{kind}.jsonschema.json#/definitions/Options", panel.get("options"), f"{where}.options"
            )
        custom = panel.get("fieldConfig", {}).get("defaults", {}).get("custom")
        if custom is not None and _has_definition(f"{kind}.jsonschema.json", "FieldConfig"):
            found += schema_errors(
                f"{kind}.jsonschema.json#/definitions/FieldConfig",
                custom,
                f"{where}.fieldConfig.defaults.custom",
            )
        pos = panel.get("gridPos") or {}
        if pos and pos.get("x", 0) + pos.get("w", 0) > grafana.GRID_COLUMNS:
            found.append(f"{where}: gridPos {pos} reaches beyond column {grafana.GRID_COLUMNS}")
        for j, other in enumerate(panels[:i]):
            if pos and other.get("gridPos") and _overlap(pos, other["gridPos"]):
                found.append(f"{where}: gridPos overlaps panels[{j}]")
        refs = [panel.get("datasource"), *(t.get("datasource") for t in panel.get("targets") or [])]
        for ref in refs:
            if not isinstance(ref, dict) or datasources.get(ref.get("uid", "")) != ref.get("type"):
                found.append(f"{where}: datasource {ref!r} is not a provisioned datasource")
        ref_ids = [t.get("refId") for t in panel.get("targets") or []]
        if len(set(ref_ids)) != len(ref_ids) or None in ref_ids:
            found.append(f"{where}: target refIds {ref_ids} are not unique")
        for k, target in enumerate(panel.get("targets") or []):
            if (target.get("datasource") or {}).get("type") == "prometheus":
                found += schema_errors(
                    "prometheus.jsonschema.json#/definitions/Dataquery", target, f"{where}.targets[{k}]"
                )
    return found


# --- rendering through the real CLI --------------------------------------------------------------


def _render(spec: Path, out: Path, *extra: str) -> Path:
    return render_spec(spec, out, "grafana", extra=extra)


Rendered = Callable[[Path], Path]


@pytest.fixture(scope="module")
def rendered() -> Rendered:
    """Each spec rendered once (every test reads the files, none writes them)."""
    return lambda spec: rendered_once(spec, "grafana")


def _spec(path: Path) -> Spec:
    validation = validate_paths([path], run_checks=False)
    assert validation.spec is not None
    return validation.spec


def _dashboards(out: Path) -> dict[str, dict[str, Any]]:
    return {
        p.name: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((out / "grafana/dashboards").glob("*.json"))
    }


def _provisioned(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((out / DATASOURCES).read_text(encoding="utf-8"))
    return data


def _datasource_types(out: Path) -> dict[str, str]:
    return {ds["uid"]: ds["type"] for ds in _provisioned(out)["datasources"]}


specs = pytest.mark.parametrize("spec", SPECS_UNDER_TEST, ids=lambda p: p.stem)


@specs
def test_every_dashboard_is_valid_for_grafana(spec: Path, rendered: Rendered) -> None:
    out = rendered(spec)
    dashboards = _dashboards(out)
    model = _spec(spec)
    # the spec's dashboards, then one generated SLO dashboard per service with SLOs
    assert len(dashboards) == len(model.dashboards) + sum(1 for s in model.services if s.slos)
    for name, dashboard in dashboards.items():
        assert dashboard_problems(dashboard, _datasource_types(out)) == [], name
        assert name == f"{dashboard['uid']}.json"
    uids = [d["uid"] for d in dashboards.values()]
    assert len(set(uids)) == len(uids)


@specs
def test_queries_and_legends_come_out_verbatim(spec: Path, rendered: Rendered) -> None:
    out = rendered(spec)
    for dashboard in _spec(spec).dashboards:
        uid = naming.dashboard_uid(dashboard.title, _spec(spec).project, dashboard.uid)
        result = _dashboards(out)[f"{uid}.json"]
        assert result["title"] == dashboard.title and result["tags"] == dashboard.tags
        for panel, model in zip(dashboard.panels, result["panels"], strict=True):
            assert model["title"] == panel.title and model["type"] == panel.type
            if panel.logql is not None:
                assert model["datasource"] == {"type": "loki", "uid": naming.LOKI_DATASOURCE_UID}
                assert [t["expr"] for t in model["targets"]] == [panel.logql]
                continue
            expected = ([(panel.expr, panel.legend)] if panel.expr else []) + [
                (t.expr, t.legend) for t in panel.targets
            ]
            assert [(t["expr"], t.get("legendFormat")) for t in model["targets"]] == expected
            assert [t["refId"] for t in model["targets"]] == list("ABCDEFGH"[: len(expected)])


def test_the_seed_legend_keeps_grafanas_braces(rendered: Rendered) -> None:
    text = (rendered(EXAMPLE_SPECS[0]) / "grafana/dashboards/discord-ops-overview.json").read_text(
        encoding="utf-8"
    )
    assert '"legendFormat": "{{command}}"' in text


@specs
def test_json_is_canonical(spec: Path, rendered: Rendered) -> None:
    """Sorted keys at every level, two-space indent, UTF-8, LF, one final newline."""
    for path in sorted((rendered(spec) / "grafana/dashboards").glob("*.json")):
        text = path.read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n", (
            path.name
        )


def test_output_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    trees = []
    for seed in ("0", "4242"):
        out = tmp_path / seed
        result = run_khaosobs(
            "render", LAYOUT_SPEC.relative_to(ROOT), "-o", out, "-t", "grafana", env={"PYTHONHASHSEED": seed}
        )
        assert result.returncode == 0, result.stderr
        trees.append(
            {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
        )
    assert trees[0] == trees[1]


@specs
def test_provisioning_defines_the_datasources_of_the_spec(spec: Path, rendered: Rendered) -> None:
    out, telemetry = rendered(spec), _spec(spec).telemetry
    datasources = {ds["type"]: ds for ds in _provisioned(out)["datasources"]}
    assert {t: ds["uid"] for t, ds in datasources.items()} == {
        "prometheus": naming.PROMETHEUS_DATASOURCE_UID,
        "loki": naming.LOKI_DATASOURCE_UID,
        "tempo": naming.TEMPO_DATASOURCE_UID,
        "alertmanager": naming.ALERTMANAGER_DATASOURCE_UID,
    }
    assert datasources["prometheus"]["url"] == telemetry.metrics.endpoint
    assert datasources["loki"]["url"] == telemetry.logging.endpoint
    assert datasources["tempo"]["url"] == telemetry.tracing.tempo_query_endpoint
    assert datasources["alertmanager"]["url"] == telemetry.metrics.alertmanager_endpoint
    assert [ds["type"] for ds in datasources.values() if ds.get("isDefault")] == ["prometheus"]
    # cross links point at provisioned uids
    assert datasources["loki"]["jsonData"]["derivedFields"][0]["datasourceUid"] == naming.TEMPO_DATASOURCE_UID
    assert datasources["tempo"]["jsonData"]["tracesToLogsV2"]["datasourceUid"] == naming.LOKI_DATASOURCE_UID
    assert datasources["loki"]["jsonData"]["derivedFields"][0]["url"] == "$${__value.raw}"
    provider = yaml.safe_load((out / PROVIDER).read_text(encoding="utf-8"))["providers"][0]
    assert provider["options"]["path"] == naming.GRAFANA_DASHBOARDS_DIR
    assert provider["type"] == "file" and provider["folder"] == _spec(spec).project


def test_the_seed_loki_secret_is_a_grafana_env_reference(rendered: Rendered) -> None:
    out = rendered(EXAMPLE_SPECS[0])
    loki = next(ds for ds in _provisioned(out)["datasources"] if ds["type"] == "loki")
    assert loki["jsonData"]["httpHeaderName1"] == "Authorization"
    assert loki["secureJsonData"] == {
        "httpHeaderValue1": "$__env{LOKI_AUTH}"
    }  # vault://kv/observability/loki_auth


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("file:/run/secrets/loki-auth", "$__file{/run/secrets/loki-auth}"),
        ("env:LOKI_TOKEN", "$__env{LOKI_TOKEN}"),
        (None, None),
    ],
)
def test_loki_secret_references_through_the_cli(
    tmp_path: Path, ref: str | None, expected: str | None
) -> None:
    logging = {"provider": "loki", "endpoint": "http://loki:3100"} | ({"auth_secret_ref": ref} if ref else {})
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        yaml.safe_dump({"version": 1, "project": "secrets", "telemetry": {"logging": logging}}),
        encoding="utf-8",
    )
    out = _render(spec, tmp_path / "generated")
    loki = next(ds for ds in _provisioned(out)["datasources"] if ds["type"] == "loki")
    assert loki.get("secureJsonData", {}).get("httpHeaderValue1") == expected
    assert ("httpHeaderName1" in loki["jsonData"]) == (expected is not None)


def test_provisioning_keeps_a_literal_dollar_from_grafanas_expansion() -> None:
    assert grafana.grafana_literal("http://prom:9090/$x") == "http://prom:9090/$$x"


# --- naming and layout ---------------------------------------------------------------------------


def test_long_titles_get_truncated_unique_uids(rendered: Rendered) -> None:
    dashboards = _dashboards(rendered(LAYOUT_SPEC))
    uids = sorted(d["uid"] for d in dashboards.values())
    long_ones = [u for u in uids if u.startswith("api-service-level-overview")]
    assert len(long_ones) == 2 and long_ones[0] != long_ones[1]
    assert all(len(u) <= naming.MAX_UID for u in uids)
    assert "api-explicit" in uids  # an explicit uid is kept as written


def test_many_panels_wrap_into_rows(rendered: Rendered) -> None:
    dashboard = _dashboards(rendered(LAYOUT_SPEC))
    big = max(dashboard.values(), key=lambda d: len(d["panels"]))
    positions = {p["title"]: p["gridPos"] for p in big["panels"]}
    assert positions["Requests per second"] == {"h": 8, "w": 12, "x": 0, "y": 0}
    assert positions["Error ratio"] == {"h": 8, "w": 6, "x": 12, "y": 0}
    assert positions["p99 latency"] == {"h": 8, "w": 6, "x": 18, "y": 0}
    assert positions["Mean latency"] == {"h": 8, "w": 6, "x": 0, "y": 8}  # wrapped
    assert positions["Top routes"]["w"] == 24  # tables take the full row
    assert positions["Traffic, full width"] == {"h": 6, "w": 24, "x": 0, "y": 48}  # the spec's size
    assert positions["Errors"] == {"h": 12, "w": 24, "x": 0, "y": 54}
    assert len({p["y"] for p in positions.values()}) >= 6


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        ([(12, 8), (12, 8), (12, 8)], [(0, 0), (12, 0), (0, 8)]),
        ([(6, 4), (6, 10), (24, 8), (8, 3)], [(0, 0), (6, 0), (0, 10), (0, 18)]),
        ([(24, 8), (24, 8)], [(0, 0), (0, 8)]),
    ],
)
def test_layout(sizes: list[tuple[int, int]], expected: list[tuple[int, int]]) -> None:
    assert [(p["x"], p["y"]) for p in grafana.layout(sizes)] == expected


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (None, None, (12, 8)),
        (30, None, (24, 8)),
        (0, 0, (1, 1)),
        (5, 20, (5, 20)),
    ],
)
def test_panel_size_honours_and_bounds_the_spec(
    width: int | None, height: int | None, expected: tuple[int, int]
) -> None:
    panel = Panel(title="p", expr="up", width=width, height=height)
    assert grafana.panel_size(panel) == expected


# --- units ---------------------------------------------------------------------------------------

METRICS = {
    "cache_entries": Metric(name="cache_entries", type="gauge", help="h", buckets=None, unit="short"),
    "payload_size": Metric(name="payload_size", type="histogram", help="h", buckets=None, unit="decbytes"),
}


@pytest.mark.parametrize(
    ("expr", "unit"),
    [
        ("rate(discord_commands_total[5m])", "ops"),
        ("sum by (route) (rate(http_requests_total[5m]))", "reqps"),
        ("histogram_quantile(0.95, rate(discord_command_duration_seconds_bucket[5m]))", "s"),
        (
            "histogram_quantile(0.95, sum by (le) (rate(discord_command_duration_seconds_bucket[5m]))) > 5",
            "s",
        ),
        ("histogram_quantile(0.9, rate(payload_size_bucket[5m]))", "decbytes"),  # the spec metric's unit
        ("rate(x_seconds_sum[5m]) / rate(x_seconds_count[5m])", "s"),
        ("sum(rate(e_total{code=~'5..'}[5m])) / sum(rate(e_total[5m]))", "percentunit"),
        ("1 - sum(rate(e_total{code=~'5..'}[5m])) / sum(rate(e_total[5m]))", "percentunit"),
        ("queue_fill_ratio", "percentunit"),
        ("avg(queue_fill_ratio) * 100", "percent"),
        ("process_resident_memory_bytes", "bytes"),
        ("rate(response_bytes_total[5m])", "Bps"),
        ("rate(process_cpu_seconds_total[1m])", "percentunit"),
        ("increase(discord_commands_total[1h])", "short"),
        ("increase(response_bytes_total[1h])", "bytes"),
        ("count(up)", "short"),
        ("sum(count_over_time(foo[5m]))", "short"),
        ("cache_entries", "short"),
        ('{__name__="node_boot_time_seconds"}', "s"),
        ("max_over_time(temperature_celsius[1h])", "celsius"),
        ("service:discord_commands:rate5m", "ops"),
        ("slo:sli_error:ratio_rate5m", "percentunit"),
        ("discord_bot_connected", None),
        ("discord_bot_connected == bool 1", None),
        ("up", None),
        ("vector(1)", None),
        ("rate(x_total[5m]) / rate(y_seconds_total[5m])", None),
        ("rate(broken[5m", None),
        ("sum(rate(http_requests_total[$__rate_interval]))", "reqps"),  # Grafana's range variable
        ("(" * 300 + "x_seconds" + ")" * 300, "s"),
    ],
)
def test_unit_is_derived_from_the_promql_tree(expr: str, unit: str | None) -> None:
    assert _units.derive_unit(expr, METRICS) == unit


def test_rendered_panels_carry_the_derived_units(rendered: Rendered) -> None:
    big = max(_dashboards(rendered(LAYOUT_SPEC)).values(), key=lambda d: len(d["panels"]))
    units = {p["title"]: p["fieldConfig"]["defaults"].get("unit") for p in big["panels"]}
    assert units == {
        "Requests per second": "reqps",
        "Error ratio": "percentunit",
        "p99 latency": "s",
        "Mean latency": "s",
        "Latency quantiles": "s",
        "Queue fill": "percentunit",
        "Worker utilisation": "percentunit",
        "Response throughput": "Bps",
        "Requests by code (1h)": "short",
        "Top routes": "reqps",
        "Cache entries": "short",
        "Queue fill (%)": "percent",
        "Traffic, full width": "reqps",
        "Errors": None,
    }
    gauge = next(p for p in big["panels"] if p["title"] == "Queue fill (%)")
    assert (gauge["fieldConfig"]["defaults"]["min"], gauge["fieldConfig"]["defaults"]["max"]) == (0, 100)


# --- the checker can fail ------------------------------------------------------------------------


def _break(mutation: str, d: dict[str, Any]) -> None:
    panels = d["panels"]
    if mutation == "overlap":
        panels[1]["gridPos"] = dict(panels[0]["gridPos"])
    elif mutation == "beyond-grid":
        panels[0]["gridPos"]["x"] = 20
    elif mutation == "too-wide":
        panels[0]["gridPos"]["w"] = 30
    elif mutation == "duplicate-id":
        panels[1]["id"] = panels[0]["id"]
    elif mutation == "graph-panel":
        panels[0]["type"] = "graph"
    elif mutation == "unknown-datasource":
        panels[0]["datasource"] = {"type": "prometheus", "uid": "prom-typo"}
    elif mutation == "old-schema":
        d["schemaVersion"] = 27
    elif mutation == "unknown-key":
        d["rows"] = []
    elif mutation == "long-uid":
        d["uid"] = "x" * 41
    elif mutation == "stat-without-reduce":
        del next(p for p in panels if p["type"] == "stat")["options"]["reduceOptions"]
    elif mutation == "bad-draw-style":
        panels[0]["fieldConfig"]["defaults"]["custom"]["drawStyle"] = "lines"
    elif mutation == "bad-target-key":
        panels[0]["targets"][0]["exp"] = "up"
    elif mutation == "duplicate-ref-id":
        panels[0]["targets"].append(dict(panels[0]["targets"][0]))
    elif mutation == "no-templating":
        del d["templating"]


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        ("overlap", "overlaps panels[0]"),
        ("beyond-grid", "beyond column 24"),
        ("too-wide", "30 is greater than the maximum of 24"),
        ("duplicate-id", "not unique and sequential"),
        ("graph-panel", "was removed from Grafana"),
        ("unknown-datasource", "is not a provisioned datasource"),
        ("old-schema", "schemaVersion 27"),
        ("unknown-key", "'rows' was unexpected"),
        ("long-uid", "is not 1-40 characters"),
        ("stat-without-reduce", "'reduceOptions' is a required property"),
        ("bad-draw-style", "'lines' is not one of"),
        ("bad-target-key", "'exp' was unexpected"),
        ("duplicate-ref-id", "refIds ['A', 'A'] are not unique"),
        ("no-templating", "'templating' is a required property"),
    ],
)
def test_the_checker_rejects_a_broken_dashboard(mutation: str, message: str, rendered: Rendered) -> None:
    out = rendered(EXAMPLE_SPECS[0])
    good = _dashboards(out)["discord-ops-overview.json"]
    assert dashboard_problems(good, _datasource_types(out)) == []
    broken = copy.deepcopy(good)
    _break(mutation, broken)
    problems = dashboard_problems(broken, _datasource_types(out))
    assert any(message in p for p in problems), problems


# --- snapshots -----------------------------------------------------------------------------------



"""Grafana target: every dashboard validates against Grafana's own published JSON Schemas (the
oracle in tests/data/oracles/grafana-jsonschema) and the rules those schemas do not encode; the
provisioning file defines exactly the datasources the panels refer to; output is canonical JSON.
"""

from __future__ import annotations

import copy
import functools
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from khaosobs.commands.validate import validate_paths
from khaosobs.domain import naming
from khaosobs.domain import units as _units
from khaosobs.domain.dashboards import filter_applies, label_filters, panel_ids, panel_queries, planned_dashboards
from khaosobs.domain.promql_print import with_matchers
from khaosobs.spec.model import Dashboard, Metric, Panel, Spec
from khaosobs.targets import grafana
from tests.conftest import EXAMPLE_SPECS, ORACLES, ROOT, render_spec, rendered_once, run_khaosobs

ORACLE = ORACLES / "grafana-jsonschema"
LAYOUT_SPEC = ROOT / "tests/specs/grafana-layout.yaml"
OPTIONS_SPEC = ROOT / "tests/specs/grafana-options.yaml"
SPECS_UNDER_TEST = [*EXAMPLE_SPECS, *sorted(p for p in (ROOT / "tests/specs").glob("*.yaml")
                                            if p.name != "seed-as-written.yaml")]
DATASOURCES = "grafana/provisioning/datasources/khaosobs.yml"
PROVIDER = "grafana/provisioning/dashboards/khaosobs.yml"
REMOVED_PANEL_TYPES = {"graph", "singlestat", "table-old"}
QUERYLESS_PANEL_TYPES = {"text", "alertlist"}


# --- the checker: Grafana's schemas plus the rules they do not encode ----------------------------


@functools.cache
def _registry() -> Registry:
    resources = [
        (
            p.name,
            Resource.from_contents(_widened(json.loads(p.read_text(encoding="utf-8"))),
                                   default_specification=DRAFT7),
        )
        for p in sorted(ORACLE.glob("*.jsonschema.json"))
    ]
    return Registry().with_resources(resources)


# The published schema types two fields as objects that Grafana itself writes as scalars: an
# override's `matcher.options` ({"id": "byName", "options": "errors"}) and a property's `value`
# ({"id": "unit", "value": "s"}); Grafana's own exports and the kubernetes-mixin dashboards use
# scalars there. Only these two are widened; everything else is the schema as published.
SCALAR_WIDENED = {("MatcherConfig", "options"), ("DynamicConfigValue", "value")}


def _widened(schema: dict[str, Any]) -> dict[str, Any]:
    schema = copy.deepcopy(schema)
    for definition, prop in SCALAR_WIDENED:
        target = schema.get("definitions", {}).get(definition, {}).get("properties", {})
        if prop in target:
            target[prop] = {}
    return schema


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


def flat_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, those inside collapsed rows included, in id order."""
    found = []
    for panel in dashboard.get("panels") or []:
        found.append(panel)
        if panel.get("type") == "row":
            found += panel.get("panels") or []
    return found


def dashboard_problems(dashboard: dict[str, Any], datasources: dict[str, str],
                       schema_version: int = grafana.SCHEMA_VERSION) -> list[str]:
    """Every way `dashboard` is not importable as is; `datasources` maps provisioned uid -> type."""
    found = schema_errors("dashboard.jsonschema.json", dashboard, "dashboard")
    uid = dashboard.get("uid")
    if not isinstance(uid, str) or not naming.UID_RE.fullmatch(uid):
        found.append(f"uid {uid!r} is not 1-40 characters of [a-zA-Z0-9_-]")
    if dashboard.get("schemaVersion") != schema_version:
        found.append(f"schemaVersion {dashboard.get('schemaVersion')!r}, expected {schema_version}")
    variables = {
        f"${{{v['name']}}}": v.get("query") for v in dashboard.get("templating", {}).get("list", [])
        if v.get("type") == "datasource"
    }
    panels = flat_panels(dashboard)
    ids = [p.get("id") for p in panels]
    if ids != list(range(1, len(panels) + 1)):
        found.append(f"panel ids {ids} are not unique and sequential from 1")
    for i, panel in enumerate(panels):
        where = f"panels[{i}]"
        if panel.get("type") == "row":
            found += schema_errors("dashboard.jsonschema.json#/definitions/RowPanel", panel, where)
            continue
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
        if kind in QUERYLESS_PANEL_TYPES:
            refs = []
        for ref in refs:
            if not isinstance(ref, dict):
                found.append(f"{where}: datasource {ref!r} is not a datasource reference")
            elif ref.get("uid") in variables:  # the datasource variable: lists datasources of its type
                if variables[ref["uid"]] != ref.get("type") or ref.get("type") not in datasources.values():
                    found.append(f"{where}: datasource {ref!r} selects no provisioned datasource")
            elif datasources.get(ref.get("uid", "")) != ref.get("type"):
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
    assert len(dashboards) == len(planned_dashboards(model)) + sum(1 for s in model.services if s.slos)
    for name, dashboard in dashboards.items():
        assert dashboard_problems(dashboard, _datasource_types(out), grafana.schema_version(_spec(spec))) == [], name
        assert name == f"{dashboard['uid']}.json"
    uids = [d["uid"] for d in dashboards.values()]
    assert len(set(uids)) == len(uids)


@specs
def test_queries_and_legends_come_out_verbatim(spec: Path, rendered: Rendered) -> None:
    """Each query is the spec's, with the dashboard's label filters added to every selector."""
    out = rendered(spec)
    for dashboard in _spec(spec).dashboards:
        uid = naming.dashboard_uid(dashboard.title, _spec(spec).project, dashboard.uid)
        result = _dashboards(out)[f"{uid}.json"]
        assert result["title"] == dashboard.title
        assert result["tags"] == [*dashboard.tags, _spec(spec).project]
        models = {p["id"]: p for p in flat_panels(result)}
        filters = [(label, "=~", f"${label}") for label in label_filters(dashboard)]
        for panel_id, panel in panel_ids(dashboard):
            model = models[panel_id]
            assert model["title"] == panel.title and model["type"] == panel.type
            if panel.logql is not None:
                assert model["datasource"] == {"type": "loki", "uid": "${loki_datasource}"}
                assert [t["expr"] for t in model["targets"]] == [panel.logql]
                continue
            applies = filter_applies({m.name: m for s in _spec(spec).services for m in s.metrics})
            expected = [(with_matchers(e, filters, applies), legend) for e, legend in panel_queries(panel)]
            assert [(t["expr"], t.get("legendFormat")) for t in model.get("targets", [])] == expected
            assert [t["refId"] for t in model.get("targets", [])] == list("ABCDEFGH"[: len(expected)])


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




# --- variables, options, rows, links -------------------------------------------------------------


def _options_dashboard(rendered: Rendered, name: str = "checkout.json") -> dict[str, Any]:
    return _dashboards(rendered(OPTIONS_SPEC))[name]


def _panel(dashboard: dict[str, Any], title: str) -> dict[str, Any]:
    return next(p for p in flat_panels(dashboard) if p.get("title") == title)


def test_grafana_12_gets_its_schema_version(rendered: Rendered) -> None:
    assert _options_dashboard(rendered)["schemaVersion"] == 41
    assert _dashboards(rendered(EXAMPLE_SPECS[0]))["event-gateway.json"]["schemaVersion"] == 39


@specs
def test_every_dashboard_is_provisioned_read_only_and_linked(spec: Path, rendered: Rendered) -> None:
    project = _spec(spec).project
    for name, dashboard in _dashboards(rendered(spec)).items():
        assert dashboard["editable"] is False, name
        assert project in dashboard["tags"], name
        assert dashboard["links"] == [{
            "asDropdown": True, "icon": "external link", "includeVars": True, "keepTime": True,
            "tags": [project], "targetBlank": False, "title": project,
            "tooltip": f"Dashboards of {project}", "type": "dashboards", "url": "",
        }], name


def test_variables_filter_every_selector(rendered: Rendered) -> None:
    dashboard = _options_dashboard(rendered)
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert list(variables) == ["datasource", "job", "instance", "route"]
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["instance"]["query"] == 'label_values(checkout_requests_total{job=~"$job"}, instance)'
    for name in ("job", "instance", "route"):
        assert (variables[name]["refresh"], variables[name]["multi"], variables[name]["includeAll"]) == (2, True, True)
        assert variables[name]["allValue"] == ".+"
    requests = _panel(dashboard, "Requests by code")
    assert requests["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    assert requests["targets"][0]["expr"] == (
        'sum by (code) (rate(checkout_requests_total{job=~"$job", instance=~"$instance", route=~"$route"}'
        "[$__rate_interval]))"
    )
    # a matcher the user wrote on a filter label is kept, the others are added; a label filter
    # only where the metric has the label (cart items have no code: `code=~".+"` would hide them)
    assert _panel(dashboard, "Cart items")["targets"][0]["expr"] == (
        'sum by (instance) (checkout_cart_items{job=~"$job", instance=~"$instance"})')  # declares no route label
    assert _panel(dashboard, "Requests on $route")["targets"][0]["expr"] == (
        'sum(rate(checkout_requests_total{route=~"$route", job=~"$job", instance=~"$instance"}[$__rate_interval]))'
    )


def test_field_options_come_from_the_spec(rendered: Rendered) -> None:
    dashboard = _options_dashboard(rendered)
    requests = _panel(dashboard, "Requests by code")
    defaults = requests["fieldConfig"]["defaults"]
    assert defaults["decimals"] == 1
    assert defaults["custom"]["stacking"] == {"group": "A", "mode": "normal"}
    assert defaults["custom"]["fillOpacity"] == 40
    assert requests["options"]["legend"] == {
        "calcs": ["mean", "max", "lastNotNull"], "displayMode": "table", "placement": "right", "showLegend": True,
    }
    assert requests["fieldConfig"]["overrides"] == [
        {"matcher": {"id": "byName", "options": "500"}, "properties": [
            {"id": "color", "value": {"fixedColor": "red", "mode": "fixed"}},
            {"id": "displayName", "value": "Server errors"},
            {"id": "custom.axisPlacement", "value": "right"},
        ]},
        {"matcher": {"id": "byRegexp", "options": "4.."}, "properties": [
            {"id": "color", "value": {"fixedColor": "orange", "mode": "fixed"}},
            {"id": "unit", "value": "reqps"},
            {"id": "min", "value": 0},
            {"id": "max", "value": 100},
            {"id": "decimals", "value": 0},
            {"id": "custom.fillOpacity", "value": 0},
        ]},
        {"matcher": {"id": "byName", "options": "304"}, "properties": [
            {"id": "custom.hideFrom", "value": {"legend": False, "tooltip": False, "viz": True}},
        ]},
    ]
    gauge = _panel(dashboard, "p99 latency")["fieldConfig"]["defaults"]
    assert (gauge["min"], gauge["max"], gauge["unit"]) == (0, 3, "s")
    cart = _panel(dashboard, "Cart items")["fieldConfig"]["defaults"]
    assert cart["thresholds"] == {"mode": "absolute", "steps": [
        {"color": "green", "value": None}, {"color": "#EAB839", "value": 100}, {"color": "red", "value": 500},
    ]}
    history = _panel(dashboard, "Payment provider history")["fieldConfig"]["defaults"]
    assert history["mappings"] == [{"type": "value", "options": {
        "0": {"color": "red", "index": 0, "text": "Down"},
        "1": {"color": "green", "index": 1, "text": "Up"},
        "2": {"index": 2, "text": "Degraded"},
    }}]
    hidden = _panel(dashboard, "Requests on $route")
    assert hidden["options"]["legend"]["showLegend"] is False
    assert hidden["fieldConfig"]["defaults"]["custom"]["stacking"]["mode"] == "percent"


def test_derived_descriptions_thresholds_and_mappings(rendered: Rendered) -> None:
    dashboard = _options_dashboard(rendered)
    requests = _panel(dashboard, "Requests by code")
    assert requests["description"] == "Checkout requests served"  # the metric's help
    p99 = _panel(dashboard, "p99 latency")["fieldConfig"]["defaults"]
    assert p99["thresholds"]["steps"] == [{"color": "green", "value": None}, {"color": "red", "value": 1.5}]
    provider = _panel(dashboard, "Payment provider")["fieldConfig"]["defaults"]
    # PaymentProviderDown is `min by (instance) (checkout_payment_provider_up) < 1`: below 1 is the alert's colour
    assert provider["thresholds"]["steps"] == [{"color": "orange", "value": None}, {"color": "green", "value": 1}]
    assert provider["mappings"][0]["options"]["0"]["text"] == "Down"  # a 0/1 gauge reads Up / Down
    assert provider["mappings"][0]["options"]["1"]["text"] == "Up"


def test_rows_collapse_and_repeat_without_holes(rendered: Rendered) -> None:
    dashboard = _options_dashboard(rendered)
    top = dashboard["panels"]
    rows = [p for p in top if p["type"] == "row"]
    assert [(r["title"], r["collapsed"], r.get("repeat")) for r in rows] == [
        ("Latency", False, None), ("Per route", True, "route")]
    assert rows[0]["panels"] == [] and [p["title"] for p in rows[1]["panels"]] == ["Requests on $route", "Alerts"]
    assert rows[1]["gridPos"]["y"] == max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in top if p is not rows[1])
    # every grid line is full: each panel line covers the 24 columns without gaps
    lines: dict[int, list[dict[str, int]]] = {}
    for panel in top:
        lines.setdefault(panel["gridPos"]["y"], []).append(panel["gridPos"])
    for y, line in lines.items():
        assert sum(p["w"] for p in line) == grafana.GRID_COLUMNS, (y, line)
        assert len({p["h"] for p in line}) == 1, (y, line)


def test_new_panel_types(rendered: Rendered) -> None:
    dashboard = _options_dashboard(rendered)
    text = _panel(dashboard, "About")
    assert text["options"]["mode"] == "markdown" and text["options"]["content"].startswith("# Checkout\n")
    assert "targets" not in text and "datasource" not in text
    heatmap = _panel(dashboard, "Latency distribution")
    assert heatmap["targets"][0]["format"] == "heatmap" and heatmap["options"]["calculate"] is False
    assert heatmap["options"]["yAxis"]["unit"] == "s"  # the buckets' unit
    timeline = _panel(dashboard, "Payment provider history")
    assert timeline["type"] == "state-timeline" and timeline["options"]["mergeValues"] is True
    overview = _options_dashboard(rendered, "khaosobs-checkout.json")
    alerts = _panel(overview, "checkout alerts")
    assert alerts["type"] == "alertlist" and alerts["options"]["alertInstanceLabelFilter"] == '{service="checkout"}'


def test_overview_dashboards_are_built_from_the_declarations(rendered: Rendered) -> None:
    dashboards = _dashboards(rendered(OPTIONS_SPEC))
    assert sorted(dashboards) == ["checkout.json", "khaosobs-checkout.json"]  # batch opted out
    overview = dashboards["khaosobs-checkout.json"]
    exprs = {p["title"]: [t["expr"] for t in p.get("targets", [])] for p in flat_panels(overview)}
    f = 'job=~"$job", instance=~"$instance"'
    assert exprs["checkout_requests_total per second"] == [
        f"sum by (route, code) (rate(checkout_requests_total{{{f}}}[$__rate_interval]))"]
    assert exprs["checkout_request_duration_seconds p50 / p95 / p99"] == [
        f"histogram_quantile({q}, sum by (le) "
        f"(rate(checkout_request_duration_seconds_bucket{{{f}}}[$__rate_interval])))"
        for q in ("0.5", "0.95", "0.99")]
    assert exprs["checkout_request_duration_seconds distribution"] == [
        f"sum by (le) (rate(checkout_request_duration_seconds_bucket{{{f}}}[$__rate_interval]))"]
    assert exprs["checkout_cart_items now"] == [f"sum(checkout_cart_items{{{f}}})"]
    assert exprs["checkout_payment_provider_up now"] == [f"min(checkout_payment_provider_up{{{f}}})"]
    assert _panel(overview, "checkout_payment_provider_up")["type"] == "state-timeline"
    assert [p["title"] for p in overview["panels"] if p["type"] == "row"] == ["Traffic", "Distributions", "Gauges"]


@pytest.mark.parametrize("path", SPECS_UNDER_TEST, ids=lambda p: p.stem)
def test_overview_dashboards_built_unchecked_are_what_the_spec_validator_accepts(path: Path) -> None:
    """The overview dashboards are built with `model_construct` (nothing checked, for speed): each is
    what validating its own dump gives, field for field, defaults included."""
    automatic = [plan.dashboard for plan in planned_dashboards(_spec(path)) if plan.automatic]
    for dashboard in automatic:
        assert Dashboard.model_validate(dashboard.model_dump(exclude_unset=True)) == dashboard


def test_alerts_link_to_the_panel_showing_them(tmp_path: Path) -> None:
    out = render_spec(OPTIONS_SPEC, tmp_path / "out", "grafana", "prometheus")
    rules = yaml.safe_load((out / "prometheus/rules/checkout.yml").read_text(encoding="utf-8"))
    annotations = {r["alert"]: r["annotations"] for r in rules["groups"][0]["rules"] if "alert" in r}
    dashboard = _dashboards(out)["checkout.json"]
    p99 = _panel(dashboard, "p99 latency")["id"]
    assert annotations["CheckoutSlow"]["dashboard_url"] == f"https://grafana.example.com/d/checkout?viewPanel={p99}"
    assert annotations["CheckoutSlow"]["runbook_url"] == (
        "https://runbooks.example.com/shop/checkout/CheckoutSlow?severity=critical")
    assert annotations["PaymentProviderDown"]["runbook_url"] == "https://wiki.example.com/payments"


@pytest.mark.parametrize(("target", "expected"), [("11", 39), ("11.5.2", 39), ("11.6", 41), ("12", 41), ("12.2", 41)])
def test_schema_version_follows_the_targeted_release(target: str, expected: int) -> None:
    spec = Spec.model_validate({"version": 1, "project": "p", "targets": {"grafana": target}})
    assert grafana.schema_version(spec) == expected


@pytest.mark.parametrize(
    ("name", "help_text", "boolean"),
    [
        ("payments_up", "Payment provider", True),
        ("bot_connected", "Connection", True),
        ("provider_state", "Whether it answers (1) or not (0)", True),
        ("leader", "1 if this instance leads", True),
        ("queue_depth", "Items waiting", False),
        ("zones", "Temperature in 10 or 12 zones", False),
    ],
)
def test_zero_one_gauges_are_recognised(name: str, help_text: str, boolean: bool) -> None:
    from khaosobs.domain.dashboards import is_boolean_gauge

    assert is_boolean_gauge(Metric(name=name, type="gauge", help=help_text)) is boolean
    assert not is_boolean_gauge(Metric(name=name, type="counter", help=help_text))


def test_runbook_placeholders_are_url_encoded() -> None:
    from khaosobs.domain.alerts import runbook_url
    from khaosobs.spec.model import Alert, Service

    alert = Alert(name="QueueStuck", expr="up == 0", severity="critical", summary="s")
    url = runbook_url("https://runbooks.example.com/{team}/{service}/{alert}?s={severity}",
                      Service(name="batch", team="Platform Team/EU"), alert)
    assert url == "https://runbooks.example.com/Platform%20Team%2FEU/batch/QueueStuck?s=critical"


def test_links_are_go_template_literals_promtool_accepts(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "version": 1, "project": "links",
        "urls": {"grafana": "https://grafana.example.com/{{oops}}", "runbook": "https://rb.example.com/{{/{alert}"},
        "services": [{"name": "api", "metrics": [{"name": "queue_depth", "type": "gauge", "help": "Items"}],
                      "alerts": [{"name": "QueueHigh", "expr": "queue_depth > 5", "severity": "warning",
                                  "summary": "high"}]}],
    }), encoding="utf-8")
    out = render_spec(spec, tmp_path / "out", "prometheus")
    rules = out / "prometheus/rules/api.yml"
    annotations = yaml.safe_load(rules.read_text(encoding="utf-8"))["groups"][0]["rules"][0]["annotations"]
    assert annotations["runbook_url"] == 'https://rb.example.com/{{ "{{" }}/QueueHigh'
    # the overview's queue_depth panel: its query is the alert's left side
    assert annotations["dashboard_url"] == 'https://grafana.example.com/{{ "{{" }}oops}}/d/khaosobs-api?viewPanel=4'
    check = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True, text=True,
                           check=False, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr

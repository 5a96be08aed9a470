"""Grafana: one classic dashboard JSON per spec dashboard, plus datasource and dashboard provisioning.

A dashboard is built here as a plain dict (Grafana 11 classic model, schemaVersion 39) and the
template only serialises it. Panels refer to the datasources by the uids in `naming`, which the
provisioning file defines, so an import needs nothing else. Units, layout and per-type options
follow the rules documented below (the user-facing reference for them).
"""

from __future__ import annotations

from typing import Any

import promql_parser

from khaosobs import naming
from khaosobs.checks._promql import grafana_substituted
from khaosobs.model import Dashboard, Metric, Panel, Spec
from khaosobs.output import OutputFile
from khaosobs.templating import Renderer

NAME = "grafana"
DESCRIPTION = (
    "Grafana 11 dashboards (classic JSON) and provisioning for Prometheus, Loki, Tempo and Alertmanager"
)

SCHEMA_VERSION = 39
GRID_COLUMNS = 24
# (width, height) in grid units when the spec gives none: graphs half width, single values a quarter,
# tables and logs the full row (their lines are long).
DEFAULT_SIZE: dict[str, tuple[int, int]] = {
    "timeseries": (12, 8),
    "bargauge": (12, 8),
    "piechart": (12, 8),
    "stat": (6, 8),
    "gauge": (6, 8),
    "table": (24, 8),
    "logs": (24, 10),
}
PROMETHEUS = {"type": "prometheus", "uid": naming.PROMETHEUS_DATASOURCE_UID}
LOKI = {"type": "loki", "uid": naming.LOKI_DATASOURCE_UID}
REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
BUILTIN_ANNOTATION = {
    "builtIn": 1,
    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
    "enable": True,
    "hide": True,
    "iconColor": "rgba(0, 211, 255, 1)",
    "name": "Annotations & Alerts",
    "type": "dashboard",
}
# A trace id in JSON (`"trace_id": "abc"`, the seed's log format) or logfmt (`trace_id=abc`).
TRACE_ID_REGEX = r'trace_id"?\s*[:=]\s*"?(\w+)'


def render(spec: Spec, renderer: Renderer) -> list[OutputFile]:
    files = []
    for dashboard in spec.dashboards:
        model = dashboard_model(spec, dashboard)
        files.append(
            renderer.file(
                NAME,
                "grafana/dashboard.json.j2",
                naming.dashboard_path(model["uid"]),
                "json",
                dashboard=model,
            )
        )
    files.append(
        renderer.file(
            NAME,
            "grafana/datasources.yml.j2",
            naming.GRAFANA_DATASOURCES_PATH,
            "yaml",
            **datasources_context(spec),
        )
    )
    files.append(
        renderer.file(
            NAME,
            "grafana/dashboards.yml.j2",
            naming.GRAFANA_DASHBOARD_PROVIDER_PATH,
            "yaml",
            folder=spec.project,
            dashboards_dir=naming.GRAFANA_DASHBOARDS_DIR,
        )
    )
    return files


# --- dashboards --------------------------------------------------------------------------------


def dashboard_model(spec: Spec, dashboard: Dashboard) -> dict[str, Any]:
    metrics = {m.name: m for service in spec.services for m in service.metrics}
    positions = layout([panel_size(p) for p in dashboard.panels])
    panels = [
        panel_model(p, i + 1, pos, metrics)
        for i, (p, pos) in enumerate(zip(dashboard.panels, positions, strict=True))
    ]
    model: dict[str, Any] = {
        "annotations": {"list": [BUILTIN_ANNOTATION]},
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,  # shared crosshair: panels of one dashboard are read together
        "id": None,  # Grafana assigns it; the uid is the stable identity
        "links": [],
        "panels": panels,
        "refresh": dashboard.refresh or "1m",
        "schemaVersion": SCHEMA_VERSION,
        "tags": [*dashboard.tags],
        "templating": {"list": []},
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": dashboard.title,
        "uid": naming.dashboard_uid(dashboard.title, spec.project, dashboard.uid),
        "weekStart": "",
    }
    if dashboard.description:
        model["description"] = dashboard.description
    ordered: dict[str, Any] = sorted_keys(model)
    return ordered


def sorted_keys(value: Any) -> Any:
    """Keys in alphabetical order at every level, as Grafana's own export writes them."""
    if isinstance(value, dict):
        return {k: sorted_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sorted_keys(v) for v in value]
    return value


def panel_size(panel: Panel) -> tuple[int, int]:
    width, height = DEFAULT_SIZE[panel.type]
    width = panel.width if panel.width is not None else width
    height = panel.height if panel.height is not None else height
    return min(max(width, 1), GRID_COLUMNS), max(height, 1)


def layout(sizes: list[tuple[int, int]]) -> list[dict[str, int]]:
    """Left to right on the 24-column grid; a panel that does not fit starts a new row below the
    tallest panel of the current one, so panels never overlap."""
    positions = []
    x = y = row_height = 0
    for width, height in sizes:
        if x + width > GRID_COLUMNS:
            x, y, row_height = 0, y + row_height, 0
        positions.append({"h": height, "w": width, "x": x, "y": y})
        x += width
        row_height = max(row_height, height)
    return positions


def panel_model(
    panel: Panel, panel_id: int, grid_pos: dict[str, int], metrics: dict[str, Metric]
) -> dict[str, Any]:
    if panel.logql is not None:
        datasource = LOKI
        targets = [
            {
                "datasource": LOKI,
                "editorMode": "code",
                "expr": panel.logql,
                "queryType": "range",
                "refId": "A",
            }
        ]
        unit = panel.unit
    else:
        datasource = PROMETHEUS
        queries = ([(panel.expr, panel.legend)] if panel.expr is not None else []) + [
            (t.expr, t.legend) for t in panel.targets
        ]
        targets = [
            prometheus_target(expr, legend, REF_IDS[i % len(REF_IDS)] * (1 + i // len(REF_IDS)), panel.type)
            for i, (expr, legend) in enumerate(queries)
        ]
        unit = panel.unit if panel.unit is not None else common_unit([expr for expr, _ in queries], metrics)
    model: dict[str, Any] = {
        "datasource": datasource,
        "fieldConfig": {"defaults": field_defaults(panel.type, unit), "overrides": []},
        "gridPos": grid_pos,
        "id": panel_id,
        "options": panel_options(panel.type),
        "targets": targets,
        "title": panel.title,
        "type": panel.type,
    }
    if panel.description:
        model["description"] = panel.description
    return model


def prometheus_target(expr: str, legend: str | None, ref_id: str, panel_type: str) -> dict[str, Any]:
    target: dict[str, Any] = {"datasource": PROMETHEUS, "editorMode": "code", "expr": expr, "refId": ref_id}
    if panel_type == "table":  # one row per series, current values
        target.update(format="table", instant=True, range=False)
    else:
        target.update(instant=False, range=True)
    if legend is not None:
        target["legendFormat"] = legend  # verbatim: `{{command}}` is Grafana's own template
    return target


BASE_THRESHOLDS = {"mode": "absolute", "steps": [{"color": "green", "value": None}]}
REDUCE_LAST = {"calcs": ["lastNotNull"], "fields": "", "values": False}


def field_defaults(panel_type: str, unit: str | None) -> dict[str, Any]:
    if panel_type == "logs":
        return {}
    defaults: dict[str, Any] = {"mappings": [], "thresholds": BASE_THRESHOLDS}
    if panel_type in ("timeseries", "piechart", "bargauge"):
        defaults["color"] = {"mode": "palette-classic"}
    else:
        defaults["color"] = {"mode": "thresholds"}
    if panel_type == "timeseries":
        defaults["custom"] = {
            "axisPlacement": "auto",
            "drawStyle": "line",
            "fillOpacity": 10,
            "gradientMode": "none",
            "lineInterpolation": "linear",
            "lineWidth": 1,
            "pointSize": 5,
            "showPoints": "never",
            "spanNulls": False,
            "stacking": {"group": "A", "mode": "none"},
        }
    elif panel_type == "piechart":
        defaults["custom"] = {"hideFrom": {"legend": False, "tooltip": False, "viz": False}}
    elif panel_type == "table":
        defaults["custom"] = {"align": "auto", "cellOptions": {"type": "auto"}, "inspect": False}
    if unit is not None:
        defaults["unit"] = unit
        # a gauge needs a scale; fractions and percentages have a natural one
        if panel_type in ("gauge", "bargauge") and unit in ("percentunit", "percent"):
            defaults.update(min=0, max=1 if unit == "percentunit" else 100)
    return defaults


def panel_options(panel_type: str) -> dict[str, Any]:
    tooltip = {"mode": "multi", "sort": "desc"}
    if panel_type == "timeseries":
        return {
            "legend": {"calcs": [], "displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": tooltip,
        }
    if panel_type == "stat":
        return {
            "colorMode": "value",
            "graphMode": "area",
            "justifyMode": "auto",
            "orientation": "auto",
            "percentChangeColorMode": "standard",
            "reduceOptions": REDUCE_LAST,
            "showPercentChange": False,
            "textMode": "auto",
            "wideLayout": True,
        }
    if panel_type == "gauge":
        return {
            "minVizHeight": 75,
            "minVizWidth": 75,
            "orientation": "auto",
            "reduceOptions": REDUCE_LAST,
            "showThresholdLabels": False,
            "showThresholdMarkers": True,
            "sizing": "auto",
        }
    if panel_type == "bargauge":
        return {
            "displayMode": "gradient",
            "maxVizHeight": 300,
            "minVizHeight": 16,
            "minVizWidth": 8,
            "namePlacement": "auto",
            "orientation": "horizontal",
            "reduceOptions": REDUCE_LAST,
            "showUnfilled": True,
            "sizing": "auto",
            "valueMode": "color",
        }
    if panel_type == "piechart":
        return {
            "displayLabels": ["percent"],
            "legend": {
                "calcs": [],
                "displayMode": "list",
                "placement": "right",
                "showLegend": True,
                "values": ["value"],
            },
            "orientation": "auto",
            "pieType": "pie",
            "reduceOptions": REDUCE_LAST,
            "tooltip": {"mode": "single", "sort": "none"},
        }
    if panel_type == "table":
        return {
            "cellHeight": "sm",
            "footer": {"countRows": False, "fields": "", "reducer": ["sum"], "show": False},
            "showHeader": True,
        }
    # logs
    return {
        "dedupStrategy": "none",
        "enableLogDetails": True,
        "prettifyLogMessage": False,
        "showCommonLabels": False,
        "showLabels": False,
        "showTime": True,
        "sortOrder": "Descending",
        "wrapLogMessage": True,
    }


# --- units -------------------------------------------------------------------------------------
#
# The display unit of a query, read from its PromQL syntax tree (never from regexes over the text):
# - a series' value unit comes from the spec metric's `unit`, else its name's base-unit suffix
#   (`_seconds` s, `_bytes` bytes, `_ratio` percentunit, ... see BASE_UNITS), looked up on the name
#   without `_total`/`_sum`/`_bucket`/`_count`; `_count`, `_bucket` and unit-less `_total` series
#   count events;
# - rate()/irate() make it per second: events -> "reqps" for `..._requests_total`, else "ops";
#   bytes -> "Bps", bits -> "bps", seconds -> "percentunit" (busy fraction), joules -> "watt";
# - increase()/delta() keep the value unit, events become "short"; count(), count_over_time(),
#   changes(), resets() -> "short"; histogram_quantile() -> the histogram's value unit;
# - other functions and aggregations keep their argument's unit; a comparison filter keeps its
#   left side's (`... > 5` is still seconds); `x * 100` of a ratio is "percent";
# - `a / b`: `x_sum / x_count` -> x's value unit; two operands of one unit -> "percentunit" (a ratio);
# - recording rules `level:metric:operations`: "rate" operations are per second of `metric`,
#   "ratio" ones percentunit;
# - otherwise no unit (Grafana's default). A panel with several queries gets a unit only when all
#   queries that have one agree.

BASE_UNITS = (
    ("_seconds", "s"),
    ("_milliseconds", "ms"),
    ("_microseconds", "µs"),
    ("_bytes", "bytes"),
    ("_bits", "bits"),
    ("_ratio", "percentunit"),
    ("_percent", "percent"),
    ("_celsius", "celsius"),
    ("_volts", "volt"),
    ("_amperes", "amp"),
    ("_watts", "watt"),
    ("_joules", "joule"),
    ("_meters", "lengthm"),
)
PER_SECOND = {"bytes": "Bps", "bits": "bps", "s": "percentunit", "joule": "watt"}
EVENTS = "events"  # marker: the series counts something without a unit
RATE_FUNCTIONS = {"rate", "irate"}
INCREASE_FUNCTIONS = {"increase", "delta", "idelta"}
COUNT_FUNCTIONS = {"count_over_time", "changes", "resets"}
NO_UNIT_FUNCTIONS = {
    "absent",
    "absent_over_time",
    "present_over_time",
    "timestamp",
    "time",
    "vector",
    "scalar",
}
COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}


def common_unit(exprs: list[str], metrics: dict[str, Metric]) -> str | None:
    units = {u for u in (derive_unit(e, metrics) for e in exprs) if u is not None}
    return units.pop() if len(units) == 1 else None


def derive_unit(expr: str, metrics: dict[str, Metric]) -> str | None:
    """The Grafana unit id of a PromQL query's result (rules above), or None."""
    try:
        tree = promql_parser.parse(grafana_substituted(expr))
    except (KeyboardInterrupt, SystemExit):  # pragma: no cover
        raise
    except BaseException:  # invalid (the checks report it) or a parser panic: no unit, never a crash
        return None
    try:
        return _display(_UnitReader(metrics).unit(tree))
    except RecursionError:  # absurdly deep nesting: Grafana's default unit will do
        return None


def _display(unit: str | None) -> str | None:
    return "short" if unit == EVENTS else unit


class _UnitReader:
    def __init__(self, metrics: dict[str, Metric]) -> None:
        self.metrics = metrics

    def unit(self, node: Any) -> str | None:
        if isinstance(node, promql_parser.ParenExpr | promql_parser.UnaryExpr | promql_parser.SubqueryExpr):
            return self.unit(node.expr)
        if isinstance(node, promql_parser.MatrixSelector):
            return self.unit(node.vector_selector)
        if isinstance(node, promql_parser.VectorSelector):
            name = _selector_name(node)
            return self.series_unit(name, per_second=False) if name else None
        if isinstance(node, promql_parser.Call):
            return self.call_unit(node)
        if isinstance(node, promql_parser.AggregateExpr):
            op = str(node.op)
            if op in ("count", "count_values"):
                return EVENTS
            return None if op == "group" else self.unit(node.expr)
        if isinstance(node, promql_parser.BinaryExpr):
            return self.binary_unit(node)
        return None  # number and string literals

    def call_unit(self, node: Any) -> str | None:
        func = node.func.name
        args = [
            a
            for a in node.args
            if not isinstance(a, promql_parser.NumberLiteral | promql_parser.StringLiteral)
        ]
        if func in NO_UNIT_FUNCTIONS or not args:
            return None
        if func in COUNT_FUNCTIONS:
            return EVENTS
        if func in RATE_FUNCTIONS | INCREASE_FUNCTIONS:
            name = _first_selector_name(args[0])
            if name is None:
                return None
            return self.series_unit(name, per_second=func in RATE_FUNCTIONS)
        if func == "histogram_quantile":
            name = _first_selector_name(args[0])
            return self.value_unit(_strip(name)[0]) if name else None
        return self.unit(args[0])

    def binary_unit(self, node: Any) -> str | None:
        op = str(node.op)
        lhs_literal = isinstance(node.lhs, promql_parser.NumberLiteral)
        rhs_literal = isinstance(node.rhs, promql_parser.NumberLiteral)
        if op in COMPARISONS:
            if node.modifier is not None and node.modifier.return_bool:
                return None  # 0 or 1
            return self.unit(node.rhs if lhs_literal else node.lhs)
        if op in ("and", "or", "unless", "+", "-"):
            return self.unit(node.lhs) or self.unit(node.rhs)
        if op == "*":
            if lhs_literal or rhs_literal:
                literal, other = (node.lhs, node.rhs) if lhs_literal else (node.rhs, node.lhs)
                unit = self.unit(other)
                return "percent" if unit == "percentunit" and literal.val == 100 else unit
            return None
        if op == "/":
            if rhs_literal:
                return self.unit(node.lhs)
            lhs_name, rhs_name = _first_selector_name(node.lhs), _first_selector_name(node.rhs)
            if lhs_name and rhs_name:
                (lhs_stem, lhs_kind), (rhs_stem, rhs_kind) = _strip(lhs_name), _strip(rhs_name)
                if lhs_kind == "_sum" and rhs_kind == "_count" and lhs_stem == rhs_stem:
                    return self.value_unit(lhs_stem)
            lhs_unit, rhs_unit = self.unit(node.lhs), self.unit(node.rhs)
            return "percentunit" if lhs_unit is not None and lhs_unit == rhs_unit else None
        return None

    def value_unit(self, stem: str) -> str | None:
        """The unit of one observation of the metric family `stem` (spec unit first, then the name)."""
        for name in (stem, f"{stem}_total"):
            metric = self.metrics.get(name)
            if metric is not None and metric.unit:
                return metric.unit
        for suffix, unit in BASE_UNITS:
            if stem.endswith(suffix):
                return unit
        return None

    def series_unit(self, name: str, *, per_second: bool) -> str | None:
        if ":" in name:  # a recording rule, level:metric:operations
            parts = name.split(":")
            operations = parts[-1]
            if "ratio" in operations:
                return "percentunit"
            if len(parts) == 3 and operations.startswith(("rate", "irate")):
                return self.series_unit(f"{parts[1]}_total", per_second=True)
            return None
        stem, kind = _strip(name)
        value = self.value_unit(stem)
        counts = kind in ("_count", "_bucket") or (kind == "_total" and value is None)
        if not per_second:
            return EVENTS if counts else value
        if counts:
            return "reqps" if stem.endswith("_requests") else "ops"
        return PER_SECOND.get(value) if value is not None else None


def _strip(name: str) -> tuple[str, str]:
    for suffix in ("_bucket", "_total", "_count", "_sum"):
        if name.endswith(suffix):
            return name[: -len(suffix)], suffix
    return name, ""


def _selector_name(node: Any) -> str | None:
    if node.name:
        return str(node.name)
    for matcher in node.matchers.matchers:
        if matcher.name == "__name__" and matcher.op == promql_parser.MatchOp.Equal:
            return str(matcher.value)
    return None


def _first_selector_name(node: Any) -> str | None:
    """The metric name of the first series selector in `node`, depth first."""
    found: list[str] = []

    def visit(child: Any) -> bool:
        if isinstance(child, promql_parser.VectorSelector):
            name = _selector_name(child)
            if name:
                found.append(name)
                return False
        return True

    promql_parser.walk(node, visit)
    return found[0] if found else None


# --- provisioning ------------------------------------------------------------------------------


def grafana_literal(value: str) -> str:
    """Grafana expands `$NAME` in provisioning values; `$$` keeps a spec's `$` literal."""
    return value.replace("$", "$$")


def grafana_secret(ref: str) -> str:
    """A secret reference as Grafana's own indirection: the value never appears in the file."""
    if ref.startswith("file:"):
        return "$__file{" + ref[5:] + "}"
    return "$__env{" + naming.secret_env_name(ref) + "}"


def datasources_context(spec: Spec) -> dict[str, Any]:
    telemetry = spec.telemetry
    auth = telemetry.logging.auth_secret_ref
    return {
        "uids": {
            "prometheus": naming.PROMETHEUS_DATASOURCE_UID,
            "loki": naming.LOKI_DATASOURCE_UID,
            "tempo": naming.TEMPO_DATASOURCE_UID,
            "alertmanager": naming.ALERTMANAGER_DATASOURCE_UID,
        },
        "prometheus_url": grafana_literal(telemetry.metrics.endpoint),
        "alertmanager_url": grafana_literal(telemetry.metrics.alertmanager_endpoint),
        "loki_url": grafana_literal(telemetry.logging.endpoint),
        "loki_auth": grafana_secret(auth) if auth else None,
        "tempo_url": grafana_literal(telemetry.tracing.tempo_query_endpoint),
        "trace_id_regex": grafana_literal(TRACE_ID_REGEX),
        "trace_link": "$${__value.raw}",  # Grafana's own variable, escaped from provisioning expansion
    }

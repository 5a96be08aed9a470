"""Grafana: one classic dashboard JSON per spec dashboard, plus datasource and dashboard provisioning.

A dashboard is built here as a plain dict (Grafana 11 classic model, schemaVersion 39) and the
template only serialises it. Panels refer to the datasources by the uids in `naming`, which the
provisioning file defines, so an import needs nothing else. Units, layout and per-type options
follow the rules documented below (the user-facing reference for them).
"""

from __future__ import annotations

from typing import Any

from khaosobs import naming
from khaosobs.model import Dashboard, Metric, Panel, Spec
from khaosobs.output import OutputFile
from khaosobs.targets._slo_dashboard import slo_dashboards
from khaosobs.targets._units import common_unit
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
    for model in slo_dashboards(spec, SCHEMA_VERSION, BUILTIN_ANNOTATION):  # one per service with SLOs
        files.append(renderer.file(NAME, "grafana/dashboard.json.j2", naming.dashboard_path(model["uid"]), "json",
                                   dashboard=model))
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


# --- provisioning ------------------------------------------------------------------------------


grafana_literal = naming.dollar_literal  # Grafana expands `$NAME` in provisioning values


def grafana_secret(ref: str) -> str:
    """A secret reference as Grafana's own indirection."""
    return naming.secret_indirection(ref, env="$__env{{{}}}", file="$__file{{{}}}")


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

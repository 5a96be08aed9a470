"""Grafana: one classic dashboard JSON per planned dashboard (the spec's and the automatic
overviews, `khaosobs.domain.dashboards`), plus datasource and dashboard provisioning.

A dashboard is built here as a plain dict (the classic model, with the schemaVersion of the
targeted Grafana) and the template only serialises it. Panels refer to their datasource through
the dashboard's datasource variables, whose default is the provisioned datasource (uids in
`naming`), so an import needs nothing else. Prometheus queries get the dashboard's label filters
on their parsed tree (`promql_print.with_matchers`). Units, layout, per-type options and the
derived thresholds, mappings and descriptions follow the rules below and in docs/dashboards.md.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from khaosobs.domain import naming, wiring
from khaosobs.domain.dashboards import (
    UP_DOWN,
    PlannedDashboard,
    all_panels,
    datasource_variable,
    datasource_variables,
    description_of,
    filter_applies,
    grafana_schema_version,
    is_boolean_gauge,
    label_filters,
    only_family,
    panel_ids,
    panel_queries,
    planned_dashboards,
    project_link,
    row_ids,
    thresholds_by_expression,
    timeseries_custom,
)
from khaosobs.domain.promql_print import (
    Applies,
    Matchers,
    parse_query,
    selector_names,
    shown_key_and_names,
    with_matchers,
)
from khaosobs.domain.units import agreed_unit, derive_unit, observation_unit, tree_unit
from khaosobs.domain.versions import parse_version
from khaosobs.output import OutputFile
from khaosobs.output.templating import Renderer
from khaosobs.spec.model import Dashboard, Metric, Panel, SeriesOverride, Spec, ThresholdStep
from khaosobs.targets._slo_dashboard import slo_dashboards

NAME = "grafana"
DESCRIPTION = (
    "Grafana 11 dashboards (classic JSON) and provisioning for Prometheus, Loki, Tempo and Alertmanager"
)

SCHEMA_VERSION = grafana_schema_version((11, 0, 0))  # the default target
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
    "heatmap": (12, 8),
    "state-timeline": (12, 8),
    "text": (24, 4),
    "alertlist": (24, 6),
}
PROMETHEUS = {"type": "prometheus", "uid": naming.PROMETHEUS_DATASOURCE_UID}
# Panels and variables pick their datasource through the dashboard's datasource variables (whose
# default is the provisioned one), so one dashboard serves every Prometheus of an organisation.
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


def render(spec: Spec, renderer: Renderer) -> Iterator[OutputFile]:
    """Each file as soon as it is made: a caller may write or compare one before the next is built."""
    shared = SpecIndexes.of(spec)  # built once: per dashboard, they made the render quadratic
    for plan in planned_dashboards(spec):
        yield dashboard_file(renderer, dashboard_model(spec, plan, shared))
    for model in slo_dashboards(spec, schema_version(spec), BUILTIN_ANNOTATION):  # one per service with SLOs
        yield dashboard_file(renderer, model)
    yield renderer.file(NAME, "grafana/datasources.yml.j2", naming.GRAFANA_DATASOURCES_PATH, "yaml",
                        **datasources_context(spec))
    yield renderer.file(NAME, "grafana/dashboards.yml.j2", naming.GRAFANA_DASHBOARD_PROVIDER_PATH, "yaml",
                        folder=spec.project, dashboards_dir=naming.GRAFANA_DASHBOARDS_DIR)


def dashboard_file(renderer: Renderer, model: dict[str, Any]) -> OutputFile:
    """A dashboard's JSON file, keys in alphabetical order at every level (as Grafana's own export
    writes them)."""
    return renderer.sorted_json_file(NAME, "grafana/dashboard.json.j2", naming.dashboard_path(model["uid"]),
                                     "dashboard", model)


# --- dashboards --------------------------------------------------------------------------------


def schema_version(spec: Spec) -> int:
    """The classic JSON schemaVersion of the targeted Grafana release (11 -> 39, 11.6 and 12 -> 41)."""
    return grafana_schema_version(parse_version(spec.targets.grafana) or (11, 0, 0))


@dataclass(frozen=True)
class SpecIndexes:
    """What every dashboard of a spec reads about the whole spec: its metrics by name and the
    thresholds its alerts imply. Spec-wide, so built once per render, not once per dashboard."""

    metrics: dict[str, Metric]
    applies: Callable[[str | None, str], bool]
    thresholds: dict[str, list[ThresholdStep]]
    # what each distinct panel query says (`QueryReading`), for every dashboard of the render:
    # read with `metrics` and `applies` above, so it lives exactly as long as they do
    readings: dict[tuple[str, tuple[tuple[str, str, str], ...]], QueryReading] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: Spec) -> SpecIndexes:
        metrics = {m.name: m for service in spec.services for m in service.metrics}
        return cls(metrics, filter_applies(metrics), thresholds_by_expression(spec))


def dashboard_model(spec: Spec, plan: PlannedDashboard, shared: SpecIndexes | None = None) -> dict[str, Any]:
    dashboard = plan.dashboard
    shared = shared or SpecIndexes.of(spec)
    metrics = shared.metrics
    context = PanelContext(
        metrics=metrics,
        filters=[(label, "=~", f"${label}") for label in label_filters(dashboard)],
        applies=shared.applies,
        thresholds=shared.thresholds,
        readings=shared.readings,
        alert_filter=_alert_filter(plan),
        automatic=plan.automatic,
        datasources={kind: {"type": kind, "uid": f"${{{name}}}"}
                     for kind, name in datasource_variables(dashboard).items()},
    )
    numbered = {id(panel): panel_id for panel_id, panel in panel_ids(dashboard)}
    panels: list[dict[str, Any]] = []
    y = 0
    top_positions, y = layout_block([panel_size(p) for p in dashboard.panels], y)
    panels += [
        panel_model(p, numbered[id(p)], pos, context)
        for p, pos in zip(dashboard.panels, top_positions, strict=True)
    ]
    for row, row_id in zip(dashboard.rows, row_ids(dashboard), strict=True):
        row_model: dict[str, Any] = {
            "collapsed": row.collapsed,
            "gridPos": {"h": 1, "w": GRID_COLUMNS, "x": 0, "y": y},
            "id": row_id,
            "panels": [],
            "title": row.title,
            "type": "row",
        }
        if row.repeat:
            row_model["repeat"] = row.repeat
        positions, end = layout_block([panel_size(p) for p in row.panels], y + 1)
        children = [
            panel_model(p, numbered[id(p)], pos, context)
            for p, pos in zip(row.panels, positions, strict=True)
        ]
        panels.append(row_model)
        if row.collapsed:  # a collapsed row carries its panels; the grid continues right below it
            row_model["panels"] = children
            y += 1
        else:
            panels += children
            y = end
    model: dict[str, Any] = {
        "annotations": {"list": [BUILTIN_ANNOTATION]},
        "editable": False,  # provisioned: Grafana refuses to save UI changes anyway
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,  # shared crosshair: panels of one dashboard are read together
        "id": None,  # Grafana assigns it; the uid is the stable identity
        "links": [project_link(spec.project)],
        "panels": panels,
        "refresh": dashboard.refresh or "1m",
        "schemaVersion": schema_version(spec),
        "tags": [*dashboard.tags, *([spec.project] if spec.project not in dashboard.tags else [])],
        # the anchors' metric names from the panels' readings: each query's tree walked once
        "templating": {"list": variables(dashboard, metrics, lambda expr: context.reading(expr).names,
                                         shared.applies)},
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": dashboard.title,
        "uid": plan.uid,
        "weekStart": "",
    }
    if dashboard.description:
        model["description"] = dashboard.description
    return model  # its keys are sorted when it is written (`dashboard_file`)


def _alert_filter(plan: PlannedDashboard) -> str:
    return f"service={json.dumps(plan.service)}" if plan.service else ""


def variables(dashboard: Dashboard, metrics: dict[str, Metric],
              names_of: Callable[[str], Sequence[str]],
              applies: Callable[[str | None, str], bool] | None = None) -> list[dict[str, Any]]:
    """The datasource variable, then one label_values filter per label, each narrowed by the ones
    before it (instance lists the instances of the chosen jobs). `names_of`: the metric names a
    query reads, in order of appearance (`metric_names`)."""
    applies = applies or filter_applies(metrics)
    datasources = datasource_variables(dashboard)
    found: list[dict[str, Any]] = [
        datasource_variable(kind, name, "Data source" if len(datasources) == 1 else f"{kind.title()} data source")
        for kind, name in datasources.items()
    ]
    prometheus = {"type": "prometheus", "uid": f"${{{datasources['prometheus']}}}"}
    before: list[tuple[str, str, str]] = []
    for label in label_filters(dashboard):
        anchor = _anchor_metric(dashboard, functools.partial(_has_label, applies, label), names_of)
        selector = with_matchers(anchor, before, applies) if before else anchor
        query = f"label_values({selector}, {label})"
        found.append(
            {
                "allValue": ".+",
                "datasource": prometheus,
                "definition": query,
                "hide": 0,
                "includeAll": True,
                "label": label.replace("_", " ").title(),
                "multi": True,
                "name": label,
                "options": [],
                "query": query,
                "refresh": 2,  # on time range change: new jobs and instances appear
                "regex": "",
                "sort": 1,
                "type": "query",
            }
        )
        before.append((label, "=~", f"${label}"))
    return found


def _has_label(applies: Callable[[str | None, str], bool], label: str, metric: str) -> bool:
    return applies(metric, label)


def _anchor_metric(dashboard: Dashboard, has_label: Callable[[str], bool],
                   names_of: Callable[[str], Sequence[str]]) -> str:
    """The metric a label filter lists its values from: the first the dashboard reads that has
    the label (`up` has job and instance)."""
    for panel, _row in all_panels(dashboard):
        for expr, _ in panel_queries(panel):
            for name in names_of(expr):
                if has_label(name):
                    return name
    return "up"


def panel_size(panel: Panel) -> tuple[int, int]:
    width, height = DEFAULT_SIZE[panel.type]
    width = panel.width if panel.width is not None else width
    height = panel.height if panel.height is not None else height
    return min(max(width, 1), GRID_COLUMNS), max(height, 1)


def layout(sizes: list[tuple[int, int]]) -> list[dict[str, int]]:
    return layout_block(sizes, 0)[0]


def layout_block(sizes: list[tuple[int, int]], top: int) -> tuple[list[dict[str, int]], int]:
    """Left to right on the 24-column grid from row `top`; a panel that does not fit starts a new
    line. No holes: the last panel of a line stretches to the right edge and every panel of a line
    takes the line's height. Returns the positions and the first free row below them."""
    lines: list[list[dict[str, int]]] = []
    x = GRID_COLUMNS
    for width, height in sizes:
        if x + width > GRID_COLUMNS:
            lines.append([])
            x = 0
        lines[-1].append({"h": height, "w": width, "x": x, "y": 0})
        x += width
    positions = []
    y = top
    for line in lines:
        height = max(p["h"] for p in line)
        last = line[-1]
        last["w"] = GRID_COLUMNS - last["x"]
        for pos in line:
            pos.update(h=height, y=y)
            positions.append(pos)
        y += height
    return positions, y


@dataclass(frozen=True)
class QueryReading:
    """What a dashboard reads from one panel query, all from one parse of it (each used to parse
    it again): the query as the panel shows it (with the dashboard's filters), the metric names
    it selects, its expression key (ranges blanked: the alert on it) and its display unit."""

    shown: str
    names: tuple[str, ...]
    key: str | None
    unit: str | None


def read_query(text: str, filters: Matchers, applies: Applies, metrics: dict[str, Metric]) -> QueryReading:
    """The `QueryReading` of `text`: what `with_matchers`, `metric_names`, `expression_key` and
    `derive_unit` give, read from one tree."""
    parsed = parse_query(text)
    if parsed is None:  # as each of them answers for text that does not parse
        return QueryReading(text, (), None, derive_unit(text, metrics))
    tree, variables = parsed
    try:
        shown, key, names = shown_key_and_names(tree, variables, extra=filters, applies=applies)
    except RecursionError:  # as with_matchers and expression_key: the text as written, no key
        return QueryReading(text, selector_names(tree), None, tree_unit(tree, metrics))
    # without filters, with_matchers gives the text as written
    return QueryReading(shown if filters else text, names, key, tree_unit(tree, metrics))


@dataclass(frozen=True)
class PanelContext:
    metrics: dict[str, Metric]
    filters: list[tuple[str, str, str]]  # label matchers every selector gets (where its metric has the label)
    applies: Callable[[str | None, str], bool]
    thresholds: dict[str, list[ThresholdStep]]  # by expression key, from alerts
    alert_filter: str
    automatic: bool
    datasources: dict[str, dict[str, str]]  # type -> reference through the dashboard's variable
    # query readings by (query, filters): for `metrics` and `applies`, so shared only where they are
    readings: dict[tuple[str, tuple[tuple[str, str, str], ...]], QueryReading] = field(default_factory=dict)

    def reading(self, text: str) -> QueryReading:
        memo = (text, tuple(self.filters))
        found = self.readings.get(memo)
        if found is None:
            found = self.readings[memo] = read_query(text, self.filters, self.applies, self.metrics)
        return found


@dataclass(frozen=True)
class PanelReading:
    """What the parts of one panel's model read from its queries, worked out once per panel."""

    queries: list[tuple[str, str | None]]
    readings: list[QueryReading]
    metric: Metric | None  # the one spec metric the queries read (`single_metric`)

    @classmethod
    def of(cls, panel: Panel, context: PanelContext) -> PanelReading:
        queries = panel_queries(panel)
        readings = [context.reading(expr) for expr, _ in queries]
        return cls(queries, readings, only_family((n for r in readings for n in r.names), context.metrics))

    def boolean_metric(self) -> Metric | None:
        return self.metric if self.metric is not None and is_boolean_gauge(self.metric) else None


def panel_model(panel: Panel, panel_id: int, grid_pos: dict[str, int], context: PanelContext) -> dict[str, Any]:
    read = PanelReading.of(panel, context)
    queries = read.queries
    model: dict[str, Any] = {
        "gridPos": grid_pos,
        "id": panel_id,
        "options": panel_options(panel),
        "title": panel.title,
        "type": panel.type,
    }
    unit = panel.unit
    if panel.type == "text":
        model["fieldConfig"] = {"defaults": {}, "overrides": []}
    elif panel.type == "alertlist":
        model["fieldConfig"] = {"defaults": {}, "overrides": []}
        model["options"]["alertInstanceLabelFilter"] = (
            "{" + context.alert_filter + "}" if context.alert_filter else ""
        )
    elif panel.logql is not None:
        model["datasource"] = context.datasources["loki"]
        model["targets"] = [
            {
                "datasource": context.datasources["loki"],
                "editorMode": "code",
                "expr": panel.logql,
                "queryType": "range",
                "refId": "A",
            }
        ]
    else:
        model["datasource"] = context.datasources["prometheus"]
        model["targets"] = [
            prometheus_target(
                reading.shown,
                legend,
                REF_IDS[i % len(REF_IDS)] * (1 + i // len(REF_IDS)),
                panel.type,
                context.datasources["prometheus"],
            )
            for i, ((_, legend), reading) in enumerate(zip(queries, read.readings, strict=True))
        ]
        if panel.type == "heatmap":  # the value axis is the buckets' unit; cells count observations
            names = [n for reading in read.readings for n in reading.names]
            y_unit = observation_unit(names[0], context.metrics) if names else None
            if y_unit is not None:
                model["options"]["yAxis"]["unit"] = y_unit
            unit = unit or "short"
        if unit is None:
            unit = agreed_unit(reading.unit for reading in read.readings)
        if unit is None and context.automatic:  # every panel of an automatic dashboard has a unit
            unit = "none" if read.boolean_metric() is not None else "short"
    if panel.type not in ("text", "alertlist"):
        model["fieldConfig"] = {
            "defaults": field_defaults(panel, unit, context, read),
            "overrides": [override_model(o) for o in panel.overrides],
        }
    description = description_of(panel, read.metric)
    if description:
        model["description"] = description
    return model


def panel_thresholds(panel: Panel, context: PanelContext, read: PanelReading) -> list[ThresholdStep] | None:
    """The spec's steps, else those of an alert on the same expression, else Up/Down colours."""
    if panel.thresholds is not None:
        return panel.thresholds
    for reading in read.readings:
        key = reading.key
        if key is not None and key in context.thresholds:
            return context.thresholds[key]
    if read.boolean_metric() is not None:
        return [ThresholdStep(color="red"), ThresholdStep(color="green", value=1)]
    return None


def panel_mappings(panel: Panel, read: PanelReading) -> list[dict[str, Any]]:
    if panel.mappings is not None:
        given = panel.mappings
        options: dict[str, dict[str, Any]] = {}
        for index, (value, result) in enumerate(given.items()):
            text, colour = (result, None) if isinstance(result, str) else (result.text, result.color)
            option: dict[str, Any] = {"index": index, "text": text}
            if colour:
                option["color"] = colour
            options[_number_text(value)] = option
        return [{"options": options, "type": "value"}] if options else []
    if read.boolean_metric() is not None and panel.type in ("stat", "gauge", "state-timeline", "table"):
        return [{
            "options": {
                value: {"color": colour, "index": i, "text": text}
                for i, (value, (text, colour)) in enumerate(UP_DOWN.items())
            },
            "type": "value",
        }]
    return []


def _number_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def override_model(override: SeriesOverride) -> dict[str, Any]:
    if override.series is not None:
        matcher = {"id": "byName", "options": override.series}
    else:
        matcher = {"id": "byRegexp", "options": override.series_regex or ".*"}
    properties: list[dict[str, Any]] = []
    if override.color is not None:
        properties.append({"id": "color", "value": {"fixedColor": override.color, "mode": "fixed"}})
    for key, prop in (("unit", "unit"), ("min", "min"), ("max", "max"), ("decimals", "decimals"),
                      ("display_name", "displayName")):
        value = getattr(override, key)
        if value is not None:
            properties.append({"id": prop, "value": value})
    if override.fill is not None:
        properties.append({"id": "custom.fillOpacity", "value": override.fill})
    if override.axis is not None:
        if override.axis == "hidden":
            properties.append({"id": "custom.hideFrom", "value": {"legend": False, "tooltip": False, "viz": True}})
        else:
            properties.append({"id": "custom.axisPlacement", "value": override.axis})
    return {"matcher": matcher, "properties": properties}


def prometheus_target(expr: str, legend: str | None, ref_id: str, panel_type: str,
                      datasource: dict[str, str]) -> dict[str, Any]:
    target: dict[str, Any] = {"datasource": datasource, "editorMode": "code", "expr": expr, "refId": ref_id}
    if panel_type == "table":  # one row per series, current values
        target.update(format="table", instant=True, range=False)
    elif panel_type == "heatmap":  # buckets as the heatmap's rows, ordered by le
        target.update(format="heatmap", instant=False, range=True)
    else:
        target.update(instant=False, range=True)
    if legend is not None:
        target["legendFormat"] = legend  # verbatim: `{{command}}` is Grafana's own template
    return target


BASE_THRESHOLDS = {"mode": "absolute", "steps": [{"color": "green", "value": None}]}
REDUCE_LAST = {"calcs": ["lastNotNull"], "fields": "", "values": False}


def field_defaults(panel: Panel, unit: str | None, context: PanelContext, read: PanelReading) -> dict[str, Any]:
    panel_type = panel.type
    if panel_type == "logs":
        return {}
    steps = panel_thresholds(panel, context, read)
    defaults: dict[str, Any] = {
        "mappings": panel_mappings(panel, read),
        "thresholds": (
            {"mode": "absolute", "steps": [{"color": s.color, "value": _number(s.value)} for s in steps]}
            if steps else BASE_THRESHOLDS
        ),
    }
    if panel_type in ("timeseries", "piechart", "bargauge"):
        defaults["color"] = {"mode": "palette-classic"}
    else:
        defaults["color"] = {"mode": "thresholds"}
    if panel_type == "timeseries":
        defaults["custom"] = {
            **timeseries_custom(panel.stacking or "none"),
            "thresholdsStyle": {"mode": "line" if steps else "off"},  # an alert's threshold is drawn
        }
        if panel.fill is not None:
            defaults["custom"]["fillOpacity"] = panel.fill
    elif panel_type == "state-timeline":
        defaults["custom"] = {
            "fillOpacity": panel.fill if panel.fill is not None else 70,
            "hideFrom": {"legend": False, "tooltip": False, "viz": False},
            "lineWidth": 0,
        }
    elif panel_type == "heatmap":
        defaults["custom"] = {
            "hideFrom": {"legend": False, "tooltip": False, "viz": False},
            "scaleDistribution": {"type": "linear"},
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
    for key in ("min", "max", "decimals"):
        if getattr(panel, key) is not None:
            defaults[key] = _number(getattr(panel, key))
    return defaults


def _number(value: float | None) -> float | int | None:
    """5.0 as 5, as Grafana writes it."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def legend(panel: Panel, placement: str = "bottom") -> dict[str, Any]:
    given = panel.legend_options
    if given is None:
        return {"calcs": [], "displayMode": "list", "placement": placement, "showLegend": True}
    return {
        "calcs": [*given.calcs],
        "displayMode": given.mode,
        "placement": given.placement,
        "showLegend": given.mode != "hidden",
    }


def panel_options(panel: Panel) -> dict[str, Any]:
    panel_type = panel.type
    tooltip = {"mode": "multi", "sort": "desc"}
    if panel_type == "timeseries":
        return {"legend": legend(panel), "tooltip": tooltip}
    if panel_type == "state-timeline":
        return {
            "alignValue": "left",
            "legend": legend(panel),
            "mergeValues": True,
            "rowHeight": 0.9,
            "showValue": "auto",
            "tooltip": {"mode": "single", "sort": "none"},
        }
    if panel_type == "heatmap":
        return {
            "calculate": False,  # Prometheus buckets are already a histogram
            "cellGap": 1,
            "color": {"exponent": 0.5, "fill": "dark-orange", "mode": "scheme", "reverse": False,
                      "scale": "exponential", "scheme": "Oranges", "steps": 64},
            "legend": {"show": True},
            "rowsFrame": {"layout": "auto"},
            "tooltip": {"mode": "single", "showColorScale": False, "yHistogram": False},
            "yAxis": {"axisPlacement": "left", "reverse": False},
        }
    if panel_type == "text":
        return {
            "code": {"language": "plaintext", "showLineNumbers": False, "showMiniMap": False},
            "content": panel.content or "",
            "mode": "markdown",
        }
    if panel_type == "alertlist":
        return {
            "alertInstanceLabelFilter": "",
            "alertName": "",
            "dashboardAlerts": False,
            "groupBy": [],
            "groupMode": "default",
            "maxItems": 20,
            "sortOrder": 1,
            "stateFilter": {"error": True, "firing": True, "noData": False, "normal": False, "pending": True},
            "viewMode": "list",
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
            "legend": {**legend(panel, "right"), "values": ["value"]},
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
        "trace_id_regex": grafana_literal(wiring.trace_id_regex(spec)),
        "join_label": wiring.join_label(spec),  # Tempo maps a span's service.name to it
        "trace_link": "$${__value.raw}",  # Grafana's own variable, escaped from provisioning expansion
    }

"""A Grafana dashboard (classic JSON) -> a spec dashboard: title, uid, tags, panels and their queries.

Rows are flattened (a collapsed row's panels included); `graph` becomes `timeseries` and
`singlestat` `stat`, the types Grafana itself migrates them to. What khaosobs derives itself
(layout positions, options, colours, thresholds) is not carried, and the report says so once
per dashboard; a panel type or variable the spec cannot express is listed by name.
"""

from __future__ import annotations

from typing import Any

from khaosobs.domain.dashboards import (
    DEFAULT_LABEL_FILTERS,
    GRAFANA_MAJORS,
    OVERVIEW_TAG,
    PANELS_WITHOUT_QUERY,
    filter_applies,
    grafana_schema_version,
    overview_uid,
    project_link,
)
from khaosobs.domain.naming import dashboard_uid, slo_dashboard_uid
from khaosobs.domain.promql_print import without_matchers
from khaosobs.domain.units import common_unit
from khaosobs.importer.report import ImportReport
from khaosobs.spec.model import Metric, Panel, ThresholdStep
from khaosobs.targets.grafana import DEFAULT_SIZE, PanelContext, panel_model

PANEL_TYPES = {"timeseries": "timeseries", "graph": "timeseries", "stat": "stat", "singlestat": "stat",
               "gauge": "gauge", "bargauge": "bargauge", "piechart": "piechart", "table": "table",
               "table-old": "table", "logs": "logs", "heatmap": "heatmap", "state-timeline": "state-timeline",
               "text": "text", "alertlist": "alertlist"}
# what a panel option of the spec is in the panel's JSON (khaosobs.targets.grafana writes them)
OPTION_KEYS = ("thresholds", "min", "max", "decimals", "mappings", "stacking", "fill", "legend_options",
               "overrides", "content")
DEFAULT_REFRESH = "1m"


def _placed_panels(dashboard: dict[str, Any]) -> list[tuple[dict[str, Any] | None, dict[str, Any] | None]]:
    """(panel, the row it is in) in order: a row holds the panels after it up to the next row, or,
    collapsed, its own `panels`; a row without panels is listed once as (None, row). The schema before
    16 (`rows`) is flattened."""
    placed: list[tuple[dict[str, Any] | None, dict[str, Any] | None]] = []
    row: dict[str, Any] | None = None
    for panel in dashboard.get("panels") or []:
        if not isinstance(panel, dict):
            continue
        if panel.get("type") == "row":
            row = panel
            placed.append((None, row))
            placed.extend((p, row) for p in panel.get("panels") or [] if isinstance(p, dict))
            continue
        placed.append((panel, row))
    for old_row in dashboard.get("rows") or []:
        if isinstance(old_row, dict):
            placed.extend((p, None) for p in old_row.get("panels") or [] if isinstance(p, dict))
    return placed


def grafana_target(schema_version: Any) -> str | None:
    """The `targets.grafana` major whose oldest release writes `schema_version` (domain.dashboards)."""
    majors = [major for major in GRAFANA_MAJORS if grafana_schema_version((major, 0, 0)) == schema_version]
    return str(majors[0]) if majors and majors[0] != GRAFANA_MAJORS[0] else None  # the first is the default


def _is_loki(panel: dict[str, Any], target: dict[str, Any]) -> bool:
    for source in (target.get("datasource"), panel.get("datasource")):
        if isinstance(source, dict) and source.get("type"):
            return bool(source["type"] == "loki")
        if isinstance(source, str) and source:
            return "loki" in source.lower()
    return panel.get("type") == "logs"


def derived_dashboard(dashboard: dict[str, Any]) -> tuple[str, str] | None:
    """("overview" | "slo", service) when `dashboard` is one render derives from a service (its
    automatic overview, its SLO dashboard): by its tag and its uid, which a team's own cannot share."""
    tags = [str(t) for t in dashboard.get("tags") or [] if isinstance(t, str)]
    uid = str(dashboard.get("uid") or "")
    for tag in tags:
        if OVERVIEW_TAG in tags and uid == overview_uid(tag):
            return "overview", tag
        if "slo" in tags and uid == slo_dashboard_uid(tag):
            return "slo", tag
    return None


def _label_variable(variable: dict[str, Any]) -> str | None:
    """The label of a `label_values(…, label)` query variable named after it: a spec variable."""
    query = variable.get("query")
    text = query.get("query") if isinstance(query, dict) else query
    name = variable.get("name")
    if variable.get("type", "query") != "query" or not isinstance(text, str) or not isinstance(name, str):
        return None
    stripped = text.strip()
    if stripped.startswith("label_values(") and stripped.endswith(")"):
        label = stripped[len("label_values("):-1].rsplit(",", 1)[-1].strip()
        return name if label == name else None
    return None


def import_dashboard(dashboard: dict[str, Any], origin: str, project: str, report: ImportReport,
                     metrics: dict[str, Metric] | None = None,
                     thresholds: dict[str, list[ThresholdStep]] | None = None) -> dict[str, Any]:
    """`metrics`: the spec's declared metrics, from which khaosobs derives a panel's unit;
    `thresholds`: those render derives from the spec's alerts (by expression key)."""
    title = str(dashboard.get("title") or "")
    where = f"{origin}: dashboard {title!r}"
    out: dict[str, Any] = {"title": title}
    uid = dashboard.get("uid")
    if uid and str(uid) != dashboard_uid(title, project):
        out["uid"] = str(uid)
    if dashboard.get("description"):
        out["description"] = str(dashboard["description"])
    if dashboard.get("tags"):
        out["tags"] = [str(tag) for tag in dashboard["tags"]]
    refresh = dashboard.get("refresh")
    if isinstance(refresh, str) and refresh and refresh != DEFAULT_REFRESH:
        out["refresh"] = refresh
    variables = (dashboard.get("templating") or {}).get("list") or []
    filters: list[str] = []
    for variable in variables:
        if not isinstance(variable, dict):
            continue
        name, kind = variable.get("name"), variable.get("type", "query")
        if name in DEFAULT_LABEL_FILTERS or kind == "datasource":
            # render gives every dashboard its own datasource and job/instance variables
            report.note(where, f"variable ${name} ({kind}): khaosobs' own variable of that kind replaces it")
        elif (label := _label_variable(variable)) is not None:
            filters.append(label)
            report.note(where, f"variable ${name}: a spec variable (render adds {name}=~\"${name}\" to "
                        "every query whose series can carry it)")
        else:  # a spec variable is a label_values filter injected into every query: not the same thing
            report.omit(where, f"variable ${name} ({kind}): the spec's dashboard variables are label filters "
                        "injected into every query; queries keep `$` references as written")
    if filters:
        out["variables"] = filters
    annotations = [a for a in (dashboard.get("annotations") or {}).get("list") or []
                   if isinstance(a, dict) and not a.get("builtIn")]
    if annotations:
        report.omit(where, f"{len(annotations)} annotation queries")
    links = [link for link in dashboard.get("links") or [] if link != project_link(project)]
    if len(links) < len(dashboard.get("links") or []):
        report.note(where, "the link to the project's dashboards: render writes it again")
    if links:
        report.omit(where, f"{len(links)} dashboard links")
    # render adds `label=~"$label"` for each filter to every selector (khaosobs.domain.dashboards):
    # taken away here on the parsed tree, so render adds them back where they were, and only there
    injected = [(label, "=~", f"${label}") for label in (*DEFAULT_LABEL_FILTERS, *filters)]
    # what render derives a panel's options from, to confirm each option read (see _with_options)
    context = PanelContext(metrics=metrics or {}, filters=[], applies=filter_applies(metrics or {}),
                           thresholds=thresholds or {}, alert_filter="", automatic=False,
                           datasources={kind: {"type": kind, "uid": kind} for kind in ("prometheus", "loki")})
    panels: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for panel, row in _placed_panels(dashboard):
        if row is not None and (not rows or rows[-1]["_source"] is not row):
            rows.append({"_source": row, "title": str(row.get("title") or ""), "panels": []})
            if row.get("collapsed") is True:
                rows[-1]["collapsed"] = True
            repeat = row.get("repeat")
            if isinstance(repeat, str) and repeat in (*DEFAULT_LABEL_FILTERS, *filters):
                rows[-1]["repeat"] = repeat
            elif isinstance(repeat, str) and repeat:  # a spec row repeats for a label filter only
                report.omit(f"{where}: row {row.get('title')!r}", f"repeat for ${repeat} (not a label filter: "
                            "the row is carried once)")
        if panel is None:
            continue
        imported = _panel(panel, where, report, metrics or {}, injected, context)
        if imported is not None:
            (rows[-1]["panels"] if row is not None else panels).append(imported)
    if panels:
        out["panels"] = panels
    if rows:
        out["rows"] = [{k: v for k, v in r.items() if k != "_source" and (k != "panels" or v)} for r in rows]
    if panels or rows:
        report.note(where, "the layout is khaosobs' own (sizes are carried, positions follow khaosobs' grid layout)")
    return out


def _panel(panel: dict[str, Any], where: str, report: ImportReport, metrics: dict[str, Metric],
           injected: list[tuple[str, str, str]], context: PanelContext | None = None) -> dict[str, Any] | None:
    title = str(panel.get("title") or "")
    source_type = str(panel.get("type", "graph"))
    panel_where = f"{where}: panel {title!r}"
    if source_type == "row":
        return None  # rows are layout; their panels are carried one by one
    panel_type = PANEL_TYPES.get(source_type)
    if panel_type is None:
        report.omit(panel_where, f"panel type {source_type!r} (the spec's types: "
                    f"{', '.join(sorted(set(PANEL_TYPES.values())))})")
        return None
    targets = [t for t in panel.get("targets") or [] if isinstance(t, dict)]
    queries = [t for t in targets if isinstance(t.get("expr"), str) and t["expr"].strip()]
    if len(queries) < len(targets):
        report.omit(panel_where, f"{len(targets) - len(queries)} target(s) without an `expr` query")
    if not queries and panel_type not in PANELS_WITHOUT_QUERY:
        report.omit(panel_where, "panel without a PromQL or LogQL query")
        return None
    out: dict[str, Any] = {"title": title, "type": panel_type}
    if panel.get("description"):
        out["description"] = str(panel["description"])
    if panel_type in PANELS_WITHOUT_QUERY:
        if panel_type == "text" and isinstance((panel.get("options") or {}).get("content"), str):
            out["content"] = panel["options"]["content"]
        return _with_size(out, panel, panel_type)
    loki = [q for q in queries if _is_loki(panel, q)]
    queries = [q if q in loki else {**q, "expr": without_matchers(q["expr"], injected)} for q in queries]
    if loki:
        if len(queries) > 1:
            report.omit(panel_where, f"{len(queries) - 1} more queries (a logs panel has one LogQL query)")
        out["logql"] = loki[0]["expr"]
    elif len(queries) == 1:
        out["expr"] = queries[0]["expr"]
        if "legendFormat" in queries[0]:
            out["legend"] = str(queries[0]["legendFormat"])
    else:
        out["targets"] = [{"expr": q["expr"], **({"legend": str(q["legendFormat"])} if "legendFormat" in q else {})}
                          for q in queries]
    unit = _unit(panel)
    derived = None if loki else common_unit([q["expr"] for q in queries], metrics)
    if unit is not None and unit != derived:
        out["unit"] = unit
    if context is not None:
        out = _with_options(out, panel, context, panel_where, report)
    return _with_size(out, panel, panel_type)


def _with_size(out: dict[str, Any], panel: dict[str, Any], panel_type: str) -> dict[str, Any]:
    grid = panel.get("gridPos") if isinstance(panel.get("gridPos"), dict) else {}
    assert isinstance(grid, dict)
    width, height = DEFAULT_SIZE[panel_type]
    if isinstance(grid.get("w"), int) and grid["w"] != width:
        out["width"] = grid["w"]
    if isinstance(grid.get("h"), int) and grid["h"] != height:
        out["height"] = grid["h"]
    return out


def _options(panel: dict[str, Any]) -> dict[str, Any]:
    """The spec's panel options as the panel's JSON holds them (the inverse of the Grafana target)."""
    field: dict[str, Any] = panel["fieldConfig"] if isinstance(panel.get("fieldConfig"), dict) else {}
    defaults: dict[str, Any] = field["defaults"] if isinstance(field.get("defaults"), dict) else {}
    custom: dict[str, Any] = defaults["custom"] if isinstance(defaults.get("custom"), dict) else {}
    out: dict[str, Any] = {}
    steps = (defaults.get("thresholds") or {}).get("steps")
    if isinstance(steps, list) and steps:
        out["thresholds"] = [{"color": s["color"], **({"value": s["value"]} if s.get("value") is not None else {})}
                             for s in steps if isinstance(s, dict) and "color" in s]
    for key in ("min", "max", "decimals"):
        if isinstance(defaults.get(key), (int, float)):
            out[key] = defaults[key]
    mappings = {}
    for mapping in defaults.get("mappings") or []:
        if isinstance(mapping, dict) and mapping.get("type") == "value":
            for value, option in sorted((mapping.get("options") or {}).items(), key=lambda i: i[1].get("index", 0)):
                text = option.get("text", "")
                mappings[str(value)] = {"text": text, "color": option["color"]} if option.get("color") else text
    if mappings:
        out["mappings"] = mappings
    if isinstance((custom.get("stacking") or {}).get("mode"), str):
        out["stacking"] = custom["stacking"]["mode"]
    if isinstance(custom.get("fillOpacity"), int):
        out["fill"] = custom["fillOpacity"]
    legend = (panel.get("options") or {}).get("legend")
    if isinstance(legend, dict) and "displayMode" in legend:
        mode = "hidden" if legend.get("showLegend") is False else legend["displayMode"]
        out["legend_options"] = {"mode": mode, "placement": legend.get("placement", "bottom"),
                                 "calcs": list(legend.get("calcs") or [])}
    overrides = [o for o in (_override(o) for o in field.get("overrides") or []) if o is not None]
    if overrides:
        out["overrides"] = overrides
    return out


def _override(override: Any) -> dict[str, Any] | None:
    if not isinstance(override, dict):
        return None
    matcher = override.get("matcher") or {}
    out: dict[str, Any] = {}
    if matcher.get("id") == "byName":
        out["series"] = matcher.get("options")
    elif matcher.get("id") == "byRegexp":
        out["series_regex"] = matcher.get("options")
    else:
        return None
    names = {"unit": "unit", "min": "min", "max": "max", "decimals": "decimals", "displayName": "display_name",
             "custom.fillOpacity": "fill", "custom.axisPlacement": "axis"}
    for prop in override.get("properties") or []:
        if not isinstance(prop, dict):
            continue
        if prop.get("id") == "color" and isinstance(prop.get("value"), dict):
            out["color"] = prop["value"].get("fixedColor")
        elif prop.get("id") == "custom.hideFrom":
            out["axis"] = "hidden"
        elif prop.get("id") in names:
            out[names[prop["id"]]] = prop.get("value")
    return out


def _sections(panel: dict[str, Any]) -> tuple[Any, Any]:
    return panel.get("fieldConfig"), panel.get("options")


def _with_options(out: dict[str, Any], panel: dict[str, Any], context: PanelContext, where: str,
                  report: ImportReport) -> dict[str, Any]:
    """`out` with the panel options that make render write this panel's field config and options:
    each read from the JSON, then left out again when render derives the same without it."""
    def rendered(candidate: dict[str, Any]) -> tuple[Any, Any] | None:
        try:
            model = Panel.model_validate(candidate, strict=False)
            return _sections(panel_model(model, 1, {"h": 1, "w": 1, "x": 0, "y": 0}, context))
        except (ValueError, TypeError, KeyError):
            return None

    candidate = {**out, **_options(panel)}
    whole = rendered(candidate)
    if whole is None:
        return out
    source = _sections(panel)
    for key in [k for k in OPTION_KEYS if k in candidate]:
        trial = {k: v for k, v in candidate.items() if k != key}
        # left out when render derives the same without it, or gives the panel exactly without it
        # (the base step of Grafana's thresholds: written, it would also draw a threshold line)
        if rendered(trial) in (whole, source):
            candidate, whole = trial, rendered(trial)
    if whole != source:
        report.note(where, "options, thresholds, colours and overrides carried where the spec has them; "
                    "the rest is khaosobs' own")
    return candidate


def _unit(panel: dict[str, Any]) -> str | None:
    defaults = (panel.get("fieldConfig") or {}).get("defaults") or {}
    if isinstance(defaults.get("unit"), str) and defaults["unit"]:
        return str(defaults["unit"])
    for axis in panel.get("yaxes") or []:  # the old graph panel
        if isinstance(axis, dict) and isinstance(axis.get("format"), str) and axis["format"] != "short":
            return str(axis["format"])
        break
    if isinstance(panel.get("format"), str) and panel["format"] not in ("", "none"):  # singlestat
        return str(panel["format"])
    return None

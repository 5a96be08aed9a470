"""A Python port of grafana/dashboard-linter's Prometheus rules (lint/rule_*.go), as a test oracle.

Each rule reads the dashboard JSON only, as the Go linter does, never khaosobs' model:
- template-datasource-rule: a `datasource` variable (named `datasource`, labelled `Data source`);
- template-job-rule, template-instance-rule: query variables `job` / `instance` on `$datasource`,
  labelled `Job` / `Instance`, multi-select, allValue `.+`;
- template-on-time-change-reload: query variables refresh on time range change (2);
- template-label-promql-rule: a query variable is label_values/label_names/metrics/query_result
  over valid PromQL (the port parses the selector argument, which is what Grafana evaluates);
- panel-datasource-rule: timeseries panels use the datasource variable;
- panel-title-description-rule: stat/timeseries/gauge panels have a title and a description;
- panel-units-rule: stat/timeseries/gauge/table panels have a valid unit;
- target-rate-interval-rule: rate()/irate() ranges are `$__rate_interval`;
- target-counter-agg-rule: `_total` series only inside rate(), irate() or increase();
- target-job-rule, target-instance-rule: every selector has `job=~"$job"` / `instance=~"$instance"`;
- uneditable-dashboard-rule: `editable` is false.
Like the linter, a panel's targets are linted only when the dashboard has a Prometheus
datasource variable; variables are expanded before parsing (`$__rate_interval` -> 8869h, the
linter's magic duration; other range variables to fixed durations; `$x` in strings stays text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import promql_parser

RATE_INTERVAL_MAGIC = "8869h"
RANGE_VARIABLES = {"__rate_interval": RATE_INTERVAL_MAGIC, "__interval": "4321s", "__range": "6h"}
_RANGE_VARIABLE_RE = re.compile(r"(?<=[\[:])\s*\$(?:\{(\w+)\}|(\w+))")
_TEMPLATE_QUERY_RE = re.compile(r"([a-z_]+)\((.+)\)")
# lint/rule_panel_units.go, the Grafana unit ids (abridged to the categories a Prometheus panel uses)
VALID_UNITS = frozenset([
    "none", "string", "short", "percent", "percentunit", "humidity", "dB", "hex0x", "hex", "sci", "locale",
    "pixel", "bytes", "decbytes", "bits", "decbits", "kbytes", "deckbytes", "mbytes", "decmbytes", "gbytes",
    "decgbytes", "tbytes", "dectbytes", "pbytes", "decpbytes", "pps", "binBps", "Bps", "binbps", "bps", "KiBs",
    "Kibits", "KBs", "Kbits", "MiBs", "Mibits", "MBs", "Mbits", "GiBs", "Gibits", "GBs", "Gbits", "TiBs",
    "Tibits", "TBs", "Tbits", "dateTimeAsIso", "dateTimeAsIsoNoDateIfToday", "dateTimeAsUS",
    "dateTimeAsUSNoDateIfToday", "dateTimeAsLocal", "dateTimeAsLocalNoDateIfToday", "dateTimeAsSystem",
    "dateTimeFromNow", "watt", "kwatt", "megwatt", "gwatt", "mwatt", "Wm2", "voltamp", "kvoltamp",
    "voltampreact", "kvoltampreact", "watth", "watthperkg", "kwatth", "kwattm", "amph", "kamph", "mamph",
    "joule", "ev", "amp", "kamp", "mamp", "volt", "kvolt", "mvolt", "dBm", "ohm", "kohm", "Mohm", "farad",
    "celsius", "fahrenheit", "kelvin", "lengthmm", "lengthin", "lengthft", "lengthm", "lengthkm", "lengthmi",
    "hertz", "ns", "µs", "ms", "s", "m", "h", "d", "dtdurationms", "dtdurations", "dthms", "dtdhms",
    "timeticks", "clockms", "clocks", "cps", "ops", "reqps", "rps", "wps", "iops", "cpm", "opm", "rpm", "wpm",
    "bool", "bool_yes_no", "bool_on_off",
])


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # "error" | "warning"
    message: str
    panel: str | None = None  # panel title, for panel and target rules


def lint(dashboard: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    templates = dashboard.get("templating", {}).get("list", [])
    found += _template_datasource(templates)
    for name in ("job", "instance"):
        found += _template(templates, name)
    for template in templates:
        if template.get("type") == "query":
            if template.get("refresh") != 2:
                found.append(Finding("template-on-time-change-reload", "error",
                                     f"variable {template.get('name')} refreshes on {template.get('refresh')}, not 2"))
            if not _template_query_ok(template):
                found.append(Finding("template-label-promql-rule", "error",
                                     f"variable {template.get('name')} has an invalid query {template.get('query')!r}"))
    if dashboard.get("editable"):
        found.append(Finding("uneditable-dashboard-rule", "error", "is editable"))
    ds_templates = [t for t in templates if t.get("type") == "datasource"]
    prometheus_templated = any(t.get("query") == "prometheus" for t in ds_templates)
    for panel in _panels(dashboard):
        found += _panel_rules(panel, ds_templates)
        if not prometheus_templated:
            continue
        for target in panel.get("targets") or []:
            if "expr" in target and (target.get("datasource") or {}).get("type", "prometheus") == "prometheus":
                found += [Finding(rule, "error", message, panel.get("title"))
                          for rule, message in _target_rules(target["expr"])]
    return found


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in dashboard.get("panels") or []:
        if panel.get("type") == "row":
            found += panel.get("panels") or []
        else:
            found.append(panel)
    return found


def _template_datasource(templates: list[dict[str, Any]]) -> list[Finding]:
    datasources = [t for t in templates if t.get("type") == "datasource"]
    if not datasources:
        return [Finding("template-datasource-rule", "error", "no templated data source")]
    found = []
    for t in datasources:
        query = str(t.get("query", ""))
        allowed_names = {f"{query.lower()}_datasource"} | ({"datasource"} if len(datasources) == 1 else set())
        allowed_labels = {f"{query.title()} data source"} | ({"Data source"} if len(datasources) == 1 else set())
        if t.get("name") not in allowed_names:
            found.append(Finding("template-datasource-rule", "error", f"datasource variable named {t.get('name')}"))
        elif t.get("label") not in allowed_labels:
            found.append(Finding("template-datasource-rule", "warning",
                                 f"datasource variable labelled {t.get('label')}"))
    return found


def _template(templates: list[dict[str, Any]], name: str) -> list[Finding]:
    rule = f"template-{name}-rule"
    template = next((t for t in templates if t.get("name") == name), None)
    if template is None:
        return [Finding(rule, "error", f"is missing the {name} template")]
    found = []
    uid = (template.get("datasource") or {}).get("uid")
    if uid not in ("$datasource", "${datasource}", "$prometheus_datasource", "${prometheus_datasource}"):
        found.append(Finding(rule, "error", f"{name} template should use datasource '$datasource', is {uid!r}"))
    if template.get("type") != "query":
        found.append(Finding(rule, "error", f"{name} template should be a Prometheus query"))
    if template.get("label") != name.title():
        found.append(Finding(rule, "warning", f"{name} template should be labelled {name.title()}"))
    if not template.get("multi"):
        found.append(Finding(rule, "error", f"{name} template should be a multi select"))
    if template.get("allValue") != ".+":
        found.append(Finding(rule, "error", f"{name} template allValue should be '.+'"))
    return found


def _template_query_ok(template: dict[str, Any]) -> bool:
    query = template.get("query")
    text = query.get("query") if isinstance(query, dict) else query
    match = _TEMPLATE_QUERY_RE.fullmatch(str(text or "").strip())
    if match is None or match.group(1) not in ("label_names", "label_values", "metrics", "query_result"):
        return False
    argument = match.group(2)
    if match.group(1) == "label_values" and "," in argument:
        argument = argument.rsplit(",", 1)[0]  # label_values(selector, label): the selector is PromQL
    try:
        promql_parser.parse(_expand(argument))
    except ValueError:
        return False
    return True


def _panel_rules(panel: dict[str, Any], ds_templates: list[dict[str, Any]]) -> list[Finding]:
    found = []
    kind, title = panel.get("type"), panel.get("title")
    if kind in ("singlestat", "graph", "table-old", "timeseries"):
        allowed = {f"${t['name']}" for t in ds_templates} | {f"${{{t['name']}}}" for t in ds_templates}
        uid = (panel.get("datasource") or {}).get("uid")
        if uid not in allowed:
            found.append(Finding("panel-datasource-rule", "error", f"uses datasource {uid!r}", title))
    if kind in ("stat", "singlestat", "graph", "table-old", "timeseries", "gauge") and (
        not title or not panel.get("description")
    ):
        found.append(Finding("panel-title-description-rule", "error", "missing title or description", title))
    if kind in ("stat", "singlestat", "graph", "table", "timeseries", "gauge"):
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
        if unit not in VALID_UNITS:
            found.append(Finding("panel-units-rule", "error", f"no or invalid unit {unit!r}", title))
    return found


def _expand(expr: str) -> str:
    def duration(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return RANGE_VARIABLES.get(name, "5m")

    return _RANGE_VARIABLE_RE.sub(duration, expr)


def _target_rules(expr: str) -> list[tuple[str, str]]:
    try:
        tree = promql_parser.parse(_expand(expr))
    except ValueError:
        return [("target-promql-rule", f"invalid PromQL {expr!r}")]
    found: list[tuple[str, str]] = []
    magic = timedelta(hours=8869)

    def visit(node: Any, parents: list[Any]) -> None:
        if isinstance(node, promql_parser.MatrixSelector) and node.range != magic and parents:
            parent = parents[-1]
            if isinstance(parent, promql_parser.Call) and parent.func.name in ("rate", "irate"):
                found.append(("target-rate-interval-rule", f"{expr!r} should use $__rate_interval"))
        if isinstance(node, promql_parser.VectorSelector):
            if (node.name or "").endswith("_total") and not (
                len(parents) >= 2
                and isinstance(parents[-1], promql_parser.MatrixSelector)
                and isinstance(parents[-2], promql_parser.Call)
                and parents[-2].func.name in ("rate", "irate", "increase")
            ):
                found.append(("target-counter-agg-rule", f"counter {node.name} is not aggregated with rate"))
            for label in ("job", "instance"):
                if not any(m.name == label and str(m.op).endswith(".Re") and m.value == f"${label}"
                           for m in node.matchers.matchers):
                    found.append((f"target-{label}-rule", f"{expr!r} has no {label}=~\"${label}\" matcher"))
        for child in _children(node):
            visit(child, [*parents, node])

    visit(tree, [])
    return found


def _children(node: Any) -> list[Any]:
    if isinstance(node, promql_parser.MatrixSelector):
        return [node.vector_selector]
    if isinstance(node, promql_parser.ParenExpr | promql_parser.UnaryExpr | promql_parser.SubqueryExpr):
        return [node.expr]
    if isinstance(node, promql_parser.Call):
        return list(node.args)
    if isinstance(node, promql_parser.AggregateExpr):
        return [c for c in (node.param, node.expr) if c is not None]
    if isinstance(node, promql_parser.BinaryExpr):
        return [node.lhs, node.rhs]
    return []

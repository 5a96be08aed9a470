"""Dashboards as a domain: which dashboards a spec yields, their variables, and the rules an
expert applies to panels. Used by the checks (warnings on hand-written panels) and by the
Grafana target (what it renders), so the two never disagree.

- Every dashboard has a `datasource` variable (two with Loki panels) and label filters `job`, `instance` and the
  dashboard's `variables`; every selector of every Prometheus query gets `label=~"$label"`
  (added on the parsed tree, `promql_print.with_matchers`).
- A service with metrics gets an automatic overview dashboard (unless `overview_dashboard:
  false`), built from its declarations (see `overview_dashboard`).
- Panel ids: the dashboard's panels from 1, then each row (the row itself, then its panels).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import promql_parser

from khaosobs.domain import naming
from khaosobs.domain.promql_print import (
    expression_key,
    threshold_comparison,
    walk_with_parents,
)
from khaosobs.domain.series import SLO_RECORD_PREFIX
from khaosobs.spec.model import Alert, Dashboard, Metric, Panel, PanelTarget, Row, Service, Spec, ThresholdStep

# The classic JSON schemaVersion a Grafana release writes (its DashboardMigrator): 11.0 writes 39,
# 11.6 and 12.0 write 41 (migration 41 dropped timepicker.time_options). A release loads every
# older version and migrates it, so the oldest targeted release decides (11.3-11.5, which write
# 40, get 39).
GRAFANA_MAJORS = (11, 12)
GRAFANA_SCHEMA_VERSIONS: dict[tuple[int, int], int] = {(11, 0): 39, (11, 6): 41, (12, 0): 41}
DATASOURCE_VARIABLE = "datasource"
DEFAULT_LABEL_FILTERS = ("job", "instance")
# Grafana's global variables (https://grafana.com/docs/grafana/latest/dashboards/variables/add-template-variables/#global-variables)
GRAFANA_GLOBALS = frozenset({
    "__interval", "__interval_ms", "__rate_interval", "__rate_interval_ms", "__range", "__range_s",
    "__range_ms", "__from", "__to", "__dashboard", "__org", "__user", "__timezone", "__name",
    "timeFilter", "__timeFilter", "__all_variables", "__url_time_range",
})
_VARIABLE_RE = re.compile(r"\$(\w+)|\$\{(\w+)(?:[:.][^}]*)?\}|\[\[(\w+)(?::\w+)?\]\]")
RATE_FUNCTIONS = frozenset({"rate", "irate"})
COUNTER_FUNCTIONS = frozenset({"rate", "irate", "increase"})
BOOLEAN_GAUGE_SUFFIXES = ("_up", "_connected", "_healthy", "_ready", "_available", "_enabled", "_alive")
_BOOLEAN_HELP_RE = re.compile(r"\b[01]\s*(?:/|or)\s*[01]\b|\([01]\)|\b1 if\b|\bboolean\b", re.IGNORECASE)
UP_DOWN = {"0": ("Down", "red"), "1": ("Up", "green")}
SEVERITY_COLOURS = {"critical": "red", "warning": "orange", "info": "blue", "none": "blue"}
OVERVIEW_TAG = "khaosobs-overview"
PANELS_WITHOUT_QUERY = frozenset({"text", "alertlist"})


@dataclass(frozen=True)
class PlannedDashboard:
    uid: str
    dashboard: Dashboard
    automatic: bool  # built by khaosobs: PromQL written the way the rules below want it
    service: str | None = None  # the service an overview dashboard is about


def grafana_schema_version(version: tuple[int, int, int]) -> int:
    """The schemaVersion of the newest release listed above that is not newer than `version`."""
    known = [v for v in sorted(GRAFANA_SCHEMA_VERSIONS) if v <= version[:2]]
    return GRAFANA_SCHEMA_VERSIONS[known[-1] if known else min(GRAFANA_SCHEMA_VERSIONS)]


def label_filters(dashboard: Dashboard) -> list[str]:
    return [*DEFAULT_LABEL_FILTERS, *(v for v in dashboard.variables if v not in DEFAULT_LABEL_FILTERS)]


def datasource_variables(dashboard: Dashboard) -> dict[str, str]:
    """Datasource type -> variable name: `datasource`, or with Loki panels beside the Prometheus
    ones `prometheus_datasource` and `loki_datasource` (dashboard-linter's names for two)."""
    if any(panel.logql is not None for panel, _ in all_panels(dashboard)):
        return {"prometheus": f"prometheus_{DATASOURCE_VARIABLE}", "loki": f"loki_{DATASOURCE_VARIABLE}"}
    return {"prometheus": DATASOURCE_VARIABLE}


def timeseries_custom(stacking: str = "none") -> dict[str, Any]:
    """A time series panel's draw settings as Grafana's panel editor writes them: the one definition
    for the spec's panels and the generated SLO dashboards."""
    return {
        "axisPlacement": "auto",
        "drawStyle": "line",
        "fillOpacity": 10,
        "gradientMode": "none",
        "lineInterpolation": "linear",
        "lineWidth": 1,
        "pointSize": 5,
        "showPoints": "never",
        "spanNulls": False,
        "stacking": {"group": "A", "mode": stacking},
    }


def datasource_variable(kind: str, name: str, label: str = "Data source") -> dict[str, Any]:
    """A dashboard variable choosing a datasource of `kind` (the provisioned one by default)."""
    return {"hide": 0, "includeAll": False, "label": label, "multi": False, "name": name, "options": [],
            "query": kind, "refresh": 1, "regex": "", "type": "datasource"}


def project_link(project: str) -> dict[str, Any]:
    """Every dashboard of the project, in a dropdown that keeps the time range and the variables."""
    return {
        "asDropdown": True,
        "icon": "external link",
        "includeVars": True,
        "keepTime": True,
        "tags": [project],
        "targetBlank": False,
        "title": project,
        "tooltip": f"Dashboards of {project}",
        "type": "dashboards",
        "url": "",
    }


def defined_variables(dashboard: Dashboard) -> set[str]:
    return {*datasource_variables(dashboard).values(), *label_filters(dashboard)}


def used_variables(text: str) -> list[str]:
    """The Grafana variables `text` refers to (`$x`, `${x}`, `${x:csv}`, `[[x]]`), in order."""
    return [next(g for g in m.groups() if g) for m in _VARIABLE_RE.finditer(text)]


def undefined_variables(text: str, dashboard: Dashboard) -> list[str]:
    used = [v for v in used_variables(text) if v not in GRAFANA_GLOBALS]
    if not used:  # the dashboard's own variables (a walk of its panels) are not needed
        return []
    defined = defined_variables(dashboard)
    return [v for v in used if v not in defined]


def filter_applies(metrics: dict[str, Metric]) -> Callable[[str | None, str], bool]:
    """Whether a selector of `metric` gets the `label` filter: job and instance always (every
    scraped series has them); another label when the spec metric declares it (a series without
    the label would never match `label=~".+"`, the filter's All value)."""

    # asked for every selector of every panel query, of a few labels: answered once per pair
    answers: dict[tuple[str | None, str], bool] = {}

    def decide(metric: str | None, label: str) -> bool:
        if metric is not None and metric.startswith(SLO_RECORD_PREFIX):
            return False  # an SLO's recorded series: summed over every job and instance, it has none
        if label in DEFAULT_LABEL_FILTERS:
            return True
        declared = family(metric, metrics) if metric else None
        return declared is not None and label in declared.labels

    def applies(metric: str | None, label: str) -> bool:
        found = answers.get((metric, label))
        if found is None:
            found = answers[(metric, label)] = decide(metric, label)
        return found

    return applies


def all_panels(dashboard: Dashboard) -> list[tuple[Panel, Row | None]]:
    return [(p, None) for p in dashboard.panels] + [(p, row) for row in dashboard.rows for p in row.panels]


def spec_panels(dashboard: Dashboard, index: int) -> list[tuple[tuple[str | int, ...], Panel]]:
    """Every panel of the spec's dashboard `index` with its path (top panels, then rows')."""
    found: list[tuple[tuple[str | int, ...], Panel]] = [
        (("dashboards", index, "panels", p), panel) for p, panel in enumerate(dashboard.panels)
    ]
    for r, row in enumerate(dashboard.rows):
        found += [(("dashboards", index, "rows", r, "panels", p), panel) for p, panel in enumerate(row.panels)]
    return found


def panel_ids(dashboard: Dashboard) -> list[tuple[int, Panel]]:
    """(id, panel) in Grafana order: top panels, then each row's (its own id first)."""
    numbered = []
    next_id = 1
    for panel in dashboard.panels:
        numbered.append((next_id, panel))
        next_id += 1
    for row in dashboard.rows:
        next_id += 1  # the row
        for panel in row.panels:
            numbered.append((next_id, panel))
            next_id += 1
    return numbered


def row_ids(dashboard: Dashboard) -> list[int]:
    """The id of each row, in the numbering of `panel_ids`."""
    ids = []
    next_id = len(dashboard.panels) + 1
    for row in dashboard.rows:
        ids.append(next_id)
        next_id += 1 + len(row.panels)
    return ids


def panel_queries(panel: Panel) -> list[tuple[str, str | None]]:
    """The PromQL queries of a panel with their legends."""
    return ([(panel.expr, panel.legend)] if panel.expr is not None else []) + [
        (t.expr, t.legend) for t in panel.targets
    ]


# --- the rules of a well-made panel (dashboard-linter's, on the spec) ---------------------------


def fixed_rate_ranges(expr: str) -> list[str]:
    """rate()/irate() calls over a fixed range instead of `$__rate_interval` (their function names)."""
    return list(_query_facts(expr)[0])


def raw_counters(expr: str) -> list[str]:
    """`_total` series not read through rate(), irate() or increase() (dashboard-linter's rule)."""
    return list(_query_facts(expr)[1])


def metric_names(expr: str) -> list[str]:
    """The metric names `expr` selects, in order of appearance."""
    return list(_query_facts(expr)[2])  # a copy: the memo stays as it was


@functools.lru_cache(maxsize=1 << 16)  # asked of the same panel query many times (rules, unit, description, ...)
def _query_facts(expr: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """What the panel rules read of a query, in one walk of its tree: (the rate()/irate() calls over
    a fixed range, the `_total` series read raw, the metric names in order of appearance)."""
    calls: list[tuple[str, Any]] = []
    raw: list[str] = []
    names: list[str] = []

    def visit(node: Any, parents: list[Any]) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            name = node.name
            if name and name not in names:
                names.append(str(name))
            if (name or "").endswith("_total") and not (
                len(parents) >= 2
                and isinstance(parents[-1], promql_parser.MatrixSelector)
                and isinstance(parents[-2], promql_parser.Call)
                and parents[-2].func.name in COUNTER_FUNCTIONS
            ):
                raw.append(str(name))
        elif isinstance(node, promql_parser.Call) and node.func.name in RATE_FUNCTIONS and node.args:
            arg = node.args[0]
            if isinstance(arg, promql_parser.MatrixSelector):
                calls.append((node.func.name, arg.range))

    variables = walk_with_parents(expr, visit)
    if variables is None:
        return (), (), ()
    fixed = tuple(name for name, window in calls
                  if variables.get(window) not in ("$__rate_interval", "${__rate_interval}"))
    return fixed, tuple(raw), tuple(names)


def family(name: str, metrics: dict[str, Metric]) -> Metric | None:
    """The spec metric a series belongs to (`x_bucket`, `x_count`, `x_sum` -> histogram `x`)."""
    if name in metrics:
        return metrics[name]
    for suffix in ("_bucket", "_count", "_sum"):
        if name.endswith(suffix) and name[: -len(suffix)] in metrics:
            return metrics[name[: -len(suffix)]]
    return None


def single_metric(panel: Panel, metrics: dict[str, Metric]) -> Metric | None:
    """The one spec metric all of a panel's queries read, if there is exactly one."""
    return only_family((name for expr, _ in panel_queries(panel) for name in metric_names(expr)), metrics)


def only_family(names: Iterable[str], metrics: dict[str, Metric]) -> Metric | None:
    """The one spec metric all of `names` belong to, if there is exactly one (`single_metric`)."""
    families = {m.name: m for name in names if (m := family(name, metrics)) is not None}
    return next(iter(families.values())) if len(families) == 1 else None


def derived_description(panel: Panel, metrics: dict[str, Metric]) -> str | None:
    return description_of(panel, single_metric(panel, metrics))


def description_of(panel: Panel, metric: Metric | None) -> str | None:
    """The panel's description, else the help of the one metric it reads (`single_metric`)."""
    if panel.description:
        return panel.description
    return metric.help if metric is not None else None


def is_boolean_gauge(metric: Metric) -> bool:
    """A gauge that is 0 or 1 (up/down): an `up`-like name, or help that says so ("1 if ...",
    "(1) or not (0)", "0/1", "boolean")."""
    if metric.type != "gauge":
        return False
    return (
        metric.name == "up"
        or metric.name.endswith(BOOLEAN_GAUGE_SUFFIXES)
        or _help_says_boolean(metric.help)
    )


@functools.lru_cache(maxsize=1 << 12)  # asked for every panel of a gauge; a spec has few distinct helps
def _help_says_boolean(help_text: str) -> bool:
    return _BOOLEAN_HELP_RE.search(help_text) is not None


def alert_threshold(alert: Alert) -> tuple[str, list[ThresholdStep]] | None:
    """(expression key of the left side, threshold steps) of an alert `expr > N` / `expr < N`."""
    comparison = threshold_comparison(alert.expr)
    if comparison is None:
        return None
    key, op, value = comparison
    colour = SEVERITY_COLOURS[alert.severity]
    if op.startswith(">"):
        return key, [ThresholdStep(color="green"), ThresholdStep(color=colour, value=value)]
    return key, [ThresholdStep(color=colour), ThresholdStep(color="green", value=value)]


def alert_key(alert: Alert) -> str | None:
    """What a panel must show to show the alert: its left side when it compares, else all of it."""
    comparison = threshold_comparison(alert.expr)
    return comparison[0] if comparison is not None else expression_key(alert.expr)


def thresholds_by_expression(spec: Spec) -> dict[str, list[ThresholdStep]]:
    found: dict[str, list[ThresholdStep]] = {}
    for service in spec.services:
        for alert in service.alerts:
            derived = alert_threshold(alert)
            if derived is not None:
                found.setdefault(*derived)
    return found


# --- which dashboards a spec yields ------------------------------------------------------------


def planned_dashboards(spec: Spec) -> list[PlannedDashboard]:
    planned = [
        PlannedDashboard(naming.dashboard_uid(d.title, spec.project, d.uid), d, automatic=False)
        for d in spec.dashboards
    ]
    taken = {p.uid for p in planned}
    for service in spec.services:
        if service.metrics and service.overview_dashboard:
            dashboard = overview_dashboard(spec, service)
            uid = naming.dashboard_uid(dashboard.title, spec.project, dashboard.uid)
            if uid not in taken:
                planned.append(PlannedDashboard(uid, dashboard, automatic=True, service=service.name))
                taken.add(uid)
    return planned


def overview_uid(service: str) -> str:
    """`khaosobs-<service>`: generated, so it does not take a uid a team would write itself."""
    return naming.dashboard_uid(f"khaosobs-{service}", "", None)


def _by(labels: list[str]) -> str:
    return f"sum by ({', '.join(labels)}) " if labels else "sum "


def _legend(labels: list[str], fallback: str) -> str:
    return " ".join(f"{{{{{label}}}}}" for label in labels) or fallback


def overview_dashboard(spec: Spec, service: Service) -> Dashboard:
    """Counters as per-second rates by their labels, histograms as p50/p95/p99 and a heatmap,
    summaries as their mean, gauges as a stat and a time series; the service's alerts on top.

    Built from the validated spec, so built unchecked (`model_construct`: a thousand services'
    panels went through the spec's validator at every render); tests/targets/test_grafana.py
    validates what it builds."""
    rate = "[$__rate_interval]"
    rows: list[Row] = []
    counters, distributions, gauges = [], [], []
    for metric in service.metrics:
        labels = metric.labels
        if metric.type == "counter":
            counters.append(Panel.model_construct(
                title=f"{metric.name} per second",
                expr=f"{_by(labels)}(rate({metric.name}{rate}))",
                legend=_legend(labels, metric.name),
            ))
        elif metric.type == "histogram":
            quantiles = [
                PanelTarget.model_construct(
                    expr=f"histogram_quantile({q}, sum by (le) (rate({metric.name}_bucket{rate})))",
                    legend=f"p{int(q * 100)}",
                )
                for q in (0.5, 0.95, 0.99)
            ]
            distributions.append(Panel.model_construct(title=f"{metric.name} p50 / p95 / p99",
                                                       targets=quantiles))
            distributions.append(Panel.model_construct(
                title=f"{metric.name} distribution",
                type="heatmap",
                expr=f"sum by (le) (rate({metric.name}_bucket{rate}))",
                legend="{{le}}",
            ))
        elif metric.type == "summary":
            distributions.append(Panel.model_construct(
                title=f"{metric.name} mean",
                expr=f"sum(rate({metric.name}_sum{rate})) / sum(rate({metric.name}_count{rate}))",
            ))
        else:
            boolean = is_boolean_gauge(metric)
            gauges.append(Panel.model_construct(title=f"{metric.name} now", type="stat",
                                                expr=f"{'min' if boolean else 'sum'}({metric.name})", width=6))
            gauges.append(Panel.model_construct(title=metric.name,
                                                type="state-timeline" if boolean else "timeseries",
                                                expr=metric.name, legend=_legend([*labels, "instance"], metric.name),
                                                width=18))
    for title, panels in (("Traffic", counters), ("Distributions", distributions), ("Gauges", gauges)):
        if panels:
            rows.append(Row.model_construct(title=title, panels=panels))
    if service.slos:
        rows.insert(0, _slo_row(service))
    top: list[Panel] = []
    if service.alerts or service.slos or service.log_alerts:
        top.append(Panel.model_construct(title=f"{service.name} alerts", type="alertlist", width=24, height=6,
                                         description=f"Firing and pending alerts of {service.name}"))
    return Dashboard.model_construct(
        title=f"{service.name} overview",
        uid=overview_uid(service.name),
        description=f"Every metric {service.name} declares, built by khaosobs from the spec",
        tags=[service.name, OVERVIEW_TAG],
        panels=top,
        rows=rows,
    )


def _slo_row(service: Service) -> Row:
    """Each SLO at a glance, from the series the Prometheus target records for it: the SLI over the
    SLO window and the error budget left (the service's SLO dashboard has burn rates and history)."""
    panels: list[Panel] = []
    for slo in service.slos:
        selector = f'{{service="{service.name}", slo="{slo.name}"}}'  # both slugs: nothing to escape
        legend = _legend(list(slo.group_by), slo.name)
        panels.append(Panel.model_construct(
            title=f"{slo.name}: SLI over {slo.window}", type="stat", unit="percentunit", width=6, legend=legend,
            expr=f"1 - {naming.SLO_PERIOD_ERROR_RATIO}{selector}",
            description=f"Good events over the last {slo.window}; the objective is {slo.objective:g}%",
        ))
        panels.append(Panel.model_construct(
            title=f"{slo.name}: error budget left", type="stat", unit="percentunit", width=6, legend=legend,
            expr=f"{naming.SLO_BUDGET_REMAINING}{selector}",
            description=f"Share of the {slo.window} error budget not yet spent (below 0: overspent)",
        ))
    return Row.model_construct(title="SLOs", panels=panels)


# --- where an alert is shown -------------------------------------------------------------------


def alert_panels(spec: Spec) -> dict[tuple[str, str], tuple[str, int]]:
    """(service, alert) -> (dashboard uid, panel id) of the panel showing the alert's expression:
    a panel with the same expression (ranges aside), else the service's overview panel of the
    alert's first metric, else a hand-written panel reading that metric."""
    planned = planned_dashboards(spec)
    by_key: dict[str, tuple[str, int]] = {}
    by_metric: dict[str, tuple[str, int]] = {}
    for plan in sorted(planned, key=lambda p: p.automatic):  # hand-written panels first: they win
        for panel_id, panel in panel_ids(plan.dashboard):
            for expr, _ in panel_queries(panel):
                key = expression_key(expr)
                if key is not None:
                    by_key.setdefault(key, (plan.uid, panel_id))
                for name in metric_names(expr):
                    by_metric.setdefault(name, (plan.uid, panel_id))
    metrics = {m.name: m for s in spec.services for m in s.metrics}
    found: dict[tuple[str, str], tuple[str, int]] = {}
    for service in spec.services:
        for alert in service.alerts:
            key = alert_key(alert)
            if key is not None and key in by_key:
                found[(service.name, alert.name)] = by_key[key]
                continue
            for name in metric_names(alert.expr):
                target = family(name, metrics)
                for candidate in (name, target.name if target else None):
                    if candidate is not None and candidate in by_metric:
                        found[(service.name, alert.name)] = by_metric[candidate]
                        break
                if (service.name, alert.name) in found:
                    break
    return found

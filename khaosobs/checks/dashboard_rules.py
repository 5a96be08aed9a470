"""Dashboards: variables that resolve, panel options that make sense, and the rules of Grafana's
dashboard-linter applied to hand-written panels (as warnings: the user's ranges and
aggregations are kept as written; automatic dashboards follow the rules by construction).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain import naming
from khaosobs.domain.alerts import RUNBOOK_PLACEHOLDERS, runbook_placeholders
from khaosobs.domain.dashboards import (
    DEFAULT_LABEL_FILTERS,
    GRAFANA_MAJORS,
    PANELS_WITHOUT_QUERY,
    derived_description,
    fixed_rate_ranges,
    label_filters,
    overview_uid,
    panel_queries,
    raw_counters,
    spec_panels,
    undefined_variables,
)
from khaosobs.domain.naming import LABEL_NAME_RE
from khaosobs.domain.promql_print import selectors
from khaosobs.domain.units import common_unit
from khaosobs.domain.versions import parse_version
from khaosobs.spec.loader import Path_
from khaosobs.spec.model import Dashboard, Metric, Panel

LINTED_TYPES = frozenset({"stat", "timeseries", "gauge", "table"})  # dashboard-linter's panel rules
TIME_SERIES_OPTIONS = ("stacking", "fill")
VALUE_OPTIONS_TYPES = frozenset({"stat", "gauge", "bargauge", "table", "state-timeline", "timeseries", "piechart"})


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    metrics = {name: metric for name, (metric, _) in ctx.metrics.items()}
    yield from _urls(ctx)
    yield from _grafana_target(ctx)
    overviews = {overview_uid(s.name): s.name for s in ctx.spec.services if s.metrics and s.overview_dashboard}
    for d, dashboard in enumerate(ctx.spec.dashboards):
        uid = naming.dashboard_uid(dashboard.title, ctx.spec.project, dashboard.uid)
        if uid in overviews:
            yield ctx.warning(
                "dashboard-overview-uid",
                f'dashboard "{uid}" takes the uid of the automatic overview of {overviews[uid]}, which is not written',
                ("dashboards", d, "uid" if dashboard.uid else "title"),
                f"give it another uid, or set `overview_dashboard: false` on {overviews[uid]} to say so",
            )
        yield from _variables(ctx, d, dashboard)
        for path, panel in spec_panels(dashboard, d):
            yield from _undefined(ctx, dashboard, path, panel)
            yield from _options(ctx, path, panel)
            if panel.type not in PANELS_WITHOUT_QUERY:
                yield from _linter_rules(ctx, dashboard, path, panel, metrics)


def _grafana_target(ctx: CheckContext) -> Iterator[Diagnostic]:
    text = ctx.spec.targets.grafana
    version = parse_version(text)
    supported = " or ".join(f'"{major}"' for major in GRAFANA_MAJORS)
    if version is None:
        yield ctx.error("grafana-version", f'targets.grafana "{text}" is not a version', ("targets", "grafana"),
                        f"write {supported}")
    elif version[0] not in GRAFANA_MAJORS:
        yield ctx.error("grafana-version", f"khaosobs renders dashboards for Grafana {supported}, not {text}",
                        ("targets", "grafana"), f"write {supported}")


def _urls(ctx: CheckContext) -> Iterator[Diagnostic]:
    pattern = ctx.spec.urls.runbook
    if pattern is not None:
        for name in runbook_placeholders(pattern):
            if name not in RUNBOOK_PLACEHOLDERS:
                yield ctx.error(
                    "urls-runbook-placeholder",
                    f"unknown placeholder {{{name}}} in the runbook URL pattern",
                    ("urls", "runbook"),
                    f"use {', '.join('{' + p + '}' for p in RUNBOOK_PLACEHOLDERS)}",
                )
    for key in ("grafana", "runbook"):
        value = getattr(ctx.spec.urls, key)
        if value is not None and not value.startswith(("https://", "http://")):
            yield ctx.error("urls-scheme", f"`urls.{key}` must be an http(s) URL", ("urls", key))


def _variables(ctx: CheckContext, d: int, dashboard: Dashboard) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for v, label in enumerate(dashboard.variables):
        path: Path_ = ("dashboards", d, "variables", v)
        if not LABEL_NAME_RE.fullmatch(label) or label.startswith("__"):
            yield ctx.error("dashboard-variable", f'"{label}" is not a label name', path,
                            "a label filter variable is named after its label, e.g. `route`")
        elif label in DEFAULT_LABEL_FILTERS:
            yield ctx.warning("dashboard-variable", f"every dashboard filters by {label} already", path)
        elif label in seen or label == "datasource":
            yield ctx.error("dashboard-variable", f'variable "{label}" is defined twice', path)
        seen.add(label)
    for r, row in enumerate(dashboard.rows):
        if row.repeat is not None and row.repeat not in label_filters(dashboard):
            yield ctx.error(
                "dashboard-variable-undefined",
                f'row "{row.title}" repeats for ${row.repeat}, which this dashboard does not define',
                ("dashboards", d, "rows", r, "repeat"),
                f"one of {', '.join(label_filters(dashboard))}, or list it under the dashboard's `variables`",
            )


def _undefined(ctx: CheckContext, dashboard: Dashboard, path: Path_, panel: Panel) -> Iterator[Diagnostic]:
    texts: list[tuple[str, Path_]] = []
    if panel.expr is not None:
        texts.append((panel.expr, (*path, "expr")))
    texts += [(t.expr, (*path, "targets", i, "expr")) for i, t in enumerate(panel.targets)]
    if panel.logql is not None:
        texts.append((panel.logql, (*path, "logql")))
    for text, where in texts:
        for name in dict.fromkeys(undefined_variables(text, dashboard)):
            defined = ", ".join(f"${v}" for v in ["datasource", *label_filters(dashboard)])
            yield ctx.error(
                "dashboard-variable-undefined",
                f"${name} is not a variable of this dashboard",
                where,
                f"defined: {defined} and Grafana's own ($__rate_interval, $__range, ...); "
                f"list a label under the dashboard's `variables` to filter by it",
            )


def _options(ctx: CheckContext, path: Path_, panel: Panel) -> Iterator[Diagnostic]:
    if panel.thresholds is not None:
        steps = panel.thresholds
        if not steps:
            yield ctx.error("panel-thresholds", "thresholds need at least one step", (*path, "thresholds"))
        for i, step in enumerate(steps[1:], start=1):
            if step.value is None:
                yield ctx.error("panel-thresholds", "only the first threshold step has no value",
                                (*path, "thresholds", i), "give it `value:`, the lower bound of its colour")
            elif (previous := steps[i - 1].value) is not None and step.value <= previous:
                yield ctx.error("panel-thresholds", f"threshold {step.value:g} is not above {previous:g}",
                                (*path, "thresholds", i, "value"), "steps go from low to high")
        if steps and steps[0].value is not None:
            yield ctx.warning("panel-thresholds", "the first step is the base colour: its value is ignored",
                              (*path, "thresholds", 0, "value"))
    for key in ("fill",):
        value = getattr(panel, key)
        if value is not None and not 0 <= value <= 100:
            yield ctx.error("panel-fill", f"fill {value} is not an opacity from 0 to 100", (*path, key))
    for o, override in enumerate(panel.overrides):
        if (override.series is None) == (override.series_regex is None):
            yield ctx.error("panel-override", "an override matches series by `series` or by `series_regex`",
                            (*path, "overrides", o), "give exactly one of them")
        if override.fill is not None and not 0 <= override.fill <= 100:
            yield ctx.error("panel-fill", f"fill {override.fill} is not an opacity from 0 to 100",
                            (*path, "overrides", o, "fill"))
    ignored = [key for key in TIME_SERIES_OPTIONS if getattr(panel, key) is not None]
    if panel.type not in ("timeseries", "state-timeline") and ignored:
        yield ctx.warning("panel-option", f"a {panel.type} panel ignores `{ignored[0]}`", (*path, ignored[0]),
                          key=True)
    if panel.type == "text" and not panel.content:
        yield ctx.error("panel-content", "a text panel needs `content` (Markdown)", path)
    if panel.type != "text" and panel.content is not None:
        yield ctx.warning("panel-option", f"a {panel.type} panel ignores `content`", (*path, "content"), key=True)
    if panel.legend_options is not None and panel.type not in ("timeseries", "piechart", "state-timeline"):
        yield ctx.warning("panel-option", f"a {panel.type} panel has no legend", (*path, "legend_options"),
                          key=True)


def _linter_rules(ctx: CheckContext, dashboard: Dashboard, path: Path_, panel: Panel,
                  metrics: dict[str, Metric]) -> Iterator[Diagnostic]:
    queries = panel_queries(panel)
    for i, (expr, _) in enumerate(queries):
        where = (*path, "expr") if panel.expr is not None and i == 0 else (
            *path, "targets", i - (panel.expr is not None), "expr")
        fixed = fixed_rate_ranges(expr)
        if fixed:
            yield ctx.warning(
                "panel-rate-interval",
                f"{fixed[0]}() over a range other than $__rate_interval, which fits every zoom and scrape interval",
                where,
                "e.g. rate(x[$__rate_interval]); kept as written",
            )
        raw = raw_counters(expr)
        if raw:
            yield ctx.warning(
                "panel-counter-aggregation",
                f"counter {raw[0]} is shown raw: its value only grows and resets on restart",
                where,
                f"show rate({raw[0]}[$__rate_interval]) or increase({raw[0]}[$__range]); kept as written",
            )
        yield from _filters_overridden(ctx, dashboard, expr, where)
    if panel.type in LINTED_TYPES:
        if panel.unit is None and (not queries or common_unit([e for e, _ in queries], metrics) is None):
            yield ctx.warning(
                "panel-unit", f'panel "{panel.title}" has no unit and none can be derived', path,
                "set `unit:` (a Grafana unit id: short, none, s, bytes, percentunit, reqps, ...)",
            )
        if derived_description(panel, metrics) is None:
            yield ctx.warning(
                "panel-description", f'panel "{panel.title}" has no description', path,
                "set `description:` (a panel reading one spec metric gets its help text)",
            )


def _filters_overridden(ctx: CheckContext, dashboard: Dashboard, expr: str, where: Path_) -> Iterator[Diagnostic]:
    filters = set(label_filters(dashboard))
    for selector in selectors(expr):
        for matcher in selector.matchers.matchers:
            if matcher.name in filters and not (
                str(matcher.op).endswith("Re") and matcher.value in (f"${matcher.name}", f"${{{matcher.name}}}")
                and not str(matcher.op).endswith("NotRe")
            ):
                yield ctx.warning(
                    "panel-label-filter",
                    f"this selector fixes `{matcher.name}`, so the dashboard's ${matcher.name} filter does not apply",
                    where,
                    f'drop the matcher (khaosobs adds {matcher.name}=~"${matcher.name}") or keep it on purpose',
                )
                return

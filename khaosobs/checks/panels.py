"""Dashboard panels: one query kind per panel (expr, targets or logql), the kind its type needs,
and a width that fits Grafana's 24-column grid."""

from __future__ import annotations

from collections.abc import Iterable

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.dashboards import PANELS_WITHOUT_QUERY, spec_panels
from khaosobs.domain.logql import analyse_logql

GRID_COLUMNS = 24


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    for d, dashboard in enumerate(ctx.spec.dashboards):
        if not dashboard.title.strip():
            yield ctx.error("dashboard-title", "dashboard title is empty", ("dashboards", d, "title"))
        for path, panel in spec_panels(dashboard, d):
            given = [
                key
                for key, present in (
                    ("expr", panel.expr is not None),
                    ("targets", bool(panel.targets)),
                    ("logql", panel.logql is not None),
                )
                if present
            ]
            if len(given) > 1:
                yield ctx.error(
                    "panel-query",
                    f"a panel has one kind of query, and this one has {' and '.join(given)}",
                    (*path, given[1]),
                    "keep one: `expr`, `targets` (several PromQL queries) or `logql`",
                    key=True,
                )
            elif not given and panel.type in PANELS_WITHOUT_QUERY:
                pass  # text and alert list panels show no query
            elif not given:
                yield ctx.error(
                    "panel-query",
                    f'panel "{panel.title}" has no query',
                    path,
                    "give it `expr` (PromQL), `targets` or, for a logs panel, `logql`",
                )
            elif panel.type == "logs" and given[0] != "logql":
                yield ctx.error(
                    "panel-query",
                    "a logs panel shows log lines: it needs `logql`, not PromQL",
                    (*path, given[0]),
                    'e.g. logql: \'{service="api"} |= "ERROR"\'',
                    key=True,
                )
            elif (
                panel.type != "logs"
                and given[0] == "logql"
                and panel.logql is not None
                and not analyse_logql(panel.logql, grafana=True).problems
                and not analyse_logql(panel.logql, grafana=True).metric_query
            ):
                yield ctx.warning(
                    "panel-query",
                    f"a {panel.type} panel plots numbers, but this LogQL returns log lines",
                    (*path, "logql"),
                    "use a metric query (e.g. rate({...}[5m])), or `type: logs`",
                )
            if panel.legend is not None and panel.targets:
                yield ctx.warning(
                    "panel-legend",
                    "`legend` applies to `expr`; with `targets`, give each target its own legend",
                    (*path, "legend"),
                    key=True,
                )
            if panel.width is not None and not 1 <= panel.width <= GRID_COLUMNS:
                yield ctx.error(
                    "panel-width",
                    f"width {panel.width} does not fit Grafana's {GRID_COLUMNS}-column grid",
                    (*path, "width"),
                    f"a width from 1 to {GRID_COLUMNS}",
                )
            if panel.height is not None and panel.height < 1:
                yield ctx.error(
                    "panel-height", f"height {panel.height} must be at least 1", (*path, "height")
                )
            if not panel.title.strip():
                yield ctx.warning("panel-title", "panel title is empty", (*path, "title"))

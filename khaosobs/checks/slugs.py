"""Names that become file names must be safe path components: a dashboard's uid (given or derived
from its title) is `[a-zA-Z0-9_-]{1,40}` and unique, so `grafana/dashboards/<uid>.json` can neither
escape the output folder nor overwrite another dashboard. (Service and SLO names are slugs: names.py.)"""

from __future__ import annotations

from collections.abc import Iterable

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.naming import MAX_UID, UID_RE, dashboard_uid


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    first: dict[str, int] = {}
    for d, dashboard in enumerate(ctx.spec.dashboards):
        if dashboard.uid is not None and not UID_RE.fullmatch(dashboard.uid):
            yield ctx.error(
                "dashboard-uid",
                f'dashboard uid "{dashboard.uid}" is not 1 to {MAX_UID} letters, digits, - or _',
                ("dashboards", d, "uid"),
                "Grafana's uid limits; it also names the dashboard's file, so it can hold no / or .",
            )
            continue
        uid = dashboard_uid(dashboard.title, ctx.spec.project, dashboard.uid)
        if uid in first:
            other = ctx.spec.dashboards[first[uid]].title
            path = ("dashboards", d, "uid" if dashboard.uid is not None else "title")
            yield ctx.error(
                "duplicate-dashboard-uid",
                f'dashboard uid "{uid}" is also the uid of "{other}"',
                path,
                "set a distinct `uid:` on one of them",
            )
        else:
            first[uid] = d

"""References resolve: a route's receiver names a defined receiver."""

from __future__ import annotations

from collections.abc import Iterable

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic, suggest
from khaosobs.domain.routes import ROUTE_ROOT


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    alerting = ctx.spec.alerting
    if alerting is None:
        return
    names = [r.name for r in alerting.receivers]
    if alerting.route.receiver is None:
        yield ctx.error("route-receiver", "the top-level route needs a receiver", ROUTE_ROOT,
                        "every alert that no child route matches goes to this receiver")
    for route, path in ctx.routes():
        if route.receiver is not None and route.receiver not in names:
            yield ctx.error("route-receiver", f'route receiver "{route.receiver}" is not defined', (*path, "receiver"),
                            suggest(route.receiver, names) or "define it under alerting.receivers",
                            refers_to=route.receiver)

"""References resolve: a route's receiver names a defined receiver."""

from __future__ import annotations

from collections.abc import Iterable

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic, suggest
from khaosobs.loader import Path_
from khaosobs.model import Route


def _routes(route: Route, path: Path_) -> Iterable[tuple[Route, Path_]]:
    yield route, path
    for i, child in enumerate(route.routes):
        yield from _routes(child, (*path, "routes", i))


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    alerting = ctx.spec.alerting
    if alerting is None:
        return
    names = [r.name for r in alerting.receivers]
    if alerting.route.receiver is None:
        yield ctx.error("route-receiver", "the top-level route needs a receiver", ("alerting", "route"),
                        "every alert that no child route matches goes to this receiver")
    for route, path in _routes(alerting.route, ("alerting", "route")):
        if route.receiver is not None and route.receiver not in names:
            yield ctx.error("route-receiver", f'route receiver "{route.receiver}" is not defined', (*path, "receiver"),
                            suggest(route.receiver, names) or "define it under alerting.receivers")

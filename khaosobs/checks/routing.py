"""The routing tree: every matcher parses as Alertmanager parses it, the root is a valid root, and
every alert of the spec goes somewhere meant for it (khaosobs.domain.routing decides where).

An undefined receiver is reported by checks/references.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic, format_path
from khaosobs.domain.routing import (
    MATCHER_HINT,
    ROOT_PATH,
    MatcherError,
    Shadows,
    build_tree,
    route_alerts,
    route_problems,
)


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    alerting = ctx.spec.alerting
    if alerting is None:
        return
    root = alerting.route
    for kind in ("match", "match_re", "matchers"):
        if getattr(root, kind):
            yield ctx.error("route-root", f"the top-level route must not have `{kind}`: it takes every alert",
                            (*ROOT_PATH, kind), "move them to a child route under `routes:`", key=True)
    if root.continue_:
        yield ctx.error("route-root", "the top-level route cannot have `continue`", (*ROOT_PATH, "continue"),
                        "remove it: there is no route after the root to continue to")
    broken = False
    for route, path in ctx.routes():
        for where, message, at_key in route_problems(route, path):
            broken = True
            yield ctx.error("route-matcher", message, where, MATCHER_HINT, key=at_key)
    if broken:
        return
    try:
        tree = build_tree(root)
    except MatcherError:  # pragma: no cover - route_problems found every matcher that fails
        return
    routed = route_alerts(ctx.spec, tree, ctx.slo_plan)
    if not routed:
        return
    reached = {receiver for item in routed for receiver in item.receivers}
    default = tree.receiver
    shadows: Shadows | None = None  # made when a receiver is unreached
    for i, receiver in enumerate(alerting.receivers):
        # the root's receiver is the catch-all for alerts from outside the spec: unreached is normal
        if receiver.name not in reached and receiver.name != default:
            shadows = shadows or Shadows(tree, routed)
            shadow = shadows.of_receiver(receiver.name)
            hint = ("check the matchers of the routes naming it "
                    "(`khaosobs routes` shows where each alert goes)")
            if shadow is not None:
                hint = (f'the route at {format_path(shadow.path)} (receiver "{shadow.receiver}") takes its '
                        "alerts first: move that route after it, or give that route `continue: true`")
            yield ctx.warning("route-unreached", f'no alert of the spec reaches receiver "{receiver.name}"',
                              ("alerting", "receivers", i, "name"), hint)
    if tree.children:
        for item in routed:
            if item.default_only:
                yield ctx.warning("route-default-only",
                                  f'alert "{item.alert.name}" matches no route: only the default receiver '
                                  f'"{default}" gets it', item.alert.path,
                                  "add a route for its labels "
                                  "(`khaosobs routes` shows where each alert goes)")

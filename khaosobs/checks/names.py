"""Names: unique in their scope, and of the form the target tools accept."""

from __future__ import annotations

from collections.abc import Iterable
from typing import get_args

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.loader import Path_
from khaosobs.model import AlertSeverity
from khaosobs.naming import ALERT_NAME_RE, SLUG_RE


def _unique(ctx: CheckContext, code: str, what: str, names: Iterable[tuple[str, Path_]],
            hint: str | None = None) -> Iterable[Diagnostic]:
    first: dict[str, Path_] = {}
    for name, path in names:
        if name in first:
            where = ctx.location(first[name])
            line = f" (first on line {where.line})" if where else ""
            yield ctx.error(code, f'duplicate {what} "{name}"{line}', path, hint or f"every {what} name must be unique")
        else:
            first[name] = path


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    spec = ctx.spec
    yield from _unique(ctx, "duplicate-service", "service",
                       ((s.name, ("services", i, "name")) for i, s in ctx.services()))
    for i, service in ctx.services():
        base: Path_ = ("services", i)
        if not SLUG_RE.fullmatch(service.name):
            yield ctx.error("service-name", f'service name "{service.name}" is not a slug', (*base, "name"),
                            "use lowercase letters, digits and dashes, starting with a letter")
        yield from _unique(ctx, "duplicate-metric", "metric",
                           ((m.name, (*base, "metrics", j, "name")) for j, m in enumerate(service.metrics)))
        # One name at several severities is Prometheus's tiered-alert idiom (a warning, then a
        # critical at a higher threshold): the name is unique per severity.
        for severity in get_args(AlertSeverity):
            yield from _unique(ctx, "duplicate-alert", "alert", (
                *((a.name, (*base, "alerts", j, "name")) for j, a in enumerate(service.alerts)
                  if a.severity == severity),
                *((a.name, (*base, "log_alerts", j, "name")) for j, a in enumerate(service.log_alerts)
                  if a.severity == severity),
            ), "an alert name is unique per severity in a service (a warning and a critical may share it)")
        yield from _unique(ctx, "duplicate-SLO", "SLO",
                           ((s.name, (*base, "slos", j, "name")) for j, s in enumerate(service.slos)))
        for j, slo in enumerate(service.slos):
            if not SLUG_RE.fullmatch(slo.name):
                yield ctx.error("slo-name", f'SLO name "{slo.name}" is not a slug', (*base, "slos", j, "name"),
                                "use lowercase letters, digits and dashes, starting with a letter")
    for at in ctx.alerts():
        if not at.alert.name.strip():
            yield ctx.error("alert-name", "alert name is empty", (*at.path, "name"))
        elif not ALERT_NAME_RE.fullmatch(at.alert.name):
            yield ctx.warning("alert-name", f'alert name "{at.alert.name}" is not CamelCase', (*at.path, "name"),
                              "Prometheus convention: CamelCase, e.g. HighCommandLatency")
    if spec.alerting is not None:
        yield from _unique(ctx, "duplicate-receiver", "receiver", ((r.name, ("alerting", "receivers", i, "name"))
                                             for i, r in enumerate(spec.alerting.receivers)))
    yield from _unique(ctx, "duplicate-dashboard-title", "dashboard title",
                       ((d.title, ("dashboards", i, "title")) for i, d in enumerate(spec.dashboards)))

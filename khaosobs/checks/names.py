"""Names: unique in their scope, and of the form the target tools accept."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.alerts import alert_labels
from khaosobs.domain.naming import ALERT_NAME_RE, SLUG_RE
from khaosobs.spec.loader import Path_


def _unique(ctx: CheckContext, code: str, what: str, names: Iterable[tuple[str, Path_]],
            identities: Iterable[Hashable] | None = None, hint: str | None = None) -> Iterable[Diagnostic]:
    """A name used twice; with `identities`, only when the identity (e.g. name and labels) repeats too."""
    first: dict[Hashable, Path_] = {}
    named = list(names)
    keys = list(identities) if identities is not None else [name for name, _ in named]
    for (name, path), key in zip(named, keys, strict=True):
        if key in first:
            where = ctx.location(first[key])
            place = f" (first defined at {where.file}:{where.line})" if where else ""
            yield ctx.error(code, f'duplicate {what} "{name}"{place}', path,
                            hint or f"every {what} name must be unique")
        else:
            first[key] = path


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
        # Identity is the name plus the labels, as in Prometheus: the node and Kubernetes mixins give
        # one alert name several rules that differ in severity or threshold labels
        yield from _unique(ctx, "duplicate-alert", "alert", (
            *((a.name, (*base, "alerts", j, "name")) for j, a in enumerate(service.alerts)),
            *((a.name, (*base, "log_alerts", j, "name")) for j, a in enumerate(service.log_alerts)),
        ), [*((a.name, tuple(sorted(alert_labels(service, a).items()))) for a in service.alerts),
            *((a.name, tuple(sorted(alert_labels(service, a).items()))) for a in service.log_alerts)],
            "an alert is its name and its labels: give the second one a different name or other labels "
            "(e.g. its own severity)")
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

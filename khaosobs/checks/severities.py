"""Severity is set by `severity:` only: a `severity` label on an alert or a service would silently
change where Alertmanager routes the alert."""

from __future__ import annotations

from collections.abc import Iterable

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    for s, service in ctx.services():
        if "severity" in service.labels:
            yield ctx.error(
                "severity-label",
                "a service cannot set the `severity` label: it would override the "
                "severity of every alert of the service",
                ("services", s, "labels", "severity"),
                "set `severity:` on each alert",
                key=True,
            )
    for at in ctx.alerts():
        value = at.alert.labels.get("severity")
        if value is None:
            continue
        path = (*at.path, "labels", "severity")
        if value != at.alert.severity:
            yield ctx.error(
                "severity-label",
                f'label severity "{value}" contradicts `severity: {at.alert.severity}`',
                path,
                "use `severity:` only, and remove the label",
                key=True,
            )
        else:
            yield ctx.warning(
                "severity-label",
                "the `severity` label repeats `severity:`",
                path,
                "remove the label",
                key=True,
            )

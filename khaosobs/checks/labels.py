"""Label and annotation keys of services, alerts and recording rules: valid names, nothing reserved,
and no silent override of the labels khaosobs sets (`service`, `team`, `alertname`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from khaosobs.checks._support import label_keys
from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.annotations import ANNOTATION_FIELDS
from khaosobs.domain.prometheus_names import LABEL_NAME_RE
from khaosobs.spec.loader import Path_
from khaosobs.spec.model import Alert, AlertRule, LogAlert, Service

# Annotations khaosobs writes from the alert's own fields.


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    for s, service in ctx.services():
        base: Path_ = ("services", s)
        if service.team is not None and not service.team.strip():
            yield ctx.error("team", "team is empty", (*base, "team"), "name the team, or leave `team` out")
        yield from label_keys(ctx, service.labels, (*base, "labels"))
        yield from _service_labels(ctx, service, (*base, "labels"))
    for at in ctx.alerts():
        yield from label_keys(ctx, at.alert.labels, (*at.path, "labels"))
        yield from _alert_labels(ctx, at.service, at.alert, (*at.path, "labels"))
        yield from _annotations(ctx, at.alert, (*at.path, "annotations"))


def _service_labels(ctx: CheckContext, service: Service, path: Path_) -> Iterator[Diagnostic]:
    labels = service.labels
    if "service" in labels and labels["service"] != service.name:
        yield ctx.error(
            "label-override",
            f'label service "{labels["service"]}" contradicts the service name "{service.name}"',
            (*path, "service"),
            "khaosobs sets `service` itself: remove it",
            key=True,
        )
    if "team" in labels:
        if service.team is None:
            yield ctx.warning(
                "label-override",
                "the team is set as a label",
                (*path, "team"),
                "use the service's `team:` field",
                key=True,
            )
        elif labels["team"] != service.team:
            yield ctx.error(
                "label-override",
                f'label team "{labels["team"]}" contradicts `team: {service.team}`',
                (*path, "team"),
                "use `team:` only",
                key=True,
            )
    yield from _no_alertname(ctx, labels, path)


def _no_alertname(ctx: CheckContext, labels: dict[str, str], path: Path_) -> Iterator[Diagnostic]:
    if "alertname" in labels:
        yield ctx.error(
            "label-reserved",
            "`alertname` is set by Prometheus from the alert's name",
            (*path, "alertname"),
            key=True,
        )


def _alert_labels(
    ctx: CheckContext, service: Service, alert: Alert | LogAlert, path: Path_
) -> Iterator[Diagnostic]:
    labels = alert.labels
    if "service" in labels and labels["service"] != service.name:
        yield ctx.error(
            "label-override",
            f'label service "{labels["service"]}" contradicts the alert\'s service "{service.name}"',
            (*path, "service"),
            "every alert carries its service's name; define the alert under that service",
            key=True,
        )
    if "team" in labels and service.team is not None and labels["team"] != service.team:
        yield ctx.error(
            "label-override",
            f'label team "{labels["team"]}" contradicts the service\'s team "{service.team}"',
            (*path, "team"),
            key=True,
        )
    yield from _no_alertname(ctx, labels, path)


def _annotations(ctx: CheckContext, alert: AlertRule, path: Path_) -> Iterator[Diagnostic]:
    for key in alert.annotations:
        if not LABEL_NAME_RE.fullmatch(key):
            yield ctx.error(
                "annotation-name",
                f'"{key}" is not a valid annotation name',
                (*path, key),
                "letters, digits and _, not starting with a digit",
                key=True,
            )
        elif key in ANNOTATION_FIELDS:
            yield ctx.error(
                "annotation-override",
                f'annotation "{key}" is set by the alert\'s `{key}:` field',
                (*path, key),
                f"use `{key}:` on the alert",
                key=True,
            )

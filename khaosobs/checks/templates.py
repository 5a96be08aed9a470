"""Alert text is Go template text: every summary, description, runbook_url, extra annotation and
rule label value of an alert or log alert parses as Prometheus (and the Loki ruler) parse it,
where `promtool check rules` would refuse the whole file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from khaosobs.checks._support import span_location
from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic, suggest
from khaosobs.domain.annotations import ANNOTATION_FIELDS
from khaosobs.domain.gotemplate import (
    ALERTMANAGER_FUNCTIONS,
    ALERTMANAGER_VARIABLES,
    PROMETHEUS_FUNCTIONS,
    PROMETHEUS_VARIABLES,
    parse_template,
)
from khaosobs.spec.loader import Path_

LITERAL_HINT = 'to show `{{` as text write {{ "{{" }}'


def alert_texts(ctx: CheckContext) -> Iterator[tuple[Path_, str]]:
    """Every text of the spec Prometheus or Loki evaluates as a template, with its path."""
    for s, service in ctx.services():
        for kind in ("alerts", "log_alerts"):
            for a, alert in enumerate(getattr(service, kind)):
                path: Path_ = ("services", s, kind, a)
                for name in ANNOTATION_FIELDS:
                    value = getattr(alert, name)
                    if value is not None:
                        yield (*path, name), value
                for key, value in alert.annotations.items():
                    yield (*path, "annotations", key), value
                for key, value in alert.labels.items():
                    yield (*path, "labels", key), value


def receiver_texts(ctx: CheckContext) -> Iterator[tuple[Path_, str]]:
    """Every text of the spec Alertmanager evaluates as a notification template."""
    if ctx.spec.alerting is None:
        return
    for r, receiver in enumerate(ctx.spec.alerting.receivers):
        if receiver.discord is not None:
            for name in ("title", "message"):
                value = getattr(receiver.discord, name)
                if value is not None:
                    yield ("alerting", "receivers", r, "discord", name), value


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    for path, text in receiver_texts(ctx):
        if "{{" in text:
            for error in parse_template(text, ALERTMANAGER_FUNCTIONS, ALERTMANAGER_VARIABLES).errors:
                yield ctx.error("template-syntax", f"invalid Go template: {error.message}", path,
                                "a Discord title or message is an Alertmanager template; "
                                'its data is `.` (e.g. {{ .CommonLabels.alertname }})',
                                location=span_location(ctx.loaded, path, text, error.offset, 1))
    for path, text in alert_texts(ctx):
        if "{{" not in text:
            continue
        for error in ctx.alert_template(text).errors:
            yield ctx.error("template-syntax", f"invalid Go template: {error.message}", path,
                            _hint(error.message), location=span_location(ctx.loaded, path, text, error.offset, 1))


def _hint(message: str) -> str:
    if message.startswith("function "):
        name = message.split('"')[1]
        return suggest(name, sorted(PROMETHEUS_FUNCTIONS)) or (
            "Prometheus templates know Go's functions and humanize, humanizeDuration, "
            "humanizePercentage, toUpper, reReplaceAll, … (see Prometheus' template reference)")
    if message.startswith("undefined variable"):
        name = message.split('"')[1]
        return suggest(name, sorted(PROMETHEUS_VARIABLES - {"$"})) or (
            "alert text knows $labels, $value, $externalLabels and $externalURL")
    return f"an alert's text is a Go template; {LITERAL_HINT}"

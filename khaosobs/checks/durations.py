"""Durations in Prometheus syntax (`30s`, `5m`, `1h30m`): alert `for`, route timings, SLO windows,
alert test timings, dashboard refresh. Prometheus and Alertmanager read them with the same parser
(units from largest to smallest, each once), so a typo here breaks both."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.durations import GRAFANA_REFRESH_RE, duration_ms
from khaosobs.spec.loader import Path_


def _hint(text: str) -> str:
    stripped = text.strip().replace(" ", "")
    if stripped != text and duration_ms(stripped) is not None:
        return f'write it without spaces: "{stripped}"'
    if re.fullmatch(r"\d+(\.\d+)?", text.strip()):
        return f'add a unit: "{text.strip()}s" for seconds, "{text.strip()}m" for minutes'
    lowered = text.strip().lower()
    if lowered != text and duration_ms(lowered) is not None:
        return f'units are lowercase: "{lowered}"'
    return 'a number and a unit (ms, s, m, h, d, w, y), largest unit first, e.g. "30s", "5m", "1h30m"'



def durations(ctx: CheckContext) -> Iterator[tuple[str, Path_, str]]:
    """(value, path, what) for every duration of the spec."""
    for at in ctx.alerts():
        if at.alert.for_ is not None:
            yield at.alert.for_, (*at.path, "for"), "`for`"
    for s, service in ctx.services():
        base: Path_ = ("services", s)
        if service.evaluation_interval is not None:
            yield service.evaluation_interval, (*base, "evaluation_interval"), "evaluation_interval"
        for a, alert in enumerate(service.alerts):
            if alert.keep_firing_for is not None:
                yield alert.keep_firing_for, (*base, "alerts", a, "keep_firing_for"), "keep_firing_for"
            for t, test in enumerate(alert.tests):
                tpath = (*base, "alerts", a, "tests", t)
                yield test.interval, (*tpath, "interval"), "test interval"
                for e, expect in enumerate(test.expect):
                    yield expect.at, (*tpath, "expect", e, "at"), "test time `at`"
        for i, slo in enumerate(service.slos):
            yield slo.window, (*base, "slos", i, "window"), "SLO window"
            alerting: Path_ = (*base, "slos", i, "alerting")
            if slo.alerting.for_ is not None:
                yield slo.alerting.for_, (*alerting, "for"), "`for`"
            for tier in ("page", "ticket", "no_data"):
                options = getattr(slo.alerting, tier)
                if options is False:
                    continue
                if options.for_ is not None:
                    yield options.for_, (*alerting, tier, "for"), "`for`"
                for w, window in enumerate(getattr(options, "windows", None) or []):
                    yield window.long, (*alerting, tier, "windows", w, "long"), "burn-rate window"
                    yield window.short, (*alerting, tier, "windows", w, "short"), "burn-rate window"
        if service.scrape is not None and service.scrape.interval is not None:
            yield service.scrape.interval, (*base, "scrape", "interval"), "scrape interval"
    metrics = ctx.spec.telemetry.metrics
    yield metrics.scrape_interval, ("telemetry", "metrics", "scrape_interval"), "scrape_interval"
    yield metrics.evaluation_interval, ("telemetry", "metrics", "evaluation_interval"), "evaluation_interval"
    if ctx.spec.alerting is not None:
        settings = ctx.spec.alerting.global_
        if settings is not None and settings.resolve_timeout is not None:
            yield settings.resolve_timeout, ("alerting", "global", "resolve_timeout"), "resolve_timeout"
        for route, path in ctx.routes():
            for key in ("group_wait", "group_interval", "repeat_interval"):
                value = getattr(route, key)
                if value is not None:
                    yield value, (*path, key), key


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    for value, path, what in durations(ctx):
        ms = duration_ms(value)
        if ms is None:
            yield ctx.error("duration", f'{what} "{value}" is not a duration', path, _hint(value))
        elif ms == 0 and path[-1] in ("group_interval", "repeat_interval", "interval", "window",
                                       "scrape_interval", "evaluation_interval", "long", "short"):
            yield ctx.error("duration", f"{what} must be longer than 0", path)
    for d, dashboard in enumerate(ctx.spec.dashboards):
        if (
            dashboard.refresh is not None
            and dashboard.refresh != ""
            and not GRAFANA_REFRESH_RE.fullmatch(dashboard.refresh)
        ):
            yield ctx.error(
                "duration",
                f'dashboard refresh "{dashboard.refresh}" is not an interval Grafana reads',
                ("dashboards", d, "refresh"),
                'e.g. "30s", "1m", "5m"',
            )

"""Durations in Prometheus syntax (`30s`, `5m`, `1h30m`): alert `for`, route timings, SLO windows,
alert test timings, dashboard refresh. Prometheus and Alertmanager read them with the same parser
(units from largest to smallest, each once), so a typo here breaks both."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.loader import Path_

# Prometheus common/model.ParseDuration
DURATION_RE = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?")
_UNIT_MS = (365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1)
GRAFANA_REFRESH_RE = re.compile(r"\d+(?:ms|s|m|h|d|w|M|y)")


def duration_ms(text: str) -> int | None:
    """Milliseconds of a Prometheus duration, or None when it is not one."""
    if text == "0":
        return 0
    match = DURATION_RE.fullmatch(text)
    if not text or match is None:
        return None
    return sum(int(v) * unit for v, unit in zip(match.groups(), _UNIT_MS, strict=True) if v)


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
    for s, service in ctx.services():
        base: Path_ = ("services", s)
        for kind in ("alerts", "log_alerts"):
            for a, alert in enumerate(getattr(service, kind)):
                if alert.for_ is not None:
                    yield alert.for_, (*base, kind, a, "for"), "`for`"
        for a, alert in enumerate(service.alerts):
            for t, test in enumerate(alert.tests):
                tpath = (*base, "alerts", a, "tests", t)
                yield test.interval, (*tpath, "interval"), "test interval"
                for e, expect in enumerate(test.expect):
                    yield expect.at, (*tpath, "expect", e, "at"), "test time `at`"
        if service.rule_interval is not None:
            yield service.rule_interval, (*base, "rule_interval"), "rule group interval"
        for i, slo in enumerate(service.slos):
            yield slo.window, (*base, "slos", i, "window"), "SLO window"
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
        elif ms == 0 and path[-1] in ("group_interval", "repeat_interval", "interval", "window", "rule_interval"):
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

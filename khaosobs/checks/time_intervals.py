"""`alerting.time_intervals` and the routes naming them: what Alertmanager's timeinterval package
would refuse (times, weekdays, days of the month, months, years, an unknown IANA location),
names defined once and resolved from `active_time_intervals` / `mute_time_intervals`."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Iterable

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic, suggest
from khaosobs.domain.routes import ROUTE_ROOT
from khaosobs.spec.loader import Path_
from khaosobs.spec.model import TimeInterval

WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
# Alertmanager's timeinterval.validTime: HH:MM from 00:00 to 23:59, or 24:00
TIME_RE = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00")
ROUTE_KEYS = ("active_time_intervals", "mute_time_intervals")


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _bounds(text: str) -> tuple[str, str]:
    """`a:b` -> (a, b); `a` -> (a, a). Days of the month may be negative (`-3:-1`)."""
    begin, sep, end = text.partition(":")
    return (begin, end) if sep else (begin, begin)


def _named(names: tuple[str, ...], offset: int) -> Callable[[str], int | None]:
    def read(text: str) -> int | None:
        lowered = text.strip().lower()
        if lowered in names:
            return names.index(lowered) + offset
        return None
    return read


def _month(text: str) -> int | None:
    named = _named(MONTHS, 1)(text)
    if named is not None:
        return named
    return int(text) if text.isdigit() and 1 <= int(text) <= 12 else None


def _day(text: str) -> int | None:
    try:
        day = int(text)
    except ValueError:
        return None
    return day if 1 <= abs(day) <= 31 else None


def _year(text: str) -> int | None:
    return int(text) if text.isdigit() and int(text) > 0 else None


_FIELDS: tuple[tuple[str, Callable[[str], int | None], str], ...] = (
    ("weekdays", _named(WEEKDAYS, 0), 'weekday names or ranges, e.g. "monday:friday", "saturday"'),
    ("days_of_month", _day, 'days 1 to 31, or -31 to -1 counted from the month\'s end, e.g. "1:7", "-1"'),
    ("months", _month, 'month names or numbers, e.g. "january:march", "12"'),
    ("years", _year, 'years or ranges, e.g. "2025", "2025:2027"'),
)


def _range_problem(key: str, text: str, read: Callable[[str], int | None]) -> str | None:
    begin_text, end_text = _bounds(text)
    begin, end = read(begin_text), read(end_text)
    if begin is None or end is None:
        return f'{key}: "{text}" is not a valid entry'
    if key == "days_of_month" and begin < 0 < end:
        return f'days_of_month "{text}": a range cannot start counting from the end and end counting from the start'
    if (begin > 0) == (end > 0) and begin > end:
        return f'{key} "{text}": the range starts after it ends'
    return None


def _interval(ctx: CheckContext, interval: TimeInterval, path: Path_) -> Iterable[Diagnostic]:
    for t, span in enumerate(interval.times):
        where = (*path, "times", t)
        bad = [key for key in ("start_time", "end_time") if not TIME_RE.fullmatch(getattr(span, key))]
        for key in bad:
            yield ctx.error("time-interval", f'{key} "{getattr(span, key)}" is not a time of day', (*where, key),
                            'HH:MM from "00:00" to "24:00", e.g. "09:00"')
        if not bad and _minutes(span.start_time) >= _minutes(span.end_time):
            yield ctx.error("time-interval", f"start_time {span.start_time} is not before end_time {span.end_time}",
                            (*where, "start_time"),
                            "a range crossing midnight is two ranges: 22:00-24:00 and 00:00-06:00")
    for key, read, hint in _FIELDS:
        for i, text in enumerate(getattr(interval, key)):
            problem = _range_problem(key, text, read)
            if problem is not None:
                yield ctx.error("time-interval", problem, (*path, key, i), hint)
    if interval.location is not None and interval.location not in ("UTC", "Local"):
        try:
            zoneinfo.ZoneInfo(interval.location)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            yield ctx.error("time-interval-location",
                            f'location "{interval.location}" is not an IANA time zone', (*path, "location"),
                            suggest(interval.location, zoneinfo.available_timezones())
                            or 'e.g. "Europe/Berlin", "America/New_York" or "UTC"')


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    alerting = ctx.spec.alerting
    if alerting is None:
        return
    defined: dict[str, Path_] = {}
    for n, named in enumerate(alerting.time_intervals):
        path: Path_ = ("alerting", "time_intervals", n)
        if named.name in defined:
            yield ctx.error("time-interval-duplicate", f'time interval "{named.name}" is defined twice',
                            (*path, "name"), "give each a distinct name")
        defined.setdefault(named.name, path)
        for i, interval in enumerate(named.intervals):
            yield from _interval(ctx, interval, (*path, "intervals", i))
    used: set[str] = set()
    undefined = False
    for route, route_path in ctx.routes():
        for key in ROUTE_KEYS:
            names = getattr(route, key)
            if names and route_path == ROUTE_ROOT:
                yield ctx.error("time-interval-root", f"the top-level route cannot have {key}",
                                (*route_path, key), "put them on a child route; the root takes every alert")
            for i, name in enumerate(names):
                used.add(name)
                if name not in defined:
                    undefined = True
                    yield ctx.error("time-interval-undefined", f'time interval "{name}" is not defined',
                                    (*route_path, key, i),
                                    suggest(name, list(defined)) or "define it under alerting.time_intervals")
    for name, path in defined.items():
        if name not in used and not undefined:  # a misspelt reference would make its target look unused
            yield ctx.warning("time-interval-unused", f'time interval "{name}" is used by no route',
                              (*path, "name"), "name it in a route's active_time_intervals or mute_time_intervals")

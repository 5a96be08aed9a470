"""Alert tests (rendered as promtool unit tests): input series are series (a name and `=` labels),
values use promtool's expanding notation, expectations name valid labels. Timings: durations.py."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from khaosobs.checks._support import span_location
from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic, suggest
from khaosobs.domain.prometheus_names import LABEL_NAME_RE
from khaosobs.domain.promql import outside_strings
from khaosobs.domain.series import SeriesIndex, series_index
from khaosobs.spec.loader import Path_
from khaosobs.spec.model import AlertTest

_NUMBER = r"(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[iI][nN][fF]|[nN][aA][nN])"
# promtool's series values: `1 2 3`, `_` (no sample), `stale`, `a+bxN` / `a-bxN` (N+1 samples), `axN`, `_xN`
VALUE_ITEM_RE = re.compile(rf"_(?:x[0-9]+)?|stale|[+-]?{_NUMBER}(?:[+-]{_NUMBER}x[0-9]+|x[0-9]+)?")
_NOT_EQUAL_RE = re.compile(r"=~|!=|!~")


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    index = series_index(ctx)
    for s, service in ctx.services():
        for a, alert in enumerate(service.alerts):
            for t, test in enumerate(alert.tests):
                yield from _test(ctx, index, test, ("services", s, "alerts", a, "tests", t))


def _test(ctx: CheckContext, index: SeriesIndex, test: AlertTest, path: Path_) -> Iterator[Diagnostic]:
    if not test.name.strip():
        yield ctx.warning(
            "alert-test", "the test has no name", (*path, "name"), "name it after what it shows"
        )
    for i, item in enumerate(test.series):
        yield from _series(ctx, index, item.series, (*path, "series", i, "series"))
        yield from _values(ctx, item.values, (*path, "series", i, "values"))
    if not test.expect:
        yield ctx.error(
            "alert-test",
            "the test expects nothing",
            (*path, "expect"),
            "add e.g. `- {at: 10m, firing: true}`",
        )
    for e, expect in enumerate(test.expect):
        for key in expect.labels:
            if not LABEL_NAME_RE.fullmatch(key):
                yield ctx.error(
                    "label-name",
                    f'"{key}" is not a valid label name',
                    (*path, "expect", e, "labels", key),
                    key=True,
                )


def _series(ctx: CheckContext, index: SeriesIndex, text: str, path: Path_) -> Iterator[Diagnostic]:
    analysis = ctx.analysis(text)
    if analysis.error is not None or analysis.root != "VectorSelector":
        problem = analysis.error or "an expression, not a series"
        yield ctx.error(
            "alert-test-series",
            f"invalid test series: {problem}",
            path,
            'a metric name and its labels, e.g. http_requests_total{code="500"}',
        )
        return
    if _NOT_EQUAL_RE.search(outside_strings(text)):
        yield ctx.error(
            "alert-test-series",
            "a test series has fixed labels: only `=` is allowed",
            path,
            'e.g. http_requests_total{code="500"}',
        )
        return
    selector = analysis.selectors[0]
    if selector.name is None:
        yield ctx.error("alert-test-series", "a test series needs a metric name", path)
    elif index.get(selector.name) is None:
        yield ctx.warning(
            "alert-test-series",
            f'test series "{selector.name}" is not a metric the spec defines, so no rule reads it',
            path,
            suggest(selector.name, index.names()),
            refers_to=selector.name,
        )


def _values(ctx: CheckContext, text: str, path: Path_) -> Iterator[Diagnostic]:
    items = text.split()
    if not items:
        yield ctx.error(
            "alert-test-values", "test series values are empty", path, "e.g. '0+10x20' or '1 1 0 0'"
        )
        return
    for match in re.finditer(r"\S+", text):
        item = match.group()
        if not VALUE_ITEM_RE.fullmatch(item):
            yield ctx.error(
                "alert-test-values",
                f'"{item}" is not in promtool\'s series notation',
                path,
                "values like '1 2 3', '0+10x20' (start+step x count), '5x10', '_' (no sample), 'stale'",
                location=span_location(ctx.loaded, path, text, match.start(), len(item)),
            )
            return

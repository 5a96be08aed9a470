"""SLOs: an objective strictly between 0 and 100, SLIs that select counters, a sensible window, and
burn-rate tiers that can actually fire."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from decimal import Decimal

from khaosobs.alerts import slo_tiers
from khaosobs.checks._promql import analyse
from khaosobs.checks._series import SeriesIndex, series_index
from khaosobs.checks.context import CheckContext
from khaosobs.checks.durations import duration_ms
from khaosobs.diagnostics import Diagnostic
from khaosobs.loader import Path_
from khaosobs.model import SLO

DAY_MS = 86_400_000
# The SRE workbook's tiers (as rendered by the prometheus target): (long window, short window, factor)
TIER_CONDITIONS = {
    "page": (("1h", "5m", Decimal("14.4")), ("6h", "30m", Decimal(6))),
    "ticket": (("1d", "2h", Decimal(3)), ("3d", "6h", Decimal(1))),
}
_COUNTER_SUFFIXES = ("_total", "_count", "_bucket")


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    index = series_index(ctx)
    for s, service in ctx.services():
        for i, slo in enumerate(service.slos):
            base: Path_ = ("services", s, "slos", i)
            yield from _objective(ctx, slo, base)
            yield from _window(ctx, slo, base)
            for part in ("errors", "total"):
                yield from _sli(ctx, index, getattr(slo.sli, part), (*base, "sli", part), part)
            if slo.sli.errors.strip() == slo.sli.total.strip():
                yield ctx.warning(
                    "slo-sli",
                    "errors and total select the same series: the error ratio is always 1",
                    (*base, "sli", "errors"),
                    'select the bad events only, e.g. x_total{status="error"}',
                )


def _objective(ctx: CheckContext, slo: SLO, base: Path_) -> Iterator[Diagnostic]:
    objective = slo.objective
    path = (*base, "objective")
    if math.isnan(objective) or not 0 < objective < 100:
        yield ctx.error(
            "slo-objective",
            f"objective {objective!r} must be a percentage strictly between 0 and 100",
            path,
            "e.g. 99.9 for 99.9% good events; 100 leaves no error budget to alert on",
        )
        return
    if objective < 1:  # a ratio where a percentage belongs: 0.999 means 0.999%, almost surely 99.9%
        percent = Decimal(repr(objective)) * 100
        yield ctx.warning(
            "slo-objective-ratio",
            f"objective {objective!r} is {objective!r}% good events: an error budget of {100 - objective:g}%",
            path,
            f"objective is a percentage: write {percent.normalize():f} for {percent.normalize():f}% good events",
        )
        return  # the burn-rate findings would only repeat it
    budget = 1 - Decimal(repr(objective)) / 100
    for tier_name, _tier in slo_tiers(slo):
        for long, short, factor in TIER_CONDITIONS[tier_name]:
            if factor * budget >= 1:
                yield ctx.warning(
                    "slo-burn-rate",
                    f"with an objective of {objective}%, the {tier_name} tier's "
                    f"{long}/{short} condition (burn rate {factor}) needs more than 100% errors: "
                    "it can never fire",
                    path,
                    f"raise the objective, or set `alerting: {{{tier_name}: false}}`",
                )
                break


def _window(ctx: CheckContext, slo: SLO, base: Path_) -> Iterator[Diagnostic]:
    ms = duration_ms(slo.window)
    if ms is None or ms == 0:
        return  # durations reports it
    if ms < DAY_MS:
        yield ctx.warning(
            "slo-window",
            f"SLO window {slo.window} is shorter than a day",
            (*base, "window"),
            "the burn-rate alerts look back up to 3 days; SLO windows are usually 7d, 28d or 30d",
        )


def _sli(ctx: CheckContext, index: SeriesIndex, text: str, path: Path_, part: str) -> Iterator[Diagnostic]:
    analysis = analyse(text)
    if analysis.error is not None:
        return  # promql reports it
    if analysis.root != "VectorSelector":
        yield ctx.error(
            "slo-sli-selector",
            f"the SLI's {part} must be a series selector, not an expression",
            path,
            'write the counter and its labels, e.g. http_requests_total{code=~"5.."}: '
            "khaosobs applies rate() over each window itself",
        )
        return
    selector = analysis.selectors[0]
    if selector.name is None or selector.regex_name:
        return
    series = index.get(selector.name)
    if series is None or series.kind == "histogram-base":
        return  # promql reports both
    if series.kind in ("gauge", "summary-quantile", "builtin"):
        what = "a summary's quantiles" if series.kind == "summary-quantile" else "a gauge"
        yield ctx.error(
            "slo-sli-type",
            f'SLI {part} "{selector.name}" is {what}: an SLI counts events, so it must be a counter',
            path,
            "use a counter (…_total), a histogram's _count or _bucket, or a recording rule of them",
        )
    elif series.kind == "external" and not selector.name.endswith(_COUNTER_SUFFIXES):
        yield ctx.warning(
            "slo-sli-type",
            f'SLI {part} "{selector.name}" does not look like a counter',
            path,
            "an SLI counts events: a counter ending in _total, _count or _bucket",
        )

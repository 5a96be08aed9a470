"""PromQL: every expression parses (as Prometheus 2.42 would), names only defined series, and uses
metric types correctly (rate() over counters, histogram_quantile() over a histogram's buckets)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Literal

from khaosobs.checks._support import span_location
from khaosobs.checks.context import CheckContext, Role
from khaosobs.diagnostics import Diagnostic, Location, suggest
from khaosobs.domain.promql import PROMQL_FUNCTIONS, error_span, grafana_substituted
from khaosobs.domain.promql_analysis import (
    GAUGE_FUNCTIONS,
    RATE_FUNCTIONS,
    Analysis,
    Quantile,
    Selector,
    selector_offset,
)
from khaosobs.domain.series import Series, SeriesIndex, series_index
from khaosobs.domain.slo import window_substituted
from khaosobs.domain.versions import prometheus_version
from khaosobs.spec.loader import Path_

SAME_LENGTH_WINDOW = "604800s"  # 7d, as long as `$window`: positions in an error_ratio SLI stay right


def analysis_for(ctx: CheckContext, text: str, role: Role) -> Analysis:
    if role == "panel":
        return ctx.analysis(grafana_substituted(text))
    return ctx.analysis(window_substituted(text, SAME_LENGTH_WINDOW) if role == "sli" else text)


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    index = series_index(ctx)
    target = prometheus_version(ctx.spec.targets.prometheus)
    shown_target = ctx.spec.targets.prometheus
    bucket_rules = _BucketRules(ctx, index)
    for expression in ctx.expressions("promql"):
        text, path, role = expression.text, expression.path, expression.role
        analysis = analysis_for(ctx, text, role)
        if analysis.error is not None:
            span = error_span(text, analysis.error)
            yield ctx.error(
                "promql-syntax", f"invalid PromQL: {analysis.error}", path, _syntax_hint(text, role, analysis.error),
                location=span_location(ctx.loaded, path, text, *span) if span else None,
            )
            continue
        for what, since, hint in analysis.compat:
            if target < since:
                yield ctx.error(
                    "promql-version",
                    f"{what} is not accepted by Prometheus {shown_target}",
                    path,
                    f"{hint}; or raise `targets: {{prometheus: ...}}`" if since < (99, 0) else hint,
                )
        for what, gone, hint in analysis.removed:
            if target >= gone:
                yield ctx.error(
                    "promql-version", f"{what} was removed in Prometheus {gone[0]}.{gone[1]}", path, hint
                )
        if role in ("alert", "record") and analysis.result == "string":
            yield ctx.error(
                "promql-result-type", "a rule expression must return a vector or a number, not a string", path
            )
        yield from _references(ctx, index, bucket_rules, text, path, analysis)


def _syntax_hint(text: str, role: Role, error: str = "") -> str | None:
    unknown = re.search(r"unknown function with name '([^']+)'", error)
    if unknown:
        return suggest(unknown.group(1), PROMQL_FUNCTIONS) or "see Prometheus' function reference"
    if "{{" in text:
        return "an expression is PromQL, not a Go template: `{{ ... }}` belongs in summary/description"
    if role == "panel" and "$" in text:
        return (
            "Grafana variables are only understood inside strings and range brackets (`[$__rate_interval]`)"
        )
    if not text.strip():
        return "write a PromQL expression, e.g. `up == 0`"
    return None


def locate(ctx: CheckContext, path: Path_, text: str, selector: Selector) -> Location | None:
    """The column of the selector's metric name, when the scalar is written so that it can be known."""
    offset = selector_offset(text, selector)
    if offset is None or selector.name is None:
        return None
    return span_location(ctx.loaded, path, text, offset, len(selector.name))


def _references(
    ctx: CheckContext,
    index: SeriesIndex,
    bucket_rules: _BucketRules,
    text: str,
    path: Path_,
    analysis: Analysis,
) -> Iterator[Diagnostic]:
    quantile_sources = {id(sel) for q in analysis.quantiles for sel in q.sources}
    for selector in analysis.selectors:
        if selector.name is None or selector.regex_name:
            continue  # `{__name__=~"..."}` or a bare `{job="x"}`: nothing to resolve
        series = index.get(selector.name)
        if series is None:
            hint = suggest(selector.name, index.names()) or (
                "declare it under a service's metrics, or in `external_metrics` if another system exports it"
            )
            yield ctx.error(
                "unknown-metric",
                f'metric "{selector.name}" is not defined in the spec',
                path,
                hint,
                location=locate(ctx, path, text, selector),
                refers_to=selector.name,
            )
        elif series.kind == "histogram-base" and id(selector) not in quantile_sources:
            yield ctx.error(
                "histogram-series",
                f'"{selector.name}" is a histogram: Prometheus has no series of that name',
                path,
                f"use {selector.name}_bucket (with rate() and histogram_quantile()), "
                f"{selector.name}_sum or {selector.name}_count",
                location=locate(ctx, path, text, selector),
            )
    for use in analysis.uses:
        yield from _function_use(ctx, index, text, path, use.function, use.selector)
    for quantile in analysis.quantiles:
        yield from _quantile(ctx, index, bucket_rules, text, path, quantile)


def _function_use(
    ctx: CheckContext, index: SeriesIndex, text: str, path: Path_, function: str, selector: Selector
) -> Iterator[Diagnostic]:
    if selector.name is None or selector.regex_name:
        return
    series = index.get(selector.name)
    if series is None:
        return
    if function in RATE_FUNCTIONS and series.kind in ("gauge", "summary-quantile", "builtin"):
        what = "a summary's quantiles (gauges)" if series.kind == "summary-quantile" else "a gauge"
        hint = (
            f"rate {selector.name}_sum and {selector.name}_count instead"
            if series.kind == "summary-quantile"
            else "for a gauge use deriv(), delta(), or avg_over_time()/max_over_time()"
        )
        yield ctx.error(
            "rate-over-gauge",
            f'{function}() over "{selector.name}", which is {what}: '
            f"{function}() is only meaningful for counters",
            path,
            hint,
            location=locate(ctx, path, text, selector),
        )
    elif function in GAUGE_FUNCTIONS and series.kind in ("counter", "bucket"):
        yield ctx.warning(
            "gauge-function-over-counter",
            f'{function}() over "{selector.name}", which is a counter',
            path,
            "for a counter use rate() or increase(): they handle counter resets",
            location=locate(ctx, path, text, selector),
        )


def _quantile(
    ctx: CheckContext,
    index: SeriesIndex,
    bucket_rules: _BucketRules,
    text: str,
    path: Path_,
    quantile: Quantile,
) -> Iterator[Diagnostic]:
    any_buckets = False
    for selector in quantile.sources:
        if selector.name is None or selector.regex_name:
            any_buckets = True  # unknown: give it the benefit of the doubt
            continue
        series = index.get(selector.name)
        if series is None:
            continue  # already reported as unknown
        verdict = _bucket_verdict(series, bucket_rules)
        if verdict == "ok":
            any_buckets = True
        elif verdict == "maybe":
            any_buckets = True
            yield ctx.warning(
                "histogram-quantile",
                f'histogram_quantile() over "{selector.name}", which does not '
                "look like a histogram's _bucket series",
                path,
                "histogram_quantile() needs the per-bucket series (`le` label) of a histogram",
                location=locate(ctx, path, text, selector),
            )
        else:
            yield ctx.error(
                "histogram-quantile",
                _quantile_message(selector.name, series),
                path,
                _quantile_hint(selector.name, series, index),
                location=locate(ctx, path, text, selector),
            )
    if quantile.drops_le and any_buckets:
        yield ctx.error(
            "histogram-quantile-le",
            "an aggregation inside histogram_quantile() drops the `le` label, so no quantile can be computed",
            path,
            "keep `le`: e.g. `sum by (le) (rate(x_bucket[5m]))`",
        )


def _bucket_verdict(series: Series, bucket_rules: _BucketRules) -> Literal["ok", "maybe", "no"]:
    if series.kind == "bucket":
        return "ok"
    if series.kind == "recording":
        return "ok" if bucket_rules.is_buckets(series.name) else "maybe"
    if series.kind == "external":
        return "ok" if series.name.endswith("_bucket") else "maybe"
    return "no"


def _quantile_message(name: str, series: Series) -> str:
    if series.kind == "histogram-base":
        return (
            f'histogram_quantile() over "{name}", the histogram\'s name: Prometheus has no series '
            "of that name, so this is always empty"
        )
    what = {
        "counter": "a counter",
        "gauge": "a gauge",
        "summary-quantile": "a summary",
        "builtin": "a built-in gauge",
    }.get(series.kind, series.kind)
    return f'histogram_quantile() over "{name}", which is {what}, not a histogram\'s _bucket series'


def _quantile_hint(name: str, series: Series, index: SeriesIndex) -> str:
    if series.kind == "histogram-base":
        return (
            f"use `rate({name}_bucket[5m])`, e.g. "
            f"histogram_quantile(0.95, sum by (le) (rate({name}_bucket[5m])))"
        )
    if series.kind == "summary-quantile":
        return f'a summary has its quantiles already: select them with {name}{{quantile="0.95"}}'
    if series.metric is not None and series.metric.endswith("_bucket"):
        return "declare the metric as a histogram"
    return "histogram_quantile() needs a histogram's per-bucket series (with the `le` label)"


class _BucketRules:
    """Whether a recording rule's output is (a rate of) histogram buckets, so a quantile may use it."""

    def __init__(self, ctx: CheckContext, index: SeriesIndex) -> None:
        self._ctx = ctx
        self._index = index
        self._memo: dict[str, bool] = {}

    def is_buckets(self, record: str, seen: frozenset[str] = frozenset()) -> bool:
        if record in self._memo:
            return self._memo[record]
        if record in seen:
            return False
        path = self._ctx.recording_rules.get(record)
        if path is None:  # a rule khaosobs generates (SLO ratios): never buckets
            return False
        service = self._ctx.spec.services[int(path[1])]
        expr = service.recording_rules[int(path[3])].expr
        analysis = self._ctx.analysis(expr)
        result = False
        if analysis.error is None and not analysis.quantiles:
            for selector in analysis.selectors:
                series = self._index.get(selector.name) if selector.name else None
                if series is None:
                    continue
                if (
                    series.kind == "bucket"
                    or (series.kind == "external" and series.name.endswith("_bucket"))
                    or (series.kind == "recording" and self.is_buckets(series.name, seen | {record}))
                ):
                    result = True
                    break
        self._memo[record] = result
        return result

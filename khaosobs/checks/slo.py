"""SLOs: an objective strictly between 0 and 100, exactly one SLI form whose series exist with the
right type and labels, burn-rate windows that fit in the SLO window, and tiers that can fire.

The meaning of windows, tiers and factors lives in `khaosobs.domain.slo`; this module only reports.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterable, Iterator
from decimal import Decimal

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic, suggest
from khaosobs.domain.durations import duration_ms
from khaosobs.domain.naming import ALERT_NAME_RE, dashboard_uid, slo_dashboard_uid
from khaosobs.domain.prometheus_names import LABEL_NAME_RE
from khaosobs.domain.series import SeriesIndex, series_index
from khaosobs.domain.slo import (
    TIER_NAMES,
    WINDOW_VARIABLE,
    AlertPlan,
    decimal_text,
    error_budget,
    histogram_buckets,
    parse_selector,
    prometheus_float,
    sli_form,
    tier_options,
)
from khaosobs.spec.loader import Path_
from khaosobs.spec.model import SLO, Service, SLOTier

DAY_MS = 86_400_000
_COUNTER_SUFFIXES = ("_total", "_count", "_bucket")
# labels khaosobs sets on every SLO series or alert itself
_RESERVED_LABELS = frozenset({"severity", "service", "team", "slo", "alertname", "le", "__name__"})
# a check that reports and then returns the labels of the series it checked (None: unknown)
Found = Generator[Diagnostic, None, set[str] | None]
_FORMS_HINT = ("write exactly one of: errors + total, good + total, latency: {histogram, threshold}, "
               "error_ratio, bool_gauge")


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    index = series_index(ctx)
    yield from _dashboard_uids(ctx)
    for s, service in ctx.services():
        for i, slo in enumerate(service.slos):
            base: Path_ = ("services", s, "slos", i)
            yield from _objective(ctx, service, slo, base)
            yield from _windows(ctx, service, slo, base)
            yield from _sli(ctx, index, slo, (*base, "sli"))
            yield from _labels(ctx, slo, base)


def _dashboard_uids(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A spec dashboard must not take the uid of a generated SLO dashboard (one file would hide the other)."""
    generated = {slo_dashboard_uid(service.name): service.name for service in ctx.spec.services if service.slos}
    for d, dashboard in enumerate(ctx.spec.dashboards):
        uid = dashboard_uid(dashboard.title, ctx.spec.project, dashboard.uid)
        if uid in generated:
            yield ctx.error("slo-dashboard-uid",
                            f'dashboard uid "{uid}" is the uid of the generated SLO dashboard of {generated[uid]}',
                            ("dashboards", d, "uid" if dashboard.uid else "title"),
                            "give the dashboard another `uid` (or title)")


def _enabled_tiers(ctx: CheckContext, service: Service, slo: SLO) -> tuple[AlertPlan, ...]:
    """The enabled burn-rate tiers, in order, with their conditions over the SLO's window (from the
    plan the checks share; none asked for when every tier is off)."""
    if all(tier_options(slo, tier_name) is None for tier_name in TIER_NAMES):
        return ()
    return ctx.slo_plan(service, slo).tiers


def _objective(ctx: CheckContext, service: Service, slo: SLO, base: Path_) -> Iterator[Diagnostic]:
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
    window_ms = duration_ms(slo.window)
    if not window_ms:
        return
    budget = error_budget(objective)
    for tier in _enabled_tiers(ctx, service, slo):
        tier_name = tier.tier
        for condition in tier.conditions:
            if condition.factor * budget >= 1:
                yield ctx.warning(
                    "slo-burn-rate",
                    f"with an objective of {objective}%, the {tier_name} tier's "
                    f"{condition.long}/{condition.short} condition (burn rate {decimal_text(condition.factor)}) "
                    "needs more than 100% errors: it can never fire",
                    path,
                    f"raise the objective, or set `alerting: {{{tier_name}: false}}`",
                )
                break


def _windows(ctx: CheckContext, service: Service, slo: SLO, base: Path_) -> Iterator[Diagnostic]:
    window_ms = duration_ms(slo.window)
    if not window_ms:
        return  # durations reports it
    too_short = False
    for tier in _enabled_tiers(ctx, service, slo):
        tier_name = tier.tier
        options = tier_options(slo, tier_name)
        tier_path: Path_ = (*base, "alerting", tier_name)
        for condition in tier.conditions:
            path = (*base, *condition.path) if condition.path else (*base, "window")
            long_ms, short_ms = duration_ms(condition.long), duration_ms(condition.short)
            if condition.path and not 0 < condition.share <= 1:
                yield ctx.error("slo-burn-window",
                                f"budget_share {condition.share} must be a fraction above 0 and at most 1",
                                (*path, "budget_share"), "e.g. 0.02: 2% of the window's budget")
            if not long_ms or not short_ms:
                continue  # durations reports it
            if short_ms >= long_ms:
                yield ctx.error("slo-burn-window",
                                f"the short window {condition.short} must be shorter than the long window "
                                f"{condition.long}", (*path, "short") if condition.path else path,
                                "the workbook's short window is 1/12 of the long one, e.g. 1h with 5m")
            if long_ms > window_ms:
                too_short = True
                yield ctx.error(
                    "slo-window-too-short",
                    f"SLO window {slo.window} is shorter than the {tier_name} tier's {condition.long} "
                    "long window: it would alert on more history than the SLO counts",
                    path,
                    f"lengthen the window (usually 7d, 28d or 30d), give the {tier_name} tier shorter "
                    f"`windows`, or set `alerting: {{{tier_name}: false}}`",
                )
        if isinstance(options, SLOTier) and options.windows == []:
            yield ctx.error("slo-burn-window", f"the {tier_name} tier has no windows", (*tier_path, "windows"),
                            "give at least one {long, short, budget_share}, or turn the tier off with `false`")
    if window_ms < DAY_MS and not too_short:
        yield ctx.warning(
            "slo-window",
            f"SLO window {slo.window} is shorter than a day",
            (*base, "window"),
            "SLO windows are usually 7d, 28d or 30d: a shorter one forgives every outage within a day",
        )


def _labels(ctx: CheckContext, slo: SLO, base: Path_) -> Iterator[Diagnostic]:
    places: list[tuple[dict[str, str], Path_]] = [(slo.labels, (*base, "labels")),
                                                  (slo.alerting.labels, (*base, "alerting", "labels"))]
    for tier in (*TIER_NAMES, "no_data"):
        options = tier_options(slo, tier)
        if options is None:
            continue
        places.append((options.labels, (*base, "alerting", tier, "labels")))
        if options.name is not None and not ALERT_NAME_RE.fullmatch(options.name):
            yield ctx.error("slo-alert-name", f'alert name "{options.name}" is not CamelCase',
                            (*base, "alerting", tier, "name"), "e.g. CheckoutLatencyPage")
    if slo.alerting.name is not None and not ALERT_NAME_RE.fullmatch(slo.alerting.name):
        yield ctx.error("slo-alert-name", f'alert name prefix "{slo.alerting.name}" is not CamelCase',
                        (*base, "alerting", "name"), "e.g. CheckoutLatency")
    for labels, path in places:
        for name in labels:
            if name in _RESERVED_LABELS:
                yield ctx.error("slo-labels", f'label "{name}" is set by khaosobs on SLO series and alerts',
                                (*path, name), "use another label name (severity has its own field)", key=True)
            elif not LABEL_NAME_RE.fullmatch(name):
                yield ctx.error("slo-labels", f'"{name}" is not a valid label name', (*path, name),
                                "letters, digits and _, not starting with a digit", key=True)


def _sli(ctx: CheckContext, index: SeriesIndex, slo: SLO, path: Path_) -> Iterator[Diagnostic]:
    sli = slo.sli
    forms = sli_form(slo)
    if len(forms) != 1 or (forms[0] in ("errors", "good")) != (sli.total is not None):
        if not forms:
            message = "the SLI sets no form"
        elif len(forms) > 1:
            message = f"the SLI sets {' and '.join(forms)}: only one form is allowed"
        elif sli.total is None:
            message = f"the SLI's {forms[0]} needs a total"
        else:
            message = f"total goes with errors or good, not with {forms[0]}"
        yield ctx.error("slo-sli-form", message, path, _FORMS_HINT)
        return
    form = forms[0]
    metric_labels: list[set[str] | None] = []
    if form in ("errors", "good"):
        for part in (form, "total"):
            found = yield from _counter(ctx, index, getattr(sli, part), (*path, part), part)
            metric_labels.append(found)
        if form == "errors" and sli.errors is not None and sli.total is not None \
                and sli.errors.strip() == sli.total.strip():
            yield ctx.warning(
                "slo-sli",
                "errors and total select the same series: the error ratio is always 1",
                (*path, "errors"),
                'select the bad events only, e.g. x_total{status="error"}',
            )
    elif form == "latency":
        metric_labels.append((yield from _latency(ctx, index, slo, (*path, "latency"))))
    elif form == "bool_gauge":
        metric_labels.append((yield from _bool_gauge(ctx, index, slo, (*path, "bool_gauge"))))
    elif form == "error_ratio" and sli.error_ratio is not None and WINDOW_VARIABLE not in sli.error_ratio:
        yield ctx.warning("slo-sli-window", "the error_ratio has no [$window] range: every burn-rate window "
                          "would see the same ratio", (*path, "error_ratio"),
                          'write each range as [$window], e.g. sum(rate(x{code=~"5.."}[$window])) / ...')
    yield from _group_by(ctx, slo, metric_labels, path)


def _group_by(ctx: CheckContext, slo: SLO, metric_labels: list[set[str] | None],
              sli_path: Path_) -> Iterator[Diagnostic]:
    base = sli_path[:-1]
    for g, label in enumerate(slo.group_by):
        where = (*base, "group_by", g)
        if label in _RESERVED_LABELS:
            yield ctx.error("slo-group-by", f'cannot group by "{label}": khaosobs sets it', where)
            continue
        if label in slo.labels:
            yield ctx.error("slo-group-by", f'"{label}" is both a group_by label and one of the SLO\'s labels',
                            where, "the SLO's fixed label would overwrite every group's value: rename one")
            continue
        for labels in metric_labels:
            if labels is not None and label not in labels:
                yield ctx.error("slo-group-by", f'the SLI\'s series have no label "{label}"', where,
                                suggest(label, sorted(labels)) or f"labels: {', '.join(sorted(labels)) or 'none'}")
                break


def _declared_labels(ctx: CheckContext, index: SeriesIndex, name: str) -> set[str] | None:
    series = index.get(name)
    if series is None or series.metric is None or series.metric not in ctx.metrics:
        return None  # external, built-in or a recording rule: labels unknown
    return set(ctx.metrics[series.metric][0].labels)


def _unknown_labels(ctx: CheckContext, labels: set[str] | None, used: Iterable[str], metric: str,
                    path: Path_) -> Iterator[Diagnostic]:
    if labels is None:
        return
    for label in used:
        if label not in labels and label != "le":
            yield ctx.error("slo-sli-label", f'"{metric}" has no label "{label}"', path,
                            suggest(label, sorted(labels)) or f"its labels: {', '.join(sorted(labels)) or 'none'}")


def _counter(ctx: CheckContext, index: SeriesIndex, text: str | None, path: Path_,
             part: str) -> Found:
    if text is None:
        return None
    analysis = ctx.analysis(text)
    if analysis.error is not None:
        return None  # promql reports it
    if analysis.root != "VectorSelector":
        yield ctx.error(
            "slo-sli-selector",
            f"the SLI's {part} must be a series selector, not an expression",
            path,
            'write the counter and its labels, e.g. http_requests_total{code=~"5.."}: '
            "khaosobs applies rate() over each window itself",
        )
        return None
    selector = analysis.selectors[0]
    if selector.name is None or selector.regex_name:
        return None
    series = index.get(selector.name)
    if series is None or series.kind == "histogram-base":
        return None  # promql reports both
    if series.kind in ("gauge", "summary-quantile", "builtin"):
        what = "a summary's quantiles" if series.kind == "summary-quantile" else "a gauge"
        yield ctx.error(
            "slo-sli-type",
            f'SLI {part} "{selector.name}" is {what}: an SLI counts events, so it must be a counter',
            path,
            "use a counter (…_total), a histogram's _count or _bucket, or a recording rule of them; "
            "a 0/1 gauge is a `bool_gauge` SLI",
        )
        return None
    if series.kind == "external" and not selector.name.endswith(_COUNTER_SUFFIXES):
        yield ctx.warning(
            "slo-sli-type",
            f'SLI {part} "{selector.name}" does not look like a counter',
            path,
            "an SLI counts events: a counter ending in _total, _count or _bucket",
        )
    labels = _declared_labels(ctx, index, selector.name)
    yield from _unknown_labels(ctx, labels, selector.labels, selector.name, path)
    return labels


def _latency(ctx: CheckContext, index: SeriesIndex, slo: SLO, path: Path_) -> Found:
    latency = slo.sli.latency
    assert latency is not None
    selector = parse_selector(latency.histogram)
    where = (*path, "histogram")
    if selector is None:
        yield ctx.error("slo-sli-selector", f'"{latency.histogram}" is not a histogram name (with optional '
                        "label matchers)", where, 'e.g. http_request_duration_seconds{route="/api"}')
        return None
    declared = ctx.metrics.get(selector.name)
    if declared is None:
        if selector.name in ctx.external_metrics:
            return None  # defined elsewhere: its buckets are unknown
        names = sorted(n for n, (m, _) in ctx.metrics.items() if m.type == "histogram")
        yield ctx.error("slo-sli-metric", f'"{selector.name}" is not a histogram the spec defines', where,
                        suggest(selector.name, names) or "declare it under the service's metrics with type histogram")
        return None
    metric = declared[0]
    if metric.type != "histogram":
        yield ctx.error("slo-sli-type", f'"{selector.name}" is a {metric.type}: a latency SLI needs a histogram',
                        where, "declare the metric with type: histogram")
        return None
    buckets = histogram_buckets(metric)
    threshold = latency.threshold
    if not any(float(b) == float(threshold) for b in buckets):
        shown = ", ".join(prometheus_float(b) for b in buckets)
        yield ctx.error(
            "slo-latency-threshold",
            f"threshold {prometheus_float(threshold)} is not a bucket of {selector.name}",
            (*path, "threshold"),
            f"a request's latency is only known per bucket; use one of: {shown}",
        )
    labels = set(metric.labels)
    yield from _unknown_labels(ctx, labels, [m[0] for m in selector.matchers], selector.name, where)
    return labels


def _bool_gauge(ctx: CheckContext, index: SeriesIndex, slo: SLO, path: Path_) -> Found:
    text = slo.sli.bool_gauge
    assert text is not None
    selector = parse_selector(text)
    if selector is None:
        if ctx.analysis(text).error is None:
            yield ctx.error("slo-sli-selector", "a bool_gauge must be a series selector, not an expression", path,
                            'e.g. probe_success{job="blackbox"}: khaosobs averages it over each window')
        return None
    series = index.get(selector.name)
    if series is None:
        return None  # promql reports it
    if series.kind not in ("gauge", "builtin", "external", "recording"):
        yield ctx.error("slo-sli-type", f'bool_gauge "{selector.name}" is not a gauge', path,
                        "a bool_gauge is a 0/1 gauge such as up or probe_success; count events with errors/total")
        return None
    labels = _declared_labels(ctx, index, selector.name)
    yield from _unknown_labels(ctx, labels, [m[0] for m in selector.matchers], selector.name, path)
    return labels

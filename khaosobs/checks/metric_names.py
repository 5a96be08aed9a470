"""Prometheus naming: metric and label name syntax, reserved labels, `_total` on counters, base
units, histogram buckets, recording rule names. Broken names are errors (the client library or
Prometheus refuses them); conventions are warnings."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

from khaosobs.checks._support import label_keys
from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.prometheus_names import LABEL_NAME_RE, METRIC_NAME_RE
from khaosobs.spec.loader import Path_
from khaosobs.spec.model import Metric

# Non-base units (Prometheus naming best practices): the base unit to use instead.
NON_BASE_UNITS = {
    "milliseconds": "seconds",
    "millis": "seconds",
    "ms": "seconds",
    "microseconds": "seconds",
    "us": "seconds",
    "nanoseconds": "seconds",
    "ns": "seconds",
    "minutes": "seconds",
    "hours": "seconds",
    "days": "seconds",
    "kilobytes": "bytes",
    "megabytes": "bytes",
    "gigabytes": "bytes",
    "terabytes": "bytes",
    "kb": "bytes",
    "mb": "bytes",
    "gb": "bytes",
    "kib": "bytes",
    "mib": "bytes",
    "gib": "bytes",
    "bits": "bytes",
    "percent": "ratio (0-1)",
    "percentage": "ratio (0-1)",
    "pct": "ratio (0-1)",
    "kilometers": "meters",
    "centimeters": "meters",
    "millimeters": "meters",
    "fahrenheit": "celsius",
    "milliamperes": "amperes",
    "kilowatts": "watts",
    "kilograms": "grams",
}
_SUFFIXES = ("total", "bucket", "count", "sum", "created", "info")
_SERIES_SUFFIXES = ("_bucket", "_count", "_sum", "_created")


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    for s, service in ctx.services():
        for m, metric in enumerate(service.metrics):
            yield from _metric(ctx, metric, ("services", s, "metrics", m))
        for r, rule in enumerate(service.recording_rules):
            yield from _record(ctx, rule.record, ("services", s, "recording_rules", r, "record"))
            yield from label_keys(ctx, rule.labels, ("services", s, "recording_rules", r, "labels"))
    for e, name in enumerate(ctx.spec.external_metrics):
        if not METRIC_NAME_RE.fullmatch(name):
            yield ctx.error(
                "metric-name",
                f'external metric "{name}" is not a valid metric name',
                ("external_metrics", e),
                "letters, digits, _ and :, not starting with a digit",
            )


def _metric(ctx: CheckContext, metric: Metric, path: Path_) -> Iterator[Diagnostic]:
    name = metric.name
    name_path = (*path, "name")
    if not METRIC_NAME_RE.fullmatch(name):
        yield ctx.error(
            "metric-name",
            f'"{name}" is not a valid metric name',
            name_path,
            "letters, digits and _, not starting with a digit",
        )
        return
    if ":" in name:
        yield ctx.error(
            "metric-name",
            f'metric "{name}" contains ":", which is reserved for recording rules',
            name_path,
            "use _ in instrumented metric names",
        )
    elif name.startswith("__"):
        yield ctx.error("metric-name", f'metric names starting with "__" are reserved: "{name}"', name_path)
    yield from _suffixes(ctx, metric, name_path)
    yield from _unit(ctx, name, name_path)
    yield from _labels(ctx, metric, path)
    yield from _buckets(ctx, metric, path)


def _suffixes(ctx: CheckContext, metric: Metric, path: Path_) -> Iterator[Diagnostic]:
    name, kind = metric.name, metric.type
    if kind == "counter" and not name.endswith("_total"):
        yield ctx.warning(
            "counter-total",
            f'counter "{name}" does not end in _total',
            path,
            f'name it "{name}_total": prometheus_client exposes it under that name anyway',
        )
    elif kind != "counter" and name.endswith("_total"):
        yield ctx.warning("metric-suffix", f'{kind} "{name}" ends in _total, which marks a counter', path)
    if kind in ("histogram", "summary") and name.endswith(_SERIES_SUFFIXES):
        yield ctx.warning(
            "metric-suffix",
            f'{kind} "{name}" ends in a suffix Prometheus adds to its series',
            path,
            f"its series would be named like {name}_bucket / {name}_count: drop the suffix",
        )


def _unit(ctx: CheckContext, name: str, path: Path_) -> Iterator[Diagnostic]:
    words = name.lower().split("_")
    while words and words[-1] in _SUFFIXES:
        words.pop()
    for word in reversed(words[-2:]):  # the unit is the last word before the type suffix
        if word in NON_BASE_UNITS:
            yield ctx.warning(
                "metric-unit",
                f'metric "{name}" uses the unit "{word}", which is not a base unit',
                path,
                f"Prometheus convention: use {NON_BASE_UNITS[word]} and convert in dashboards",
            )
            return


def _labels(ctx: CheckContext, metric: Metric, path: Path_) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for i, label in enumerate(metric.labels):
        where = (*path, "labels", i)
        if label in seen:
            yield ctx.error("label-duplicate", f'label "{label}" is listed twice', where)
            continue
        seen.add(label)
        if not LABEL_NAME_RE.fullmatch(label):
            yield ctx.error(
                "label-name",
                f'"{label}" is not a valid label name',
                where,
                "letters, digits and _, not starting with a digit",
            )
        elif label.startswith("__"):
            yield ctx.error(
                "label-reserved",
                f'label names starting with "__" are reserved for Prometheus: "{label}"',
                where,
            )
        elif label == "le":
            if metric.type == "histogram":
                yield ctx.error(
                    "label-reserved",
                    'a histogram cannot declare the label "le": Prometheus adds it to each bucket',
                    where,
                    "remove it; prometheus_client refuses it",
                )
            else:
                yield ctx.warning(
                    "label-reserved",
                    f'label "le" on a {metric.type} is easily confused with histogram buckets',
                    where,
                    "rename it",
                )
        elif label == "quantile":
            if metric.type == "summary":
                yield ctx.error(
                    "label-reserved",
                    'a summary cannot declare the label "quantile": Prometheus adds it',
                    where,
                    "remove it; prometheus_client refuses it",
                )
            else:
                yield ctx.warning(
                    "label-reserved",
                    f'label "quantile" on a {metric.type} is easily confused with summary quantiles',
                    where,
                    "rename it",
                )


def _buckets(ctx: CheckContext, metric: Metric, path: Path_) -> Iterator[Diagnostic]:
    buckets = metric.buckets
    if buckets is None:
        return
    where = (*path, "buckets")
    if metric.type != "histogram":
        yield ctx.error(
            "buckets", f"buckets are only for histograms, and {metric.name} is a {metric.type}", where
        )
        return
    if not buckets:
        yield ctx.error(
            "buckets",
            "a histogram needs at least one bucket",
            where,
            "leave `buckets` out for the client's defaults",
        )
        return
    for i, bound in enumerate(buckets):
        if math.isnan(bound) or bound <= 0:
            yield ctx.error("buckets", f"bucket bound {bound!r} must be a positive number", (*where, i))
            return
        if i and bound <= buckets[i - 1]:
            yield ctx.error(
                "buckets",
                f"bucket bounds must be strictly increasing: {bound!r} follows {buckets[i - 1]!r}",
                (*where, i),
            )
            return


def _record(ctx: CheckContext, record: str, path: Path_) -> Iterator[Diagnostic]:
    if not METRIC_NAME_RE.fullmatch(record):
        yield ctx.error(
            "record-name",
            f'recording rule name "{record}" is not a valid metric name',
            path,
            "letters, digits, _ and :, e.g. job:http_requests:rate5m",
        )
        return
    if record in ctx.metrics:
        yield ctx.error(
            "record-name",
            f'recording rule "{record}" has the name of a declared metric',
            path,
            "both would write the same series: name the rule level:metric:operations",
        )
    elif record.count(":") < 2 or not all(record.split(":")[:2]):
        # level:metric:operations, where operations may be several (instance:node_cpu:rate:sum)
        yield ctx.warning(
            "record-name",
            f'recording rule "{record}" does not follow level:metric:operations',
            path,
            "Prometheus convention, e.g. service:http_requests:rate5m",
        )

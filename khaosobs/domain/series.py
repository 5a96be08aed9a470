"""Which series names a spec defines, and what kind of series each one is.

A metric declared once exposes several series: a histogram `x` has `x_bucket`, `x_sum`,
`x_count` (and no series called `x`), a summary `x` has its quantiles as `x` plus `x_sum` and
`x_count`, a counter `x_total` is `x_total` (a counter declared as `x` is exposed by
prometheus_client as `x_total`, so both are accepted). Built once per check run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from khaosobs.spec.sources import Path_

if TYPE_CHECKING:
    from khaosobs.checks.context import CheckContext

Kind = Literal[
    "counter",
    "gauge",
    "bucket",
    "summary-quantile",
    "histogram-base",
    "recording",
    "external",
    "builtin",
]

# Series every Prometheus has without anyone declaring them.
BUILTIN_SERIES: dict[str, Kind] = {
    name: "builtin"
    for name in (
        "up",
        "ALERTS",
        "ALERTS_FOR_STATE",
        "scrape_duration_seconds",
        "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling",
        "scrape_series_added",
        "scrape_timeout_seconds",
        "scrape_sample_limit",
        "scrape_body_size_bytes",
    )
}
SLO_RECORD_PREFIX = "slo:"  # the recording rules khaosobs writes for SLOs (naming.slo_ratio_record)


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    kind: Kind
    metric: str | None = None  # the declared metric it comes from
    path: Path_ = ()  # where that metric (or recording rule) is defined
    metric_type: str | None = None


class SeriesIndex:
    def __init__(self, ctx: CheckContext) -> None:
        self.series: dict[str, Series] = {}
        for name, kind in BUILTIN_SERIES.items():
            self.series[name] = Series(name, kind)
        for name in ctx.external_metrics:
            self.series.setdefault(name, Series(name, "external"))
        for name, path in ctx.recording_rules.items():
            self.series[name] = Series(name, "recording", path=path)
        for name, (metric, path) in ctx.metrics.items():
            t = metric.type
            if t == "counter":
                base = name.removesuffix("_total")
                self._add(Series(f"{base}_total", "counter", name, path, t))
                self._add(Series(name, "counter", name, path, t))
                self._add(Series(f"{base}_created", "gauge", name, path, t))
            elif t == "gauge":
                self._add(Series(name, "gauge", name, path, t))
            elif t == "histogram":
                self._add(Series(name, "histogram-base", name, path, t))
                self._add(Series(f"{name}_bucket", "bucket", name, path, t))
                self._add(Series(f"{name}_sum", "counter", name, path, t))
                self._add(Series(f"{name}_count", "counter", name, path, t))
                self._add(Series(f"{name}_created", "gauge", name, path, t))
            else:  # summary
                self._add(Series(name, "summary-quantile", name, path, t))
                self._add(Series(f"{name}_sum", "counter", name, path, t))
                self._add(Series(f"{name}_count", "counter", name, path, t))
                self._add(Series(f"{name}_created", "gauge", name, path, t))
        self.has_slos = any(service.slos for service in ctx.spec.services)
        self._names: list[str] | None = None

    def _add(self, series: Series) -> None:
        # a declared metric wins over an external or built-in name; the first declaration wins otherwise
        existing = self.series.get(series.name)
        if existing is None or existing.kind in ("external", "builtin"):
            self.series[series.name] = series

    def get(self, name: str) -> Series | None:
        found = self.series.get(name)
        if found is None and self.has_slos and name.startswith(SLO_RECORD_PREFIX):
            return Series(name, "recording")
        return found

    def names(self) -> list[str]:
        """Candidate names for a "did you mean" hint (histogram base names are no series)."""
        if self._names is None:
            self._names = sorted(n for n, s in self.series.items() if s.kind != "histogram-base")
        return self._names


def series_index(ctx: CheckContext) -> SeriesIndex:
    """One index per check run, shared by the checks that need it (cached on the context)."""
    return ctx.series_index

"""The labels each metric, recording rule and expression of a spec can carry, computed once per
check run (`CheckContext.label_index`) for the checks that judge labels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from khaosobs.domain.labels import (
    TARGET_LABELS,
    UNKNOWN,
    LabelAnalysis,
    LabelMisuse,
    LabelSet,
    SeriesKind,
    analyse_labels,
    series_labels,
)
from khaosobs.domain.promql import PromQLError, parse_promql
from khaosobs.domain.scrape import target_labels
from khaosobs.domain.series import SLO_RECORD_PREFIX, SeriesIndex

if TYPE_CHECKING:
    from khaosobs.checks.context import CheckContext


def parsed_tree(text: str) -> Any:
    """The tree of `text` (shared: `parse_promql` keeps the last few), None when it does not parse."""
    try:
        return parse_promql(text)
    except PromQLError:
        return None


class LabelIndex:
    """The labels each metric, recording rule and expression of the spec can carry."""

    def __init__(self, ctx: CheckContext, index: SeriesIndex) -> None:
        self.ctx = ctx
        self.index = index
        self._records: dict[str, list[tuple[str, list[str]]]] = {}
        for service in ctx.spec.services:
            for rule in service.recording_rules:
                self._records.setdefault(rule.record, []).append((rule.expr, list(rule.labels)))
        # a metric's target labels: those of every service declaring it (one name in two
        # services is reported elsewhere; until fixed, either scrape may have written the series)
        self._targets: dict[str, frozenset[str]] = {}
        for service in ctx.spec.services:
            added = target_labels(ctx.spec, service)
            for metric in service.metrics:  # one shared set per service, unless a name is declared twice
                previous = self._targets.get(metric.name)
                self._targets[metric.name] = added if previous is None else previous | added
        self._resolved: dict[str, LabelSet] = {}
        self._families: dict[tuple[str, str], LabelSet] = {}  # (metric, kind): its series' labels, shared
        self._analyses: dict[str, LabelAnalysis] = {}
        self._resolving: set[str] = set()

    def resolve(self, name: str) -> LabelSet:
        found = self._resolved.get(name)
        if found is not None:
            return found
        if name in self._resolving:
            return UNKNOWN  # a recording rule reading itself (a cycle): nothing can be said
        self._resolving.add(name)
        try:
            found = self._resolve(name)
        finally:
            self._resolving.discard(name)
        self._resolved[name] = found
        return found

    def _resolve(self, name: str) -> LabelSet:
        if name in self._records:
            result = LabelSet()
            for expr, labels in self._records[name]:
                result = result.union(self.expression(expr).with_labels(labels))
            return result
        series = self.index.get(name)
        if series is None or name.startswith(SLO_RECORD_PREFIX) or series.metric is None:
            return UNKNOWN
        declared = self.ctx.metrics.get(series.metric)
        if declared is None:  # pragma: no cover - the index is built from ctx.metrics
            return UNKNOWN
        kind: SeriesKind = series.kind if series.kind in ("bucket", "summary-quantile") else "plain"
        found = self._families.get((series.metric, kind))
        if found is None:  # x_sum, x_count, x_created of one metric carry the same labels: one set
            target = self._targets.get(series.metric, TARGET_LABELS)
            found = self._families[(series.metric, kind)] = series_labels(declared[0].labels, kind, target)
        return found

    def analysis(self, text: str) -> LabelAnalysis:
        """The expression's labels and misused labels, once per distinct text (UNKNOWN: no parse)."""
        found = self._analyses.get(text)
        if found is None:
            tree = parsed_tree(text)
            found = LabelAnalysis(UNKNOWN) if tree is None else analyse_labels(tree, self.resolve)
            self._analyses[text] = found
        return found

    def expression(self, text: str) -> LabelSet:
        """What the expression's result can carry (UNKNOWN when it does not parse)."""
        return self.analysis(text).result

    def misuses(self, text: str) -> list[LabelMisuse]:
        return self.analysis(text).misuses

"""How declared metrics are read: a summary's quantiles are read only where they exist (the
`prometheus_client` Summary khaosobs generates exposes none: only `_sum`
and `_count`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import promql_parser

from khaosobs.checks._labels import parsed_tree
from khaosobs.checks._support import span_location
from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.promql import grafana_substituted
from khaosobs.domain.promql_analysis import name_offsets
from khaosobs.spec.loader import Path_

COUNTER_READERS = frozenset({"rate", "irate", "increase", "resets"})
# Functions and aggregations that count series or samples: a raw counter there is fine.
SERIES_COUNTERS = frozenset({"count", "group", "absent", "absent_over_time", "count_over_time",
                             "present_over_time", "timestamp", "changes", "count_values"})


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    index = ctx.series_index
    quantiles = {name for name, series in index.series.items() if series.kind == "summary-quantile"}
    if not quantiles:
        return  # only a summary's quantile series is ever reported here
    for expression in ctx.expressions("promql"):
        text, path, role = expression.text, expression.path, expression.role
        query = grafana_substituted(text) if role == "panel" else text
        # the analysis (shared with other checks) names every selector's metric the walk below can
        # find: an expression naming no quantile series needs no tree
        if not any(selector.name in quantiles for selector in ctx.analysis(query).selectors):
            continue
        tree = parsed_tree(query)
        if tree is None:
            continue  # reported by checks/promql.py
        for name, occurrence, _read in _selectors(tree):
            series = index.get(name)
            if series is None or series.metric is None:
                continue
            # a counter shown raw in a panel: checks/dashboard_rules.py (panel-counter-aggregation)
            if series.kind == "summary-quantile":
                yield ctx.warning(
                    "summary-no-quantiles",
                    f'"{name}" is a summary\'s quantile series, which the generated prometheus_client Summary '
                    "never exposes", path,
                    f"read {name}_sum and {name}_count, e.g. rate({name}_sum[5m]) / rate({name}_count[5m]); "
                    "for quantiles declare it a histogram",
                    location=_where(ctx, path, text, name, occurrence))


def _where(ctx: CheckContext, path: Path_, text: str, name: str, occurrence: int) -> Any:
    offsets = name_offsets(text).get(name, [])
    if not offsets:
        return None
    return span_location(ctx.loaded, path, text, offsets[min(occurrence, len(offsets) - 1)], len(name))


def _selectors(root: Any) -> Iterator[tuple[str, int, bool]]:
    """(metric name, its occurrence among selectors of that name, read by a counter function)."""
    counts: dict[str, int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    p = promql_parser
    while stack:
        node, read = stack.pop()
        children: list[tuple[Any, bool]] = []
        if isinstance(node, p.VectorSelector):
            name = node.name or next((m.value for m in node.matchers.matchers
                                      if m.name == "__name__" and str(m.op) == "MatchOp.Equal"), None)
            if name:
                occurrence = counts.get(name, 0)
                counts[name] = occurrence + 1
                yield name, occurrence, read
        elif isinstance(node, p.MatrixSelector):
            children.append((node.vector_selector, read))
        elif isinstance(node, (p.ParenExpr, p.UnaryExpr, p.SubqueryExpr)):
            children.append((node.expr, read))
        elif isinstance(node, p.Call):
            name = str(node.func.name)
            children += [(arg, read or name in COUNTER_READERS or name in SERIES_COUNTERS) for arg in node.args]
        elif isinstance(node, p.AggregateExpr):
            op = str(node.op)
            if node.param is not None:
                children.append((node.param, read))
            children.append((node.expr, read or op in SERIES_COUNTERS))
        elif isinstance(node, p.BinaryExpr):
            children += [(node.lhs, read), (node.rhs, read)]
        stack.extend(reversed(children))

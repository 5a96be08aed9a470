"""Grafana display units derived from PromQL: what a query's result measures.

The rules (the user-facing reference for them) are in the comment below; the spec's own
`unit:` on a metric wins over the name-derived one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import promql_parser

from khaosobs.domain.promql import LITERAL_NODES, ONE_CHILD_NODES
from khaosobs.domain.promql_print import children, parse_query
from khaosobs.spec.model import Metric

# The display unit of a query, read from its PromQL syntax tree (never from regexes over the text):
# - a series' value unit comes from the spec metric's `unit`, else its name's base-unit suffix
#   (`_seconds` s, `_bytes` bytes, `_ratio` percentunit, ... see BASE_UNITS), looked up on the name
#   without `_total`/`_sum`/`_bucket`/`_count`; `_count`, `_bucket` and unit-less `_total` series
#   count events;
# - rate()/irate() make it per second: events -> "reqps" for `..._requests_total`, else "ops";
#   bytes -> "Bps", bits -> "bps", seconds -> "percentunit" (busy fraction), joules -> "watt";
# - increase()/delta() keep the value unit, events become "short"; count(), count_over_time(),
#   changes(), resets() -> "short"; histogram_quantile() -> the histogram's value unit;
# - other functions and aggregations keep their argument's unit; a comparison filter keeps its
#   left side's (`... > 5` is still seconds); `x * 100` of a ratio is "percent";
# - `a / b`: `x_sum / x_count` -> x's value unit; two operands of one unit -> "percentunit" (a ratio);
# - recording rules `level:metric:operations`: "rate" operations are per second of `metric`,
#   "ratio" ones percentunit;
# - otherwise no unit (Grafana's default). A panel with several queries gets a unit only when all
#   queries that have one agree.

BASE_UNITS = (
    ("_seconds", "s"),
    ("_milliseconds", "ms"),
    ("_microseconds", "µs"),
    ("_bytes", "bytes"),
    ("_bits", "bits"),
    ("_ratio", "percentunit"),
    ("_percent", "percent"),
    ("_celsius", "celsius"),
    ("_volts", "volt"),
    ("_amperes", "amp"),
    ("_watts", "watt"),
    ("_joules", "joule"),
    ("_meters", "lengthm"),
)
_BASE_UNIT_OF_WORD = {suffix[1:]: unit for suffix, unit in BASE_UNITS}  # "seconds" -> "s": one lookup
PER_SECOND = {"bytes": "Bps", "bits": "bps", "s": "percentunit", "joule": "watt"}
EVENTS = "events"  # marker: the series counts something without a unit
RATE_FUNCTIONS = {"rate", "irate"}
INCREASE_FUNCTIONS = {"increase", "delta", "idelta"}
COUNT_FUNCTIONS = {"count_over_time", "changes", "resets"}
NO_UNIT_FUNCTIONS = {
    "absent",
    "absent_over_time",
    "present_over_time",
    "timestamp",
    "time",
    "vector",
    "scalar",
}
COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}
PER_SECOND_OR_INCREASE_FUNCTIONS = RATE_FUNCTIONS | INCREASE_FUNCTIONS


def common_unit(exprs: list[str], metrics: dict[str, Metric]) -> str | None:
    return agreed_unit(derive_unit(e, metrics) for e in exprs)


def agreed_unit(units: Iterable[str | None]) -> str | None:
    """A panel's unit from its queries' units: the one they agree on (those without one aside)."""
    found = {u for u in units if u is not None}
    return found.pop() if len(found) == 1 else None


def derive_unit(expr: str, metrics: dict[str, Metric]) -> str | None:
    """The Grafana unit id of a PromQL query's result (rules above), or None. Parsed as the panel
    rules and printers parse a query (`parse_query`), so the tree is the one they parsed just before."""
    parsed = parse_query(expr)
    if parsed is None:  # invalid: the checks report it; no unit, never a crash
        return None
    return tree_unit(parsed[0], metrics)


def tree_unit(tree: Any, metrics: dict[str, Metric]) -> str | None:
    """`derive_unit` of a query already parsed. The rules read no range or offset, so a tree whose
    Grafana range variables stand as other durations (`promql_print.parse_query`) gives the same."""
    try:
        return _display(_UnitReader(metrics).unit(tree))
    except RecursionError:  # absurdly deep nesting: Grafana's default unit will do
        return None


def observation_unit(series: str, metrics: dict[str, Metric]) -> str | None:
    """The unit of one observation of the family `series` belongs to (a heatmap's bucket axis)."""
    return _UnitReader(metrics).value_unit(_strip(series)[0])


def _display(unit: str | None) -> str | None:
    return "short" if unit == EVENTS else unit


class _UnitReader:
    def __init__(self, metrics: dict[str, Metric]) -> None:
        self.metrics = metrics

    def unit(self, node: Any) -> str | None:
        if isinstance(node, ONE_CHILD_NODES):
            return self.unit(node.expr)
        if isinstance(node, promql_parser.MatrixSelector):
            return self.unit(node.vector_selector)
        if isinstance(node, promql_parser.VectorSelector):
            name = _selector_name(node)
            return self.series_unit(name, per_second=False) if name else None
        if isinstance(node, promql_parser.Call):
            return self.call_unit(node)
        if isinstance(node, promql_parser.AggregateExpr):
            op = str(node.op)
            if op in ("count", "count_values"):
                return EVENTS
            return None if op == "group" else self.unit(node.expr)
        if isinstance(node, promql_parser.BinaryExpr):
            return self.binary_unit(node)
        return None  # number and string literals

    def call_unit(self, node: Any) -> str | None:
        func = node.func.name
        args = [
            a
            for a in node.args
            if not isinstance(a, LITERAL_NODES)
        ]
        if func in NO_UNIT_FUNCTIONS or not args:
            return None
        if func in COUNT_FUNCTIONS:
            return EVENTS
        if func in PER_SECOND_OR_INCREASE_FUNCTIONS:
            name = _first_selector_name(args[0])
            if name is None:
                return None
            return self.series_unit(name, per_second=func in RATE_FUNCTIONS)
        if func == "histogram_quantile":
            name = _first_selector_name(args[0])
            return self.value_unit(_strip(name)[0]) if name else None
        return self.unit(args[0])

    def binary_unit(self, node: Any) -> str | None:
        op = str(node.op)
        lhs_literal = isinstance(node.lhs, promql_parser.NumberLiteral)
        rhs_literal = isinstance(node.rhs, promql_parser.NumberLiteral)
        if op in COMPARISONS:
            if node.modifier is not None and node.modifier.return_bool:
                return None  # 0 or 1
            return self.unit(node.rhs if lhs_literal else node.lhs)
        if op in ("and", "or", "unless", "+", "-"):
            return self.unit(node.lhs) or self.unit(node.rhs)
        if op == "*":
            if lhs_literal or rhs_literal:
                literal, other = (node.lhs, node.rhs) if lhs_literal else (node.rhs, node.lhs)
                unit = self.unit(other)
                return "percent" if unit == "percentunit" and literal.val == 100 else unit
            return None
        if op == "/":
            if rhs_literal:
                return self.unit(node.lhs)
            lhs_name, rhs_name = _first_selector_name(node.lhs), _first_selector_name(node.rhs)
            if lhs_name and rhs_name:
                (lhs_stem, lhs_kind), (rhs_stem, rhs_kind) = _strip(lhs_name), _strip(rhs_name)
                if lhs_kind == "_sum" and rhs_kind == "_count" and lhs_stem == rhs_stem:
                    return self.value_unit(lhs_stem)
            lhs_unit, rhs_unit = self.unit(node.lhs), self.unit(node.rhs)
            return "percentunit" if lhs_unit is not None and lhs_unit == rhs_unit else None
        return None

    def value_unit(self, stem: str) -> str | None:
        """The unit of one observation of the metric family `stem` (spec unit first, then the name)."""
        for name in (stem, f"{stem}_total"):
            metric = self.metrics.get(name)
            if metric is not None and metric.unit:
                return metric.unit
        _, underscore, word = stem.rpartition("_")  # BASE_UNITS' suffixes are one `_word` each
        return _BASE_UNIT_OF_WORD.get(word) if underscore else None

    def series_unit(self, name: str, *, per_second: bool) -> str | None:
        if ":" in name:  # a recording rule, level:metric:operations
            parts = name.split(":")
            operations = parts[-1]
            if "ratio" in operations:
                return "percentunit"
            if len(parts) == 3 and operations.startswith(("rate", "irate")):
                return self.series_unit(f"{parts[1]}_total", per_second=True)
            return None
        stem, kind = _strip(name)
        value = self.value_unit(stem)
        counts = kind in ("_count", "_bucket") or (kind == "_total" and value is None)
        if not per_second:
            return EVENTS if counts else value
        if counts:
            return "reqps" if stem.endswith("_requests") else "ops"
        return PER_SECOND.get(value) if value is not None else None


def _strip(name: str) -> tuple[str, str]:
    for suffix in ("_bucket", "_total", "_count", "_sum"):
        if name.endswith(suffix):
            return name[: -len(suffix)], suffix
    return name, ""


def _selector_name(node: Any) -> str | None:
    if node.name:
        return str(node.name)
    for matcher in node.matchers.matchers:
        if matcher.name == "__name__" and matcher.op == promql_parser.MatchOp.Equal:
            return str(matcher.value)
    return None


def _first_selector_name(node: Any) -> str | None:
    """The metric name of the first series selector in `node`, depth first, children in written
    order (`promql_print.children`): a stack of nodes, not promql_parser.walk calling back into
    Python at every node."""
    pending = [node]
    while pending:
        node = pending.pop()
        if type(node) is promql_parser.VectorSelector:
            name = _selector_name(node)
            if name:
                return name
        pending.extend(reversed(children(node)))
    return None

"""PromQL, parsed once per distinct expression text: selectors, functions and their context.

`promql_parser` follows Prometheus 3 syntax; the stack targets Prometheus 2.42 by default, so
what 3.x accepts and 2.42 refuses is reported from the AST (functions, quoted names, `or` in
selectors) and from the text (numeric ranges). The parser gives no positions, so names are
located by scanning the text for the k-th occurrence of the identifier.

Parsing itself (and its guards) lives in `khaosobs.domain.promql`, shared with the targets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import promql_parser

from khaosobs.domain.prometheus_names import LABEL_NAME_RE, METRIC_NAME_RE
from khaosobs.domain.promql import LITERAL_NODES, ONE_CHILD_NODES, PromQLError, outside_strings, parse_promql
from khaosobs.domain.promql_print import children

# Functions and aggregators the parser knows that Prometheus 2.42 does not: the first release
# that has them (the experimental ones also need `--enable-feature=promql-experimental-functions`).
NEWER_FUNCTIONS: dict[str, tuple[int, int]] = {
    "sort_by_label": (2, 49),
    "sort_by_label_desc": (2, 49),
    "mad_over_time": (2, 49),
    "histogram_stddev": (2, 49),
    "histogram_stdvar": (2, 49),
    "histogram_avg": (2, 53),
    "limitk": (2, 54),
    "limit_ratio": (2, 54),
    "double_exponential_smoothing": (3, 0),
    "info": (3, 0),
    "ts_of_max_over_time": (3, 5),
    "ts_of_min_over_time": (3, 5),
    "ts_of_last_over_time": (3, 5),
    "first_over_time": (3, 7),
    "ts_of_first_over_time": (3, 7),
}
REMOVED_FUNCTIONS: dict[str, tuple[int, int]] = {
    "holt_winters": (3, 0)
}  # renamed double_exponential_smoothing
UTF8_NAMES_SINCE = (3, 0)
NUMERIC_DURATIONS_SINCE = (3, 0)

RATE_FUNCTIONS = frozenset({"rate", "irate", "increase"})  # counters only
GAUGE_FUNCTIONS = frozenset(
    {"delta", "idelta", "deriv", "predict_linear", "holt_winters", "double_exponential_smoothing"}
)  # gauges only
# Aggregations whose result keeps only the `by` labels (or drops the `without` ones).
_GROUPING_AGGREGATIONS = frozenset(
    {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "quantile"}
)



@dataclass(frozen=True, slots=True)
class Selector:
    name: str | None  # the fixed metric name (written as such or as __name__="…"), if any
    occurrence: int  # this is the n-th selector (0-based) of that name in the text
    ranged: bool  # inside a range selector `x[5m]`
    regex_name: bool  # a __name__ matcher other than `=`
    labels: tuple[str, ...]  # label names of its matchers (without __name__)


@dataclass(frozen=True, slots=True)
class FunctionUse:
    function: str
    selector: Selector  # the range selector the function is applied to directly


@dataclass(slots=True)
class Quantile:
    """A histogram_quantile() call: the selectors its vector argument is computed from."""

    sources: list[Selector] = field(default_factory=list)
    drops_le: bool = False  # an aggregation on the way removes the `le` label


@dataclass(frozen=True, slots=True)
class Analysis:
    error: str | None
    result: str | None = None  # "vector", "scalar", "matrix" or "string"
    root: str | None = None  # class name of the top node, e.g. "VectorSelector"
    selectors: tuple[Selector, ...] = ()
    uses: tuple[FunctionUse, ...] = ()
    quantiles: tuple[Quantile, ...] = ()
    compat: tuple[tuple[str, tuple[int, int], str], ...] = ()  # (what, needs version, hint)
    removed: tuple[tuple[str, tuple[int, int], str], ...] = ()  # (what, gone since, hint)


_NUMERIC_RANGE_RE = re.compile(
    r"\[\s*[0-9.]+\s*[\]:]|:\s*[0-9.]+\s*\]|\boffset\s+-?\s*[0-9.]+(?![0-9a-zA-Z.])"
)
@lru_cache(maxsize=16384)
def name_offsets(text: str) -> dict[str, list[int]]:
    """Where each identifier outside strings, braces and durations starts: metric and function names."""
    blank = outside_strings(text)
    found: dict[str, list[int]] = {}
    depth = 0
    i, n = 0, len(blank)
    while i < n:
        c = blank[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth = max(0, depth - 1)
        elif c.isdigit() or c == ".":
            while i < n and (blank[i].isalnum() or blank[i] == "."):
                i += 1
            continue
        elif depth == 0:
            match = METRIC_NAME_RE.match(blank, i)
            if match:
                found.setdefault(match.group(), []).append(i)
                i = match.end()
                continue
        i += 1
    return found


def selector_offset(text: str, selector: Selector) -> int | None:
    if selector.name is None:
        return None
    offsets = name_offsets(text).get(selector.name, [])
    if selector.occurrence < len(offsets):
        return offsets[selector.occurrence]
    return offsets[0] if offsets else None


@lru_cache(maxsize=16384)
def analyse(text: str) -> Analysis:
    """`analysis_of(text)`, memoised (bounded) for callers without a check run's context; the checks
    ask `CheckContext.analysis`, which keeps one per expression for the run however large the spec."""
    return analysis_of(text)


def analysis_of(text: str) -> Analysis:
    """Parse one expression and collect what the checks need; never raises."""
    if not text.strip():
        return Analysis("empty expression")
    blank = outside_strings(text)
    try:
        expr = parse_promql(text)
    except PromQLError as exc:
        return Analysis(str(exc))
    walker = _Walker()
    walker.walk(expr)
    compat = list(walker.compat)
    if _NUMERIC_RANGE_RE.search(blank):
        compat.append(
            (
                "a duration without a unit (e.g. `[300]`)",
                NUMERIC_DURATIONS_SINCE,
                "write the unit: `[5m]`, `offset 5m`",
            )
        )
    return Analysis(
        None,
        _result_type(expr),
        type(expr).__name__,
        tuple(walker.selectors),
        tuple(walker.uses),
        tuple(walker.quantiles),
        tuple(compat),
        tuple(walker.removed),
    )


def _result_type(expr: Any) -> str:
    if isinstance(expr, promql_parser.StringLiteral):
        return "string"
    if isinstance(expr, promql_parser.NumberLiteral):
        return "scalar"
    if isinstance(expr, (promql_parser.MatrixSelector, promql_parser.SubqueryExpr)):
        return "matrix"
    if isinstance(expr, promql_parser.ParenExpr):
        return _result_type(expr.expr)
    return "vector"


def _is_scalar(node: Any) -> bool:
    while isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr)):
        node = node.expr
    if isinstance(node, promql_parser.NumberLiteral):
        return True
    if isinstance(node, promql_parser.Call):
        return str(node.func.name) in ("scalar", "time", "pi")
    if isinstance(node, promql_parser.BinaryExpr):
        return _is_scalar(node.lhs) and _is_scalar(node.rhs)
    return False


class _Walker:
    """Depth-first, in text order, iteratively (deep expressions must not hit Python's recursion limit).

    Each stack entry carries the histogram_quantile() whose value argument the node feeds (if any)
    and the function it is the direct argument of (for rate-over-gauge and friends).
    """

    def __init__(self) -> None:
        self.selectors: list[Selector] = []
        self.uses: list[FunctionUse] = []
        self.quantiles: list[Quantile] = []
        self.compat: list[tuple[str, tuple[int, int], str]] = []
        self.removed: list[tuple[str, tuple[int, int], str]] = []
        self._counts: dict[str | None, int] = {}

    def walk(self, root: Any) -> None:
        stack: list[tuple[Any, Quantile | None, str | None, bool]] = [(root, None, None, False)]
        p = promql_parser
        while stack:
            node, quantile, applied, ranged = stack.pop()
            if isinstance(node, p.VectorSelector):  # a leaf, the commonest node: nothing to push
                self._selector(node, quantile, applied, ranged)
                continue
            if isinstance(node, p.MatrixSelector):
                stack.append((node.vector_selector, quantile, applied, True))
                continue
            if isinstance(node, ONE_CHILD_NODES):
                stack.append((node.expr, quantile, None, False))
                continue
            children: list[tuple[Any, Quantile | None, str | None, bool]] = []
            if isinstance(node, p.Call):
                name = str(node.func.name)
                self._function(name)
                args = list(node.args)
                if name == "histogram_quantile" and len(args) == 2:
                    q = Quantile()
                    self.quantiles.append(q)
                    children += [(args[0], None, None, False), (args[1], q, None, False)]
                else:
                    children += [
                        (a, None if isinstance(a, LITERAL_NODES) else quantile, name, False) for a in args
                    ]
            elif isinstance(node, p.AggregateExpr):
                op = str(node.op)
                self._function(op)
                if quantile is not None and op in _GROUPING_AGGREGATIONS and _drops_le(node.modifier):
                    quantile.drops_le = True
                param = node.param
                if param is not None:
                    children.append((param, None, None, False))
                children.append((node.expr, quantile, None, False))
            elif isinstance(node, p.BinaryExpr):
                lhs_q = rhs_q = quantile
                if quantile is not None:
                    lhs_q, rhs_q = self._binary_sources(node, quantile)
                children += [(node.lhs, lhs_q, None, False), (node.rhs, rhs_q, None, False)]
            stack.extend(reversed(children))

    @staticmethod
    def _binary_sources(node: Any, quantile: Quantile) -> tuple[Quantile | None, Quantile | None]:
        """Which side(s) of a binary operation the result's series (and their `le`) come from."""
        if _is_scalar(node.lhs):
            return None, quantile
        if _is_scalar(node.rhs):
            return quantile, None
        op = str(node.op).strip().lower()
        if op == "or":
            return quantile, quantile
        modifier = node.modifier
        card = str(getattr(modifier, "card", "")) if modifier is not None else ""
        if "OneToMany" in card:
            return None, quantile
        return quantile, None

    def _function(self, name: str) -> None:
        if name in NEWER_FUNCTIONS:
            major, minor = NEWER_FUNCTIONS[name]
            self.compat.append(
                (
                    f"function {name}()",
                    NEWER_FUNCTIONS[name],
                    f"{name}() needs Prometheus {major}.{minor} or later",
                )
            )
        if name in REMOVED_FUNCTIONS:
            self.removed.append(
                (
                    f"function {name}()",
                    REMOVED_FUNCTIONS[name],
                    "use double_exponential_smoothing() with Prometheus 3",
                )
            )

    def _selector(self, node: Any, quantile: Quantile | None, applied: str | None, ranged: bool) -> None:
        name = selector_name(node)
        regex_name = False
        labels: list[str] = []
        matchers = node.matchers
        for m in matchers.matchers:
            if m.name == "__name__":
                regex_name = regex_name or not _is_equality(m)
                continue
            labels.append(m.name)
            if not LABEL_NAME_RE.fullmatch(m.name):
                self.compat.append(
                    (
                        f'label name "{m.name}"',
                        UTF8_NAMES_SINCE,
                        "label names are letters, digits and _ before Prometheus 3",
                    )
                )
        if matchers.or_matchers:
            self.compat.append(
                (
                    "`or` inside a selector's braces",
                    (99, 0),
                    "write two selectors joined by the `or` operator",
                )
            )
        if name is not None and not METRIC_NAME_RE.fullmatch(name):
            self.compat.append(
                (
                    f'metric name "{name}"',
                    UTF8_NAMES_SINCE,
                    "metric names are letters, digits, _ and : before Prometheus 3",
                )
            )
        count = self._counts.get(name, 0)
        self._counts[name] = count + 1
        selector = Selector(name, count, ranged, regex_name, tuple(labels))
        self.selectors.append(selector)
        if quantile is not None:
            quantile.sources.append(selector)
        if applied is not None and ranged:
            self.uses.append(FunctionUse(applied, selector))


def _is_equality(matcher: Any) -> bool:
    op = str(matcher.op)
    return op.endswith("Equal") and "Not" not in op


def selector_name(node: Any) -> str | None:
    """The metric a vector selector names: before its braces, or by its first `__name__="..."`."""
    if node.name:
        return str(node.name)
    return next((str(m.value) for m in node.matchers.matchers if m.name == "__name__" and _is_equality(m)), None)


def selected_names(text: str) -> list[str]:
    """The metric names of `text`'s selectors, in the order `analysis_of` lists its selectors, without
    the rest of the analysis (a third of its cost): for a caller asking only which series a query
    reads. [] when it does not parse."""
    try:
        tree = parse_promql(text)
    except PromQLError:
        return []
    names: list[str] = []
    pending = [tree]
    while pending:  # depth first, children in written order: a stack takes them reversed
        node = pending.pop()
        if isinstance(node, promql_parser.VectorSelector):
            if (name := selector_name(node)) is not None:
                names.append(name)
        else:
            pending.extend(reversed(children(node)))
    return names


def _drops_le(modifier: Any) -> bool:
    if modifier is None:
        return True
    labels = list(modifier.labels)
    if "Without" in str(modifier.type):
        return "le" in labels
    return "le" not in labels

"""Which labels a PromQL expression's series can carry, computed on the parsed tree.

A `LabelSet` is the set of label names a series can carry; `open` means "and any other": an
external metric, a built-in series or anything khaosobs cannot know stays open, so nothing is
ever reported about it. The metric name (`__name__`) is never part of a set.

The rules follow Prometheus' engine (promql/engine.go): an aggregation keeps its `by` labels (or
drops its `without` ones), `topk`/`bottomk`/`limitk` keep whole series, `count_values` adds its
label; a one-to-one binary operation keeps the `on` labels (or drops the `ignoring` ones) of
its left side, `group_left`/`group_right` keep the "many" side and copy the `group_*` labels
from the "one" side; `or` can return either side, `and`/`unless` the left one;
`label_replace`/`label_join` add their destination, `histogram_quantile` drops `le`, `absent`
keeps the equality matchers of its selector, `vector`/`time`/`scalar` carry none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import promql_parser

# Labels Prometheus attaches to every scraped series (the target's labels); what a service's
# scrape adds to them is khaosobs.domain.scrape.target_labels.
TARGET_LABELS = ("job", "instance")
NAME_LABEL = "__name__"


@dataclass(frozen=True, slots=True)
class LabelSet:
    known: frozenset[str] = frozenset()
    open: bool = False  # may carry labels beyond `known` (unknown to khaosobs)

    def can_carry(self, label: str) -> bool:
        return label == NAME_LABEL or self.open or label in self.known

    def union(self, other: LabelSet) -> LabelSet:
        return LabelSet(self.known | other.known, self.open or other.open)

    def without(self, labels: Iterable[str]) -> LabelSet:
        return LabelSet(self.known - frozenset(labels), self.open)

    def only(self, labels: Iterable[str]) -> LabelSet:
        """The labels of `labels` this set can carry (a closed set)."""
        wanted = frozenset(labels)
        return LabelSet(wanted if self.open else wanted & self.known)

    def with_labels(self, labels: Iterable[str]) -> LabelSet:
        return LabelSet(self.known | frozenset(labels), self.open)

    def names(self) -> list[str]:
        return sorted(self.known)


UNKNOWN = LabelSet(frozenset(), True)
NO_LABELS = LabelSet()

SeriesKind = Literal["counter", "gauge", "bucket", "summary-quantile", "plain"]


def series_labels(declared: Iterable[str], kind: SeriesKind, target: Iterable[str] = TARGET_LABELS) -> LabelSet:
    """The labels a scraped series of a declared metric can carry; `target`: its scrape's target labels."""
    labels = set(declared) | set(target)
    if kind == "bucket":
        labels.add("le")
    elif kind == "summary-quantile":
        labels.add("quantile")
    return LabelSet(frozenset(labels))


Resolver = Callable[[str], LabelSet]  # a metric name -> the labels its series can carry

LabelRole = Literal["matcher", "by", "without", "on", "ignoring", "group_left", "group_right"]


@dataclass(frozen=True, slots=True)
class LabelMisuse:
    """A label named in the expression that the series it applies to can never carry."""

    label: str
    role: LabelRole
    available: LabelSet  # what the series there can carry
    metric: str | None = None  # the selector's metric, for a matcher


@dataclass(slots=True)
class LabelAnalysis:
    result: LabelSet
    scalar: bool = False
    misuses: list[LabelMisuse] = field(default_factory=list)


# Functions whose result carries no labels at all, or is a scalar.
_NO_LABEL_FUNCTIONS = frozenset({"vector"})
_SCALAR_FUNCTIONS = frozenset({"scalar", "time", "pi"})
# Aggregations returning whole input series (their labels untouched).
_SERIES_SELECTING_AGGREGATIONS = frozenset({"topk", "bottomk", "limitk", "limit_ratio"})
# Functions that may add labels khaosobs cannot know.
_OPEN_FUNCTIONS = frozenset({"info"})


def analyse_labels(expr: Any, resolve: Resolver) -> LabelAnalysis:
    """The labels `expr`'s result can carry, and every label it names that cannot exist."""
    misuses: list[LabelMisuse] = []
    try:
        result, scalar = _Evaluator(resolve, misuses).eval(expr)
    except RecursionError:  # pragma: no cover - parse_promql bounds the depth well below this
        return LabelAnalysis(UNKNOWN)
    return LabelAnalysis(result, scalar, misuses)


class _Evaluator:
    def __init__(self, resolve: Resolver, misuses: list[LabelMisuse]) -> None:
        self.resolve = resolve
        self.misuses = misuses

    def eval(self, node: Any) -> tuple[LabelSet, bool]:
        p = promql_parser
        if isinstance(node, (p.NumberLiteral, p.StringLiteral)):
            return NO_LABELS, True
        if isinstance(node, p.VectorSelector):
            return self.selector(node), False
        if isinstance(node, p.MatrixSelector):
            return self.selector(node.vector_selector), False
        if isinstance(node, (p.ParenExpr, p.UnaryExpr, p.SubqueryExpr)):
            return self.eval(node.expr)
        if isinstance(node, p.Call):
            return self.call(node)
        if isinstance(node, p.AggregateExpr):
            return self.aggregate(node), False
        if isinstance(node, p.BinaryExpr):
            return self.binary(node)
        return UNKNOWN, False  # pragma: no cover - a node type a newer parser adds

    def selector(self, node: Any) -> LabelSet:
        name: str | None = node.name or None
        selection = node.matchers  # each attribute read converts the Rust node: read it once
        matchers = selection.matchers
        for matcher in matchers:
            if matcher.name == NAME_LABEL and str(matcher.op) == "MatchOp.Equal":
                name = name or matcher.value
        if name is None or selection.or_matchers:
            return UNKNOWN
        available = self.resolve(name)
        for matcher in matchers:
            if matcher.name == NAME_LABEL:
                continue
            if str(matcher.op) == "MatchOp.Equal" and matcher.value == "":
                continue  # `label=""` selects series without the label: meaningful on any series
            if not available.can_carry(matcher.name):
                self.misuses.append(LabelMisuse(matcher.name, "matcher", available, name))
        return available

    def check(self, labels: Iterable[str], role: LabelRole, available: LabelSet) -> None:
        for label in labels:
            if not available.can_carry(label):
                self.misuses.append(LabelMisuse(label, role, available))

    def call(self, node: Any) -> tuple[LabelSet, bool]:
        name = str(node.func.name)
        args = list(node.args)
        evaluated = [self.eval(arg) for arg in args]
        if name in _SCALAR_FUNCTIONS:
            return NO_LABELS, True
        if name in _NO_LABEL_FUNCTIONS:
            return NO_LABELS, False
        if name in _OPEN_FUNCTIONS:
            return UNKNOWN, False
        if name in ("absent", "absent_over_time"):
            return _absent_labels(args[0] if args else None), False
        vectors = [labels for labels, scalar in evaluated if not scalar]
        base = vectors[0] if vectors else NO_LABELS
        if name in ("label_replace", "label_join") and len(args) >= 2:
            destination = args[1]
            if isinstance(destination, promql_parser.StringLiteral):
                return base.with_labels([destination.val]), False
            return UNKNOWN, False  # pragma: no cover - the parser requires a string
        if name == "histogram_quantile":
            return base.without(["le"]), False
        return base, False

    def aggregate(self, node: Any) -> LabelSet:
        op = str(node.op)
        if node.param is not None:
            self.eval(node.param)
        inner, _ = self.eval(node.expr)
        modifier = node.modifier
        if op in _SERIES_SELECTING_AGGREGATIONS:
            if modifier is not None:
                role: LabelRole = "without" if "Without" in str(modifier.type) else "by"
                self.check(modifier.labels, role, inner)
            return inner
        if modifier is None:
            result = NO_LABELS
        elif "Without" in str(modifier.type):
            self.check(modifier.labels, "without", inner)
            result = inner.without(modifier.labels)
        else:
            self.check(modifier.labels, "by", inner)
            result = inner.only(modifier.labels)
        if op == "count_values" and isinstance(node.param, promql_parser.StringLiteral):
            result = result.with_labels([node.param.val])
        return result

    def binary(self, node: Any) -> tuple[LabelSet, bool]:
        lhs, lhs_scalar = self.eval(node.lhs)
        rhs, rhs_scalar = self.eval(node.rhs)
        if lhs_scalar and rhs_scalar:
            return NO_LABELS, True
        if lhs_scalar:
            return rhs, False
        if rhs_scalar:
            return lhs, False
        op = str(node.op).strip().lower()
        modifier = node.modifier
        matching = modifier.matching if modifier is not None else None
        on = matching is not None and "Include" in str(matching.type)
        matching_labels = list(matching.labels) if matching is not None else []
        if matching is not None:
            if on:
                for side in (lhs, rhs):
                    self.check(matching_labels, "on", side)
            else:
                # `ignoring(x)` with x on one side only is the usual way to match a per-x series
                # against a total: only a label neither side can carry is a mistake
                self.check(matching_labels, "ignoring", lhs.union(rhs))
        if op == "or":
            return lhs.union(rhs), False
        if op in ("and", "unless"):
            return lhs, False
        card = str(modifier.card) if modifier is not None else "OneToOne"
        if "ManyToOne" in card or "OneToMany" in card:
            many, one = (lhs, rhs) if "ManyToOne" in card else (rhs, lhs)
            role: LabelRole = "group_left" if "ManyToOne" in card else "group_right"
            included = list(modifier.group_labels) if modifier is not None else []
            self.check(included, role, one)
            copied = one.only(included)
            return LabelSet(many.without(included).known | copied.known, many.open), False
        if on:
            return lhs.only(matching_labels), False
        return lhs.without(matching_labels), False


def _absent_labels(arg: Any) -> LabelSet:
    """absent(): the labels of the selector's equality matchers (a label matched twice is left out)."""
    if isinstance(arg, promql_parser.MatrixSelector):
        arg = arg.vector_selector
    if not isinstance(arg, promql_parser.VectorSelector):
        return NO_LABELS
    equal: list[str] = []
    seen: list[str] = []
    for matcher in arg.matchers.matchers:
        if matcher.name == NAME_LABEL:
            continue
        seen.append(matcher.name)
        if str(matcher.op) == "MatchOp.Equal":
            equal.append(matcher.name)
    return LabelSet(frozenset(label for label in equal if seen.count(label) == 1))

"""PromQL printed back from its syntax tree, optionally rewritten on the way.

`promql_parser`'s own `str()` does not escape string literals (a `"` or a newline in a matcher
value comes out raw), so khaosobs prints the tree itself. Rewrites happen on the tree, never on
the text: `with_matchers` adds label matchers to every series selector (the dashboard's
`job=~"$job"` filters) and `without_matchers` takes them away again (import), `expression_key`
prints an expression with every range blanked so two queries that differ only in their ranges
compare equal.

Grafana's range variables (`[$__rate_interval]`) are not PromQL; they are replaced by unique
sentinel durations before parsing and printed back as written.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import promql_parser

from khaosobs.domain.prometheus_names import LABEL_NAME_RE, METRIC_NAME_RE
from khaosobs.domain.promql import ONE_CHILD_NODES, PARSE_MEMO, PromQLError, parse_promql

_RANGE_VARIABLE_RE = re.compile(r"(?<=[\[:])(\s*)(\$(?:\{\w+(?::\w+)?\}|\w+))")
_IDENTIFIER_RE = METRIC_NAME_RE  # a name printed bare, else as a __name__ matcher
_LABEL_RE = LABEL_NAME_RE  # a label printed bare, else quoted (UTF-8 names)
_SENTINEL_BASE_MS = 3_141_592_653  # a range nobody writes (about 36 days and odd milliseconds)
_MATCH_OPS = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}

_MATCH_OP_TEXT = {f"MatchOp.{kind}": op for kind, op in _MATCH_OPS.items()}  # str(MatchOp.X) -> operator


def _match_op(written: str) -> str:
    """The operator of a matcher, from its MatchOp's str() (the enum does not hash)."""
    return _MATCH_OP_TEXT.get(written) or _MATCH_OPS[written.rsplit(".", 1)[-1].split("(")[0]]


Matchers = list[tuple[str, str, str]]  # (label, operator, value)
Applies = Callable[[str | None, str], bool]  # (metric name or None, label) -> add the matcher?


def _always(_metric: str | None, _label: str) -> bool:
    return True


Piece = str | tuple[str, str]  # text both prints share, or (as shown, in the key) where they differ


class _Printer:
    """Prints a tree once into pieces from which two texts are joined: the query as shown (the
    `extra` matchers added, ranges as written) and its key (nothing added, every range blanked).
    One walk serves both: the Grafana target needs both of every panel query."""

    def __init__(self, variables: dict[timedelta, str], *, extra: Matchers,
                 applies: Applies = _always, drop: Matchers | None = None) -> None:
        self.variables = variables
        self.extra = extra
        self.drop = drop or []
        self.applies = applies
        self.names: list[str] = []  # the metric names of the selectors printed, in order, once each
        self.out: list[Piece] = []

    def pieces(self, node: Any) -> list[Piece]:
        self.emit(node)
        return self.out

    def duration(self, value: timedelta) -> None:
        if value in self.variables:
            self.out.append((self.variables[value], "_"))
            return
        sign = "-" if value < timedelta(0) else ""
        self.out.append((sign + str(promql_parser.display_duration(abs(value))), "_"))

    def modifiers(self, node: Any) -> None:
        at = node.at
        if at is None and node.offset is None:
            return
        if at is not None:
            kind = str(at.type).rsplit(".", 1)[-1]
            if kind == "Start":
                self.out.append(" @ start()")
            elif kind == "End":
                self.out.append(" @ end()")
            else:
                self.out.append(f" @ {at.at.timestamp():.3f}")
        if node.offset is not None:
            self.out.append(" offset ")
            self.duration(node.offset)

    def selector(self, node: Any) -> None:
        groups = node.matchers.or_matchers or [node.matchers.matchers]
        name = node.name
        if name and name not in self.names:
            self.names.append(str(name))
        named = name is not None and _IDENTIFIER_RE.fullmatch(name) is not None
        shown_groups, key_groups = [], []
        for group in groups:
            matchers = [(m.name, _match_op(str(m.op)), m.value) for m in group]
            if name is not None and not named:
                matchers.insert(0, ("__name__", "=", name))
            if self.drop:
                matchers = self.undo(matchers)
            written = ", ".join(f"{_label(label)}{op}{promql_string(value)}" for label, op, value in matchers)
            key_groups.append(written)
            if self.extra:  # nothing to add (a plain print, a key): no need to know what is there
                present = {label for label, _, _ in matchers}
                metric = name or next((v for label, op, v in matchers if label == "__name__" and op == "="), None)
                added = [m for m in self.extra if m[0] not in present and self.applies(metric, m[0])]
                if added:
                    added_text = ", ".join(f"{_label(label)}{op}{promql_string(value)}" for label, op, value in added)
                    written = f"{written}, {added_text}" if written else added_text
            shown_groups.append(written)
        head = name if named else ""
        shown = _selector_text(head, shown_groups)
        key = _selector_text(head, key_groups) if shown_groups != key_groups else shown
        self.out.append(shown if shown == key else (shown, key))

    def undo(self, matchers: Matchers) -> Matchers:
        """`matchers` without the longest tail that adding `drop` (as with_matchers does: the ones whose
        label is missing, in their order) would append again; a matcher written before them, or one
        adding would not give back, stays where it was."""
        for cut in range(len(matchers)):  # the longest tail first
            kept, tail = matchers[:cut], matchers[cut:]
            present = {label for label, _, _ in kept}
            if tail == [m for m in self.drop if m[0] not in present]:
                return kept
        return matchers

    def emit(self, node: Any) -> None:
        out, emit, kind = self.out, self.emit, type(node)
        if kind is promql_parser.VectorSelector:  # the commonest node, first
            self.selector(node)
            self.modifiers(node)
        elif kind is promql_parser.MatrixSelector:
            vector = node.vector_selector
            self.selector(vector)
            out.append("[")
            self.duration(node.range)
            out.append("]")
            self.modifiers(vector)
        elif kind is promql_parser.Call:
            out.append(f"{node.func.name}(")
            for i, argument in enumerate(node.args):
                if i:
                    out.append(", ")
                emit(argument)
            out.append(")")
        elif kind is promql_parser.AggregateExpr:
            grouping = ""
            if node.modifier is not None:
                keyword = "by" if str(node.modifier.type).endswith("By") else "without"
                grouping = f" {keyword} ({', '.join(node.modifier.labels)}) "
            out.append(f"{node.op}{grouping}(")
            if node.param is not None:
                emit(node.param)
                out.append(", ")
            emit(node.expr)
            out.append(")")
        elif kind is promql_parser.BinaryExpr:
            emit(node.lhs)
            out.append(f" {node.op}{self.binary_modifier(node)} ")
            emit(node.rhs)
        elif kind is promql_parser.NumberLiteral:
            out.append(_number(node.val))
        elif kind is promql_parser.StringLiteral:
            out.append(promql_string(node.val))
        elif kind is promql_parser.ParenExpr:
            out.append("(")
            emit(node.expr)
            out.append(")")
        elif kind is promql_parser.UnaryExpr:
            out.append("-")
            emit(node.expr)
        elif kind is promql_parser.SubqueryExpr:
            emit(node.expr)
            out.append("[")
            if node.range is not None:
                self.duration(node.range)
            out.append(":")
            if node.step is not None:
                self.duration(node.step)
            out.append("]")
            self.modifiers(node)
        else:
            raise PromQLError(f"cannot print a {kind.__name__}")

    @staticmethod
    def binary_modifier(node: Any) -> str:
        modifier = node.modifier
        if modifier is None:
            return ""
        text = " bool" if modifier.return_bool else ""
        if modifier.matching is not None:
            keyword = "on" if str(modifier.matching.type).endswith("Include") else "ignoring"
            text += f" {keyword} ({', '.join(modifier.matching.labels)})"
        card = str(modifier.card).rsplit(".", 1)[-1]
        if card in ("ManyToOne", "OneToMany"):
            keyword = "group_left" if card == "ManyToOne" else "group_right"
            text += f" {keyword} ({', '.join(modifier.group_labels or [])})"
        return text


def _selector_text(head: str, groups: list[str]) -> str:
    body = " or ".join(g for g in groups if g)
    return f"{head}{{{body}}}" if body or not head else head


def _shown(pieces: list[Piece]) -> str:
    return "".join([piece if type(piece) is str else piece[0] for piece in pieces])


def _key(pieces: list[Piece]) -> str:
    return "".join([piece if type(piece) is str else piece[1] for piece in pieces])


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


# what json.dumps escapes (with ensure_ascii off): without any, the value goes between quotes as it is
_JSON_ESCAPED_RE = re.compile(r'[\x00-\x1f\\"]')


def promql_string(value: str) -> str:
    """A PromQL double-quoted string literal (Go escapes; JSON's are a subset of them)."""
    if _JSON_ESCAPED_RE.search(value) is None:  # most values: json.dumps would only add the quotes
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False)  # Go's escapes include JSON's


@functools.lru_cache(maxsize=1 << 12)  # a few label names, printed in every selector
def _label(name: str) -> str:
    return name if _LABEL_RE.fullmatch(name) else promql_string(name)


def _parse_with_variables(text: str) -> tuple[Any, dict[timedelta, str]]:
    substituted, variables = _with_sentinels(text) if "$" in text else (text, ())
    return parse_promql(substituted), dict(variables)


@functools.lru_cache(maxsize=PARSE_MEMO)  # as the trees: the checks ask of one panel query in a row
def _with_sentinels(text: str) -> tuple[str, tuple[tuple[timedelta, str], ...]]:
    """`text` with each Grafana range variable replaced by a sentinel duration, and (sentinel,
    variable) for each."""
    variables: dict[timedelta, str] = {}
    by_text: dict[str, str] = {}

    def sentinel(match: re.Match[str]) -> str:
        variable = match.group(2)
        if variable not in by_text:
            ms = _SENTINEL_BASE_MS + len(by_text)
            by_text[variable] = f"{ms}ms"
            variables[timedelta(milliseconds=ms)] = variable
        return match.group(1) + by_text[variable]

    return _RANGE_VARIABLE_RE.sub(sentinel, text), tuple(variables.items())


def _pieces(text: str, *, extra: Matchers, applies: Applies = _always) -> list[Piece]:
    tree, variables = _parse_with_variables(text)
    return _Printer(variables, extra=extra, applies=applies).pieces(tree)


ParsedQuery = tuple[Any, dict[timedelta, str]]  # the tree, and the ranges that stood for Grafana variables


def parse_query(text: str) -> ParsedQuery | None:
    """`text` parsed as the printers here parse it (Grafana's range variables kept), or None when
    it does not parse: for a caller that reads several things from one query and parses it once."""
    try:
        return _parse_with_variables(text)
    except (PromQLError, RecursionError):
        return None


def shown_key_and_names(tree: Any, variables: dict[timedelta, str], *, extra: Matchers,
                        applies: Applies = _always) -> tuple[str, str, tuple[str, ...]]:
    """From one walk of a tree from `parse_query`: the tree printed with the `extra` matchers (as
    `with_matchers` adds them), its `expression_key`, and the metric names of its selectors in order
    of appearance (what `selector_names` finds: the printer meets every selector, left to right).
    RecursionError on absurd nesting."""
    printer = _Printer(variables, extra=extra, applies=applies)
    pieces = printer.pieces(tree)
    return _shown(pieces), _key(pieces), tuple(printer.names)


def print_promql(text: str) -> str:
    """`text` parsed and printed back (canonical spacing); PromQLError when it does not parse."""
    return _shown(_pieces(text, extra=[]))


def with_matchers(text: str, matchers: Matchers, applies: Applies = _always) -> str:
    """Every series selector of `text` gains the `matchers` on labels it does not match yet (and,
    with `applies`, only those its metric has).

    Text that does not parse comes back unchanged: the checks report it, rendering never fails on it.
    """
    if not matchers:
        return text
    try:
        return _shown(_pieces(text, extra=matchers, applies=applies))
    except (PromQLError, RecursionError):
        return text


def without_matchers(text: str, matchers: Matchers) -> str:
    """Every series selector of `text` without the `matchers` where `with_matchers(…, matchers)` would
    add them back in the same place: its inverse, for import. Text that does not parse comes back
    unchanged."""
    if not matchers:
        return text
    try:
        tree, variables = _parse_with_variables(text)
        dropped = _shown(_Printer(variables, extra=[], drop=matchers).pieces(tree))
        kept = _shown(_Printer(variables, extra=[]).pieces(tree))
    except (PromQLError, RecursionError):
        return text
    # nothing of the injection there (a dashboard khaosobs did not write): the text as its author wrote it
    return text if dropped == kept else dropped


def with_range_variable(text: str, window: timedelta, variable: str) -> str | None:
    """`text` printed from its tree with every range (and offset) of `window` written `variable`,
    e.g. `[5m]` as `[$window]`; None when it does not parse."""
    try:
        tree, variables = _parse_with_variables(text)
        return _shown(_Printer({**variables, window: variable}, extra=[]).pieces(tree))
    except (PromQLError, RecursionError):
        return None


# Pure functions of the text, asked again and again of the same expressions (a panel's query by its
# unit, thresholds, description and mappings; an alert's by every dashboard): memoised, so each
# expression is parsed for them once. Bounded: memory stays flat however large the spec.
_MEMO = 1 << 16


@functools.lru_cache(maxsize=_MEMO)
def expression_key(text: str) -> str | None:
    """`text` with every range and offset blanked: queries that differ only there get one key."""
    try:
        return _key(_pieces(text, extra=[]))
    except (PromQLError, RecursionError):
        return None


COMPARISONS = frozenset({">", ">=", "<", "<="})


@functools.lru_cache(maxsize=_MEMO)
def threshold_comparison(text: str) -> tuple[str, str, float] | None:
    """`lhs > N` (or >=, <, <=; not `bool`) as (expression key of lhs, operator, N), read from the tree."""
    try:
        tree, variables = _parse_with_variables(text)
    except (PromQLError, RecursionError):
        return None
    if not isinstance(tree, promql_parser.BinaryExpr) or not isinstance(tree.rhs, promql_parser.NumberLiteral):
        return None
    op = str(tree.op)
    if op not in COMPARISONS or (tree.modifier is not None and tree.modifier.return_bool):
        return None
    key = _key(_Printer(variables, extra=[]).pieces(tree.lhs))
    return key, op, float(tree.rhs.val)


def selectors(text: str) -> list[Any]:
    """The VectorSelector nodes of `text`, depth first (none when it does not parse)."""
    try:
        tree, _ = _parse_with_variables(text)
    except PromQLError:
        return []
    found: list[Any] = []

    def visit(node: Any) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)
        return True

    promql_parser.walk(tree, visit)
    return found


Visitor = Callable[[Any, list[Any]], None]


def walk_with_parents(text: str, visit: Visitor) -> dict[timedelta, str] | None:
    """Call `visit(node, parents)` for every node of `text` (`parents` is valid during the call
    only: copy it to keep it); the ranges that stood for Grafana
    variables (sentinel -> `$__rate_interval`), or None when it does not parse."""
    try:
        tree, variables = _parse_with_variables(text)
    except (PromQLError, RecursionError):
        return None
    _walk(tree, [], visit)
    return variables


def range_variable_names(text: str) -> list[str]:
    return [m.group(2) for m in _RANGE_VARIABLE_RE.finditer(text)]


def selector_names(tree: Any) -> tuple[str, ...]:
    """The metric names a parsed query selects, in order of appearance (`dashboards.metric_names`)."""
    names: list[str] = []
    pending = [tree]
    while pending:  # depth first, children in written order: a stack takes them reversed
        node = pending.pop()
        if isinstance(node, promql_parser.VectorSelector) and node.name and node.name not in names:
            names.append(str(node.name))
        pending.extend(reversed(children(node)))
    return tuple(names)


def children(node: Any) -> list[Any]:
    """The sub-expressions of a node, in the order they are written (and printed)."""
    if isinstance(node, promql_parser.MatrixSelector):
        return [node.vector_selector]
    if isinstance(node, ONE_CHILD_NODES):
        return [node.expr]
    if isinstance(node, promql_parser.Call):
        return list(node.args)
    if isinstance(node, promql_parser.AggregateExpr):
        return [c for c in (node.param, node.expr) if c is not None]
    if isinstance(node, promql_parser.BinaryExpr):
        return [node.lhs, node.rhs]
    return []


def _walk(node: Any, parents: list[Any], visit: Visitor) -> None:
    """`parents` is one list, grown and shrunk on the way: a visitor reads it during its call only."""
    visit(node, parents)
    subexpressions = children(node)
    if subexpressions:
        parents.append(node)
        for child in subexpressions:
            _walk(child, parents, visit)
        parents.pop()

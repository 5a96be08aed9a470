"""The PromQL parser as khaosobs uses it: configured once, guarded against what crashes it.

`promql_parser` (Rust) follows Prometheus 3; it does not know `holt_winters`, which 2.42 has,
so that is registered as an extra function. It overflows its stack (and kills the process) on
expressions nested some thousands deep, so an expression with more than MAX_OPERATORS
operators is refused before it is parsed; no real rule comes close.
"""

from __future__ import annotations

import contextlib
import functools
import re
from typing import Any

import promql_parser

MAX_OPERATORS = 500

_STRING_OR_COMMENT_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`[^`]*`|#[^\n]*')
_OPERATOR_RE = re.compile(r"[-+*/%^(\[{=<>!]|\b(?:and|or|unless|atan2)\b")
_GRAFANA_RANGE_RE = re.compile(r"(?<=[\[:])(\s*)\$(?:\{\w+(?::\w+)?\}|\w+)")

# node kinds, as tuples built once for isinstance (an `A | B` union is built again at every call)
ONE_CHILD_NODES = (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)  # `.expr`
LITERAL_NODES = (promql_parser.NumberLiteral, promql_parser.StringLiteral)


class PromQLError(ValueError):
    """An expression that does not parse (or that the parser must not be given)."""


def _register_extras() -> None:
    vt = promql_parser.ValueType
    with contextlib.suppress(ValueError):  # already registered (or built in, in a newer parser)
        promql_parser.register_extra_functions(
            [promql_parser.Function("holt_winters", [vt.Matrix, vt.Scalar, vt.Scalar], vt.Vector)]
        )


_register_extras()


def _blank(match: re.Match[str]) -> str:
    found = match.group()
    if found[0] == "#":
        return " " * len(found)
    return found[0] + " " * (len(found) - 2) + found[-1]


def outside_strings(text: str) -> str:
    """The text with string literals and comments blanked (same length), so scans skip them."""
    if '"' not in text and "'" not in text and "`" not in text and "#" not in text:
        return text
    return _STRING_OR_COMMENT_RE.sub(_blank, text)


def parse_promql(text: str) -> Any:
    """The AST of `text`; PromQLError with the parser's message when it does not parse.

    The tree is shared by every caller asking for the same text while it is among the last
    PARSE_MEMO parsed (several checks and targets read one expression in a row): read it, never
    change it. Bounded, so the trees of a large spec are not all kept alive at once.
    """
    tree, error = _parsed(text)
    if error is not None:
        raise PromQLError(error)
    return tree


PARSE_MEMO = 256


@functools.lru_cache(maxsize=PARSE_MEMO)
def _parsed(text: str) -> tuple[Any, str | None]:
    """(tree, None), or (None, the error message) when `text` does not parse."""
    try:
        return _parse(text), None
    except PromQLError as exc:
        return None, str(exc)


def _parse(text: str) -> Any:
    # every operator is at least one character: text no longer than the limit cannot pass it
    operators = len(_OPERATOR_RE.findall(outside_strings(text))) if len(text) > MAX_OPERATORS else 0
    if operators > MAX_OPERATORS:
        raise PromQLError(f"expression has {operators} operators and brackets, more than {MAX_OPERATORS}")
    try:
        return promql_parser.parse(text)
    except ValueError as exc:
        raise PromQLError(str(exc) or "invalid PromQL") from None
    except (KeyboardInterrupt, SystemExit):  # pragma: no cover
        raise
    except BaseException as exc:  # a panic in the Rust parser is a BaseException: report, not crash
        raise PromQLError(f"the PromQL parser failed on this expression ({type(exc).__name__})") from None


def grafana_substituted(text: str) -> str:
    """Grafana's range variables (`[$__rate_interval]`) replaced by a duration so the query parses."""
    if "$" not in text:
        return text
    return _GRAFANA_RANGE_RE.sub(lambda m: m.group(1) + "5m", text)


def error_span(text: str, message: str) -> tuple[int, int] | None:
    """Where in `text` the parser's error is, as (offset, length), when its message names the spot.

    promql_parser gives no positions, but its messages say what is wrong: an unclosed bracket, an
    unknown function, a bad duration, a misplaced keyword. Those are found in the text (outside
    strings); None when the message names nothing that can be found.
    """
    blank = outside_strings(text)
    unclosed = ("unclosed left parenthesis", "inside braces", "unclosed left bracket")
    if any(what in message for what in unclosed):
        opener = {"(": ")", "{": "}", "[": "]"}
        stack: list[int] = []
        for i, c in enumerate(blank):
            if c in opener:
                stack.append(i)
            elif c in ")}]" and stack and opener[blank[stack[-1]]] == c:
                stack.pop()
        return (stack[-1], 1) if stack else None
    found = re.search(r"unknown function with name '([^']+)'", message)
    if found:
        match = re.search(rf"(?<![\w:]){re.escape(found.group(1))}\s*\(", blank)
        return (match.start(), len(found.group(1))) if match else None
    found = re.search(r"bad number or duration syntax: (\S+)", message)
    if found and found.group(1) in blank:
        return blank.index(found.group(1)), len(found.group(1))
    if message.startswith("no grouping allowed"):
        match = re.search(r"\bgroup_(?:left|right)\b|\b(?:on|ignoring)\s*\(", blank)
        return (match.start(), len(match.group().rstrip("( "))) if match else None
    return None


# Prometheus' functions (2.42 to 3.x), for a "did you mean" on a misspelt one.
PROMQL_FUNCTIONS = (
    "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh", "avg_over_time",
    "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh", "count_over_time", "day_of_month",
    "day_of_week", "day_of_year", "days_in_month", "deg", "delta", "deriv", "double_exponential_smoothing", "exp",
    "floor", "histogram_avg", "histogram_count", "histogram_fraction", "histogram_quantile", "histogram_stddev",
    "histogram_stdvar", "histogram_sum", "holt_winters", "hour", "idelta", "increase", "irate", "label_join",
    "label_replace", "last_over_time", "ln", "log10", "log2", "mad_over_time", "max_over_time", "min_over_time",
    "minute", "month", "pi", "predict_linear", "present_over_time", "quantile_over_time", "rad", "rate", "resets",
    "round", "scalar", "sgn", "sin", "sinh", "sort", "sort_by_label", "sort_by_label_desc", "sort_desc", "sqrt",
    "stddev_over_time", "stdvar_over_time", "sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year",
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile",
)

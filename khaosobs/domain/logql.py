"""LogQL analysis (log alerts, logs panels): balanced brackets and strings, valid stream selectors,
line filters with a string, and whether a query is a metric query (a range aggregation over a range).
The check that reports the problems is khaosobs/checks/logql.py; panels use the analysis too.

There is no LogQL parser for Python; this is a scanner for the mistakes that make Loki refuse a
rule, not a full grammar. Strings are skipped wherever they are, so `line_format "{{.x}}"` is data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from khaosobs.domain.durations import is_duration
from khaosobs.domain.prometheus_names import LABEL_NAME_RE

RANGE_FUNCTIONS = (
    "count_over_time",
    "rate",
    "rate_counter",
    "bytes_over_time",
    "bytes_rate",
    "avg_over_time",
    "sum_over_time",
    "min_over_time",
    "max_over_time",
    "stdvar_over_time",
    "stddev_over_time",
    "quantile_over_time",
    "first_over_time",
    "last_over_time",
    "absent_over_time",
)
_RANGE_FUNCTION_RE = re.compile(r"\b(?:" + "|".join(RANGE_FUNCTIONS) + r")\s*\(")
_RANGE_RE = re.compile(r"\[([^\]]*)\]")
_GRAFANA_VARIABLE_RE = re.compile(r"\$(?:\w+|\{\w+(?::\w+)?\})")
_MATCHER_RE = re.compile(r"\s*([^\s=!~,]*)\s*(=~|!~|!=|=)?\s*")
_PAIRS = {"(": ")", "[": "]", "{": "}"}
EXAMPLE = 'sum(count_over_time({service="api"} |= "ERROR" [5m])) > 10'


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str
    offset: int | None = None  # where in the text, when known
    length: int = 1
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class LogQL:
    problems: tuple[Problem, ...] = ()
    metric_query: bool = False  # a range aggregation over a range: a number per series, alertable
    selectors: tuple[dict[str, str], ...] = field(default=())
    operators: tuple[dict[str, str], ...] = field(default=())  # per selector: label -> =, !=, =~ or !~


_STRING_OR_COMMENT_START_RE = re.compile(r'["`#]')


def _strings(text: str) -> tuple[str, list[tuple[int, int, str]], Problem | None]:
    """The text with string contents blanked, the strings as (start, end, value), and an unterminated one."""
    out = list(text)
    found: list[tuple[int, int, str]] = []
    i, n = 0, len(text)
    while i < n:
        special = _STRING_OR_COMMENT_START_RE.search(text, i)  # skip plain text in one step
        if special is None:
            break
        i = special.start()
        quote = text[i]
        if quote == "#":  # a comment runs to the end of the line
            end = text.find("\n", i)
            end = n if end < 0 else end
            out[i:end] = " " * (end - i)
            i = end
            continue
        j = i + 1
        value: list[str] = []
        while j < n and text[j] != quote:
            if quote == '"' and text[j] == "\\" and j + 1 < n:
                value.append(text[j + 1])
                j += 2
                continue
            value.append(text[j])
            j += 1
        if j >= n:
            return (
                "".join(out),
                found,
                Problem("logql-syntax", "unterminated string", i, 1, f"close it with {quote}"),
            )
        out[i + 1 : j] = " " * (j - i - 1)
        found.append((i, j + 1, "".join(value)))
        i = j + 1
    return "".join(out), found, None


def _balance(blank: str) -> Problem | None:
    stack: list[tuple[str, int]] = []
    for i, c in enumerate(blank):
        if c in _PAIRS:
            stack.append((c, i))
        elif c in _PAIRS.values():
            if not stack or _PAIRS[stack[-1][0]] != c:
                return Problem("logql-syntax", f"unbalanced '{c}'", i)
            stack.pop()
    if stack:
        c, i = stack[-1]
        return Problem("logql-syntax", f"'{c}' is never closed", i, 1, f"add the closing '{_PAIRS[c]}'")
    return None


def _selector(
    text: str, blank: str, start: int, end: int, strings: dict[int, tuple[int, str]],
    operators: dict[str, str] | None = None,
) -> tuple[dict[str, str], list[Problem]]:
    """Parse `{a="b", c=~"d"}` between start ('{') and end ('}'); each label's operator into `operators`."""
    problems: list[Problem] = []
    labels: dict[str, str] = {}
    nonempty = False
    i = start + 1
    if not blank[i:end].strip():
        return labels, [
            Problem(
                "logql-selector",
                "empty stream selector {}",
                start,
                end - start + 1,
                'name at least one label, e.g. {service="api"}',
            )
        ]
    while i < end:
        match = _MATCHER_RE.match(blank, i, end)
        assert match is not None  # the pattern matches the empty string
        name, op = match.group(1), match.group(2)
        name_at = match.start(1)
        if not name or not LABEL_NAME_RE.fullmatch(name):
            problems.append(
                Problem(
                    "logql-selector",
                    f'invalid label name "{name or blank[i:end].strip()}" in stream selector',
                    name_at,
                    max(1, len(name)),
                )
            )
            return labels, problems
        if op is None:
            problems.append(
                Problem(
                    "logql-selector",
                    f'label "{name}" has no matcher operator',
                    name_at,
                    len(name),
                    "use =, !=, =~ or !~ followed by a quoted value",
                )
            )
            return labels, problems
        j = match.end()
        if j not in strings:
            problems.append(
                Problem(
                    "logql-selector",
                    f'the value of label "{name}" must be a quoted string',
                    j,
                    1,
                    f'e.g. {name}{op}"value"',
                )
            )
            return labels, problems
        string_end, value = strings[j]
        labels[name] = value
        if operators is not None:
            operators[name] = op
        if (op == "=" and value) or (op == "=~" and not _matches_empty(value)):
            nonempty = True
        k = string_end
        while k < end and blank[k].isspace():
            k += 1
        if k < end and blank[k] != ",":
            problems.append(Problem("logql-selector", "expected ',' or '}' after a label matcher", k))
            return labels, problems
        i = k + 1
    if not nonempty:
        problems.append(
            Problem(
                "logql-selector",
                "a stream selector needs at least one matcher that cannot match an empty value",
                start,
                end - start + 1,
                'Loki refuses selectors like {a=~".*"} or {a!="x"} alone: add e.g. service="api"',
            )
        )
    return labels, problems


def _matches_empty(pattern: str) -> bool:
    try:
        return re.fullmatch(pattern, "") is not None
    except re.error:
        return False  # RE2 syntax Python does not know: assume it is selective


@lru_cache(maxsize=8192)
def analyse_logql(text: str, grafana: bool = False) -> LogQL:
    """Scan one query; `grafana`: a dashboard's, where `[$__interval]` is a valid range."""
    if not text.strip():
        return LogQL(
            (
                Problem(
                    "logql-syntax",
                    "empty LogQL query",
                    None,
                    1,
                    'write a stream selector, e.g. {service="api"} |= "ERROR"',
                ),
            )
        )
    blank, strings, unterminated = _strings(text)
    if unterminated is not None:
        return LogQL((unterminated,))
    unbalanced = _balance(blank)
    if unbalanced is not None:
        return LogQL((unbalanced,))
    by_start = {start: (end, value) for start, end, value in strings}
    problems: list[Problem] = []
    selectors: list[dict[str, str]] = []
    operators: list[dict[str, str]] = []
    i = blank.find("{")
    while i >= 0:
        end = blank.index("}", i)  # balanced, and braces do not nest in LogQL
        operators.append({})
        labels, found = _selector(text, blank, i, end, by_start, operators[-1])
        selectors.append(labels)
        problems.extend(found)
        i = blank.find("{", end)
    if not selectors:
        problems.append(
            Problem(
                "logql-selector",
                "a LogQL query starts from a stream selector",
                None,
                1,
                'e.g. {service="api"} |= "ERROR"',
            )
        )
    for match in re.finditer(r"\|=|\|~", blank):
        k = match.end()
        while k < len(blank) and blank[k].isspace():
            k += 1
        if k not in by_start and not blank.startswith("ip(", k):
            problems.append(
                Problem(
                    "logql-syntax",
                    f"line filter {match.group()} must be followed by a quoted string",
                    match.start(),
                    2,
                    f'e.g. {match.group()} "ERROR"',
                )
            )
    metric = False
    for match in _RANGE_RE.finditer(blank):
        inner = match.group(1).strip()
        if ":" in inner:
            inner = inner.split(":", 1)[0].strip()
        if not is_duration(inner) and not (grafana and _GRAFANA_VARIABLE_RE.fullmatch(inner)):
            problems.append(
                Problem(
                    "logql-range",
                    f'invalid range "[{match.group(1)}]"',
                    match.start(),
                    match.end() - match.start(),
                    "a duration such as [5m] or [1h30m]",
                )
            )
        else:
            metric = True
    metric = metric and _RANGE_FUNCTION_RE.search(blank) is not None
    return LogQL(tuple(problems), metric, tuple(selectors), tuple(operators))

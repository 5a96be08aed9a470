"""Alertmanager's matchers: the classic matcher parser (pkg/labels/parse.go), matching, and the
text Alertmanager prints. Regexes are RE2, anchored at both ends (khaosobs/domain/re2.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from khaosobs.domain.prometheus_names import METRIC_NAME_PATTERN
from khaosobs.domain.re2 import RegexError, compile_go_regex

MatchOp = Literal["=", "!=", "=~", "!~"]
MATCHER_HINT = 'write matchers as name="value", name!="value", name=~"regex" or name!~"regex" (RE2, anchored)'

# Alertmanager's classic matcher syntax (pkg/labels/parse.go). Go's `\s` is [\t\n\f\r ] and its `$`
# is the end of the text; `=~` comes before `=` so that `a=~b` is a regex matcher.
_MATCHER_RE = re.compile(rf"\A[\t\n\f\r ]*({METRIC_NAME_PATTERN})[\t\n\f\r ]*(=~|=|!=|!~)"
                         r"[\t\n\f\r ]*(.*?)[\t\n\f\r ]*\Z", re.DOTALL)


class MatcherError(ValueError):
    """A matcher Alertmanager would refuse (or, for a few RE2 features, khaosobs cannot evaluate)."""


@dataclass(frozen=True)
class Matcher:
    name: str
    op: MatchOp
    value: str
    regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        assert self.regex is not None
        found = self.regex.fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return matcher_text(self.name, self.op, self.value)


def escape_value(value: str) -> str:
    """OpenMetrics escaping, as Alertmanager prints matchers: backslash, double quote, line feed."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def matcher_text(name: str, op: MatchOp, value: str) -> str:
    return f'{name}{op}"{escape_value(value)}"'


def new_matcher(name: str, op: MatchOp, value: str) -> Matcher:
    try:
        regex = compile_go_regex(value) if op in ("=~", "!~") else None
    except RegexError as exc:
        raise MatcherError(str(exc)) from None
    return Matcher(name, op, value, regex)


def parse_matchers(text: str) -> list[Matcher]:
    """Alertmanager's labels.ParseMatchers: `{a="b", c=~"d"}`, braces optional, commas inside quotes kept."""
    if text.startswith("{"):
        text = text[1:]
    if text.endswith("}"):
        text = text[:-1]
    tokens: list[str] = []
    token: list[str] = []
    inside_quotes = escaped = False
    for ch in text:
        if ch == "," and not inside_quotes:
            tokens.append("".join(token))
            token = []
            continue
        if ch == '"':
            if not escaped:
                inside_quotes = not inside_quotes
            else:
                escaped = False
        elif ch == "\\":
            escaped = not escaped
        else:
            escaped = False
        token.append(ch)
    last = "".join(token).strip(" \t\n\f\r\v")
    if last:
        tokens.append(last)
    return [parse_matcher(t) for t in tokens]


def parse_matcher(text: str) -> Matcher:
    """Alertmanager's labels.ParseMatcher: name, operator, value (quoted or not; OpenMetrics escapes)."""
    found = _MATCHER_RE.match(text)
    if found is None:
        raise MatcherError(f"bad matcher format: {text}")
    name, op, raw = found.group(1), found.group(2), found.group(3)
    expect_quote = raw.startswith('"')
    if expect_quote:
        raw = raw[1:]
    value: list[str] = []
    escaped = False
    last = len(raw) - 1
    for i, ch in enumerate(raw):
        if escaped:
            escaped = False
            # a spurious escape (`\d`) keeps its backslash
            value.append({"n": "\n", '"': '"', "\\": "\\"}.get(ch, "\\" + ch))
            continue
        if ch == "\\":
            if i < last:
                escaped = True
            else:
                value.append("\\")
        elif ch == '"':
            if not expect_quote or i < last:
                raise MatcherError(f"matcher value contains unescaped double quote: {found.group(3)}")
            expect_quote = False
        else:
            value.append(ch)
    if expect_quote:
        raise MatcherError(f"matcher value contains unescaped double quote: {found.group(3)}")
    op_: MatchOp = op  # type: ignore[assignment]  # the regex allows only the four operators
    return new_matcher(name, op_, "".join(value))

"""Alertmanager's routing, re-implemented for the spec's model: where does an alert go?

Faithful to Alertmanager (dispatch/route.go, pkg/labels): a route matches when all its matchers
match the alert's labels (a missing label is the empty string); its children are tried in order and
the first matching child ends the search unless it has `continue: true`; when no child matches, the
route itself takes the alert. The root has no matchers, so it takes every alert no child takes. A
route without a receiver inherits its parent's. Matcher strings are parsed as Alertmanager's
classic parser does, regexes are RE2 anchored at both ends (`^(?:re)$`). This module is also the one
place that turns the seed's `match`/`match_re` into matcher strings, so the rendered config and the
routing table can never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from khaosobs.alerts import AlertInfo, all_alerts
from khaosobs.loader import Path_
from khaosobs.model import Alerting, Route, Spec

MatchOp = Literal["=", "!=", "=~", "!~"]
ROOT_PATH: Path_ = ("alerting", "route")
# the one receiver of a spec that only sets telemetry.metrics.alertmanager_webhook
DEFAULT_RECEIVER = "default"
MATCHER_HINT = 'write matchers as name="value", name!="value", name=~"regex" or name!~"regex" (RE2, anchored)'

# Alertmanager's classic matcher syntax (pkg/labels/parse.go). Go's `\s` is [\t\n\f\r ] and its `$`
# is the end of the text; `=~` comes before `=` so that `a=~b` is a regex matcher.
_MATCHER_RE = re.compile(r"\A[\t\n\f\r ]*([a-zA-Z_:][a-zA-Z0-9_:]*)[\t\n\f\r ]*(=~|=|!=|!~)"
                         r"[\t\n\f\r ]*(.*?)[\t\n\f\r ]*\Z", re.DOTALL)
LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")  # what match/match_re keys and group_by accept


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
    regex = compile_go_regex(value) if op in ("=~", "!~") else None
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


# --- RE2 (Go regexp) on Python's re --------------------------------------------------------------
# Python's re accepts things RE2 refuses (lookaround, backreferences, possessive quantifiers) and
# reads a few things differently (`$` before a final newline, mid-pattern flags, `\z`, POSIX classes).
# The translation below refuses what Go refuses and rewrites what differs, so a regex khaosobs accepts
# is one Alertmanager accepts and both match the same strings.

_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~",
    "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z", "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_GO_LETTER_ESCAPES = set("AbBdDwWsSzpPQECxaftnrv")
_REPEAT_RE = re.compile(r"\{(\d+)(?:(,)(\d*))?\}")
_FLAGS_RE = re.compile(r"\(\?([a-zA-Z]*(?:-[a-zA-Z]*)?)([:)])")
_MAX_REPEAT = 1000


def compile_go_regex(pattern: str) -> re.Pattern[str]:
    """Compile an RE2 pattern for a full match, as Alertmanager compiles `^(?:pattern)$`."""
    translated = _translate(pattern)
    try:
        return re.compile(translated, re.ASCII)  # Go's \d, \w, \b are ASCII
    except re.error as exc:
        raise MatcherError(f"invalid regular expression {pattern!r}: {exc}") from None


def _translate(p: str) -> str:
    out: list[str] = []
    # per open group: the flag groups `(?i)` opened in it, closed again at its `|` and `)`
    groups: list[list[str]] = [[]]
    multiline = "m" in "".join(m.group(1).split("-")[0] for m in _FLAGS_RE.finditer(p))
    i, n = 0, len(p)
    while i < n:
        c = p[i]
        if c == "\\":
            piece, i = _escape(p, i, in_class=False)
            out.append(piece)
        elif c == "[":
            piece, i = _char_class(p, i)
            out.append(piece)
        elif c == "(":
            if p.startswith("(?", i):
                flags = _FLAGS_RE.match(p, i)
                if p.startswith("(?P<", i):
                    end = p.find(">", i)
                    if end == -1:
                        raise MatcherError(f"invalid named capture: {p[i:]!r}")
                    out.append(p[i:end + 1])
                    groups.append([])
                    i = end + 1
                    continue
                if flags is None or (not flags.group(1).replace("-", "") and flags.group(2) == ")"):
                    raise MatcherError(f"invalid or unsupported Perl syntax: {p[i:i + 3]!r}")
                letters = flags.group(1)
                if set(letters) - set("ims-"):
                    raise MatcherError(f"invalid or unsupported regex flags {letters!r} "
                                       "(khaosobs supports i, m and s)")
                if flags.group(2) == ":":
                    out.append(f"(?{letters}:")
                    groups.append([])
                else:  # `(?i)` sets flags up to the end of the current group: Python needs them scoped
                    out.append(f"(?{letters}:")
                    groups[-1].append(letters)
                i = flags.end()
            else:
                out.append("(")
                groups.append([])
                i += 1
        elif c == ")":
            if len(groups) == 1:
                raise MatcherError(f"unexpected ): {p!r}")
            out.append(")" * len(groups.pop()) + ")")
            i += 1
        elif c == "|":
            opened = groups[-1]
            out.append(")" * len(opened) + "|" + "".join(f"(?{f}:" for f in opened))
            i += 1
        elif c == "{":
            rep = _REPEAT_RE.match(p, i)
            if rep is None:  # not a repetition: a literal brace in Go
                out.append("\\{")
                i += 1
                continue
            low = int(rep.group(1))
            high = int(rep.group(3)) if rep.group(3) else low
            if low > _MAX_REPEAT or high > _MAX_REPEAT or (rep.group(3) and high < low):
                raise MatcherError(f"invalid repeat count: {rep.group()!r}")
            out.append(rep.group())
            i = _no_possessive(p, rep.end())
        elif c in "*+?":
            out.append(c)
            i = _no_possessive(p, i + 1)
        elif c == "$" and not multiline:
            out.append("\\Z")  # Go's `$` is the end of the text, Python's also matches before a final newline
            i += 1
        else:
            out.append(c)
            i += 1
    if len(groups) > 1:
        raise MatcherError(f"missing closing ): {p!r}")
    out.append(")" * len(groups[0]))
    return "".join(out)


def _no_possessive(p: str, i: int) -> int:
    """After a repetition: `?` makes it lazy (both engines); `+`, `*` or `{` would nest it (Go refuses)."""
    if i < len(p) and p[i] == "?":
        i += 1
    if i < len(p) and (p[i] in "*+?" or _REPEAT_RE.match(p, i)):
        raise MatcherError(f"invalid nested repetition operator: {p[max(0, i - 2):i + 1]!r}")
    return i


def _escape(p: str, i: int, *, in_class: bool) -> tuple[str, int]:
    if i + 1 >= len(p):
        raise MatcherError("trailing backslash at end of expression")
    d = p[i + 1]
    if d.isdigit() and d != "0":
        raise MatcherError(f"invalid escape sequence: \\{d} (RE2 has no backreferences)")
    if d == "0":
        octal = re.match(r"0[0-7]{0,2}", p[i + 1:])
        assert octal is not None
        return "\\" + octal.group(), i + 1 + len(octal.group())
    if not d.isascii():
        raise MatcherError(f"invalid escape sequence: \\{d}")
    if d.isalpha():
        if d not in _GO_LETTER_ESCAPES:
            raise MatcherError(f"invalid escape sequence: \\{d}")
        if d in "pP":
            raise MatcherError("Unicode classes (\\p, \\P) are not supported by khaosobs's router; "
                               "use explicit character ranges")
        if d == "C":
            raise MatcherError("\\C (any byte) is not supported")
        if d == "z":
            if in_class:
                raise MatcherError("invalid escape sequence: \\z")
            return "\\Z", i + 2
        if d == "E":
            return "", i + 2  # a stray \E is ignored by Go
        if d == "Q":
            end = p.find("\\E", i + 2)
            literal = p[i + 2:] if end == -1 else p[i + 2:end]
            return re.escape(literal), len(p) if end == -1 else end + 2
        if d == "s":
            return ("\\t\\n\\f\\r " if in_class else "[\\t\\n\\f\\r ]"), i + 2  # Go's \s has no \v
        if d == "S" and not in_class:
            return "[^\\t\\n\\f\\r ]", i + 2
        if d == "x" and p.startswith("{", i + 2):
            end = p.find("}", i + 3)
            digits = p[i + 3:end] if end != -1 else ""
            if not digits or not re.fullmatch(r"[0-9a-fA-F]+", digits) or int(digits, 16) > 0x10FFFF:
                raise MatcherError(f"invalid escape sequence: {p[i:end + 1 if end != -1 else len(p)]}")
            return f"\\U{int(digits, 16):08x}", end + 1
        if in_class and d in "AbBz":
            raise MatcherError(f"invalid escape sequence: \\{d}")
        return "\\" + d, i + 2
    return "\\" + d, i + 2  # escaped punctuation is a literal in both


def _char_class(p: str, i: int) -> tuple[str, int]:
    out = ["["]
    i += 1
    if i < len(p) and p[i] == "^":
        out.append("^")
        i += 1
    first = True
    while i < len(p):
        c = p[i]
        if c == "]" and not first:
            out.append("]")
            return "".join(out), i + 1
        first = False
        if c == "\\":
            piece, i = _escape(p, i, in_class=True)
            out.append(piece)
        elif p.startswith("[:", i):
            end = p.find(":]", i + 2)
            name = p[i + 2:end] if end != -1 else ""
            if name not in _POSIX_CLASSES:
                raise MatcherError(f"invalid or unsupported character class range: {p[i:end + 2]!r}")
            out.append(_POSIX_CLASSES[name])
            i = end + 2
        elif c in "[&~|":
            out.append("\\" + c)  # literal in Go; Python would warn of set operations
            i += 1
        else:
            out.append(c)
            i += 1
    raise MatcherError(f"missing closing ]: {p!r}")


# --- The seed's match/match_re as matcher strings --------------------------------------------------


def route_matcher_texts(route: Route) -> list[str]:
    """The route's matchers as Alertmanager matcher strings: `match`, `match_re`, then `matchers` as is."""
    texts = [matcher_text(name, "=", value) for name, value in route.match.items()]
    texts += [matcher_text(name, "=~", value) for name, value in route.match_re.items()]
    return texts + list(route.matchers)


def route_problems(route: Route, path: Path_) -> list[tuple[Path_, str, bool]]:
    """Every matcher of this route (not its children) Alertmanager would refuse: (path, message, at key)."""
    problems: list[tuple[Path_, str, bool]] = []
    for kind, op in (("match", "="), ("match_re", "=~")):
        for name, value in getattr(route, kind).items():
            if not LABEL_NAME_RE.fullmatch(name):
                problems.append(((*path, kind, name), f'invalid label name "{name}" in {kind}', True))
                continue
            try:
                new_matcher(name, op, value)  # type: ignore[arg-type]
            except MatcherError as exc:
                problems.append(((*path, kind, name), f'{kind} "{name}": {exc}', False))
    for i, text in enumerate(route.matchers):
        try:
            parse_matchers(text)
        except MatcherError as exc:
            problems.append(((*path, "matchers", i), f"cannot parse matcher {text!r}: {exc}", False))
    return problems


# --- The routing tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteNode:
    path: Path_
    receiver: str  # its own or inherited
    matchers: tuple[Matcher, ...]
    continue_: bool
    children: tuple[RouteNode, ...]

    @property
    def is_root(self) -> bool:
        return self.path == ROOT_PATH

    def match(self, labels: Mapping[str, str]) -> list[RouteNode]:
        """Alertmanager's Route.Match: the routes (in tree order) that take an alert with these labels."""
        if not all(m.matches(labels) for m in self.matchers):
            return []
        found: list[RouteNode] = []
        for child in self.children:
            taken = child.match(labels)
            found.extend(taken)
            if taken and not child.continue_:
                break
        return found or [self]

    def walk(self) -> list[RouteNode]:
        return [self, *(node for child in self.children for node in child.walk())]


def shadowing_route(tree: RouteNode, target: RouteNode, alerts: Sequence[Mapping[str, str]]) -> RouteNode | None:
    """The route that takes, before `target` can, an alert whose labels `target` (and its parents) match."""
    chain: list[RouteNode] = []

    def ancestors(node: RouteNode, trail: list[RouteNode]) -> bool:
        if node is target:
            chain.extend(trail)
            return True
        return any(ancestors(child, [*trail, node]) for child in node.children)

    if not ancestors(tree, []):
        return None
    for labels in alerts:
        if not all(m.matches(labels) for node in (*chain, target) for m in node.matchers):
            continue
        taken = [node for node in tree.match(labels) if node is not target]
        if taken and target not in tree.match(labels):
            return taken[0]
    return None


def build_tree(route: Route, path: Path_ = ROOT_PATH, inherited: str = "") -> RouteNode:
    """The routing tree of the spec's route; raises MatcherError on a matcher Alertmanager would refuse."""
    matchers = tuple(m for text in route_matcher_texts(route) for m in parse_matchers(text))
    receiver = route.receiver if route.receiver is not None else inherited
    children = tuple(build_tree(child, (*path, "routes", i), receiver)
                     for i, child in enumerate(route.routes))
    return RouteNode(path, receiver, matchers, route.continue_, children)


def effective_alerting(spec: Spec) -> Alerting | None:
    """The spec's alerting section; without one, the seed's `telemetry.metrics.alertmanager_webhook` alone
    makes a single webhook receiver that takes every alert. None when neither is set."""
    if spec.alerting is not None:
        return spec.alerting
    url = spec.telemetry.metrics.alertmanager_webhook
    if url is None:
        return None
    return Alerting.model_validate({"receivers": [{"name": DEFAULT_RECEIVER, "webhook": {"url": url}}],
                                    "route": {"receiver": DEFAULT_RECEIVER}})


def routing_labels(alert: AlertInfo) -> dict[str, str]:
    """The labels Alertmanager sees: the rule's labels and `alertname` (Prometheus sets it last: it wins)."""
    return {"alertname": alert.name, **{k: v for k, v in alert.labels.items() if k != "alertname"}}


@dataclass(frozen=True)
class AlertRoute:
    alert: AlertInfo
    labels: dict[str, str]
    routes: list[RouteNode]

    @property
    def receivers(self) -> list[str]:
        return [node.receiver for node in self.routes]

    @property
    def default_only(self) -> bool:
        """Only the root takes it: no route of the tree was written for it."""
        return len(self.routes) == 1 and self.routes[0].is_root


def route_alerts(spec: Spec, tree: RouteNode | None = None) -> list[AlertRoute]:
    """Every alert of the spec with the routes (and so the receivers) it reaches, in Alertmanager's order."""
    if tree is None:
        alerting = effective_alerting(spec)
        if alerting is None:
            return []
        tree = build_tree(alerting.route)
    routed = []
    for alert in all_alerts(spec):
        labels = routing_labels(alert)
        routed.append(AlertRoute(alert, labels, tree.match(labels)))
    return routed

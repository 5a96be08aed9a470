"""Go's text/template as Prometheus, Loki and Alertmanager parse alert text.

`parse_template` follows text/template/parse (lex.go, parse.go) closely enough to refuse what
they refuse: an unclosed `{{`, an unterminated string, a character no token starts with, an
empty command, a literal after `|` ("non executable command"), an unknown function, an
undefined variable, `{{end}}`/`{{else}}` without their `{{if}}`/`{{range}}`/`{{with}}`, a missing
`{{end}}`. Each error has the offset of the token at fault. It also returns every label the text
reads (`$labels.x`, `.Labels.x`, `index $labels "x"`), for the label analysis.

`go_template_literal` is the other direction: template text that renders exactly the given
text, for text khaosobs generates from user input (it can never become template code).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

GO_BUILTINS = frozenset({
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf", "println",
    "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
})
# Prometheus' template engine (template/template.go), which the Loki ruler uses as well.
PROMETHEUS_FUNCTIONS = GO_BUILTINS | frozenset({
    "query", "first", "label", "value", "strvalue", "args", "reReplaceAll", "safeHtml", "match",
    "title", "toUpper", "toLower", "graphLink", "tableLink", "sortByLabel", "humanize", "humanize1024",
    "humanizeDuration", "humanizePercentage", "humanizeTimestamp", "toTime", "toDuration", "now",
    "pathPrefix", "externalURL", "parseDuration", "stripPort", "stripDomain", "urlQueryEscape",
})
# Alertmanager's notification templates (template/template.go, up to 0.28): generous on purpose, a
# function a newer release adds must never be refused.
ALERTMANAGER_FUNCTIONS = GO_BUILTINS | frozenset({
    "toUpper", "toLower", "title", "trimSpace", "join", "match", "safeHtml", "safeUrl", "urlUnescape",
    "reReplaceAll", "stringSlice", "date", "tz", "since", "humanizeDuration", "toJson", "list", "append", "dict",
})
ALERTMANAGER_VARIABLES = frozenset({"$"})
# The variables Prometheus defines before an alert's annotation text (rules/alerting.go).
PROMETHEUS_VARIABLES = frozenset({"$", "$labels", "$externalLabels", "$externalURL", "$value"})

_KEYWORDS = frozenset({"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"})
_LITERALS = frozenset({"string", "raw", "char", "number", "bool", "nil", "dot"})
_NUMBER_RE = re.compile(
    r"[+-]?(?:0[xX][0-9a-fA-F_]*\.?[0-9a-fA-F_]*(?:[pP][+-]?[0-9_]+)?|0[bB][01_]+|0[oO][0-7_]+"
    r"|[0-9_]*\.?[0-9_]+(?:[eE][+-]?[0-9_]+)?|[0-9_]+\.)i?"
)
_WORDS = frozenset({"ident", "keyword", "bool", "nil", "field", "var", "dot"})
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # a label name read with `index`
# Go's identifiers (variables, fields, functions): a letter or `_`, then letters, digits or `_`,
# Unicode ones included (text/template's lexer uses unicode.IsLetter and unicode.IsDigit)
_GO_IDENT_RE = re.compile(r"[^\W\d]\w*")
_SPACE = " \t\r\n"


@dataclass(frozen=True, slots=True)
class TemplateError:
    offset: int  # where in the text the fault is
    message: str


@dataclass(frozen=True, slots=True)
class LabelRead:
    label: str
    offset: int  # where the label's name starts in the text
    length: int


@dataclass(slots=True)
class ParsedTemplate:
    errors: list[TemplateError] = field(default_factory=list)
    label_reads: list[LabelRead] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # ident, var, field, string, raw, char, number, bool, nil, dot, pipe, lparen, rparen,
    # declare, assign, comma, keyword
    text: str
    offset: int
    adjacent: bool  # no space before it (a field chained to what precedes)


class _Fault(Exception):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


def parse_template(
    text: str,
    functions: frozenset[str] = PROMETHEUS_FUNCTIONS,
    variables: frozenset[str] = PROMETHEUS_VARIABLES,
) -> ParsedTemplate:
    """Parse `text` as Go would; the first error stops the parse (as Go's parser does)."""
    parsed = ParsedTemplate()
    parser = _Parser(text, functions, variables, parsed)
    try:
        parser.run()
    except _Fault as fault:
        parsed.errors.append(TemplateError(fault.offset, fault.message))
    return parsed


def label_reads(text: str) -> list[LabelRead]:
    """Every label the template reads (of what parses before any error)."""
    return parse_template(text).label_reads


class _Parser:
    def __init__(self, text: str, functions: frozenset[str], variables: frozenset[str],
                 parsed: ParsedTemplate) -> None:
        self.text = text
        self.functions = functions
        self.parsed = parsed
        self.scopes: list[set[str]] = [set(variables)]
        self.controls: list[tuple[str, int]] = []  # (keyword, offset) of open if/range/with/define/block

    # --- actions in the text -------------------------------------------------------------------

    def run(self) -> None:
        text, i = self.text, 0
        while True:
            start = text.find("{{", i)
            if start < 0:
                break
            body = start + 2
            if text.startswith("- ", body) or text.startswith("-\t", body) or text.startswith("-\n", body):
                body += 2
            # a comment starts right at `{{` or `{{- ` and ends right at `}}` or ` -}}`, as Go's lexer
            # has it (`{{ /* x */ }}` is an action starting with `/`, refused below)
            if text.startswith("/*", body):
                end = text.find("*/", body + 2)
                if end < 0:
                    raise _Fault(start, "unclosed comment")
                close = end + 2
                if close < len(text) and text[close] in _SPACE and text.startswith("-}}", close + 1):
                    close += 2
                if not text.startswith("}}", close):
                    raise _Fault(end, "comment ends before closing delimiter")
                i = close + 2
                continue
            tokens, i = self._lex_action(start, body)
            self._action(tokens, start)
        if self.controls:
            keyword, offset = self.controls[-1]
            raise _Fault(offset, f"unexpected EOF: {{{{{keyword}}}}} has no {{{{end}}}}")

    def _lex_action(self, start: int, i: int) -> tuple[list[_Token], int]:
        text, n = self.text, len(self.text)
        tokens: list[_Token] = []
        depth = 0
        spaced = True
        while True:
            if i >= n:
                raise _Fault(start, "unclosed action: `{{` without `}}`")
            c = text[i]
            if c in _SPACE:
                j = i
                while j < n and text[j] in _SPACE:
                    j += 1
                if text.startswith("-}}", j) and j > i:
                    i = j
                    c = "-"
                    if depth:
                        raise _Fault(i, "unclosed left paren")
                    return tokens, i + 3
                i, spaced = j, True
                continue
            if text.startswith("}}", i):
                if depth:
                    raise _Fault(i, "unclosed left paren")
                return tokens, i + 2
            begin = i
            if c == "|":
                kind, i = "pipe", i + 1
            elif c == "(":
                kind, i, depth = "lparen", i + 1, depth + 1
            elif c == ")":
                if depth == 0:
                    raise _Fault(i, "unexpected right paren")
                kind, i, depth = "rparen", i + 1, depth - 1
            elif c == ",":
                kind, i = "comma", i + 1
            elif text.startswith(":=", i):
                kind, i = "declare", i + 2
            elif c == "=":
                kind, i = "assign", i + 1
            elif c == '"':
                i = self._quoted(i, '"', "unterminated quoted string")
                kind = "string"
            elif c == "'":
                i = self._quoted(i, "'", "unterminated character constant")
                kind = "char"
            elif c == "`":
                end = text.find("`", i + 1)
                if end < 0:
                    raise _Fault(i, "unterminated raw quoted string")
                kind, i = "raw", end + 1
            elif c == "$":
                match = _GO_IDENT_RE.match(text, i + 1)
                kind, i = "var", match.end() if match else i + 1
            elif c == "." and (i + 1 >= n or not text[i + 1].isdigit()):
                match = _GO_IDENT_RE.match(text, i + 1)
                kind, i = ("field", match.end()) if match else ("dot", i + 1)
            elif c in "+-." or c.isdigit():
                match = _NUMBER_RE.match(text, i)
                if not match or match.end() == i:
                    raise _Fault(i, f"unexpected {c!r} in command")
                i = match.end()
                if i < n and (text[i].isalnum() or text[i] in "._"):
                    raise _Fault(begin, f"bad number syntax: {text[begin:i + 1]!r}")
                kind = "number"
            elif c.isalpha() or c == "_":
                match = _GO_IDENT_RE.match(text, i)
                assert match is not None
                i = match.end()
                word = match.group()
                kind = ("keyword" if word in _KEYWORDS else "bool" if word in ("true", "false")
                        else "nil" if word == "nil" else "ident")
            else:
                raise _Fault(i, f"unexpected {c!r} in command")
            if kind in _WORDS and not self._at_terminator(i):
                raise _Fault(i, f"bad character {text[i]!r} after {text[begin:i]!r}")
            tokens.append(_Token(kind, text[begin:i], begin, not spaced))
            spaced = False

    def _at_terminator(self, i: int) -> bool:
        """Go's lexer ends a word only at a space, `.`, `,`, `|`, `:`, a paren or `}}`."""
        return i >= len(self.text) or self.text[i] in _SPACE + ".,|:()" or self.text.startswith("}}", i)

    def _quoted(self, i: int, quote: str, message: str) -> int:
        text, j = self.text, i + 1
        while j < len(text):
            c = text[j]
            if c == "\\":
                j += 2
                continue
            if c == "\n":
                break
            if c == quote:
                return j + 1
            j += 1
        raise _Fault(i, message)

    # --- one action ----------------------------------------------------------------------------

    def _action(self, tokens: list[_Token], start: int) -> None:
        if not tokens:
            raise _Fault(start, "missing value for command: `{{ }}` is empty")
        first = tokens[0]
        if first.kind != "keyword":
            self._pipeline(tokens, 0, len(tokens), start, declarations=1)
            return
        word, rest = first.text, tokens[1:]
        if word in ("if", "range", "with"):
            if not rest:
                raise _Fault(first.offset, f"missing value for {word}")
            self.scopes.append(set())
            self._pipeline(rest, 0, len(rest), first.offset, declarations=2 if word == "range" else 1)
            self.controls.append((word, first.offset))
        elif word == "else":
            if not self.controls or self.controls[-1][0] not in ("if", "range", "with"):
                raise _Fault(first.offset, "unexpected {{else}}")
            if rest:
                if rest[0].kind != "keyword" or rest[0].text not in ("if", "with"):
                    raise _Fault(rest[0].offset, "unexpected token after {{else}}")
                if len(rest) < 2:
                    raise _Fault(rest[0].offset, f"missing value for {rest[0].text}")
                self._pipeline(rest[1:], 0, len(rest) - 1, rest[0].offset, declarations=1)
        elif word == "end":
            if rest:
                raise _Fault(rest[0].offset, "unexpected token in {{end}}")
            if not self.controls:
                raise _Fault(first.offset, "unexpected {{end}}")
            self.controls.pop()
            if len(self.scopes) > 1:
                self.scopes.pop()
        elif word in ("define", "block", "template"):
            if not rest or rest[0].kind not in ("string", "raw"):
                raise _Fault(first.offset, f"{{{{{word}}}}} needs a template name in quotes")
            if len(rest) > 1:
                self._pipeline(rest[1:], 0, len(rest) - 1, rest[1].offset, declarations=0)
            if word != "template":
                self.scopes.append(set())
                self.controls.append((word, first.offset))
        else:  # break, continue
            if not any(keyword == "range" for keyword, _ in self.controls):
                raise _Fault(first.offset, f"{{{{{word}}}}} outside {{{{range}}}}")

    def _pipeline(self, tokens: list[_Token], i: int, end: int, where: int, *, declarations: int) -> int:
        """Parse tokens[i:end] as a pipeline; returns the index after it."""
        declared: list[_Token] = []
        j = i
        while j < end and tokens[j].kind == "var" and declarations:
            if j + 1 < end and tokens[j + 1].kind in ("declare", "assign"):
                declared.append(tokens[j])
                if tokens[j + 1].kind == "assign":
                    self._variable(tokens[j])
                j += 2
                break
            if j + 1 < end and tokens[j + 1].kind == "comma" and declarations > 1:
                declared.append(tokens[j])
                j += 2
                continue
            break
        if declared and (j == i or tokens[j - 1].kind not in ("declare", "assign")):
            raise _Fault(tokens[j - 1].offset, "too many declarations or a missing `:=`")
        i = j
        stage = 0
        while True:
            i = self._command(tokens, i, end, stage, where)
            if i < end and tokens[i].kind == "pipe":
                i += 1
                if i >= end or tokens[i].kind == "rparen":
                    break  # Go accepts a pipeline ending in `|`
                stage += 1
                continue
            break
        for variable in declared:
            self.scopes[-1].add(variable.text)
        return i

    def _command(self, tokens: list[_Token], i: int, end: int, stage: int, where: int) -> int:
        start = i
        while i < end and tokens[i].kind not in ("pipe", "rparen"):
            token = tokens[i]
            if token.kind in ("declare", "assign", "comma", "keyword"):
                raise _Fault(token.offset, f"unexpected {token.text!r} in command")
            if token.adjacent and i > start and token.kind not in ("field", "rparen"):
                # Go wants a space between operands (`{{ `a`$x }}`); only a field chains to one
                raise _Fault(token.offset, f"unexpected {token.text!r} in operand")
            if token.kind == "lparen":
                i = self._pipeline(tokens, i + 1, end, token.offset, declarations=0)
                if i >= end or tokens[i].kind != "rparen":  # pragma: no cover - the lexer balances parens
                    raise _Fault(token.offset, "unclosed left paren")
                i += 1
                continue
            if token.kind == "ident" and token.text not in self.functions:
                raise _Fault(token.offset, f'function "{token.text}" not defined')
            if token.kind == "var":
                self._variable(token)
                self._label_read(tokens, i, end)
            elif token.kind == "field" and token.adjacent and i > start:
                # a field chained to the operand before it; Go refuses one on a literal or on dot
                if tokens[i - 1].kind in ("string", "raw", "char", "number", "bool", "nil", "dot"):
                    raise _Fault(token.offset, f"unexpected . after term {tokens[i - 1].text!r}")
            elif token.kind == "field" and token.text == ".Labels" and not self._dot_rebound():
                self._label_read(tokens, i, end)
            if token.kind == "ident" and token.text == "index":
                self._indexed_read(tokens, i, end)
            i += 1
        if i == start:
            raise _Fault(tokens[i].offset if i < end else where, "missing value for command")
        first = tokens[start]
        if stage > 0 and first.kind in _LITERALS:
            raise _Fault(first.offset, f"non executable command in pipeline stage {stage + 1}")
        return i

    def _dot_rebound(self) -> bool:
        """Whether `.` is something else than the alert here: inside `range`/`with` it is the
        element or value (Ceph's `{{ range query "..." }}{{ .Labels.hostname }}` reads each
        sample's labels), inside `define`/`block` what the caller passed. `$labels` never moves.
        Their `{{else}}` branch, where the dot is the alert again, is skipped too: a read missed,
        never a false one."""
        return any(keyword in ("range", "with", "define", "block") for keyword, _ in self.controls)

    def _variable(self, token: _Token) -> None:
        if not any(token.text in scope for scope in self.scopes):
            raise _Fault(token.offset, f'undefined variable "{token.text}"')

    def _label_read(self, tokens: list[_Token], i: int, end: int) -> None:
        token = tokens[i]
        if token.text not in ("$labels", ".Labels") or i + 1 >= end:
            return
        following = tokens[i + 1]
        if following.kind == "field" and following.adjacent:
            label = following.text[1:]
            self.parsed.label_reads.append(LabelRead(label, following.offset + 1, len(label)))

    def _indexed_read(self, tokens: list[_Token], i: int, end: int) -> None:
        if i + 2 < end and tokens[i + 1].text == ".Labels" and self._dot_rebound():
            return
        if i + 2 < end and tokens[i + 1].text in ("$labels", ".Labels") and tokens[i + 2].kind == "string":
            label = tokens[i + 2].text[1:-1]
            if _IDENT_RE.fullmatch(label):
                self.parsed.label_reads.append(LabelRead(label, tokens[i + 2].offset + 1, len(label)))


_OPEN = "{{"
_OPEN_LITERAL = '{{ "{{" }}'  # an action whose output is the two braces themselves


def go_template_literal(text: str) -> str:
    """Template text that renders exactly `text`: every `{{` becomes an action printing `{{`.

    Only `{{` starts an action in Go's text/template (`}}` outside an action is plain text), and
    splitting from the left leaves no piece ending in `{` before a delimiter, so the result can never
    hold an action of the user's making.
    """
    return _OPEN_LITERAL.join(text.split(_OPEN))

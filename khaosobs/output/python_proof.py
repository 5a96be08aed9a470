"""The proof that a rendered Python module compiles, made cheaply for the modules of one template.

`compile()` of every rendered module was most of the cost of the Python targets: one module per
service, each the same template with other names and values in its string literals. A module is
therefore proven either by compiling it, or by showing it is token for token a module of the same
template that compiled, except for string literals (each of which compiles alone) and comments.

Why that is a proof: Python's parser reads tokens, and of a string literal only its kind (the
literal's own text is decoded, and its escapes checked, by itself: compiling it alone does that).
So a module whose token stream equals a compiled one's up to such literals and comments compiles
too. The comparison is line by line: a line that differs is tokenized alone, which gives its
tokens as they are in the module when the line starts outside any token (not inside a multi-line
string: known from tokenizing the compiled module once), does not continue onto the next line
with a backslash, and is not where an encoding declaration may stand (the first two lines). The
indentation is compared as text (the INDENT token of a line tokenized alone). Anything else, any
doubt, and the module is compiled.
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass, field

_ENCODING_DECLARATION_LINES = 2  # PEP 263: a `coding:` comment counts on the first two lines only


@dataclass(frozen=True)
class CompiledModule:
    """A module that compiled, as lines (split at `\\n`), and which lines start inside a token."""

    lines: list[str]
    inside: frozenset[int]  # 0-based: lines that begin within a multi-line token (a docstring's body)
    # the tokens of its lines that other modules differ in, tokenized alone once
    line_tokens: dict[int, list[tuple[int, str]] | None] = field(default_factory=dict, compare=False)

    def tokens(self, index: int) -> list[tuple[int, str]] | None:
        if index not in self.line_tokens:
            self.line_tokens[index] = _tokens(self.lines[index])
        return self.line_tokens[index]

    @classmethod
    def of(cls, text: str) -> CompiledModule | None:
        """`text`, which compiled; None when Python's own tokenizer module cannot read it."""
        inside: set[int] = set()
        try:
            for token in tokenize.generate_tokens(io.StringIO(text).readline):
                (first, _), (last, _) = token.start, token.end
                inside.update(range(first, last))  # rows are 1-based: the rows after the first
        except (tokenize.TokenError, SyntaxError):
            return None
        return cls(text.split("\n"), frozenset(inside))


def compiles_like(text: str, compiled: CompiledModule) -> bool:
    """Whether `text` provably compiles because `compiled` did (module docstring); False means
    unproven, not wrong: the caller compiles it."""
    if "\r" in text or "\x00" in text:  # other line ends than the split's; null bytes are refused
        return False
    lines = text.split("\n")
    if len(lines) != len(compiled.lines):
        return False
    for index, (line, proven) in enumerate(zip(lines, compiled.lines, strict=True)):
        if line == proven:
            continue
        if (index < _ENCODING_DECLARATION_LINES or index in compiled.inside or index + 1 in compiled.inside
                or line.endswith("\\") or proven.endswith("\\")
                or not _same_but_literals(compiled.tokens(index), line)):
            return False
    return True


def _same_but_literals(expected: list[tuple[int, str]] | None, line: str) -> bool:
    """Whether `line`, tokenized alone, has the `expected` tokens but for string literals and comments."""
    try:
        line.encode("utf-8")  # compile() refuses lone surrogates anywhere, comments included
    except UnicodeEncodeError:
        return False
    found = _tokens(line)
    if expected is None or found is None or len(expected) != len(found):
        return False
    for (kind, text), (found_kind, found_text) in zip(expected, found, strict=True):
        if kind != found_kind or found_kind == tokenize.ERRORTOKEN:
            return False
        if text == found_text or kind == tokenize.COMMENT:
            continue
        if kind != tokenize.STRING or not _same_kind_of_literal(text, found_text):
            return False
    return True


def _tokens(line: str) -> list[tuple[int, str]] | None:
    try:
        return [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(line + "\n").readline)]
    except (tokenize.TokenError, SyntaxError):
        return None


def _same_kind_of_literal(proven: str, literal: str) -> bool:
    """Both plain (not f-) string literals of one prefix (str and bytes do not concatenate), and
    `literal` compiles alone (its escapes, a bytes literal's ASCII)."""
    prefix = _prefix(proven)
    if "f" in prefix.lower() or _prefix(literal) != prefix:
        return False
    try:
        compile(literal, "<literal>", "eval")
    except (SyntaxError, ValueError, UnicodeError):
        return False
    return True


def _prefix(literal: str) -> str:
    return literal[: len(literal) - len(literal.lstrip("rRbBuUfF"))]

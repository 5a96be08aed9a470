r"""RE2 (Go's regexp, which Alertmanager uses) on Python's `re`: the one translator.

Python's re accepts things RE2 refuses (lookaround, backreferences, possessive quantifiers) and
reads a few things differently (`$` before a final newline, mid-pattern flags, `\z`, POSIX classes).
The translation refuses what Go refuses and rewrites what differs, so a regex khaosobs accepts is one
Alertmanager accepts and both match the same strings.
"""

from __future__ import annotations

import re


class RegexError(ValueError):
    """A regex RE2 would refuse (or, for a few RE2 features, khaosobs cannot evaluate)."""


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
        raise RegexError(f"invalid regular expression {pattern!r}: {exc}") from None


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
                        raise RegexError(f"invalid named capture: {p[i:]!r}")
                    out.append(p[i:end + 1])
                    groups.append([])
                    i = end + 1
                    continue
                if flags is None or (not flags.group(1).replace("-", "") and flags.group(2) == ")"):
                    raise RegexError(f"invalid or unsupported Perl syntax: {p[i:i + 3]!r}")
                letters = flags.group(1)
                if set(letters) - set("ims-"):
                    raise RegexError(f"invalid or unsupported regex flags {letters!r} "
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
                raise RegexError(f"unexpected ): {p!r}")
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
                raise RegexError(f"invalid repeat count: {rep.group()!r}")
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
        raise RegexError(f"missing closing ): {p!r}")
    out.append(")" * len(groups[0]))
    return "".join(out)


def _no_possessive(p: str, i: int) -> int:
    """After a repetition: `?` makes it lazy (both engines); `+`, `*` or `{` would nest it (Go refuses)."""
    if i < len(p) and p[i] == "?":
        i += 1
    if i < len(p) and (p[i] in "*+?" or _REPEAT_RE.match(p, i)):
        raise RegexError(f"invalid nested repetition operator: {p[max(0, i - 2):i + 1]!r}")
    return i


def _escape(p: str, i: int, *, in_class: bool) -> tuple[str, int]:
    if i + 1 >= len(p):
        raise RegexError("trailing backslash at end of expression")
    d = p[i + 1]
    if d.isdigit() and d != "0":
        raise RegexError(f"invalid escape sequence: \\{d} (RE2 has no backreferences)")
    if d == "0":
        octal = re.match(r"0[0-7]{0,2}", p[i + 1:])
        assert octal is not None
        return "\\" + octal.group(), i + 1 + len(octal.group())
    if not d.isascii():
        raise RegexError(f"invalid escape sequence: \\{d}")
    if d.isalpha():
        if d not in _GO_LETTER_ESCAPES:
            raise RegexError(f"invalid escape sequence: \\{d}")
        if d in "pP":
            raise RegexError("Unicode classes (\\p, \\P) are not supported by khaosobs's router; "
                               "use explicit character ranges")
        if d == "C":
            raise RegexError("\\C (any byte) is not supported")
        if d == "z":
            if in_class:
                raise RegexError("invalid escape sequence: \\z")
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
                raise RegexError(f"invalid escape sequence: {p[i:end + 1 if end != -1 else len(p)]}")
            return f"\\U{int(digits, 16):08x}", end + 1
        if in_class and d in "AbBz":
            raise RegexError(f"invalid escape sequence: \\{d}")
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
                raise RegexError(f"invalid or unsupported character class range: {p[i:end + 2]!r}")
            out.append(_POSIX_CLASSES[name])
            i = end + 2
        elif c in "[&~|":
            out.append("\\" + c)  # literal in Go; Python would warn of set operations
            i += 1
        else:
            out.append(c)
            i += 1
    raise RegexError(f"missing closing ]: {p!r}")

"""The fast path for reading a spec: a Rust YAML parser, where it provably reads what PyYAML reads.

PyYAML's composer (0.25 s for a 1,000-service spec) is what gives every node a line and a
column; yaml-rs reads the same text in 0.07 s but without positions, and by YAML 1.2 rules.
So a spec is read by yaml-rs only when nothing in it can be read differently under YAML 1.1
(`no`, `on`, `012`, `1:30`, `1e3`, dates, merge keys, anchors, tags, directives, tabs); anything odd,
and any error, falls back to the full loader, which reports it with a position. Positions of a
fast-read spec are composed later, only if a finding needs one.
A differential test (tests/spec/test_fastyaml.py) holds the two paths to the same data.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import yaml_rs

from khaosobs.spec.limits import MAX_ALIAS_NODES, MAX_DEPTH, MAX_SCALAR_CHARS

_DELIMITERS = " \t\n,[]{}"
_TOKEN_DELIMITERS = re.escape(_DELIMITERS)  # the same, for a regex character class
_VALUE_STARTS = ":-[{,\n"  # what may stand before a value (after blanks): a key, a list item, a flow
_VALUE_ENDS = "\n,]}#"

# Seen in the text: what YAML 1.1 and 1.2 parse differently whatever the value turns out to be.
_ODD_CHARACTERS = re.compile("[\t\r\x85\u2028\u2029\ufeff]")  # tabs; line breaks in YAML 1.1 only
_LINE_INDICATOR = re.compile(r"^[ \t]*[%?]", re.MULTILINE)  # a directive, an explicit (complex) key
_NODE_PROPERTY = re.compile(r"[&*!][^\s,\[\]{}]")  # an anchor, alias or tag, if it starts a value
# Numbers yaml-rs reads and PyYAML does not (or reads otherwise): leading zeros (octal in 1.1),
# 0o/0x prefixes, an exponent without the dot 1.1 wants, a signed leading dot. Matched as whole
# tokens (between delimiters), in one pass of the regex engine over the text.
_RISKY_NUMBER = re.compile(
    r"[-+]?0[0-9_]+(?:\.[0-9_]*)?|[-+]?0[oOxXbB][0-9a-fA-F_]*|[-+]?[0-9.][0-9_.]*[eE][-+]?[0-9]+|[-+]\.[0-9][0-9_]*"
)
# Where a token may start a number: after a delimiter (or at the start), a sign, dot or digit. Python's
# regex engine tries a lookbehind and the whole alternation at every character of the text: finding
# these first and matching the number only there reads a large spec in half the time. The text's first
# character is tried apart: a `\A|` alternative in the pattern costs a third of its scan.
_NUMBER_START = re.compile(rf"[{_TOKEN_DELIMITERS}][-+.0-9]")
_RISKY_NUMBER_TOKEN = re.compile(rf"(?:{_RISKY_NUMBER.pattern})(?![^{_TOKEN_DELIMITERS}])")  # matched at a start
# Seen in the data: text yaml-rs kept that PyYAML would have read as a boolean, a number or a date.
_RISKY_TEXT = re.compile(
    r"yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|=|<<"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"  # sexagesimal
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt \t].*)?"  # a timestamp
)


def _token(text: str, at: int) -> tuple[int, int]:
    start, end = at, at
    while start > 0 and text[start - 1] not in _DELIMITERS:
        start -= 1
    while end < len(text) and text[end] not in _DELIMITERS:
        end += 1
    return start, end


def _starts_value(text: str, start: int) -> bool:
    i = start
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    return i == 0 or text[i - 1] in _VALUE_STARTS


def _ends_value(text: str, end: int) -> bool:
    i = end
    while i < len(text) and text[i] in " \t":
        i += 1
    return i == len(text) or text[i] in _VALUE_ENDS


def _risky_text(text: str) -> bool:
    if "<<" in text or _ODD_CHARACTERS.search(text):
        return True
    # each regex scan costs more than looking for the characters it needs first (a C loop)
    if ("%" in text or "?" in text) and _LINE_INDICATOR.search(text):
        return True
    if "&" in text or "*" in text or "!" in text:
        for match in _NODE_PROPERTY.finditer(text):
            start, _ = _token(text, match.start())
            if start == match.start() and _starts_value(text, start):
                return True
    risky_number = _RISKY_NUMBER_TOKEN.match
    starts = (candidate.end() - 1 for candidate in _NUMBER_START.finditer(text))
    for start in itertools.chain((0,), starts):
        number = risky_number(text, start)
        if number and _starts_value(text, number.start()) and _ends_value(text, number.end()):
            return True
    return False


_LIMITS = yaml_rs.AliasLimits(max_total_replayed_events=MAX_ALIAS_NODES)


def fast_load(text: str) -> dict[str, Any] | None:
    """The spec's data, or None when only the full loader can read it faithfully."""
    if _risky_text(text):
        return None
    try:
        data = yaml_rs.loads(text, parse_datetime=False, alias_limits=_LIMITS,
                             duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.Error)
    except Exception:  # any refusal: the full loader explains it with a position
        return None
    if not isinstance(data, dict) or not _plain(data, 0):
        return None
    return data


def _plain(root: dict[str, Any], depth: int) -> bool:
    """Text keys, plain values, no deeper than the full loader allows, no oversized text, and no
    text that YAML 1.1 would have read as something else. A loop over a stack, leaves judged in
    place: a spec has a few hundred thousand nodes."""
    risky = _RISKY_TEXT.fullmatch
    stack: list[tuple[Any, int]] = [(root, depth)]
    while stack:
        node, level = stack.pop()
        if level > MAX_DEPTH:
            return False
        if type(node) is dict:
            for key in node:  # a loop, not all(): no generator per mapping
                if type(key) is not str:
                    return False
            values = node.values()
        else:
            values = node
        for value in values:
            kind = type(value)
            if kind is str:
                if len(value) > MAX_SCALAR_CHARS or risky(value):
                    return False
            elif kind is dict or kind is list:
                stack.append((value, level + 1))
            elif value is not None and kind not in (bool, int, float):
                return False
    return True

"""Our own serialisers for template values: YAML flow values and JSON.

Every value a template writes goes through one of these, so spec text can never inject
structure, and `{{ $labels.x }}` or `{{route}}` come out verbatim (Jinja's `tojson` would
escape `<`, `>` and `&`, which Prometheus and Grafana would then show as escapes).
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

import orjson

# YAML 1.1 printable set (what PyYAML and Go's yaml accept raw in a double-quoted scalar),
# minus the characters YAML folds as line breaks (NEL, LS, PS) and the BOM.
_NEEDS_ESCAPE = re.compile(
    "[^\x09\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]|[\"\\\\]"
)
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x00": "\\0"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def yaml_string(text: str) -> str:
    # most text is printable ASCII: found in C, and of it only quotes and backslashes are escaped
    # (as _NEEDS_ESCAPE would: str.replace, not a Python call per quote of a PromQL selector)
    if text.isascii() and text.isprintable():
        if '"' not in text and "\\" not in text:
            return f'"{text}"'
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return '"' + _NEEDS_ESCAPE.sub(_escape, text) + '"'


def yaml_value(value: Any) -> str:
    """A YAML flow value that parses back to exactly `value` (YAML 1.1 and 1.2 alike)."""
    if type(value) is str:  # nearly every value: asked first (a str subclass takes the way below)
        return yaml_string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return yaml_string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        # YAML 1.1 needs a dot in a float (1e-05 would be read as text)
        if "e" in text and "." not in text.split("e")[0]:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{yaml_string(str(k))}: {yaml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    raise TypeError(f"cannot serialise {type(value).__name__} as YAML")


def sorted_json(value: Any) -> Any:
    """`value` as the JSON it serialises to, with keys in alphabetical order at every level (as
    Grafana's own export writes them). One round trip through orjson (C) instead of a recursive
    rebuild in Python: a fifth of a large render's dashboards. It refuses what `json_text` refuses
    (non-string keys, unserialisable values), so the model and its file cannot disagree."""
    return orjson.loads(orjson.dumps(value, option=orjson.OPT_SORT_KEYS))


def json_text(value: Any, indent: bool = True, *, sort_keys: bool = False) -> str:
    """JSON with two-space indentation, UTF-8 kept, and nothing HTML-escaped; with `sort_keys`, the
    text `json_text(sorted_json(value))` is, in one call."""
    option = (orjson.OPT_INDENT_2 if indent else 0) | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    return orjson.dumps(value, option=option).decode("utf-8")


def python_literal(value: Any) -> str:
    """A Python literal that evaluates to exactly `value` (repr, except non-finite floats)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value!r}")'  # repr gives the bare names inf / nan
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items()) + "}"
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    raise TypeError(f"cannot serialise {type(value).__name__} as a Python literal")


def comment_text(text: str) -> str:
    """Text safe inside a `#` comment line: no line breaks."""
    return re.sub(r"[\r\n\x85\u2028\u2029]+", " ", text)


# A string written as a YAML literal block (`|`) reads back exactly when it ends in one newline,
# holds only printable characters, its first line has text and no leading space (the block's
# indentation is read from it), and no line ends with whitespace or holds a tab (whitespace-only
# lines and tabs are where YAML parsers differ).
# (Plain string tests, not regexes: a dashboard in a ConfigMap is tens of kilobytes of text.)


def _literal_block_ok(text: str) -> bool:
    body = text[:-1]
    return (text.endswith("\n") and not body.endswith("\n") and "\r" not in text
            and body[:1] not in ("", " ", "\n")
            and "\t" not in body and " \n" not in body and not body.endswith(" ")
            and _printable_lines(text))


def _printable_lines(text: str) -> bool:
    """Nothing in `text` but its line breaks that a double-quoted scalar would escape (quotes and
    backslashes are fine in a block)."""
    if text.isascii():  # then printable means \x20-\x7e, what _NEEDS_ESCAPE lets through, in C
        return text.replace("\n", "").replace("\t", "").isprintable()
    return _NEEDS_ESCAPE.search(text.replace("\n", "").replace('"', "").replace("\\", "")) is None


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
# Plain words YAML 1.1 reads as something other than text
_YAML11_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


@functools.lru_cache(maxsize=1 << 12)  # a manifest's keys are a few names, written over and over
def yaml_key(key: str) -> str:
    """A mapping key: plain when it can only be read as itself, else double-quoted."""
    if _PLAIN_KEY.fullmatch(key) and key.lower() not in _YAML11_WORDS:
        return key
    return yaml_string(key)


def yaml_block(value: Any, indent: int = 0) -> str:
    """Block-style YAML for nested data (Kubernetes manifests, prometheus.yml): mappings and lists
    as blocks, every scalar through `yaml_value`, multi-line text as a literal block when it reads
    back exactly. The result parses back to exactly `value`."""
    lines: list[str] = []
    _block(value, indent, " " * indent, lines)
    return "\n".join(lines)


def _block(value: Any, indent: int, first_pad: str, lines: list[str]) -> None:
    """The lines of `value` at `indent`, appended to `lines` (one list for the whole document, no
    list per level); `first_pad` starts the first line: the indentation, or `- ` where a mapping is
    a list item."""
    if isinstance(value, dict) and value:
        pad = " " * indent
        lead = first_pad
        for key, item in value.items():
            _entry(f"{lead}{yaml_key(str(key))}:", item, indent, lines)
            lead = pad
    elif isinstance(value, (list, tuple)) and value:
        pad = " " * indent
        item_pad = f"{pad}- "
        for item in value:
            if isinstance(item, dict) and item:
                _block(item, indent + 2, item_pad, lines)
            else:
                _entry(f"{pad}-", item, indent, lines)
    else:
        lines.append(first_pad + yaml_value(value))


def _entry(head: str, item: Any, indent: int, lines: list[str]) -> None:
    if isinstance(item, (dict, list, tuple)) and item:
        lines.append(head)
        _block(item, indent + 2, " " * (indent + 2), lines)
    elif isinstance(item, str) and "\n" in item and _literal_block_ok(item):
        pad = " " * (indent + 2)
        lines.append(f"{head} |")
        body = item[:-1]  # its first and last lines have text (_literal_block_ok)
        if "\n\n" in body:  # an empty line stays empty, not indented
            lines.extend([pad + line if line else "" for line in body.split("\n")])
        else:  # every line indented by one replace, not a string per line (a dashboard's JSON)
            lines.append(pad + body.replace("\n", "\n" + pad))
    else:
        lines.append(f"{head} {yaml_value(item)}")

"""Helpers shared by checks (no check imports another): exact columns inside a scalar, every string
of the document, the keys of a `labels:` mapping."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from khaosobs.diagnostics import Diagnostic, Location
from khaosobs.domain.prometheus_names import LABEL_NAME_RE
from khaosobs.spec.loader import LoadedSpec, Path_

if TYPE_CHECKING:
    from khaosobs.checks.context import CheckContext


def walk_strings(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    """Every string value of the loaded document (mapping keys excluded), with its path.

    Iterative: a document nested to the loader's depth limit must not exhaust Python's stack. Depth
    first, in document order: a stack of the containers being read, each with where its reading
    stopped; a path is built only for a string or a container, never for another scalar.
    """
    if isinstance(data, str):
        yield path, data
        return
    stack: list[tuple[Path_, Iterator[tuple[Any, Any]]]] = []
    if isinstance(data, dict):
        stack.append((path, iter(data.items())))
    elif isinstance(data, list):
        stack.append((path, enumerate(data)))
    while stack:
        where, entries = stack[-1]
        for key, node in entries:
            if isinstance(node, str):
                yield (*where, key), node
            elif isinstance(node, dict):
                stack.append(((*where, key), iter(node.items())))
                break  # read the child first; this container's reading resumes after it
            elif isinstance(node, list):
                stack.append(((*where, key), enumerate(node)))
                break
        else:
            stack.pop()


def _single_quoted_map(raw: str) -> list[int] | None:
    """Offsets into `raw` ('...' with '' escapes) of each character of the value, or None."""
    inner, out, i = raw[1:-1], [], 0
    while i < len(inner):
        out.append(i + 1)
        i += 2 if inner.startswith("''", i) else 1
    return out


def _line_map(loaded: LoadedSpec, path: Path_, value: str) -> list[tuple[int, int]] | None:
    """For each character of `value`, its (line, column) in the source; None when not exact."""
    info = loaded.positions.get(tuple(path))
    if info is None:
        return None
    source = loaded.sources.get(info.file)
    if source is None:
        return None
    if info.line == info.end_line:
        text = source.line(info.line)
        raw = text[info.column - 1 : info.end_column - 1]
        if info.style is None and raw == value:
            return [(info.line, info.column + i) for i in range(len(value))]
        if info.style == '"' and "\\" not in raw and raw[1:-1] == value:
            return [(info.line, info.column + 1 + i) for i in range(len(value))]
        if info.style == "'" and raw[1:-1].replace("''", "'") == value:
            offsets = _single_quoted_map(raw)
            return [(info.line, info.column + o) for o in offsets] if offsets is not None else None
        return None
    if info.style == "|":  # literal block: value line k is source line info.line + 1 + k, indented
        out: list[tuple[int, int]] = []
        indent: int | None = None
        for k, part in enumerate(value.split("\n")):
            number = info.line + 1 + k
            line = source.line(number)
            if part:
                if indent is None:
                    indent = len(line) - len(line.lstrip(" "))
                if line[indent:] != part:
                    return None
            out.extend((number, (indent or 0) + 1 + i) for i in range(len(part)))
            out.append((number, (indent or 0) + 1 + len(part)))  # the newline
        return out
    return None


def span_location(loaded: LoadedSpec, path: Path_, value: str, start: int, length: int) -> Location | None:
    """The exact place of value[start:start+length] in the file, when the scalar allows it."""
    if not 0 <= start < len(value):
        return None
    mapping = _line_map(loaded, path, value)
    if mapping is None or len(mapping) < len(value):
        return None
    line, column = mapping[start]
    end = min(start + max(1, length), len(value)) - 1
    end_line, end_column = mapping[end]
    shown = end_column - column + 1 if end_line == line else 1
    info = loaded.positions.get(tuple(path))
    assert info is not None
    return Location(info.file, line, column, max(1, shown))


def label_keys(ctx: CheckContext, labels: dict[str, str], path: Path_) -> Iterator[Diagnostic]:
    """Keys of a `labels:` mapping: valid label names, none reserved."""
    for key in labels:
        if not LABEL_NAME_RE.fullmatch(key):
            yield ctx.error(
                "label-name",
                f'"{key}" is not a valid label name',
                (*path, key),
                "letters, digits and _, not starting with a digit",
                key=True,
            )
        elif key.startswith("__"):
            yield ctx.error(
                "label-reserved",
                f'label names starting with "__" are reserved for Prometheus: "{key}"',
                (*path, key),
                key=True,
            )

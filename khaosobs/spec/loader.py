"""Load spec files: YAML into plain data, with the source position of every node.

PyYAML's C composer builds the node graph (fast, and it keeps marks); the conversion
to plain data is ours so that duplicate keys, alias bombs, recursion and absurd sizes
are refused with a position instead of being silently accepted.
"""

from __future__ import annotations

import gc
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from khaosobs.diagnostics import Diagnostic, Location, Severity
from khaosobs.spec.limits import MAX_ALIAS_NODES, MAX_DEPTH, MAX_FILE_BYTES, MAX_SCALAR_CHARS

# defined in sources.py (reporters and targets need them without the YAML loader); importable from here
from khaosobs.spec.sources import Path_ as Path_
from khaosobs.spec.sources import SourceFile as SourceFile

try:  # the C composer is ten times faster; the pure one is a correct fallback
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _YamlLoader  # type: ignore[assignment]


SPEC_SUFFIXES = (".yaml", ".yml")

_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_YAML11_SURPRISES = {
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:timestamp": "a date",
}


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """Where a node sits in its file (1-based), and how a scalar was written."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    style: str | None = None  # None plain, "'" / '"' quoted, "|" / ">" block; only for scalars
    tag: str | None = None  # resolved YAML tag of a scalar

    def location(self, length: int | None = None) -> Location:
        if length is None:
            length = self.end_column - self.column if self.end_line == self.line else 1
        return Location(self.file, self.line, self.column, max(1, length))

    def yaml11_surprise(self) -> str | None:
        """A hint when a plain scalar was read as something other than text."""
        if self.style is None and self.tag in _YAML11_SURPRISES:
            return f"YAML reads this unquoted value as {_YAML11_SURPRISES[self.tag]}: quote it to keep it as text"
        return None


def node_info(node: yaml.Node) -> NodeInfo:
    """Where a composed node sits; the file name travels in the node's marks."""
    start, end = node.start_mark, node.end_mark
    if isinstance(node, yaml.ScalarNode):
        return NodeInfo(start.name, start.line + 1, start.column + 1, end.line + 1, end.column + 1,
                        node.style or None, node.tag)  # the C composer says '' for plain
    return NodeInfo(start.name, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


class PositionTable:
    """path -> NodeInfo, built lazily from the composed nodes (most positions are never asked for).

    `fill`, when given, composes the nodes on first use: a spec read by the fast path is only
    composed by PyYAML when a finding needs a position.
    """

    __slots__ = ("_fill", "_nodes")

    def __init__(self, nodes: dict[Path_, yaml.Node] | None = None,
                 fill: Callable[[], dict[Path_, yaml.Node]] | None = None) -> None:
        self._nodes: dict[Path_, yaml.Node] = nodes if nodes is not None else {}
        self._fill = fill

    def _table(self) -> dict[Path_, yaml.Node]:
        if self._fill is not None:
            self._nodes, self._fill = self._fill(), None
        return self._nodes

    def get(self, path: Path_) -> NodeInfo | None:
        node = self._table().get(path)
        return node_info(node) if node is not None else None

    def __getitem__(self, path: Path_) -> NodeInfo:
        return node_info(self._table()[path])

    def __contains__(self, path: object) -> bool:
        return path in self._table()

    def node(self, path: Path_) -> yaml.Node | None:
        return self._table().get(path)


@dataclass
class LoadedSpec:
    """The merged document of one or more spec files, with positions for every node."""

    data: dict[str, Any]
    positions: PositionTable  # value nodes
    key_positions: PositionTable  # the key of each mapping entry
    sources: dict[str, SourceFile]
    files: list[str]
    label: str | None = None  # for a merged spec: the paths given, e.g. "specs"

    def info(self, path: Path_) -> NodeInfo | None:
        """The node at `path`, or the closest enclosing node that has a position."""
        probe = tuple(path)
        while probe:
            found = self.positions.get(probe)
            if found is not None:
                return found
            probe = probe[:-1]
        return self.positions.get(())

    def location(self, path: Path_, *, key: bool = False) -> Location | None:
        if key and tuple(path) in self.key_positions:
            return self.key_positions[tuple(path)].location()
        found = self.info(path)
        return found.location() if found else None

    def display_name(self) -> str:
        """The spec as users named it: its file, or the folders and files given for a merged spec."""
        if len(self.files) == 1:
            return self.files[0]
        return self.label or ", ".join(self.files)


class LoadError(Exception):
    """The spec could not be read; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, SourceFile] | None = None) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics
        self.sources = sources or {}  # the files read, so reports can show the offending line


def display_path(path: Path) -> str:
    """A path as users see it and headers record it: relative to the working directory, forward slashes.

    Always relative (`../specs/x.yaml` too), so generated headers never hold a machine's absolute path.
    """
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows: nothing relative exists
        rel = str(path)
    return rel.replace(os.sep, "/")


def spec_files(paths: list[Path]) -> list[Path]:
    """Expand folders into their spec files, sorted so that merging is deterministic."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():  # env/ holds environment overlays (khaosobs.spec.environments), not base files
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file()
                       and p.relative_to(path).parts[0] != "env")
            )
        else:
            found.append(path)
    return found


def _error(code: str, message: str, location: Location | None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, location, (), hint)


def load_paths(paths: list[Path]) -> LoadedSpec:
    """Load and merge spec files or folders; raises LoadError with every problem found."""
    files = spec_files(paths)
    diagnostics: list[Diagnostic] = []
    for path in paths:
        if not path.exists():
            diagnostics.append(_error("file-missing", f"no such file or folder: {display_path(path)}", None))
        elif path.is_dir() and not any(f.is_relative_to(path) for f in files):
            diagnostics.append(
                _error("file-missing", f"folder {display_path(path)} holds no *.yaml or *.yml spec", None)
            )
    if diagnostics:
        raise LoadError(diagnostics)
    documents: list[LoadedSpec] = []
    sources: dict[str, SourceFile] = {}
    for file in files:
        try:
            documents.append(load_file(file))
        except LoadError as exc:
            diagnostics.extend(exc.diagnostics)
            sources.update(exc.sources)
    if diagnostics:
        raise LoadError(diagnostics, sources)
    loaded = merge(documents)
    loaded.label = ", ".join(display_path(p) for p in paths)
    return loaded


def load_file(path: Path) -> LoadedSpec:
    name = display_path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LoadError([
                _error("file-too-large", f"spec file is {size} bytes, more than the limit of {MAX_FILE_BYTES}",
                       Location(name, 1, 1))
            ])
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError([_error("file-unreadable", f"cannot read {name}: {exc.strerror}", None)]) from None
    return load_bytes(raw, name)


def load_bytes(raw: bytes, name: str) -> LoadedSpec:
    text = _decode(raw, name)
    source = SourceFile(name, text)
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise LoadError([_error("empty-spec", "spec file is empty", Location(name, 1, 1),
                                "a spec starts with `version: 1` and `project: <name>`")])
    from khaosobs.spec.fastyaml import fast_load

    fast = fast_load(text)
    if fast is not None:
        deferred = _DeferredPositions(text, name)
        return LoadedSpec(fast, PositionTable(fill=deferred.values), PositionTable(fill=deferred.keys),
                          {name: source}, [name])
    converter, data = _compose_and_convert(text, name)
    if converter.diagnostics:
        raise LoadError(converter.diagnostics)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        raise LoadError([_error("spec-not-mapping", f"a spec must be a mapping of keys, not {kind}",
                                node_info(converter.positions[()]).location(1),
                                "start with `version: 1` and `project: <name>` at the top level")])
    return LoadedSpec(data, PositionTable(converter.positions), PositionTable(converter.key_positions),
                      {name: source}, [name])


def _compose_and_convert(text: str, name: str) -> tuple[_Converter, Any]:
    gc_was_enabled = gc.isenabled()
    gc.disable()  # the node graph is acyclic garbage to the collector; collecting it costs half the load time
    try:
        node = _compose(text, name)
        converter = _Converter()
        return converter, converter.convert(node, ())
    finally:
        if gc_was_enabled:
            gc.enable()


class _DeferredPositions:
    """The full loader's positions for a spec the fast path read, composed once, on first use."""

    def __init__(self, text: str, name: str) -> None:
        self._text, self._name = text, name
        self._tables: tuple[dict[Path_, yaml.Node], dict[Path_, yaml.Node]] | None = None

    def _composed(self) -> tuple[dict[Path_, yaml.Node], dict[Path_, yaml.Node]]:
        if self._tables is None:
            try:
                converter, _ = _compose_and_convert(self._text, self._name)
                self._tables = (converter.positions, converter.key_positions)
            except LoadError:  # cannot happen for what the fast path accepts (tested); no positions then
                self._tables = ({}, {})
        return self._tables

    def values(self) -> dict[Path_, yaml.Node]:
        return self._composed()[0]

    def keys(self) -> dict[Path_, yaml.Node]:
        return self._composed()[1]


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        message = f"spec file is not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be decoded"
        raise LoadError([_error("not-utf8", message,
                                Location(name, line, column), "save the file as UTF-8")]) from None
    if "\x00" in text:
        offset = text.index("\x00")
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        raise LoadError([_error("not-text", "spec file contains a NUL byte", Location(name, line, column))])
    return text.replace("\r\n", "\n")


def yaml_syntax_hint(problem: str, context: str) -> str:
    """What usually causes each of PyYAML's syntax errors, in a user's words."""
    if "found character '\\t'" in problem or "\t" in problem or "tab character" in problem:
        return "YAML indentation must use spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return "a value holding `: ` must be quoted, or this line is indented deeper than its siblings"
    if "flow sequence" in context or "expected ',' or ']'" in problem:
        return "a `[` list is not closed with `]`, or a value in it holds `,` `[` `]` `{` `}`: quote that value"
    if "flow mapping" in context or "expected ',' or '}'" in problem:
        return "a `{` mapping is not closed with `}`, or a value in it holds `,` `[` `]` `{` `}`: quote that value"
    if "quoted scalar" in context:
        return "a quoted string is not closed: end it with the same quote"
    if "expected <block end>" in problem or "expected key" in problem:
        return "check the indentation: the keys of one mapping line up, list items start with `- `"
    if "could not find expected ':'" in problem:
        return "a key needs `: ` after it, or a multi-line value needs quotes or `|`"
    if "alias" in problem or "anchor" in context:
        return "`*name` refers to an anchor `&name` defined before it; quote a value starting with `*` or `&`"
    return "check the indentation and quoting around this line"


def _compose(text: str, name: str) -> yaml.Node:
    stream = io.StringIO(text)
    stream.name = name  # PyYAML's marks carry the stream's name: our file name
    try:
        loader = _YamlLoader(stream)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        source = SourceFile(name, text)
        mark = exc.problem_mark or exc.context_mark
        opened = exc.context_mark is not None and any(
            what in (exc.context or "") for what in ("flow sequence", "flow mapping", "quoted scalar"))
        if opened or (mark is not None and not source.line(mark.line + 1).strip() and exc.context_mark):
            mark = exc.context_mark  # something left open: point at where it opened
        location = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name, 1, 1)
        problem = exc.problem or "malformed YAML"
        context = f" ({exc.context})" if exc.context else ""
        raise LoadError([_error("yaml-syntax", f"invalid YAML: {problem}{context}", location,
                                yaml_syntax_hint(problem, exc.context or ""))], {name: source}) from None
    except yaml.YAMLError as exc:
        raise LoadError([_error("yaml-syntax", f"invalid YAML: {exc}", Location(name, 1, 1))]) from None
    except RecursionError:
        raise LoadError([_error("yaml-too-deep", "YAML is nested too deeply", Location(name, 1, 1))]) from None
    if node is None:
        raise LoadError([_error("empty-spec", "spec file is empty", Location(name, 1, 1))])
    return node


class _Converter:
    """Node graph -> plain data, recording positions and refusing what PyYAML would let through."""

    def __init__(self) -> None:
        self.positions: dict[Path_, yaml.Node] = {}
        self.key_positions: dict[Path_, yaml.Node] = {}
        self.diagnostics: list[Diagnostic] = []
        self._seen: set[int] = set()
        self._active: set[int] = set()
        self._alias_nodes = 0
        self._constructor = yaml.SafeLoader("")  # only for its scalar constructors

    _info = staticmethod(node_info)

    def convert(self, node: yaml.Node, path: Path_, depth: int = 0, aliased: bool = False) -> Any:
        ident = id(node)
        if ident in self._active:
            self.diagnostics.append(_error("yaml-alias", "recursive YAML alias", self._info(node).location(1)))
            return None
        if ident in self._seen:
            aliased = True  # PyYAML shares aliased nodes; a second visit is an alias expansion
        self._seen.add(ident)
        if aliased:
            self._alias_nodes += 1
            if self._alias_nodes > MAX_ALIAS_NODES:
                if self._alias_nodes == MAX_ALIAS_NODES + 1:
                    self.diagnostics.append(_error(
                        "yaml-alias-bomb",
                        f"YAML aliases expand to more than {MAX_ALIAS_NODES} nodes",
                        self._info(node).location(1), "a spec has no need for this many aliases: write it out"))
                return None
        if depth > MAX_DEPTH:
            if not any(d.code == "yaml-too-deep" for d in self.diagnostics):
                self.diagnostics.append(_error("yaml-too-deep", f"YAML is nested more than {MAX_DEPTH} levels deep",
                                               self._info(node).location(1)))
            return None
        self.positions[path] = node
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        self._active.add(ident)
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.convert(child, (*path, i), depth + 1, aliased) for i, child in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path, depth, aliased)
        finally:
            self._active.discard(ident)
        return None  # pragma: no cover - PyYAML has no other node kinds

    def _mapping(self, node: yaml.MappingNode, path: Path_, depth: int, aliased: bool) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.diagnostics.append(_error("yaml-merge-key", "YAML merge keys (`<<`) are not supported",
                                               self._info(key_node).location(), "write the keys out"))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.diagnostics.append(_error("yaml-key", "a mapping key must be a plain name, not a list or mapping",
                                               self._info(key_node).location(1)))
                continue
            key = str(key_node.value)  # keys stay text: `no:` is the key "no", not False
            if key in result:
                first = self.key_positions[(*path, key)]
                self.diagnostics.append(_error(
                    "duplicate-key", f'duplicate key "{key}" (first defined on line {first.start_mark.line + 1})',
                    node_info(key_node).location(), "YAML keeps only the last of duplicate keys: remove or rename one"))
                continue
            self.key_positions[(*path, key)] = key_node
            result[key] = self.convert(value_node, (*path, key), depth + 1, aliased)
        return result

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag == _STR_TAG:
            value = node.value
            if len(value) > MAX_SCALAR_CHARS:
                self.diagnostics.append(_error(
                    "value-too-long",
                    f"a value of {len(value)} characters is longer than the limit of {MAX_SCALAR_CHARS}",
                    self._info(node).location(1)))
                return ""
            return value
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.diagnostics.append(_error("yaml-value", f"invalid YAML value: {exc}", self._info(node).location()))
            return None
        except (ValueError, OverflowError) as exc:
            self.diagnostics.append(_error("yaml-value", f"invalid YAML value {node.value!r}: {exc}",
                                           self._info(node).location()))
            return None


def merge(documents: list[LoadedSpec]) -> LoadedSpec:
    """Merge spec files: mappings merge key by key, lists concatenate, scalars must agree.

    Positions are not copied: the merged document remembers which file (and which path in it)
    each merged path comes from, and asks that file when a finding needs a position.
    """
    if len(documents) == 1:
        return documents[0]
    merged: dict[str, Any] = {}
    origins: dict[Path_, tuple[LoadedSpec, Path_]] = {(): (documents[0], ())}
    sources: dict[str, SourceFile] = {}
    diagnostics: list[Diagnostic] = []
    for doc in documents:
        sources.update(doc.sources)
        _merge_into(merged, doc.data, (), (), doc, origins, diagnostics)
    if diagnostics:
        raise LoadError(diagnostics, sources)
    files = [f for doc in documents for f in doc.files]
    return LoadedSpec(merged, _MergedPositions(origins, keys=False), _MergedPositions(origins, keys=True),
                      sources, files)


class _MergedPositions(PositionTable):
    """Positions of a merged document: each path resolved in the file it was merged from."""

    __slots__ = ("_keys", "_origins")

    def __init__(self, origins: dict[Path_, tuple[LoadedSpec, Path_]], *, keys: bool) -> None:
        super().__init__()
        self._origins = origins
        self._keys = keys

    def _locate(self, path: Path_) -> tuple[PositionTable, Path_] | None:
        for cut in range(len(path), -1, -1):
            origin = self._origins.get(path[:cut])
            if origin is not None:
                doc, src = origin
                return (doc.key_positions if self._keys else doc.positions), src + path[cut:]
        return None

    def get(self, path: Path_) -> NodeInfo | None:
        found = self._locate(tuple(path))
        return found[0].get(found[1]) if found else None

    def __getitem__(self, path: Path_) -> NodeInfo:
        info = self.get(path)
        if info is None:
            raise KeyError(path)
        return info

    def __contains__(self, path: object) -> bool:
        found = self._locate(path) if isinstance(path, tuple) else None
        return found is not None and found[1] in found[0]

    def node(self, path: Path_) -> yaml.Node | None:
        found = self._locate(tuple(path))
        return found[0].node(found[1]) if found else None


def _merge_into(target: dict[str, Any], incoming: dict[str, Any], src: Path_, dst: Path_, doc: LoadedSpec,
                origins: dict[Path_, tuple[LoadedSpec, Path_]], diagnostics: list[Diagnostic]) -> None:
    # `dst` already resolves (through its nearest recorded prefix) to the file it first came from
    for key, value in incoming.items():
        s, d = (*src, key), (*dst, key)
        if key not in target:
            target[key] = value
            origins[d] = (doc, s)
            continue
        existing = target[key]
        if isinstance(existing, dict) and isinstance(value, dict):
            _merge_into(existing, value, s, d, doc, origins, diagnostics)
        elif isinstance(existing, list) and isinstance(value, list):
            offset = len(existing)
            existing.extend(value)
            for i in range(len(value)):
                origins[(*d, offset + i)] = (doc, (*s, i))
        elif existing != value:
            first = _MergedPositions(origins, keys=False).get(d)
            where = f" ({first.file}:{first.line})" if first else ""
            diagnostics.append(_error(
                "merge-conflict", f'"{key}" is set differently in two spec files{where}',
                doc.location(s), "a value set in several files must be the same in each"))

"""Every problem at once: when the structure is wrong, check the meaning of the parts that are right.

A structural error would otherwise hide every semantic finding until it is fixed. Here the
offending parts are set aside (an optional key is dropped; a list item with a broken required
field is taken out) until the model validates, and the semantic checks run on what is left.
Positions stay exact: the pruned document keeps, for each list, the original index of each
item, and every path a check asks about is translated back before its position is looked up.
Findings that only exist because something was set aside (a reference to a metric or receiver
that was taken out, a receiver that no longer receives) are dropped.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from khaosobs.diagnostics import Diagnostic
from khaosobs.diagnostics.codes import code_info
from khaosobs.spec.loader import LoadedSpec, NodeInfo, Path_, PositionTable
from khaosobs.spec.model import Spec
from khaosobs.spec.structure import data_path, model_at

MAX_ROUNDS = 8
_PLACEHOLDER_SEVERITY = "warning"
_SERIES_SUFFIXES = ("", "_bucket", "_sum", "_count", "_total", "_created")


class _Pruner:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = copy.deepcopy(data)
        self.original_indices: dict[int, list[int]] = {}  # id(list) -> original index of each item
        self.set_aside_names: set[str] = set()

    def to_original(self, path: Path_) -> Path_:
        out: list[str | int] = []
        node: Any = self.data
        for part in path:
            if isinstance(node, list) and isinstance(part, int):
                indices = self.original_indices.get(id(node))
                out.append(indices[part] if indices is not None and 0 <= part < len(indices) else part)
                node = node[part] if 0 <= part < len(node) else None
            else:
                out.append(part)
                node = node.get(part) if isinstance(node, dict) else None
        return tuple(out)

    def _container(self, path: Path_) -> Any:
        node: Any = self.data
        for part in path:
            in_mapping = isinstance(node, dict) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            if not (in_mapping or in_list):
                return None
            node = node[part]
        return node

    def _remove_item(self, list_path: Path_, index: int) -> bool:
        items = self._container(list_path)
        if not isinstance(items, list) or not 0 <= index < len(items):
            return False
        indices = self.original_indices.setdefault(id(items), list(range(len(items))))
        removed = items.pop(index)
        indices.pop(index)
        if isinstance(removed, dict):
            for key in ("name", "record"):
                if isinstance(removed.get(key), str):
                    self.set_aside_names.add(removed[key])
        return True

    def set_aside(self, path: Path_, *, missing: bool) -> bool:
        """Take the problem at `path` out of the document; False when nothing safe can be done."""
        if not path:
            return False
        parent_path, key = path[:-1], path[-1]
        parent = self._container(parent_path)
        if isinstance(parent, list) and isinstance(key, int):
            return self._remove_item(parent_path, key)
        if isinstance(parent, dict) and not missing:
            model = model_at(parent_path)
            field = None
            if model is not None:
                field = next((f for n, f in model.model_fields.items() if key in (n, f.alias)), None)
            if field is None or not field.is_required():  # unknown key, optional field or free mapping
                parent.pop(key, None)
                return True
            if key == "severity" and parent.get(key) != _PLACEHOLDER_SEVERITY:
                # only routing depends on it, and routing findings are dropped: keep the alert checked
                parent[key] = _PLACEHOLDER_SEVERITY
                return True
        # a required field is missing or broken: take out the nearest list item holding it
        for cut in range(len(path) - 1, 0, -1):
            if isinstance(path[cut], int):
                return self._remove_item(path[:cut], int(path[cut]))
        return False


class _TranslatedPositions(PositionTable):
    """Positions of the original document, looked up through the pruned document's paths."""

    __slots__ = ("_original", "_translate")

    def __init__(self, original: PositionTable, translate: Callable[[Path_], Path_]) -> None:
        super().__init__()
        self._original = original
        self._translate = translate

    def get(self, path: Path_) -> NodeInfo | None:
        return self._original.get(self._translate(tuple(path)))

    def __getitem__(self, path: Path_) -> NodeInfo:
        return self._original[self._translate(tuple(path))]

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and self._translate(path) in self._original

    def node(self, path: Path_) -> Any:
        return self._original.node(self._translate(tuple(path)))


def salvage(loaded: LoadedSpec, error: ValidationError) -> tuple[Spec, LoadedSpec, _Pruner] | None:
    """A model of the structurally sound parts, and a LoadedSpec whose paths point into the original."""
    pruner = _Pruner(loaded.data)
    current = error
    for _ in range(MAX_ROUNDS):
        progress = False
        for item in current.errors(include_url=False):
            path = data_path(tuple(item["loc"]), pruner.data)
            if pruner.set_aside(path, missing=item["type"] == "missing"):
                progress = True
        if not progress:
            return None
        try:
            spec = Spec.model_validate(pruner.data)
        except ValidationError as exc:
            current = exc
            continue
        view = LoadedSpec(pruner.data, _TranslatedPositions(loaded.positions, pruner.to_original),
                          _TranslatedPositions(loaded.key_positions, pruner.to_original),
                          loaded.sources, loaded.files)
        return spec, view, pruner
    return None


def salvaged_findings(diagnostics: list[Diagnostic], pruner: _Pruner) -> list[Diagnostic]:
    """Semantic findings on the salvaged model, with original paths, minus what pruning made up."""
    names = pruner.set_aside_names
    series = {name + suffix for name in names for suffix in _SERIES_SUFFIXES}
    kept: list[Diagnostic] = []
    for d in diagnostics:
        code = code_info(d.code)
        if code.whole_spec:  # setting any part aside can make it up
            continue
        if code.refers_to_definition and d.refers_to in series:  # it refers to what was set aside
            continue
        kept.append(dataclasses.replace(d, path=pruner.to_original(d.path)))
    return kept

"""Turn pydantic's validation errors into Diagnostics that point into the spec file.

pydantic judges only an invalid spec (see `khaosobs.spec.modelkit`): it is not imported here.
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

from khaosobs.diagnostics import Diagnostic, Severity, suggest
from khaosobs.spec.loader import LoadedSpec, Path_
from khaosobs.spec.model import Spec
from khaosobs.spec.modelkit import Model

if TYPE_CHECKING:
    from pydantic import ValidationError

_TYPE_NAMES = {
    bool: "a boolean", int: "a number", float: "a number", str: "text", list: "a list",
    dict: "a mapping", type(None): "nothing (null)",
}


def _kind(value: Any) -> str:
    for kind, name in _TYPE_NAMES.items():
        if type(value) is kind:
            return name
    return type(value).__name__


def data_path(loc: tuple[str | int, ...], data: Any) -> Path_:
    """pydantic's loc without the union-member names it inserts, following the data."""
    path: list[str | int] = []
    node = data
    for part in loc:
        in_mapping = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_mapping or in_list:
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not path_is_union_tag(part):
            path.append(part)  # a missing or unknown key: keep it, the caller handles it
            node = None
    return tuple(path)


def path_is_union_tag(part: str) -> bool:
    return part[:1].isupper() or part.startswith(("literal[", "function-", "list[", "dict[", "str", "bool"))


def model_at(path: Path_) -> type[Model] | None:
    """The pydantic model class that describes the mapping at `path`."""
    annotation: Any = Spec
    for part in path:
        model = _unwrap_model(annotation)
        if isinstance(part, int):
            annotation = _item_type(annotation)
            continue
        if model is None:
            return None
        field = _field(model, part)
        if field is None:
            return None
        annotation = field.annotation
    return _unwrap_model(annotation)


def _field(model: type[Model], key: str) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def _unwrap_model(annotation: Any) -> type[Model] | None:
    if isinstance(annotation, type) and issubclass(annotation, Model):
        return annotation
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            found = _unwrap_model(arg)
            if found is not None:
                return found
    return None


def _item_type(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            if get_origin(arg) is list:
                return get_args(arg)[0]
    if origin is list:
        return get_args(annotation)[0]
    return annotation


def allowed_keys(path: Path_) -> list[str]:
    model = model_at(path)
    if model is None:
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


# Keys whose value is a duration: a bare number there needs a unit, not quotes.
DURATION_KEYS = frozenset({"for", "interval", "at", "window", "group_wait", "group_interval", "repeat_interval",
                           "scrape_interval", "evaluation_interval", "refresh"})
# An unknown key is suggested a known one only when they are this close (difflib ratio): closer
# than the generic 0.6, so `mute_time_intervals` is not "did you mean repeat_interval".
KEY_SUGGESTION_CUTOFF = 0.7


def structure_diagnostics(error: ValidationError, loaded: LoadedSpec) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    seen: set[Path_] = set()
    items = error.errors(include_url=False)
    unknown: dict[Path_, list[str]] = {}
    for item in items:
        if item["type"] == "extra_forbidden":
            path = data_path(tuple(item["loc"]), loaded.data)
            unknown.setdefault(path[:-1], []).append(str(path[-1]))
    for item in items:
        loc = tuple(item["loc"])
        path = data_path(loc, loaded.data)
        if path in seen:
            continue  # a union reports one problem once per member
        if item["type"] == "missing" and _misspelt(str(path[-1]), unknown.get(path[:-1], [])):
            continue  # the misspelt key is reported once, as unknown, with the right name as hint
        if item["type"] == "literal_error" and isinstance(item.get("input"), dict):
            continue  # `X | false` given a mapping: the mapping's own findings say what is wrong
        seen.add(path)
        diagnostics.append(_diagnostic(item, path, loaded))
    return diagnostics


def _misspelt(missing: str, unknown_keys: list[str]) -> bool:
    import difflib

    return any(difflib.get_close_matches(key, [missing], n=1, cutoff=KEY_SUGGESTION_CUTOFF) for key in unknown_keys)


def _key_suggestion(key: str, allowed: list[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=KEY_SUGGESTION_CUTOFF)
    return f'did you mean "{close[0]}"?' if close else None


def _diagnostic(item: Any, path: Path_, loaded: LoadedSpec) -> Diagnostic:
    kind = item["type"]
    value = item.get("input")
    hint: str | None = None
    key_location = False
    if kind == "extra_forbidden":
        key = str(path[-1])
        allowed = allowed_keys(path[:-1])
        message = f'unknown key "{key}"'
        hint = _key_suggestion(key, allowed) or (f"allowed keys: {', '.join(allowed)}" if allowed else None)
        key_location = True
        code = "unknown-key"
    elif kind == "missing":
        key = str(path[-1])
        message = f'missing required key "{key}"'
        code = "missing-key"
        path = path[:-1]
    elif kind == "literal_error":
        expected = item.get("ctx", {}).get("expected", "")
        message = f"expected {expected}, got {value!r}"
        options = [part.strip().strip("'") for part in expected.replace(" or ", ",").split(",")]
        hint = suggest(str(value), options) if isinstance(value, str) else None
        code = "invalid-value"
    elif kind.endswith("_type") or kind in ("model_type", "dict_type", "list_type"):
        wanted = {
            "string_type": "text", "int_type": "a whole number", "float_type": "a number",
            "bool_type": "true or false", "list_type": "a list", "dict_type": "a mapping",
            "model_type": "a mapping",
        }.get(kind, kind.removesuffix("_type"))
        message = f"expected {wanted}, got {_kind(value)}"
        code = "wrong-type"
        last = path[-1] if path else None
        if last in DURATION_KEYS and type(value) in (int, float):
            message = f"expected a duration with its unit, got the number {value!r}"
            hint = f"write the unit: e.g. `{value}s` or `{value}m`"
        elif kind == "model_type" and path[-2:-1] == ("alerting",) and last in ("page", "ticket"):
            hint = f"a tier is a mapping like `{last}: {{severity: critical}}`, or `{last}: false` to turn it off"
        elif kind != "string_type":
            hint = ""  # quoting would make it text, which is not what is wanted here
    else:
        message = str(item["msg"])
        code = "invalid-value"
    info = loaded.positions.get(path)
    if info is not None and hint is None:
        hint = info.yaml11_surprise()
    hint = hint or None
    location = loaded.location(path, key=key_location)
    return Diagnostic(code, Severity.ERROR, message, location, path, hint)


__all__ = ["allowed_keys", "structure_diagnostics"]

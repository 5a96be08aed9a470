"""A spec as YAML text in khaosobs' own serialiser style: block mappings in the spec's key order,
every scalar through `serialise.yaml_value` (double-quoted strings, so nothing is read back
differently), lists of scalars in flow style. Deterministic byte for byte."""

from __future__ import annotations

import re
from typing import Any

from khaosobs.output.serialise import yaml_string, yaml_value

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# keys YAML 1.1 would read as something else than text
_SPECIAL_KEYS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _key(key: str) -> str:
    plain = _PLAIN_KEY.fullmatch(key) and key.lower() not in _SPECIAL_KEYS
    return key if plain else yaml_string(key)


MAX_FLOW = 100  # a list of scalars longer than this is written one item a line


def _is_block(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value)
    if isinstance(value, list):
        return any(isinstance(v, (dict, list)) for v in value) or len(yaml_value(value)) > MAX_FLOW
    return False


def _mapping(data: dict[str, Any], indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for key, value in data.items():
        if _is_block(value):
            lines.append(f"{pad}{_key(key)}:")
            lines += _mapping(value, indent + 2) if isinstance(value, dict) else _sequence(value, indent + 2)
        else:
            lines.append(f"{pad}{_key(key)}: {yaml_value(value)}")
    return lines


def _sequence(items: list[Any], indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for item in items:
        if isinstance(item, dict) and item:
            body = _mapping(item, indent + 2)
            lines.append(f"{pad}- {body[0][indent + 2:]}")
            lines += body[1:]
        elif _is_block(item):
            lines.append(f"{pad}-")
            lines += _sequence(item, indent + 2)
        else:
            lines.append(f"{pad}- {yaml_value(item)}")
    return lines


def spec_text(data: dict[str, Any], header: str = "") -> str:
    return header + "\n".join(_mapping(data, 0)) + "\n"

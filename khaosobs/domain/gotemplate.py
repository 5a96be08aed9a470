"""Go's text/template as Prometheus, Loki and Alertmanager evaluate alert text."""

from __future__ import annotations

import re
from dataclasses import dataclass

_LABEL_READ_RE = re.compile(
    r"(?:\$labels|\.Labels)\.([A-Za-z_][A-Za-z0-9_]*)|index\s+(?:\$labels|\.Labels)\s+\"([A-Za-z_][A-Za-z0-9_]*)\""
)
_ACTION_RE = re.compile(r"\{\{.*?\}\}", re.DOTALL)


@dataclass(frozen=True, slots=True)
class LabelRead:
    label: str
    offset: int  # where the label's name starts in the text
    length: int


def label_reads(text: str) -> list[LabelRead]:
    """Every `$labels.x`, `.Labels.x` and `index $labels "x"` inside the text's actions."""
    found: list[LabelRead] = []
    for action in _ACTION_RE.finditer(text):
        for match in _LABEL_READ_RE.finditer(text, action.start(), action.end()):
            group = 1 if match.group(1) is not None else 2
            found.append(LabelRead(match.group(group), match.start(group), len(match.group(group))))
    return found


def go_template_literal(text: str) -> str:
    """Template text that renders exactly `text` (nothing in it is ever evaluated)."""
    if "{{" not in text and "}}" not in text:
        return text
    if "`" not in text:
        return "{{`" + text + "`}}"
    return "{{" + _go_string(text) + "}}"


def _go_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    escaped = escaped.replace("\t", "\\t")
    return f'"{escaped}"'

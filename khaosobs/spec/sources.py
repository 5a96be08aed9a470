"""A spec's text and the places in it, without the YAML machinery: what reporters, targets and
domain modules need (`SourceFile` to quote a line, `Path_` to name a place in the document)."""

from __future__ import annotations

from dataclasses import dataclass, field

Path_ = tuple[str | int, ...]  # a place in the spec document, e.g. ("services", 0, "alerts", 1, "expr")


@dataclass
class SourceFile:
    path: str  # as shown to users: relative to the working directory where possible
    text: str

    _lines: list[str] | None = field(default=None, repr=False)

    def line(self, number: int) -> str:
        if self._lines is None:
            self._lines = self.text.splitlines()
        if 1 <= number <= len(self._lines):
            return self._lines[number - 1]
        return ""

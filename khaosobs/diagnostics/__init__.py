"""Problems as data: every finding is a Diagnostic with a place in a spec file."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    """A 1-based line and column in a spec file; `length` underlines the offending text."""

    file: str
    line: int
    column: int
    length: int = 1


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str  # stable identifier of the check, e.g. "route-receiver"
    severity: Severity
    message: str
    location: Location | None
    path: tuple[str | int, ...] = ()  # where in the spec document, e.g. ("services", 0, "alerts", 1, "expr")
    hint: str | None = None
    # the name of the definition the finding refers to (a metric, a receiver), for codes declared
    # `refers_to_definition`: salvage drops the finding when that definition was set aside
    refers_to: str | None = None

    def __post_init__(self) -> None:
        from khaosobs.diagnostics.codes import require  # codes.py imports Severity from here

        require(self.code, self.severity)

    @property
    def path_text(self) -> str:
        return format_path(self.path)

    def sort_key(self) -> tuple[Any, ...]:
        loc = self.location
        return (
            0 if self.severity is Severity.ERROR else 1,
            loc.file if loc else "",
            loc.line if loc else 0,
            loc.column if loc else 0,
            self.code,
            self.message,
        )

    def to_dict(self) -> dict[str, Any]:
        loc = self.location
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "path": self.path_text,
            "hint": self.hint,
        }


def format_path(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass
class Diagnostics:
    """An ordered collection; errors first, then by place."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def extend(self, diagnostics: list[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.WARNING]

    def sorted(self) -> list[Diagnostic]:
        unique = {(d.code, d.message, d.location, d.path): d for d in self.items}
        return sorted(unique.values(), key=Diagnostic.sort_key)


def suggest(name: str, candidates: list[str] | set[str] | tuple[str, ...]) -> str | None:
    """The closest candidate for a misspelt name, as a hint, or None."""
    import difflib

    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f'did you mean "{close[0]}"?' if close else None

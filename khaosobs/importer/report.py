"""What an import could not carry into the spec: every such thing is listed, never dropped silently."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Omission:
    origin: str  # the input it comes from: file, object, group, dashboard
    what: str  # what was not carried, and why


@dataclass
class ImportReport:
    omissions: list[Omission] = field(default_factory=list)
    notes: list[Omission] = field(default_factory=list)  # carried, but changed in form (renamed, merged)

    def omit(self, origin: str, what: str) -> None:
        self.omissions.append(Omission(origin, what))

    def note(self, origin: str, what: str) -> None:
        self.notes.append(Omission(origin, what))

    def text(self) -> str:
        """The report, deterministic: omissions first, then notes, each in input order."""
        lines = []
        if self.omissions:
            lines.append(f"Not carried into the spec ({len(self.omissions)}):")
            lines += [f"  - {o.origin}: {o.what}" for o in self.omissions]
        if self.notes:
            lines.append(f"Carried with a change ({len(self.notes)}):")
            lines += [f"  - {o.origin}: {o.what}" for o in self.notes]
        if not lines:
            lines.append("Everything was carried into the spec.")
        return "\n".join(lines) + "\n"

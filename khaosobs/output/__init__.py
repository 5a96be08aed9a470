"""A generated file, in memory, before the writer decides what to do with it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OutputFile:
    path: str  # relative to the output folder, POSIX separators
    content: str
    target: str  # the target that owns it (for --target and the manifest)

"""A generated file, in memory, before the writer decides what to do with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FileKind = Literal["yaml", "json", "python", "text"]


@dataclass(frozen=True, slots=True)
class OutputFile:
    """A rendered file, not yet proven: the renderer parses it back (`Renderer.prove`) before it is
    written or shown in a diff; a file equal to the one in the tree is neither, and needs no proof."""

    path: str  # relative to the output folder, POSIX separators
    content: str
    target: str  # the target that owns it (for --target and the manifest)
    kind: FileKind = "text"  # what it must parse as
    template: str = ""  # the template it was rendered from (Python modules are proven per template)

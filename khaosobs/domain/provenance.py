"""How generated files name the spec they came from, the same whatever the working directory.

The header records the spec's path relative to the project root: the git repository holding the
output folder, else the folder holding the output folder (specs/ and generated/ side by side).
So `render --check` gives one verdict from the repository root, from the spec folder or from
anywhere else, and the repository's own generated/ keeps naming `specs/…`.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root(output: Path) -> Path:
    """The git repository root holding `output`, else the folder that holds `output`."""
    folder = output.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder.parent


def source_name(names: list[str], output: Path) -> str:
    """`names` (paths as the user gave them) relative to the project root of `output`."""
    root = project_root(output)
    shown = []
    for name in names:
        resolved = Path(name).resolve()
        if resolved == root or resolved.is_relative_to(root):
            shown.append(resolved.relative_to(root).as_posix() or ".")
        else:  # outside the project: as given, normalised
            shown.append(os.path.normpath(name).replace(os.sep, "/"))
    return ", ".join(shown)

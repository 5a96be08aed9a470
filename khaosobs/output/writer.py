"""Write generated files: atomically, inside the output folder only, with a manifest of what we own.

The manifest lets `render` remove files it generated before that the spec no longer yields,
and never touch a file it did not write.
"""

from __future__ import annotations

import difflib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from khaosobs.domain.provenance import project_root
from khaosobs.output import OutputFile

MANIFEST = "khaosobs-manifest.json"


class UnsafePath(Exception):
    """A generated path would leave the output folder: a bug, since checks keep names safe."""


@dataclass
class Plan:
    outdir: Path
    files: list[OutputFile]
    manifest_text: str
    written: list[str] = field(default_factory=list)  # new or changed
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # generated before, no longer yielded
    current: dict[str, str | None] = field(default_factory=dict)  # what is on disk now, for diffs
    unowned: list[str] = field(default_factory=list)  # to write over a file no render of ours wrote

    @property
    def stale(self) -> bool:
        return bool(self.written or self.removed) or self.current.get(MANIFEST) != self.manifest_text


def read_manifest(outdir: Path) -> dict[str, str]:
    """path -> target of every file a previous render wrote."""
    try:
        data = json.loads((outdir / MANIFEST).read_text(encoding="utf-8"))
        files = data.get("files", {})
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def _safe(outdir: Path, relative: str) -> Path:
    candidate = Path(relative)
    if candidate.is_absolute() or ".." in candidate.parts or not relative:
        raise UnsafePath(f"refusing to write {relative!r}: outside the output folder")
    return outdir / candidate


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def plan(outdir: Path, files: list[OutputFile], targets: list[str] | None = None) -> Plan:
    """Compare what the spec yields with what is on disk; `targets` limits the change to some targets."""
    previous = read_manifest(outdir)
    owned = {f.path: f.target for f in files}
    if len(owned) != len(files):
        seen: set[str] = set()
        dupes = sorted({f.path for f in files if f.path in seen or seen.add(f.path)})  # type: ignore[func-returns-value]
        raise UnsafePath(f"two outputs claim the same path: {', '.join(dupes)}")
    if targets is not None:  # keep what other targets wrote before
        owned = {**{p: t for p, t in previous.items() if t not in targets}, **owned}
    manifest_text = json.dumps({"generated_by": "khaosobs", "files": dict(sorted(owned.items()))},
                               indent=2, sort_keys=False) + "\n"
    result = Plan(outdir, sorted(files, key=lambda f: f.path), manifest_text)
    for file in result.files:
        on_disk = _read(_safe(outdir, file.path))
        # an unchanged file keeps the rendered text (equal): a second copy of an up-to-date tree
        # is the peak memory of `--check`, and a diff never shows an unchanged file
        result.current[file.path] = file.content if on_disk == file.content else on_disk
        (result.unchanged if on_disk == file.content else result.written).append(file.path)
        if on_disk is not None and on_disk != file.content and file.path not in previous:
            result.unowned.append(file.path)
    for path, target in sorted(previous.items()):
        if path not in owned and (targets is None or target in targets):
            result.current[path] = _read(_safe(outdir, path))
            result.removed.append(path)
    result.current[MANIFEST] = _read(outdir / MANIFEST)
    return result


def apply(result: Plan) -> None:
    """Write changed files atomically, remove stale ones, then the manifest."""
    by_path = {f.path: f for f in result.files}
    folders: set[Path] = set()  # made once each, not once per file
    for path in result.written:
        atomic_write(_safe(result.outdir, path), by_path[path].content, folders)
    for path in result.removed:
        target = _safe(result.outdir, path)
        target.unlink(missing_ok=True)
        _prune_empty_parents(target.parent, result.outdir)
    if result.current.get(MANIFEST) != result.manifest_text:
        atomic_write(result.outdir / MANIFEST, result.manifest_text)


def _prune_empty_parents(folder: Path, stop: Path) -> None:
    stop = stop.resolve()
    while folder.resolve() != stop and folder.resolve().is_relative_to(stop):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def atomic_write(path: Path, content: str, folders: set[Path] | None = None) -> None:
    """Write `content` to a temporary file beside `path`, then rename it over `path`: a reader sees
    the old file or the new one, never half of one. `folders`: those already made (skips a mkdir)."""
    parent = path.parent
    if folders is None or parent not in folders:
        parent.mkdir(parents=True, exist_ok=True)
        if folders is not None:
            folders.add(parent)
    # One process writes a file at a time, so the pid makes the temporary name unique; O_EXCL refuses
    # a leftover of a crashed run, which mkstemp (random names, a retry loop: half the cost of a file
    # on a large tree) then sidesteps. Mode 0600 as mkstemp's, so the files keep their permissions.
    temp = parent / f".{path.name}.{os.getpid()}.tmp"
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
        temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8"))  # newlines as given: the text is already "\n" only
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def diff(result: Plan) -> str:
    """A unified diff from what is on disk to what the spec yields, with paths from the project root
    (so `git apply` takes it there)."""
    root = project_root(result.outdir)
    folder = result.outdir.resolve()
    prefix = folder.relative_to(root).as_posix() + "/" if folder.is_relative_to(root) and folder != root else ""
    chunks: list[str] = []
    wanted = {f.path: f.content for f in result.files}
    wanted[MANIFEST] = result.manifest_text
    for path in [*result.written, *result.removed, MANIFEST]:
        before = result.current.get(path)
        after = wanted.get(path)
        if before == after:
            continue
        chunks.extend(difflib.unified_diff(
            (before or "").splitlines(keepends=True), (after or "").splitlines(keepends=True),
            fromfile=f"a/{prefix}{path}" if before is not None else "/dev/null",
            tofile=f"b/{prefix}{path}" if after is not None else "/dev/null",
        ))
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)

"""Write generated files: atomically, inside the output folder only, with a manifest of what we own.

The manifest lets `render` remove files it generated before that the spec no longer yields,
and never touch a file it did not write.

Files are compared with the tree as they are rendered, one at a time, so no copy of the whole tree
is ever held in memory: an unchanged file is dropped at once, a new or changed one is proven (parsed
back: `prove`) and written into
a staging folder inside the output folder, or straight into an output folder that did not exist
(`--check` keeps its diff instead). Only when every file is rendered does `apply` rename the staged
files into place, so a render that fails half-way, or a refusal (files we did not write), leaves the
tree as it was.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from khaosobs.domain.provenance import project_root
from khaosobs.output import OutputFile

MANIFEST = "khaosobs-manifest.json"
STAGING_PREFIX = ".khaosobs-staging."


class UnsafePath(Exception):
    """A generated path would leave the output folder: a bug, since checks keep names safe."""


@dataclass
class Staging:
    """Where the files of one render wait until they are all rendered: a folder inside the output
    folder, or, when the output folder is new, the output folder itself (nothing there to keep: a
    failure removes it whole, and no rename is needed). It remembers the folders it had to make, so
    that discarding it leaves no trace."""

    outdir: Path
    folder: Path
    made: list[Path]  # the output folder and those of its parents that did not exist, deepest first

    @classmethod
    def make(cls, outdir: Path) -> Staging:
        made: list[Path] = []
        missing = outdir
        while not missing.exists() and missing != missing.parent:
            made.append(missing)
            missing = missing.parent
        outdir.mkdir(parents=True, exist_ok=True)
        if made:
            return cls(outdir, outdir, made)
        folder = outdir / f"{STAGING_PREFIX}{os.getpid()}"
        shutil.rmtree(folder, ignore_errors=True)  # a leftover of a killed run with our pid
        folder.mkdir()
        return cls(outdir, folder, made)

    @property
    def in_place(self) -> bool:
        return self.folder == self.outdir

    def discard(self) -> None:
        """Remove the staged files, and the folders made for them: as if nothing had run."""
        shutil.rmtree(self.folder, ignore_errors=True)
        for folder in self.made:
            if folder == self.folder:
                continue
            try:
                folder.rmdir()
            except OSError:
                return


@dataclass
class Part:
    """What planning learnt of some of the files (one process's share): paths and verdicts, and the
    diffs when asked for; never the files' text, which is staged or dropped."""

    rendered: dict[str, str] = field(default_factory=dict)  # path -> target
    written: list[str] = field(default_factory=list)  # new or changed
    unchanged: list[str] = field(default_factory=list)
    unowned: list[str] = field(default_factory=list)  # to write over a file no render of ours wrote
    diffs: dict[str, str] = field(default_factory=dict)  # path -> its unified diff


@dataclass
class Plan:
    outdir: Path
    rendered: dict[str, str]  # path -> target of every file the spec yields
    manifest_text: str
    manifest_on_disk: str | None
    written: list[str] = field(default_factory=list)  # new or changed
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # generated before, no longer yielded
    unowned: list[str] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)  # path -> unified diff, when planned with diffs
    staging: Staging | None = None  # where the written files wait for `apply`

    @property
    def stale(self) -> bool:
        return bool(self.written or self.removed) or self.manifest_on_disk != self.manifest_text


def read_manifest(outdir: Path) -> dict[str, str]:
    """path -> target of every file a previous render wrote."""
    try:
        data = json.loads((outdir / MANIFEST).read_text(encoding="utf-8"))
        files = data.get("files", {})
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def _checked(relative: str) -> str:
    """`relative` when it stays inside the folder; UnsafePath otherwise. Strings, not pathlib, for
    the per-file work (pathlib's parsing was half the cost of writing a large tree)."""
    if not relative or relative.startswith("/") or ".." in relative.split("/"):
        raise UnsafePath(f"refusing to write {relative!r}: outside the output folder")
    return relative


def _safe(outdir: Path, relative: str) -> Path:
    return outdir / _checked(relative)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _read_bytes(path: str, size: int) -> bytes | None:
    """The file's bytes; b"" (never equal to `size` bytes of text) when its size differs, since then
    its content does not matter to the comparison; None when there is no file."""
    try:
        if os.stat(path).st_size != size:
            return b""
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError:
        return b""


def diff_prefix(outdir: Path) -> str:
    """The output folder as seen from the project root: diffs name paths from there (so `git apply`
    takes them there)."""
    root = project_root(outdir)
    folder = outdir.resolve()
    return folder.relative_to(root).as_posix() + "/" if folder.is_relative_to(root) and folder != root else ""


def _unified(prefix: str, path: str, before: str | None, after: str | None) -> str:
    lines = difflib.unified_diff(
        (before or "").splitlines(keepends=True), (after or "").splitlines(keepends=True),
        fromfile=f"a/{prefix}{path}" if before is not None else "/dev/null",
        tofile=f"b/{prefix}{path}" if after is not None else "/dev/null",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


class Planner:
    """Compares each rendered file with the tree as it comes: drops it when unchanged, stages it
    (or keeps its diff, for `--check`) when not."""

    def __init__(self, outdir: Path, previous: dict[str, str], *, staging: Staging | None,
                 diffs: bool = False, prove: Callable[[OutputFile], None] | None = None) -> None:
        self.outdir = outdir
        self.prove = prove  # parses a file back (RenderBug if it does not): done before staging or a diff
        self.previous = previous
        self.staging = staging
        self.diff_prefix = diff_prefix(outdir) if diffs else None
        self.part = Part()
        self._folders: set[str] = set()  # made once each, not once per file
        self._out = f"{outdir}/"
        self._stage = f"{staging.folder}/" if staging is not None else ""
        # staged in place: the output folder is new, nothing there to compare with, so no look per
        # file (a failed stat each, for every file of a first render)
        self._nothing_on_disk = staging is not None and staging.in_place

    def add_all(self, files: Iterable[OutputFile]) -> Part:
        for file in files:
            self.add(file)
        return self.part

    def add(self, file: OutputFile) -> None:
        path, part = _checked(file.path), self.part
        if path in part.rendered:
            raise UnsafePath(f"two outputs claim the same path: {path}")
        part.rendered[path] = file.target
        data = file.content.encode("utf-8")
        on_disk = None if self._nothing_on_disk else _read_bytes(self._out + path, len(data))
        if on_disk == data:
            part.unchanged.append(path)
            return
        if self.prove is not None:  # a file equal to the tree's is neither written nor shown
            self.prove(file)
        part.written.append(path)
        if on_disk is not None and path not in self.previous:
            part.unowned.append(path)
        if self.staging is not None:
            _write_new(self._stage + path, data, self._folders)
        if self.diff_prefix is not None:
            before = _read(_safe(self.outdir, path)) if on_disk is not None else None
            part.diffs[path] = _unified(self.diff_prefix, path, before, file.content)


def combine(outdir: Path, parts: Iterable[Part], previous: dict[str, str], targets: list[str] | None,
            *, staging: Staging | None, diffs: bool = False) -> Plan:
    """One plan of the parts (each a share of the files); `targets` limits the change to some targets."""
    rendered: dict[str, str] = {}
    whole = Part()
    for part in parts:
        clash = rendered.keys() & part.rendered.keys()
        if clash:
            raise UnsafePath(f"two outputs claim the same path: {', '.join(sorted(clash))}")
        rendered.update(part.rendered)
        whole.written += part.written
        whole.unchanged += part.unchanged
        whole.unowned += part.unowned
        whole.diffs.update(part.diffs)
    owned = dict(rendered)
    if targets is not None:  # keep what other targets wrote before
        owned = {**{p: t for p, t in previous.items() if t not in targets}, **owned}
    manifest_text = json.dumps({"generated_by": "khaosobs", "files": dict(sorted(owned.items()))},
                               indent=2, sort_keys=False) + "\n"
    result = Plan(outdir, rendered, manifest_text, _read(outdir / MANIFEST), sorted(whole.written),
                  sorted(whole.unchanged), [], sorted(whole.unowned), whole.diffs, staging)
    prefix = diff_prefix(outdir) if diffs else ""
    for path, target in sorted(previous.items()):
        if path not in owned and (targets is None or target in targets):
            result.removed.append(path)
            if diffs:
                result.diffs[path] = _unified(prefix, path, _read(_safe(outdir, path)), None)
    if diffs and result.manifest_on_disk != manifest_text:
        result.diffs[MANIFEST] = _unified(prefix, MANIFEST, result.manifest_on_disk, manifest_text)
    return result


def plan(outdir: Path, files: Iterable[OutputFile], targets: list[str] | None = None, *,
         check: bool = False, prove: Callable[[OutputFile], None] | None = None) -> Plan:
    """Compare what the spec yields with what is on disk, in one go: with `check`, keeping diffs and
    writing nothing; otherwise staging what changed, for `apply` (or `staging.discard()`)."""
    previous = read_manifest(outdir)
    staging = None if check else Staging.make(outdir)
    try:
        part = Planner(outdir, previous, staging=staging, diffs=check, prove=prove).add_all(files)
    except BaseException:
        if staging is not None:
            staging.discard()
        raise
    return combine(outdir, [part], previous, targets, staging=staging, diffs=check)


def apply(result: Plan) -> None:
    """Move the staged files into place (each rename atomic), remove stale ones, then write the
    manifest; the staging folder goes last."""
    staging = result.staging
    if result.written and staging is None:
        raise ValueError("a plan made with check=True has nothing staged to write")
    folders: set[str] = set()
    out, stage = f"{result.outdir}/", f"{staging.folder}/" if staging is not None else ""
    for path in [] if staging is not None and staging.in_place else result.written:
        target = out + _checked(path)
        parent = target.rpartition("/")[0]
        if parent not in folders:
            os.makedirs(parent, exist_ok=True)
            folders.add(parent)
        os.replace(stage + path, target)
    for path in result.removed:
        stale = _safe(result.outdir, path)
        stale.unlink(missing_ok=True)
        _prune_empty_parents(stale.parent, result.outdir)
    if result.manifest_on_disk != result.manifest_text:
        atomic_write(result.outdir / MANIFEST, result.manifest_text)
    if staging is not None and not staging.in_place:
        shutil.rmtree(staging.folder, ignore_errors=True)


def diff(result: Plan) -> str:
    """A unified diff from what is on disk to what the spec yields (the plan must have been made with
    diffs): changed files by path, then removed ones, then the manifest."""
    return "".join(result.diffs.get(path, "") for path in [*result.written, *result.removed, MANIFEST])


def _prune_empty_parents(folder: Path, stop: Path) -> None:
    stop = stop.resolve()
    while folder.resolve() != stop and folder.resolve().is_relative_to(stop):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _write_new(path: str, data: bytes, folders: set[str]) -> None:
    """Write a staged file (nobody reads the staging folder: no temporary name needed)."""
    parent = path.rpartition("/")[0]
    if parent not in folders:
        os.makedirs(parent, exist_ok=True)
        folders.add(parent)
    # mode 0600 as mkstemp's, so the files keep the permissions they always had
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:  # os.write may write less than asked
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


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

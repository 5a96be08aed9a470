"""Environments: `specs/env/<name>.yaml` overlays merged over the base spec.

The overlay is merged with the folder-merge rules, with two differences an environment needs:
- a scalar the overlay sets REPLACES the base's (in a folder, two files must agree on it);
- a list item that is a mapping with the same `name` (or `title`, or `record`) as a base item is
  merged into that item instead of appended, so an overlay can change one receiver's URL or one
  alert's threshold; any other item is appended, as in a folder.
Positions are kept: a finding in the merged spec points into the file (base or overlay) that set it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

from khaosobs.diagnostics import Diagnostic, Severity
from khaosobs.spec.loader import (
    SPEC_SUFFIXES,
    LoadedSpec,
    LoadError,
    Path_,
    _MergedPositions,
    display_path,
    load_file,
    load_paths,
)

if TYPE_CHECKING:
    from khaosobs.commands.validate import OnModel, Validation

ENV_FOLDER = "env"
ALL = "all"
IDENTITY_KEYS = ("name", "title", "record")


def env_folder(paths: list[Path]) -> Path:
    """Where the overlays of the spec live: `env/` in the (first) spec folder, or beside the spec file."""
    first = paths[0]
    return (first if first.is_dir() else first.parent) / ENV_FOLDER


def environment_names(paths: list[Path]) -> list[str]:
    folder = env_folder(paths)
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix in SPEC_SUFFIXES and p.is_file())


def overlay_file(paths: list[Path], name: str) -> Path | None:
    folder = env_folder(paths)
    for suffix in SPEC_SUFFIXES:
        if (folder / f"{name}{suffix}").is_file():
            return folder / f"{name}{suffix}"
    return None


def load_environment(paths: list[Path], name: str) -> LoadedSpec:
    """The base spec with environment `name`'s overlay merged over it; LoadError when either is unreadable."""
    overlay = overlay_file(paths, name)
    if overlay is None:
        raise LoadError([Diagnostic(
            "env-unknown", Severity.ERROR,
            f"no environment {name!r}: {display_path(env_folder(paths))}/ holds "
            + (", ".join(environment_names(paths)) or "none"),
            None, (), f"write {display_path(env_folder(paths))}/{name}.yaml")])
    base = load_paths(paths)
    return overlay_spec(base, load_file(overlay))  # load_file refuses an overlay that is not a mapping


def overlay_spec(base: LoadedSpec, env: LoadedSpec) -> LoadedSpec:
    data = copy.deepcopy(base.data)
    origins: dict[Path_, tuple[LoadedSpec, Path_]] = {(): (base, ())}
    _overlay(data, env.data, (), (), env, origins)
    label = f"{base.display_name()} + {env.display_name()}"
    return LoadedSpec(data, _MergedPositions(origins, keys=False), _MergedPositions(origins, keys=True),
                      {**base.sources, **env.sources}, [*base.files, *env.files], label)


def _identity(item: Any) -> tuple[str, Any] | None:
    if isinstance(item, dict):
        for key in IDENTITY_KEYS:
            if key in item and isinstance(item[key], str):
                return key, item[key]
    return None


def _overlay(target: dict[str, Any], incoming: dict[str, Any], src: Path_, dst: Path_, env: LoadedSpec,
             origins: dict[Path_, tuple[LoadedSpec, Path_]]) -> None:
    for key, value in incoming.items():
        s, d = (*src, key), (*dst, key)
        existing = target.get(key)
        if isinstance(existing, dict) and isinstance(value, dict):
            _overlay(existing, value, s, d, env, origins)
        elif isinstance(existing, list) and isinstance(value, list):
            _overlay_list(existing, value, s, d, env, origins)
        else:  # new, or a scalar (or a value of another type) the environment replaces
            target[key] = copy.deepcopy(value)
            origins[d] = (env, s)


def _overlay_list(target: list[Any], incoming: list[Any], src: Path_, dst: Path_, env: LoadedSpec,
                  origins: dict[Path_, tuple[LoadedSpec, Path_]]) -> None:
    for i, item in enumerate(incoming):
        identity = _identity(item)
        match = next((j for j, mine in enumerate(target) if identity is not None and _identity(mine) == identity),
                     None)
        if match is not None:
            _overlay(target[match], item, (*src, i), (*dst, match), env, origins)
        else:
            origins[(*dst, len(target))] = (env, (*src, i))
            target.append(copy.deepcopy(item))


def validate_spec(paths: list[Path], env: str | None, on_model: OnModel | None = None) -> Validation:
    """The spec validated as is (`env` None) or with environment `env`'s overlay."""
    from khaosobs.commands.validate import Validation, validate_loaded, validate_paths
    from khaosobs.diagnostics import Diagnostics

    if env is None:
        return validate_paths(paths, on_model=on_model)
    try:
        loaded = load_environment(paths, env)
    except LoadError as exc:
        return Validation(None, None, Diagnostics(list(exc.diagnostics)))
    return validate_loaded(loaded, on_model=on_model)

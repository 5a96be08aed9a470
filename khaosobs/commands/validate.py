"""load -> model -> checks: the one way a spec becomes a validated model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from khaosobs.diagnostics import Diagnostic, Diagnostics, Location, Severity
from khaosobs.spec.loader import LoadedSpec, LoadError, SourceFile, load_paths
from khaosobs.spec.model import Spec

SUPPORTED_VERSION = 1

# called with the model as soon as it exists, before the checks (render starts its work there)
OnModel = Callable[[Spec, LoadedSpec], None]


@dataclass
class Validation:
    """The outcome of validating a spec: the model when structure holds, and every finding."""

    spec: Spec | None
    loaded: LoadedSpec | None
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    unloaded_sources: dict[str, SourceFile] = field(default_factory=dict)  # files read when loading failed

    @property
    def sources(self) -> dict[str, SourceFile]:
        """The spec's files as read, for reports to quote their lines."""
        return self.loaded.sources if self.loaded is not None else self.unloaded_sources

    @property
    def ok(self) -> bool:
        return self.spec is not None and not self.diagnostics.errors

    def failed(self, *, strict: bool = False) -> bool:
        return not self.ok or (strict and bool(self.diagnostics.warnings))


def validate_paths(paths: list[Path], *, run_checks: bool = True, on_model: OnModel | None = None) -> Validation:
    try:
        loaded = load_paths(paths)
    except LoadError as exc:
        return Validation(None, None, Diagnostics(list(exc.diagnostics)), exc.sources)
    return validate_loaded(loaded, run_checks=run_checks, on_model=on_model)


def validate_loaded(loaded: LoadedSpec, *, run_checks: bool = True, on_model: OnModel | None = None) -> Validation:
    from khaosobs.spec.structure import structure_diagnostics

    result = Validation(None, loaded)
    version_problem = _version_problem(loaded)
    if version_problem is not None:
        result.diagnostics.add(version_problem)
        return result
    from khaosobs.checks import run_checks as run_all
    from khaosobs.checks.context import CheckContext

    try:
        spec = Spec.model_validate(loaded.data)
    except ValueError as exc:
        from pydantic import ValidationError  # loaded by then: only the model's pydantic judge raises it

        if not isinstance(exc, ValidationError):
            raise
        result.diagnostics.extend(structure_diagnostics(exc, loaded))
        if run_checks:  # still report what the rest of the spec means: every problem at once
            from khaosobs.checks.secrets import scan
            from khaosobs.spec.salvage import salvage, salvaged_findings

            # a secret in a part salvage sets aside must still be refused (and masked in the report)
            result.diagnostics.extend(list(scan(loaded)))

            salvaged = salvage(loaded, exc)
            if salvaged is not None:
                partial, view, pruner = salvaged
                result.diagnostics.extend(salvaged_findings(run_all(CheckContext(partial, view)), pruner))
        return result
    result.spec = spec
    if on_model is not None:
        on_model(spec, loaded)
    if run_checks:
        result.diagnostics.extend(run_all(CheckContext(spec, loaded)))
    return result


def _version_problem(loaded: LoadedSpec) -> Diagnostic | None:
    version = loaded.data.get("version")
    if "version" not in loaded.data:
        first = loaded.files[0]
        return Diagnostic("spec-version", Severity.ERROR, "missing required key \"version\"",
                          Location(first, 1, 1), (), f"start the spec with `version: {SUPPORTED_VERSION}`")
    if type(version) is not int or version != SUPPORTED_VERSION:
        return Diagnostic("spec-version", Severity.ERROR,
                          f"unsupported spec version {version!r}: khaosobs reads version {SUPPORTED_VERSION}",
                          loaded.location(("version",)), ("version",), f"write `version: {SUPPORTED_VERSION}`")
    return None

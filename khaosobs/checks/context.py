"""What every check sees: the validated model, the loaded document and shared indexes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from khaosobs.diagnostics import Diagnostic, Location, Severity
from khaosobs.domain.routes import ROUTE_ROOT
from khaosobs.loader import LoadedSpec, Path_
from khaosobs.model import Metric, Route, Service, Spec


@dataclass
class CheckContext:
    spec: Spec
    loaded: LoadedSpec
    options: dict[str, object] = field(default_factory=dict)

    def location(self, path: Path_, *, key: bool = False) -> Location | None:
        return self.loaded.location(path, key=key)

    def error(self, code: str, message: str, path: Path_, hint: str | None = None, *,
              key: bool = False, location: Location | None = None, refers_to: str | None = None) -> Diagnostic:
        """An error finding; `code` must be declared in khaosobs/codes.py (UnknownCode otherwise)."""
        return Diagnostic(code, Severity.ERROR, message, location or self.location(path, key=key), path, hint,
                          refers_to)

    def warning(self, code: str, message: str, path: Path_, hint: str | None = None, *,
                key: bool = False, location: Location | None = None, refers_to: str | None = None) -> Diagnostic:
        """A warning finding; `code` must be declared in khaosobs/codes.py (UnknownCode otherwise)."""
        return Diagnostic(code, Severity.WARNING, message, location or self.location(path, key=key), path, hint,
                          refers_to)

    def services(self) -> Iterator[tuple[int, Service]]:
        yield from enumerate(self.spec.services)

    def routes(self) -> Iterator[tuple[Route, Path_]]:
        """Every route of the tree, depth first, with its path; nothing when there is no alerting."""
        if self.spec.alerting is None:
            return
        stack: list[tuple[Route, Path_]] = [(self.spec.alerting.route, ROUTE_ROOT)]
        while stack:
            route, path = stack.pop()
            yield route, path
            stack.extend(reversed([(child, (*path, "routes", i)) for i, child in enumerate(route.routes)]))

    @cached_property
    def metrics(self) -> dict[str, tuple[Metric, Path_]]:
        """Every metric the spec defines, by name, with where it is defined."""
        found: dict[str, tuple[Metric, Path_]] = {}
        for s, service in self.services():
            for m, metric in enumerate(service.metrics):
                found.setdefault(metric.name, (metric, ("services", s, "metrics", m)))
        return found

    @cached_property
    def recording_rules(self) -> dict[str, Path_]:
        found: dict[str, Path_] = {}
        for s, service in self.services():
            for r, rule in enumerate(service.recording_rules):
                found.setdefault(rule.record, ("services", s, "recording_rules", r))
        return found

    @cached_property
    def external_metrics(self) -> set[str]:
        return set(self.spec.external_metrics)

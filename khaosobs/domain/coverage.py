"""Coverage: what each service has (metrics, alerts, a dashboard, an SLO, log alerts) against the
spec's `policy` (the seed: every component gets metrics, dashboards and alerts for its critical
paths). The check `checks/coverage.py` reports an unmet requirement at the service's line;
`khaosobs coverage` prints the same table.

Each requirement is one entry of REQUIREMENTS, a function from the spec's index to what covers a
service (empty: unmet). A service counts as on a dashboard when any dashboard queries one of its
series (or selects its logs); automatic per-service overviews count
(khaosobs/domain/dashboards.py plans every dashboard the spec yields).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, get_args

from khaosobs.diagnostics import Diagnostic, Severity
from khaosobs.domain import wiring
from khaosobs.domain.dashboards import all_panels, planned_dashboards
from khaosobs.domain.logql import analyse_logql
from khaosobs.domain.promql import grafana_substituted
from khaosobs.domain.promql_analysis import selected_names
from khaosobs.spec.model import CoverageRequirement, Dashboard, Metric, Service, Spec

REQUIREMENT_NAMES: tuple[str, ...] = get_args(CoverageRequirement)
CODE = "coverage-policy"


def _metric_series(metric: Metric) -> set[str]:
    """The series a declared metric is queried by (prometheus_client's exposition)."""
    name = metric.name
    if metric.type == "counter":
        return {name, name.removesuffix("_total") + "_total"}
    if metric.type == "gauge":
        return {name}
    parts = {f"{name}_sum", f"{name}_count"}
    return parts | ({f"{name}_bucket"} if metric.type == "histogram" else {name})


def spec_dashboards(spec: Spec) -> list[Dashboard]:
    """Every dashboard the spec yields: its own and the automatic per-service overviews."""
    return [planned.dashboard for planned in planned_dashboards(spec)]


@dataclass
class SpecIndex:
    """What the requirements look at, built once per spec."""

    spec: Spec

    @cached_property
    def series_owner(self) -> dict[str, str]:
        owner: dict[str, str] = {}
        for service in self.spec.services:
            for metric in service.metrics:
                for series in _metric_series(metric):
                    owner.setdefault(series, service.name)
            for rule in service.recording_rules:
                owner.setdefault(rule.record, service.name)
        return owner

    @cached_property
    def log_owner(self) -> dict[str, str]:
        return {wiring.log_service_name(s): s.name for s in self.spec.services}

    @cached_property
    def dashboards_of(self) -> dict[str, list[str]]:
        """Service -> titles of the dashboards that query its series or select its logs."""
        found: dict[str, list[str]] = {}
        label = wiring.join_label(self.spec)
        for dashboard in spec_dashboards(self.spec):
            services: set[str] = set()
            for panel, _row in all_panels(dashboard):
                for expr in [panel.expr, *(t.expr for t in panel.targets)]:
                    if expr is not None:
                        names = selected_names(grafana_substituted(expr))
                        services |= {self.series_owner[name] for name in names if name in self.series_owner}
                if panel.logql is not None:
                    for selector in analyse_logql(panel.logql, grafana=True).selectors:
                        if selector.get(label) in self.log_owner:
                            services.add(self.log_owner[selector[label]])
            for name in sorted(services):
                found.setdefault(name, []).append(dashboard.title)
        return found


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _metrics(service: Service, _index: SpecIndex) -> list[str]:
    return [_count(len(service.metrics), "metric")] if service.metrics else []


def _alerts(service: Service, _index: SpecIndex) -> list[str]:
    slo_alerts = sum(1 for slo in service.slos for tier in (slo.alerting.page, slo.alerting.ticket)
                     if tier is not False)
    counts = [(len(service.alerts), "alert"), (slo_alerts, "SLO alert"), (len(service.log_alerts), "log alert")]
    return [_count(n, what) for n, what in counts if n]


def _dashboard(service: Service, index: SpecIndex) -> list[str]:
    return index.dashboards_of.get(service.name, [])


def _slo(service: Service, _index: SpecIndex) -> list[str]:
    return [slo.name for slo in service.slos]


def _log_alerts(service: Service, _index: SpecIndex) -> list[str]:
    return [_count(len(service.log_alerts), "log alert")] if service.log_alerts else []


@dataclass(frozen=True)
class Requirement:
    name: str
    wants: str  # what is missing, in a sentence: "has no alert"
    covered_by: Callable[[Service, SpecIndex], list[str]]


REQUIREMENTS: dict[str, Requirement] = {r.name: r for r in (
    Requirement("metrics", "declares no metrics", _metrics),
    Requirement("alerts", "has no alert (alerts, SLO burn-rate alerts and log alerts count)", _alerts),
    Requirement("dashboard", "is on no dashboard (no dashboard queries its metrics or selects its logs)",
                _dashboard),
    Requirement("slo", "has no SLO", _slo),
    Requirement("log_alerts", "has no log alert", _log_alerts),
)}
assert tuple(REQUIREMENTS) == REQUIREMENT_NAMES, "one requirement per policy keyword"


@dataclass(frozen=True)
class Cell:
    required: bool
    covered_by: list[str]

    @property
    def met(self) -> bool:
        return bool(self.covered_by)


@dataclass
class ServiceCoverage:
    index: int  # in spec.services
    service: str
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def unmet(self) -> list[str]:
        return [name for name, cell in self.cells.items() if cell.required and not cell.met]


def required(spec: Spec) -> list[str]:
    return [name for name in REQUIREMENT_NAMES if spec.policy is not None and name in spec.policy.require]


def coverage(spec: Spec) -> list[ServiceCoverage]:
    """Every service against every requirement, in spec order."""
    index = SpecIndex(spec)
    wanted = set(required(spec))
    return [ServiceCoverage(i, service.name, {name: Cell(name in wanted, req.covered_by(service, index))
                                              for name, req in REQUIREMENTS.items()})
            for i, service in enumerate(spec.services)]


def unmet(spec: Spec) -> Iterator[tuple[ServiceCoverage, Requirement]]:
    for row in coverage(spec):
        for name in row.unmet:
            yield row, REQUIREMENTS[name]


def as_json(spec: Spec) -> dict[str, Any]:
    rows = coverage(spec)
    return {
        "policy": {"require": required(spec)},
        "services": [{"service": row.service, "meets_policy": not row.unmet,
                      "requirements": {name: {"required": cell.required, "met": cell.met,
                                              "covered_by": cell.covered_by}
                                       for name, cell in row.cells.items()}}
                     for row in rows],
    }


def blocking(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The errors that stop a coverage report: all but the policy's own findings."""
    return [d for d in diagnostics if d.severity == Severity.ERROR and d.code != CODE]


def cell_text(cell: Cell) -> str:
    """A table cell: what covers the requirement, or why it is empty."""
    if cell.met:
        return "✓ " + ", ".join(cell.covered_by)
    return "✗ missing" if cell.required else "–"

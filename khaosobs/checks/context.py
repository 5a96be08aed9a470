"""What every check sees: the validated model, the loaded document, the spec's alerts and
expressions with their paths (so no check walks the spec by hand), and typed shared indexes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from khaosobs.diagnostics import Diagnostic, Location, Severity
from khaosobs.domain.dashboards import spec_panels
from khaosobs.domain.gotemplate import ParsedTemplate, parse_template
from khaosobs.domain.promql_analysis import Analysis, analysis_of
from khaosobs.domain.routes import ROUTE_ROOT
from khaosobs.domain.slo import SLOPlan, slo_plan
from khaosobs.spec.loader import LoadedSpec, Path_
from khaosobs.spec.model import SLO, Alert, LogAlert, Metric, Route, Service, Spec

if TYPE_CHECKING:
    from khaosobs.checks._labels import LabelIndex
    from khaosobs.domain.series import SeriesIndex

AlertKind = Literal["alerts", "log_alerts"]
Language = Literal["promql", "logql"]
# what an expression is for: a PromQL alert, recording rule, SLI or panel query; a log alert; a logs panel
Role = Literal["alert", "record", "sli", "panel", "log-alert", "log-panel"]


@dataclass(frozen=True, slots=True)
class AlertAt:
    """An alert (PromQL) or log alert (LogQL) of a service, and where it is in the spec."""

    alert: Alert | LogAlert
    kind: AlertKind
    service: Service
    path: Path_  # ("services", s, kind, a)


@dataclass(frozen=True, slots=True)
class Expression:
    """An expression of the spec: its text, language, what it is for and where it is."""

    text: str
    language: Language
    role: Role
    path: Path_  # its position: ctx.location(path)


# the SLI forms written as PromQL (a latency SLI names a histogram and a bucket instead)
SLI_EXPRESSIONS = ("errors", "good", "total", "bool_gauge", "error_ratio")


@dataclass
class CheckContext:
    spec: Spec
    loaded: LoadedSpec
    _analyses: dict[str, Analysis] = field(default_factory=dict, init=False, repr=False, compare=False)
    _slo_plans: dict[tuple[int, int], SLOPlan] = field(default_factory=dict, init=False, repr=False, compare=False)
    _templates: dict[str, ParsedTemplate] = field(default_factory=dict, init=False, repr=False, compare=False)

    def location(self, path: Path_, *, key: bool = False) -> Location | None:
        return self.loaded.location(path, key=key)

    def error(self, code: str, message: str, path: Path_, hint: str | None = None, *,
              key: bool = False, location: Location | None = None, refers_to: str | None = None) -> Diagnostic:
        """An error finding; `code` must be declared in khaosobs/diagnostics/codes.py (UnknownCode otherwise)."""
        return Diagnostic(code, Severity.ERROR, message, location or self.location(path, key=key), path, hint,
                          refers_to)

    def warning(self, code: str, message: str, path: Path_, hint: str | None = None, *,
                key: bool = False, location: Location | None = None, refers_to: str | None = None) -> Diagnostic:
        """A warning finding; `code` must be declared in khaosobs/diagnostics/codes.py (UnknownCode otherwise)."""
        return Diagnostic(code, Severity.WARNING, message, location or self.location(path, key=key), path, hint,
                          refers_to)

    def analysis(self, text: str) -> Analysis:
        """The PromQL analysis of `text` (`khaosobs.domain.promql_analysis.analysis_of`), once per
        distinct text for the check run: kept here, not in a fixed-size cache a large spec outgrows."""
        found = self._analyses.get(text)
        if found is None:
            found = self._analyses[text] = analysis_of(text)
        return found

    def alert_template(self, text: str) -> ParsedTemplate:
        """An alert's text parsed as Prometheus' Go templates (`khaosobs.domain.gotemplate.parse_template`),
        once per distinct text for the check run: alerts repeat their summaries, and two checks (template
        syntax, template labels) read each one. Shared by them: read it, never change it."""
        found = self._templates.get(text)
        if found is None:
            found = self._templates[text] = parse_template(text)
        return found

    def slo_plan(self, service: Service, slo: SLO) -> SLOPlan:
        """The SLO's plan (`khaosobs.domain.slo.slo_plan`), computed once for the check run and
        shared by the checks (slo, routing, label analysis) that read it."""
        key = (id(service), id(slo))  # the spec, and so its services and SLOs, lives as long as the context
        found = self._slo_plans.get(key)
        if found is None:
            found = self._slo_plans[key] = slo_plan(service, slo)
        return found

    def services(self) -> Iterator[tuple[int, Service]]:
        yield from enumerate(self.spec.services)

    def alerts(self) -> Iterator[AlertAt]:
        """Every alert and log alert, service by service (a service's alerts before its log alerts)."""
        for s, service in self.services():
            for a, alert in enumerate(service.alerts):
                yield AlertAt(alert, "alerts", service, ("services", s, "alerts", a))
            for a, log_alert in enumerate(service.log_alerts):
                yield AlertAt(log_alert, "log_alerts", service, ("services", s, "log_alerts", a))

    def expressions(self, language: Language | None = None) -> Iterator[Expression]:
        """Every PromQL and LogQL expression of the spec (or those of one language), in spec order."""
        for s, service in self.services():
            base: Path_ = ("services", s)
            if language != "logql":
                for a, alert in enumerate(service.alerts):
                    yield Expression(alert.expr, "promql", "alert", (*base, "alerts", a, "expr"))
                for r, rule in enumerate(service.recording_rules):
                    yield Expression(rule.expr, "promql", "record", (*base, "recording_rules", r, "expr"))
                for i, slo in enumerate(service.slos):
                    for part in SLI_EXPRESSIONS:
                        text = getattr(slo.sli, part)
                        if text is not None:
                            yield Expression(text, "promql", "sli", (*base, "slos", i, "sli", part))
            if language != "promql":
                for a, log_alert in enumerate(service.log_alerts):
                    yield Expression(log_alert.expr, "logql", "log-alert", (*base, "log_alerts", a, "expr"))
        for d, dashboard in enumerate(self.spec.dashboards):
            for base, panel in spec_panels(dashboard, d):  # panels inside rows too
                if language != "logql":
                    if panel.expr is not None:
                        yield Expression(panel.expr, "promql", "panel", (*base, "expr"))
                    for t, target in enumerate(panel.targets):
                        yield Expression(target.expr, "promql", "panel", (*base, "targets", t, "expr"))
                if language != "promql" and panel.logql is not None:
                    yield Expression(panel.logql, "logql", "log-panel", (*base, "logql"))

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

    @cached_property
    def label_index(self) -> LabelIndex:
        """The labels every metric, recording rule and expression can carry, built once per check run."""
        from khaosobs.checks._labels import LabelIndex

        return LabelIndex(self, self.series_index)

    @cached_property
    def series_index(self) -> SeriesIndex:
        """Every series name the spec defines and its kind, built once per check run."""
        from khaosobs.domain.series import SeriesIndex

        return SeriesIndex(self)

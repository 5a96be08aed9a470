"""`khaosobs import`: existing configs -> a spec that validates and renders back an equivalent stack.

read inputs (sources; files render derives from other spec keys are recognised by their header and
skipped) -> one service per rule group (rules, slos), its metrics (instrumentation) and alert tests
(alert_tests), scrape blocks, intervals and the services' order from khaosobs' own prometheus.yml
(prometheus_config), `alerting` (alertmanager), `telemetry` (telemetry), dashboards (grafana; the
overview and SLO dashboards render builds are recognised), the `kubernetes:` and `ruler:` blocks from
khaosobs' own manifests and ruler files (deploy)
-> metrics the expressions use but the spec does not define become `external_metrics` -> validate
the assembled spec with the ordinary pipeline, setting aside (and reporting) any item it refuses
(settle) -> the CLI writes it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.dashboards import alert_threshold
from khaosobs.importer.alert_tests import attach_tests
from khaosobs.importer.alertmanager import import_alertmanager
from khaosobs.importer.deploy import kubernetes_block, ruler_block, ruler_teams
from khaosobs.importer.grafana import derived_dashboard, grafana_target, import_dashboard
from khaosobs.importer.instrumentation import read_metrics
from khaosobs.importer.instrumentation import service_of as instrumentation_service
from khaosobs.importer.prometheus_config import import_prometheus_config
from khaosobs.importer.report import ImportReport
from khaosobs.importer.rules import SERVICE_KEYS, import_rules
from khaosobs.importer.sources import Document, ImportInputError, read_documents
from khaosobs.importer.specwriter import spec_text
from khaosobs.importer.telemetry import TelemetryImport
from khaosobs.spec.model import Alert, Metric, ThresholdStep

__all__ = ["ImportInputError", "ImportResult", "import_files"]

HEADER = "# Imported by `khaosobs import`; what could not be carried is in the import report.\n"
SPEC_KEYS = ("version", "project", "telemetry", "targets", "kubernetes", "ruler", "external_metrics", "services",
             "dashboards", "alerting")


@dataclass
class ImportResult:
    data: dict[str, Any]
    report: ImportReport
    remaining: list[Diagnostic] = field(default_factory=list)  # errors no item could be set aside for

    def files(self, folder: bool) -> dict[str, str]:
        """One spec file, or (folder) one file per service plus alerting and dashboards files."""
        if not folder:
            return {"": spec_text(self.data, HEADER)}
        base = {k: v for k, v in self.data.items() if k not in ("services", "dashboards", "alerting")}
        files = {"khaosobs.yaml": spec_text(base, HEADER)}
        for service in self.data.get("services", []):
            files[f"services/{service['name']}.yaml"] = spec_text({"services": [service]}, HEADER)
        if "alerting" in self.data:
            files["alerting.yaml"] = spec_text({"alerting": self.data["alerting"]}, HEADER)
        if self.data.get("dashboards"):
            files["dashboards.yaml"] = spec_text({"dashboards": self.data["dashboards"]}, HEADER)
        return files


def _metrics(document: Document, services: list[dict[str, Any]], by_name: dict[str, dict[str, Any]],
             report: ImportReport) -> None:
    """A service's prometheus_client module: its metrics, on the service of the file's name."""
    metrics = read_metrics(document.data["source"], document.origin, report)
    if metrics is None:
        report.omit(document.origin, "not Python that can be read")
        return
    if not metrics:
        report.omit(document.origin, "defines no prometheus_client metric")
        return
    name = instrumentation_service(document.data["stem"])
    service = by_name.get(name)
    if service is None:
        service = {"name": name}
        services.append(service)
        by_name[name] = service
    merged = {**service, "metrics": [*service.get("metrics", []), *metrics]}
    service.clear()
    service.update({key: merged[key] for key in SERVICE_KEYS if key in merged})


def _declared(services: list[dict[str, Any]]) -> dict[str, Metric]:
    """The metrics imported so far, as the model (a dashboard's derived units depend on them)."""
    found: dict[str, Metric] = {}
    for service in services:
        for metric in service.get("metrics", []):
            try:
                found.setdefault(metric["name"], Metric.model_validate(metric))
            except ValueError:  # validate reports it; the units are then derived without it
                continue
    return found


def _alert_thresholds(services: list[dict[str, Any]]) -> dict[str, list[ThresholdStep]]:
    """The panel thresholds render derives from the alerts imported so far (domain.dashboards)."""
    found: dict[str, list[ThresholdStep]] = {}
    for service in services:
        for alert in service.get("alerts", []):
            try:
                derived = alert_threshold(Alert.model_validate(alert))
            except ValueError:  # validate reports it; no threshold is derived from it
                continue
            if derived is not None:
                found.setdefault(*derived)
    return found


DashboardInputs = Callable[[], tuple[dict[str, Metric], dict[str, list[ThresholdStep]]]]


def _import_document(document: Document, project: str, report: ImportReport, services: list[dict[str, Any]],
                     by_name: dict[str, dict[str, Any]], dashboards: list[dict[str, Any]],
                     telemetry: TelemetryImport, alerting: dict[str, Any] | None,
                     overviews: set[str], dashboard_inputs: DashboardInputs) -> dict[str, Any] | None:
    """One document into the spec being built; returns the `alerting` section (set by the first config).
    `dashboard_inputs`: the metrics and alert thresholds a dashboard's units and thresholds come from."""
    if document.kind == "rules":
        services.extend(import_rules(document, by_name, report))
    elif document.kind == "instrumentation":
        _metrics(document, services, by_name, report)
    elif document.kind == "prometheus_config":
        import_prometheus_config(document.data, document.origin, services, by_name, telemetry, report)
    elif document.kind == "alert_tests":
        attach_tests(document.data, document.origin, by_name, report)
    elif document.kind == "datasources":
        telemetry.datasources(document.data, document.origin)
    elif document.kind == "collector":
        telemetry.collector(document.data, document.origin)
    elif document.kind == "dashboard":
        derived = derived_dashboard(document.data)
        if derived is not None:  # render builds it again from the service's metrics or SLOs
            kind, service = derived
            report.note(document.origin, f"the {'automatic overview' if kind == 'overview' else 'SLO'} "
                        f"dashboard of {service} (render writes it again)")
            if kind == "overview":
                overviews.add(service)
        else:
            dashboards.append(import_dashboard(document.data, document.origin, project, report,
                                               *dashboard_inputs()))
        if (grafana := grafana_target(document.data.get("schemaVersion"))) is not None:
            telemetry.grafana = grafana  # every dashboard of a render has the same schemaVersion
    elif alerting is None:
        alerting = import_alertmanager(document.data, document.origin, report)
    else:
        report.omit(document.origin, "a second Alertmanager config (a spec has one; the first is kept)")
    return alerting


def import_files(paths: list[Path], project: str = "imported") -> ImportResult:
    """Read the inputs and build the spec; raises ImportInputError when an input cannot be read."""
    report = ImportReport()
    documents = read_documents(paths, report)
    services: list[dict[str, Any]] = []
    dashboards: list[dict[str, Any]] = []
    alerting: dict[str, Any] | None = None
    by_name: dict[str, dict[str, Any]] = {}
    telemetry = TelemetryImport(report)
    overviews: set[str] = set()  # services whose automatic overview dashboard was among the inputs
    kinds = ("rules", "instrumentation", "prometheus_config", "alert_tests", "alertmanager", "datasources",
             "collector", "dashboard")
    deploy = {kind: [d.data for d in documents if d.kind == kind] for kind in ("kubernetes", "ruler")}

    @functools.cache
    def dashboard_inputs() -> tuple[dict[str, Metric], dict[str, list[ThresholdStep]]]:
        # once, at the first dashboard: dashboards come last (`kinds`), so every service is there, and a
        # dashboard changes none (once per dashboard, every alert was validated again: dashboards x alerts)
        return _declared(services), _alert_thresholds(services)

    documents = [d for d in documents if d.kind not in deploy]
    for document in sorted(documents, key=lambda d: kinds.index(d.kind)):  # stable: input order within a kind
        try:
            alerting = _import_document(document, project, report, services, by_name, dashboards, telemetry,
                                        alerting, overviews, dashboard_inputs)
        except (AttributeError, TypeError, KeyError, ValueError) as exc:  # a value of a type the tool refuses too
            report.omit(document.origin, f"not carried: its structure is not that of a valid {document.kind} "
                        f"config ({type(exc).__name__})")
    if any(d.kind == "dashboard" for d in documents):
        for service in services:  # dashboards were given, and this service's overview was not among them
            if service.get("metrics") and service["name"] not in overviews:
                service["overview_dashboard"] = False
    data: dict[str, Any] = {"version": 1, "project": project}
    if telemetry_data := telemetry.telemetry():
        data["telemetry"] = telemetry_data
    if deploy["kubernetes"]:
        data["kubernetes"] = kubernetes_block(deploy["kubernetes"])
    if deploy["ruler"]:
        data["ruler"] = ruler_block(deploy["ruler"], [s["name"] for s in services])
        if data["ruler"].get("namespaces") == "team":
            teams = ruler_teams(deploy["ruler"])
            for service in services:
                if "team" not in service and service["name"] in teams:
                    merged = {**service, "team": teams[service["name"]]}
                    service.clear()
                    service.update({key: merged[key] for key in SERVICE_KEYS if key in merged})
    if services:
        data["services"] = services
    if dashboards:
        data["dashboards"] = dashboards
    targets: dict[str, str] = {}
    if alerting is not None:
        if any("discord" in receiver for receiver in alerting["receivers"]):
            # webhook_url_file, the only way a Discord URL is carried, needs Alertmanager 0.28
            targets["alertmanager"] = "0.28"
        data["alerting"] = alerting
    if telemetry.otelcol is not None:
        targets["otelcol"] = telemetry.otelcol
    if telemetry.grafana is not None:
        targets["grafana"] = telemetry.grafana
    if targets:
        data["targets"] = targets
    from khaosobs.importer.settle import settle

    data = {key: data[key] for key in SPEC_KEYS if key in data}
    remaining = settle(data, report)
    return ImportResult(data, report, remaining)

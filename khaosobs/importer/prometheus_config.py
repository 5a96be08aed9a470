"""The prometheus.yml render wrote -> the spec keys it came from: the global intervals and the
Alertmanager endpoint (`telemetry.metrics`), each service's `scrape:` block and the services' order.

Only khaosobs' own prometheus.yml is read (sources.py checks its header): its scrape jobs are the
inverse of `khaosobs.targets._prometheus_config.scrape_config`, one job per service named after it;
a hand-written prometheus.yml (relabelling, service discovery of any kind) means more than a spec holds.
Values equal to the defaults of `khaosobs.domain.scrape` are left out, so the spec stays the one written.
"""

from __future__ import annotations

from typing import Any

from khaosobs.domain import naming
from khaosobs.domain.scrape import COLLECTOR_JOB, DEFAULT_SELECTOR_LABEL
from khaosobs.importer.report import ImportReport
from khaosobs.importer.telemetry import TelemetryImport
from khaosobs.spec.model import Scrape

DEFAULT_SCRAPE = Scrape()


def import_prometheus_config(config: dict[str, Any], origin: str, services: list[dict[str, Any]],
                             by_name: dict[str, dict[str, Any]], telemetry: TelemetryImport,
                             report: ImportReport) -> None:
    """Set the telemetry values and the services' scrape blocks; order `services` as rule_files lists them."""
    glob = config.get("global") or {}
    for key in ("scrape_interval", "evaluation_interval"):
        if isinstance(glob.get(key), str):
            telemetry.set("metrics", key, glob[key], origin)
    for manager in (config.get("alerting") or {}).get("alertmanagers") or []:
        targets = [t for s in manager.get("static_configs") or [] for t in s.get("targets") or []]
        if len(targets) == 1:
            url = f"{manager.get('scheme', 'http')}://{targets[0]}{manager.get('path_prefix', '')}"
            telemetry.set("metrics", "alertmanager_endpoint", url, origin)
    for job in config.get("scrape_configs") or []:
        name = str(job.get("job_name", ""))
        if name == COLLECTOR_JOB:  # the Collector's own job: its host is tracing.collector_endpoint's
            targets = [str(t) for s in job.get("static_configs") or [] for t in s.get("targets") or []]
            if len(targets) == 1 and ":" in targets[0]:
                telemetry.collector_host = (targets[0].rsplit(":", 1)[0], origin)
            continue
        service = by_name.get(name)
        if service is None:
            service = {"name": name}
            services.append(service)
            by_name[name] = service
        scrape = _scrape(job, name, f"{origin}: job {name!r}", report)
        if scrape or not service.get("metrics"):  # a service without metrics is scraped only with `scrape:`
            service["scrape"] = scrape
    order = [str(entry) for entry in config.get("rule_files") or []]
    position = {entry: i for i, entry in enumerate(order)}
    services.sort(key=lambda s: position.get(naming.prometheus_rule_file_entry(s["name"]), len(order)))


def _scrape(job: dict[str, Any], service: str, where: str, report: ImportReport) -> dict[str, Any]:
    """The scrape block with only the keys that differ from the defaults."""
    out: dict[str, Any] = {}
    port: int | str = DEFAULT_SCRAPE.port
    if "scrape_interval" in job:
        out["interval"] = str(job["scrape_interval"])
    if job.get("metrics_path", DEFAULT_SCRAPE.path) != DEFAULT_SCRAPE.path:
        out["path"] = str(job["metrics_path"])
    if job.get("scheme", DEFAULT_SCRAPE.scheme) != DEFAULT_SCRAPE.scheme:
        out["scheme"] = str(job["scheme"])
    if job.get("kubernetes_sd_configs"):
        discovery = job["kubernetes_sd_configs"][0]
        pods: dict[str, Any] = {}
        names = (discovery.get("namespaces") or {}).get("names") or []
        if names:
            pods["namespace"] = str(names[0])
        selectors = discovery.get("selectors") or []
        selector = dict(pair.split("=", 1) for pair in str(selectors[0]["label"]).split(",")) if selectors else {}
        if selector != {DEFAULT_SELECTOR_LABEL: service}:
            pods["selector"] = selector
        keep: dict[str, Any] = next((r for r in job.get("relabel_configs") or [] if r.get("action") == "keep"), {})
        number = "__meta_kubernetes_pod_container_port_number" in (keep.get("source_labels") or [])
        regex = str(keep.get("regex", port))
        port = int(regex) if number and regex.isdigit() else regex
        out["kubernetes"] = pods
    else:
        targets = [str(t) for s in job.get("static_configs") or [] for t in s.get("targets") or []]
        host, _, written = targets[0].rpartition(":") if len(targets) == 1 else ("", "", "")
        if host == service and written.isdigit():
            port = int(written)  # `<service>:<port>`: the default address
        else:
            out["targets"] = targets
    if port != DEFAULT_SCRAPE.port:
        out = {"port": port, **out}
    if set(job) - {"job_name", "scrape_interval", "metrics_path", "scheme", "kubernetes_sd_configs",
                   "relabel_configs", "static_configs"}:
        report.omit(where, "scrape settings beyond khaosobs' own (the job is written again from `scrape:`)")
    return out

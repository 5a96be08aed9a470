"""prometheus.yml: global intervals, the rendered rule files, the Alertmanager of the telemetry
block, a scrape job per service (khaosobs.domain.scrape) and the Collector's prometheus exporter.
Part of the `prometheus` target (the config names that target's rule files)."""

from __future__ import annotations

from typing import Any

from khaosobs.domain import naming
from khaosobs.domain.scrape import COLLECTOR_JOB, POD_RELABELLING, ScrapeJob, endpoint_address, scrape_jobs
from khaosobs.spec.model import Spec


def kubernetes_pod_discovery(job: ScrapeJob) -> dict[str, Any]:
    """Pods selected by the job's labels (server-side), kept on the job's container port."""
    discovery: dict[str, Any] = {"role": "pod"}
    if job.namespace is not None:
        discovery["namespaces"] = {"names": [job.namespace]}
    if job.selector:
        discovery["selectors"] = [{"role": "pod", "label": ",".join(f"{k}={v}" for k, v in job.selector.items())}]
    port_label = ("__meta_kubernetes_pod_container_port_number" if job.port_is_number
                  else "__meta_kubernetes_pod_container_port_name")
    return {
        "kubernetes_sd_configs": [discovery],
        "relabel_configs": [
            # one target per declared container port: keep the service's metrics port only
            {"source_labels": [port_label], "regex": str(job.port), "action": "keep"},
            *({"source_labels": [meta], "target_label": label} for label, meta in POD_RELABELLING),
        ],
    }


def scrape_config(job: ScrapeJob) -> dict[str, Any]:
    config: dict[str, Any] = {"job_name": job.job}
    if job.interval is not None:
        config["scrape_interval"] = job.interval
    config["metrics_path"] = job.path
    config["scheme"] = job.scheme
    if job.discover_pods:
        config.update(kubernetes_pod_discovery(job))
    else:
        config["static_configs"] = [{"targets": job.targets}]
    return config


def collector_scrape_config(spec: Spec) -> dict[str, Any]:
    _scheme, address, _path = endpoint_address(spec.telemetry.tracing.collector_endpoint)
    host = address.rsplit(":", 1)[0] if not address.endswith("]") else address
    return {"job_name": COLLECTOR_JOB, "honor_labels": True,
            "static_configs": [{"targets": [f"{host}:{naming.OTEL_PROMETHEUS_PORT}"]}]}


def alertmanager_config(spec: Spec) -> dict[str, Any]:
    scheme, address, path = endpoint_address(spec.telemetry.metrics.alertmanager_endpoint)
    config: dict[str, Any] = {"scheme": scheme}
    if path:
        config["path_prefix"] = path
    config["static_configs"] = [{"targets": [address]}]
    return config


def prometheus_config(spec: Spec) -> dict[str, Any]:
    metrics = spec.telemetry.metrics
    return {
        "global": {"scrape_interval": metrics.scrape_interval, "evaluation_interval": metrics.evaluation_interval},
        "rule_files": [naming.prometheus_rule_file_entry(service.name) for service in spec.services],
        "alerting": {"alertmanagers": [alertmanager_config(spec)]},
        "scrape_configs": [*(scrape_config(job) for job in scrape_jobs(spec)), collector_scrape_config(spec)],
    }

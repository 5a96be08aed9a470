"""How Prometheus finds each service: one scrape job per service, the same for prometheus.yml and
the Kubernetes PodMonitor, with the defaults written once here.

Defaults (documented in docs/deploy.md): a service with metrics and no `scrape:` block is scraped;
`port` is 8080, `path` is `/metrics`, the interval is the global one
(`telemetry.metrics.scrape_interval`). Where: the `targets` given, else with `kubernetes:` the
pods labelled `app.kubernetes.io/name: <service>` (in every namespace unless one is named), else
`<service>:<port>` (the service's DNS name in Docker Compose or in Prometheus' own namespace).
The PodMonitor of the kubernetes target always selects pods, with the same selector.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from khaosobs.domain.labels import TARGET_LABELS
from khaosobs.spec.model import PodDiscovery, Scrape, Service, Spec

DEFAULT_SELECTOR_LABEL = "app.kubernetes.io/name"
# prometheus.yml's relabelling of a pod found by Kubernetes discovery: (target label, the
# discovery's meta label it is copied from). The config is written from this, and the label
# analysis counts these labels on the service's series: one list for both.
POD_RELABELLING: tuple[tuple[str, str], ...] = (
    ("namespace", "__meta_kubernetes_namespace"),
    ("pod", "__meta_kubernetes_pod_name"),
)
# What the Prometheus Operator's relabelling gives every target of a PodMonitor besides `job`
# and `instance` (pkg/prometheus/promcfg.go, generatePodMonitorConfig): the kubernetes target
# writes one PodMonitor per scraped service whenever the spec has a `kubernetes:` block.
POD_MONITOR_LABELS = ("namespace", "container", "pod", "endpoint")
# The Collector's `prometheus` exporter; `honor_labels` keeps the job/instance the exporter sets
# from each application's OTel resource (service.name, service.instance.id).
COLLECTOR_JOB = "otel-collector"


@dataclass(frozen=True)
class ScrapeJob:
    job: str
    port: int | str
    path: str
    interval: str | None  # None: the global scrape_interval
    scheme: str
    targets: list[str] = field(default_factory=list)  # static, unless `discover_pods`
    discover_pods: bool = False
    namespace: str | None = None
    selector: dict[str, str] = field(default_factory=dict)

    @property
    def port_is_number(self) -> bool:
        return isinstance(self.port, int)


def scrape_job(service: Service) -> ScrapeJob | None:
    """The service's job, or None when nothing is to be scraped (no metrics and no `scrape:`)."""
    if service.scrape is None and not service.metrics:
        return None
    scrape = service.scrape or Scrape()
    pods = scrape.kubernetes or PodDiscovery()
    selector = pods.selector if pods.selector is not None else {DEFAULT_SELECTOR_LABEL: service.name}
    targets = list(scrape.targets) or [f"{service.name}:{scrape.port}"]
    return ScrapeJob(service.name, scrape.port, scrape.path, scrape.interval, scrape.scheme,
                     targets, scrape.kubernetes is not None, pods.namespace, dict(selector))


def scrape_jobs(spec: Spec) -> list[ScrapeJob]:
    return [job for service in spec.services if (job := scrape_job(service)) is not None]


def endpoint_address(url: str, default_port: int | None = None) -> tuple[str, str, str]:
    """`http://am:9093/prefix` -> ("http", "am:9093", "/prefix"): a Prometheus target of a URL."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:  # the telemetry check reports it
        port = None
    port = port or default_port
    address = f"[{host}]" if ":" in host else host
    if port is not None:
        address = f"{address}:{port}"
    return parts.scheme or "http", address, parts.path.rstrip("/")


def target_labels(spec: Spec, service: Service) -> frozenset[str]:
    """The labels every series Prometheus scrapes from the service carries besides its own:
    `job` and `instance`, what prometheus.yml's pod discovery relabels in, and what the Prometheus
    Operator adds when the spec deploys PodMonitors."""
    labels = set(TARGET_LABELS)
    job = scrape_job(service)
    if job is not None and job.discover_pods:
        labels.update(label for label, _meta in POD_RELABELLING)
    if job is not None and spec.kubernetes is not None:
        labels.update(POD_MONITOR_LABELS)
    return frozenset(labels)

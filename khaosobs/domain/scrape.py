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

from khaosobs.spec.model import PodDiscovery, Scrape, Service, Spec

DEFAULT_SELECTOR_LABEL = "app.kubernetes.io/name"
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

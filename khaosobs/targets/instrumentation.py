"""prometheus_client definitions of exactly the metrics each service declares (Python)."""

from __future__ import annotations

from typing import Any

from khaosobs.domain.naming import instrumentation_path, python_metric_identifier
from khaosobs.output import OutputFile
from khaosobs.output.templating import Renderer
from khaosobs.spec.model import Metric, Service, Spec
from khaosobs.targets import EVERY_SERVICE, Share

NAME = "instrumentation"
DESCRIPTION = "Python prometheus_client metric definitions, one module per service with metrics"
CLASSES = {"counter": "Counter", "gauge": "Gauge", "histogram": "Histogram", "summary": "Summary"}


def render(spec: Spec, renderer: Renderer) -> list[OutputFile]:
    return render_share(spec, renderer, EVERY_SERVICE)


def render_share(spec: Spec, renderer: Renderer, share: Share) -> list[OutputFile]:
    """The modules of the services in `share`: one per service."""
    return [
        renderer.file(NAME, "instrumentation/metrics.py.j2", instrumentation_path(service.name), "python",
                      **module_context(service))
        for _, service in share.services(spec)
        if service.metrics
    ]


def module_context(service: Service) -> dict[str, Any]:
    used: set[str] = set()
    metrics = []
    for metric in service.metrics:
        identifier = _unique(python_metric_identifier(metric.name), used)
        metrics.append(_metric_context(metric, identifier))
    return {
        "docstring": f"prometheus_client metrics of the {service.name} service, exactly as its khaosobs spec "
                     "declares them.",
        "imports": sorted({CLASSES[metric.type] for metric in service.metrics}),
        "metrics": metrics,
    }


def _unique(identifier: str, used: set[str]) -> str:
    """`a:b` and `a_b` both map to `A_B`: the later one gets a numeric suffix, in spec order."""
    candidate, n = identifier, 1
    while candidate in used:
        n += 1
        candidate = f"{identifier}_{n}"
    used.add(candidate)
    return candidate


def _metric_context(metric: Metric, identifier: str) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "cls": CLASSES[metric.type],
        "name": metric.name,
        "help": metric.help,
        "labelnames": list(metric.labels),
        "buckets": list(metric.buckets) if metric.type == "histogram" and metric.buckets else None,
    }

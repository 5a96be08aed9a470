"""A Python telemetry bootstrap per service: OpenTelemetry tracing and JSON logs that match the stack.

`configure()` in the generated module sets the spans' `service.name`/`service.namespace`, exports
them over OTLP/HTTP to the Collector's receiver and makes `logging` and structlog write the seed's
JSON log format with the active span's ids. Every value it carries (field names, the trace id
regex, names, the endpoint) comes from `khaosobs.domain.wiring`, the same functions Grafana's datasources
and the cross-signal checks use.
"""

from __future__ import annotations

from typing import Any

from khaosobs.domain import wiring
from khaosobs.domain.naming import telemetry_module_path
from khaosobs.output import OutputFile
from khaosobs.output.templating import Renderer
from khaosobs.spec.model import Service, Spec
from khaosobs.targets import EVERY_SERVICE, Share

NAME = "telemetry"
DESCRIPTION = "Python telemetry bootstrap per service: OTel traces over OTLP/HTTP and JSON logs with trace ids"


def render(spec: Spec, renderer: Renderer) -> list[OutputFile]:
    return render_share(spec, renderer, EVERY_SERVICE)


def render_share(spec: Spec, renderer: Renderer, share: Share) -> list[OutputFile]:
    """The modules of the services in `share`: one per service."""
    return [
        renderer.file(NAME, "instrumentation/telemetry.py.j2", telemetry_module_path(service.name), "python",
                      **module_context(spec, service))
        for _, service in share.services(spec)
    ]


def module_context(spec: Spec, service: Service) -> dict[str, Any]:
    return {
        "trace_service_name": wiring.trace_service_name(service),
        "log_service_name": wiring.log_service_name(service),
        "namespace": wiring.service_namespace(spec),
        "traces_url": wiring.traces_url(wiring.export_endpoint(spec)),
        "log_fields": wiring.log_fields(spec),
        "trace_id_regex": wiring.trace_id_regex(spec),
    }

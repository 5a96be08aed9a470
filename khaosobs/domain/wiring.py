"""How a service's logs and traces join up with the stack: one home for the shared facts.

The generated telemetry modules (`targets/telemetry.py`) write JSON logs and send spans; Grafana's
datasources (`targets/grafana.py`) find trace ids in those logs (Loki derived field) and logs of a
trace (Tempo's trace-to-logs query, by the join label); the cross-signal checks
(`checks/wiring.py`) hold the spec to both. All three read these functions, so a renamed field or
a different port changes every side at once, or is reported.

- The log line is the seed's format: `timestamp`, `level`, `service`, `trace_id`, `span_id`,
  `message`, `context` (each field can be renamed in `telemetry.logging.fields`).
- The service field is also the Loki label that joins a log stream to its service (`service` in
  the seed's LogQL): the log shipper promotes it, and Tempo's trace-to-logs query maps the span's
  `service.name` to it, so a service's trace and log names must be the same.
- Spans go over OTLP/HTTP (no gRPC runtime in the service) to the Collector's OTLP/HTTP receiver.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit, urlunsplit

from khaosobs.domain.naming import OTEL_HEALTH_PORT, OTEL_PROMETHEUS_PORT, OTLP_GRPC_DEFAULT_PORT, OTLP_HTTP_PORT
from khaosobs.spec.model import LogFields, Service, Spec

# The log format's fields, in the order a line carries them (the seed's example).
LOG_FIELD_ROLES = ("timestamp", "level", "service", "trace_id", "span_id", "message", "context")
SERVICE_NAME_ATTRIBUTE = "service.name"
SERVICE_NAMESPACE_ATTRIBUTE = "service.namespace"
# A trace id in JSON (`"trace_id": "abc"`, the seed's log format) or logfmt (`trace_id=abc`); the
# part after the field name is the same whatever the field is called.
_TRACE_ID_VALUE_PATTERN = r'"?\s*[:=]\s*"?(\w+)'
DEFAULT_TRACE_ID_REGEX = "trace_id" + _TRACE_ID_VALUE_PATTERN
OTLP_TRACES_PATH = "/v1/traces"
# An example of what the generated modules write, for holding a derived-field regex to the format.
SAMPLE_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SAMPLE_SPAN_ID = "00f067aa0ba902b7"


# --- logs ----------------------------------------------------------------------------------------


def log_fields(spec: Spec) -> dict[str, str]:
    """Role -> field name, in line order."""
    fields: LogFields = spec.telemetry.logging.fields
    return {role: getattr(fields, role) for role in LOG_FIELD_ROLES}


def join_label(spec: Spec) -> str:
    """The Loki label joining a log stream to its service: the log's service field, promoted."""
    return spec.telemetry.logging.fields.service


def trace_id_regex(spec: Spec) -> str:
    """Grafana's derived-field regex: the spec's, else the one matching the trace id field."""
    explicit = spec.telemetry.logging.trace_id_regex
    if explicit is not None:
        return explicit
    return re.escape(spec.telemetry.logging.fields.trace_id) + _TRACE_ID_VALUE_PATTERN


def log_record(fields: dict[str, str], *, timestamp: str, level: str, service: str, trace_id: str,
               span_id: str, message: str, context: dict[str, object]) -> dict[str, object]:
    """One log line's fields, in order (the generated modules build the same)."""
    values: dict[str, object] = {"timestamp": timestamp, "level": level, "service": service, "trace_id": trace_id,
                                 "span_id": span_id, "message": message, "context": context}
    return {fields[role]: values[role] for role in LOG_FIELD_ROLES}


def log_line(record: dict[str, object]) -> str:
    """A record as the generated modules write it: one JSON object a line, non-ASCII kept."""
    return json.dumps(record, ensure_ascii=False, default=str)


def sample_log_line(spec: Spec, service: str = "checkout-api") -> str:
    return log_line(log_record(log_fields(spec), timestamp="2024-01-15T10:23:45.123Z", level="INFO",
                               service=service, trace_id=SAMPLE_TRACE_ID, span_id=SAMPLE_SPAN_ID,
                               message="Command executed successfully", context={"command": "/status"}))


def extract_trace_id(regex: re.Pattern[str], line: str) -> str | None:
    """What Grafana's derived field takes from a line: the first group, else the whole match."""
    match = regex.search(line)
    if match is None:
        return None
    return match.group(1) if regex.groups else match.group(0)


# --- service names -------------------------------------------------------------------------------


def trace_service_name(service: Service) -> str:
    """The spans' `service.name`."""
    return service.tracing.service_name or service.name


def log_service_name(service: Service) -> str:
    """The logs' service field, and so the join label's value."""
    return service.logging.service or service.name


def service_namespace(spec: Spec) -> str:
    """The spans' `service.namespace`: the project."""
    return spec.project


# --- traces: where spans go ----------------------------------------------------------------------


def otlp_grpc_port(collector_endpoint: str) -> int:
    """The Collector's OTLP gRPC receiver listens on the port of `tracing.collector_endpoint`."""
    try:
        port = urlsplit(collector_endpoint).port
    except ValueError:  # the telemetry check reports it
        port = None
    return port or OTLP_GRPC_DEFAULT_PORT


def collector_listeners(spec: Spec) -> dict[int, str]:
    """Port -> what the generated Collector config serves there."""
    return {
        otlp_grpc_port(spec.telemetry.tracing.collector_endpoint): "OTLP/gRPC",
        OTLP_HTTP_PORT: "OTLP/HTTP",
        OTEL_PROMETHEUS_PORT: "the Prometheus exporter",
        OTEL_HEALTH_PORT: "the health check",
    }


def export_endpoint(spec: Spec) -> str:
    """Where the generated modules send spans: the spec's, else the collector host's OTLP/HTTP port."""
    tracing = spec.telemetry.tracing
    if tracing.export_endpoint is not None:
        return tracing.export_endpoint
    try:
        parts = urlsplit(tracing.collector_endpoint)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or not host:
        return f"http://localhost:{OTLP_HTTP_PORT}"
    netloc = f"[{host}]:{OTLP_HTTP_PORT}" if ":" in host else f"{host}:{OTLP_HTTP_PORT}"
    return urlunsplit((parts.scheme or "http", netloc, "", "", ""))


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP exporter posts to a given URL as is: a base URL gets the signal's path."""
    base = endpoint.rstrip("/")
    path = urlsplit(base).path
    return base if path else base + OTLP_TRACES_PATH

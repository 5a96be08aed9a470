"""Cross-signal wiring: the logs and traces the generated telemetry modules emit must be the ones
the stack's configs look for, or Grafana's links between them silently stop working.

- the log fields are distinct, and the service field is a Loki label name (the join label);
- Grafana's derived-field regex finds the trace id in a log line of that format;
- a service's log alerts select its logs by the join label, with the name its logs carry;
- a service's spans and logs carry the same service name (Tempo's trace-to-logs query maps
  `service.name` to the join label verbatim);
- the export endpoint's port is the generated Collector's OTLP/HTTP receiver.

The facts themselves (field names, regex, names, ports) live in `khaosobs.domain.wiring`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from khaosobs.checks._support import span_location
from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic, Location
from khaosobs.domain import wiring
from khaosobs.domain.logql import analyse_logql
from khaosobs.domain.naming import OTLP_HTTP_PORT
from khaosobs.domain.prometheus_names import LABEL_NAME_RE
from khaosobs.domain.re2 import RegexError, compile_go_regex
from khaosobs.spec.loader import Path_
from khaosobs.spec.model import LogFields

FIELDS_PATH: Path_ = ("telemetry", "logging", "fields")
REGEX_PATH: Path_ = ("telemetry", "logging", "trace_id_regex")
EXPORT_PATH: Path_ = ("telemetry", "tracing", "export_endpoint")
DEFAULT_PORTS = {"http": 80, "https": 443}
DEFAULT_JOIN_LABEL = LogFields().service  # the seed's `service`


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    yield from _fields(ctx)
    yield from _trace_id_regex(ctx)
    yield from _service_names(ctx)
    yield from _log_selectors(ctx)
    yield from _export_endpoint(ctx)


def _fields(ctx: CheckContext) -> Iterator[Diagnostic]:
    seen: dict[str, str] = {}
    for role, name in wiring.log_fields(ctx.spec).items():
        path = (*FIELDS_PATH, role)
        if not name.strip():
            yield ctx.error("log-fields", f"the log field for {role} has no name", path)
        elif name in seen:
            yield ctx.error("log-fields", f'"{name}" names both the {seen[name]} and the {role} log field', path,
                            "each field of a log line needs its own name")
        seen.setdefault(name, role)
    service = wiring.join_label(ctx.spec)
    if service.strip() and not LABEL_NAME_RE.fullmatch(service):
        yield ctx.error("log-fields", f'the service field "{service}" is not a Loki label name, and it is the label '
                        "that joins a log stream to its service", (*FIELDS_PATH, "service"),
                        "letters, digits and _, not starting with a digit, e.g. service")


def _trace_id_regex(ctx: CheckContext) -> Iterator[Diagnostic]:
    source = wiring.trace_id_regex(ctx.spec)
    explicit = ctx.spec.telemetry.logging.trace_id_regex is not None
    path = REGEX_PATH if explicit else (*FIELDS_PATH, "trace_id")
    try:
        regex = compile_go_regex(source)
    except RegexError as exc:
        yield ctx.error("log-trace-id-regex", f"Grafana cannot use the derived-field regex: {exc}", path)
        return
    line = wiring.sample_log_line(ctx.spec)
    found = wiring.extract_trace_id(regex, line)
    if found != wiring.SAMPLE_TRACE_ID:
        what = "finds nothing" if found is None else f'finds "{found}"'
        field = ctx.spec.telemetry.logging.fields.trace_id
        yield ctx.error("log-trace-id-regex", f"the derived-field regex {what} in a log line the telemetry modules "
                        f"write, where the trace id is {wiring.SAMPLE_TRACE_ID}: Loki lines would link to no trace",
                        path, f'leave trace_id_regex out to derive it from the field "{field}"' if explicit
                        else f"a line looks like {line}")


def _service_names(ctx: CheckContext) -> Iterator[Diagnostic]:
    for s, service in ctx.services():
        traces, logs = wiring.trace_service_name(service), wiring.log_service_name(service)
        if traces != logs:
            path: Path_ = (("services", s, "tracing", "service_name") if service.tracing.service_name is not None
                           else ("services", s, "logging", "service"))
            yield ctx.error("service-name-mismatch", f'service {service.name}: its spans are "{traces}" but its logs '
                            f'"{logs}": Tempo looks for a trace\'s logs under the span\'s service.name',
                            path, "give traces and logs the same name (or leave both to the service's name)")


def _log_selectors(ctx: CheckContext) -> Iterator[Diagnostic]:
    label = wiring.join_label(ctx.spec)
    own: dict[Path_, str] = {("services", s): wiring.log_service_name(service) for s, service in ctx.services()}
    log_names = set(own.values())
    # the name a service has elsewhere, when its logs carry another one
    elsewhere = {name: wiring.log_service_name(service) for service in ctx.spec.services
                 for name in (service.name, wiring.trace_service_name(service))
                 if name != wiring.log_service_name(service)}
    for expression in ctx.expressions("logql"):
        text, path, alerting = expression.text, expression.path, expression.role == "log-alert"
        result = analyse_logql(text, grafana=not alerting)
        if result.problems:
            continue  # the logql check reports it
        for labels, operators in zip(result.selectors, result.operators, strict=True):
            if alerting and label not in labels:
                yield _no_join_label(ctx, path, labels, label, own[path[:2]],
                                     _at(ctx, path, text, text[text.find("{"):text.find("}") + 1]))
                continue
            if operators.get(label) != "=":
                continue
            value = labels[label]
            if value in elsewhere and value not in log_names:
                yield ctx.error("log-service-name", f'no logs carry {label}="{value}": that service\'s logs carry '
                                f'"{elsewhere[value]}"', path, f'select {{{label}="{elsewhere[value]}"}}',
                                location=_at(ctx, path, text, f'"{value}"'))
            elif alerting and value != own[path[:2]]:
                yield ctx.warning("log-service-name", f'this log alert selects the logs of "{value}", but its '
                                  f'service\'s logs carry "{own[path[:2]]}" (and the alert its service label)', path,
                                  f'select {{{label}="{own[path[:2]]}"}}, or move the alert to that service',
                                  location=_at(ctx, path, text, f'"{value}"'))


def _at(ctx: CheckContext, path: Path_, text: str, needle: str) -> Location | None:
    """The first occurrence of `needle` in the query, as a place in the file (when the scalar allows it).
    Only for a finding: positions are composed lazily, and that is the expensive part."""
    offset = text.find(needle)
    return span_location(ctx.loaded, path, text, offset, len(needle)) if offset >= 0 else None


def _no_join_label(ctx: CheckContext, path: Path_, labels: dict[str, str], label: str, name: str,
                   where: Location | None) -> Diagnostic:
    """A log alert that does not select its service's logs by the join label: an error when it selects
    them by the seed's `service` though the logs carry the service under another name (stale wiring),
    else a warning (the shipper may label streams some other way)."""
    message = (f'the stream selector selects no "{label}" label: the telemetry modules write a service\'s name in '
               f'the "{label}" field, the label that joins its logs to it')
    hint = f'e.g. {{{label}="{name}"}}'
    if DEFAULT_JOIN_LABEL in labels and label != DEFAULT_JOIN_LABEL:
        return ctx.error("log-service-label", message, path, f'{hint}; or, to join by "{DEFAULT_JOIN_LABEL}", set '
                         f"telemetry.logging.fields.service: {DEFAULT_JOIN_LABEL}", location=where)
    return ctx.warning("log-service-label", message + "; unless the log shipper adds it, this alert sees no logs of "
                       "the service", path, hint, location=where)


def _export_endpoint(ctx: CheckContext) -> Iterator[Diagnostic]:
    endpoint = ctx.spec.telemetry.tracing.export_endpoint
    if endpoint is None:
        return
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        yield ctx.error("telemetry-endpoint", f'"{endpoint}" is not an http(s) URL with a host (where the '
                        "telemetry modules send spans over OTLP/HTTP)", EXPORT_PATH,
                        f"e.g. http://otel-collector:{OTLP_HTTP_PORT}")
        return
    port = port or DEFAULT_PORTS[parts.scheme]
    listeners = wiring.collector_listeners(ctx.spec)
    if listeners.get(port) == "OTLP/HTTP":
        return
    served = f"is the Collector's {listeners[port]} port" if port in listeners else \
        "is not a port the generated Collector config listens on"
    yield ctx.error("telemetry-export-port", f"port {port} of the export endpoint {served}: the telemetry modules "
                    "send spans over OTLP/HTTP, and they would be lost", EXPORT_PATH,
                    f"the generated Collector receives OTLP/HTTP on port {OTLP_HTTP_PORT}")

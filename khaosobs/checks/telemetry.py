"""The telemetry block: endpoints the Collector and Grafana configs are built from must be usable."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.naming import OTEL_RESERVED_PORTS, OTLP_HTTP_PORT
from khaosobs.spec.loader import Path_
from khaosobs.spec.model import Telemetry


def _endpoints(t: Telemetry) -> list[tuple[Path_, str, str]]:
    """(path, URL, what it is for) of every endpoint in the telemetry block."""
    return [
        (("telemetry", "metrics", "endpoint"), t.metrics.endpoint, "the Prometheus URL Grafana queries"),
        (("telemetry", "metrics", "alertmanager_endpoint"), t.metrics.alertmanager_endpoint,
         "the Alertmanager URL Grafana queries"),
        (("telemetry", "logging", "endpoint"), t.logging.endpoint, "the Loki base URL"),
        (("telemetry", "tracing", "tempo_query_endpoint"), t.tracing.tempo_query_endpoint,
         "the Tempo HTTP API Grafana queries"),
        (("telemetry", "tracing", "collector_endpoint"), t.tracing.collector_endpoint,
         "where applications send OTLP (gRPC)"),
        (("telemetry", "tracing", "tempo_endpoint"), t.tracing.tempo_endpoint, "Tempo's OTLP gRPC endpoint"),
    ]


def _split(url: str) -> tuple[SplitResult | None, int | None]:
    try:
        parts = urlsplit(url)
        return parts, parts.port  # .port raises on a port that is not a number or out of range
    except ValueError:
        return None, None


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    for path, url, what in _endpoints(ctx.spec.telemetry):
        parts, port = _split(url)
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            yield ctx.error("telemetry-endpoint", f'"{url}" is not an http(s) URL with a host ({what})', path,
                            "e.g. http://tempo:4317")
            continue
        if path[-1] == "tempo_endpoint" and port is None:
            yield ctx.error("telemetry-endpoint", f'"{url}" has no port: the Collector\'s OTLP gRPC exporter '
                            "refuses an endpoint without one", path, "Tempo's OTLP gRPC port is usually 4317")
        if path[-1] == "collector_endpoint" and port in OTEL_RESERVED_PORTS:
            yield ctx.error("telemetry-endpoint", f"port {port} of the collector endpoint is taken by another "
                            "listener of the generated Collector config", path,
                            f"OTLP/HTTP listens on {OTLP_HTTP_PORT}, Prometheus scrapes 8889, health on 13133; "
                            "the OTLP gRPC port is usually 4317")

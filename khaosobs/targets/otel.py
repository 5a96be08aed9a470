"""OpenTelemetry Collector (contrib, 2025 or later): OTLP in; metrics to Prometheus, logs to Loki,
traces to Tempo.

Choices (the user-facing reference for them):
- metrics leave through the `prometheus` exporter on 0.0.0.0:8889, which Prometheus scrapes
  (pull, like every other target; remote write would need Prometheus' receiver flag);
- logs go to Loki's native OTLP endpoint `<logging.endpoint>/otlp` with `otlphttp/loki` (the
  `loki` exporter is gone from contrib); the auth secret is sent as the `Authorization` header,
  whose whole value the secret holds (`Bearer …` or `Basic …`), read via `${env:NAME}`/`${file:/path}`;
- traces go to Tempo's OTLP gRPC endpoint with `otlp/tempo`; an `http://` endpoint means plaintext
  (`tls.insecure`);
- every pipeline runs memory_limiter first and batch last; receivers and the health check bind
  0.0.0.0 explicitly (the Collector's default became localhost).
- component names follow `targets.otelcol`: `otlp`/`otlphttp` below 0.144 (every 2025 release
  knows them); v0.144 (2026) renamed them `otlp_grpc`/`otlp_http` and keeps the old names as
  deprecated aliases that log a warning, so a target of 0.144 or later writes the new names.
  Upstream also steers batching towards the exporters' `sending_queue`; the batch processor
  still works in every supported release.
"""

from __future__ import annotations

from typing import Any

from khaosobs.domain import naming
from khaosobs.domain.versions import OTELCOL_OTLP_RENAME, otelcol_version
from khaosobs.domain.wiring import otlp_grpc_port
from khaosobs.output import OutputFile
from khaosobs.output.templating import Renderer
from khaosobs.spec.model import Spec

NAME = "otel"
DESCRIPTION = "OpenTelemetry Collector config: OTLP in; metrics to Prometheus, logs to Loki, traces to Tempo"


collector_literal = naming.dollar_literal  # the Collector expands `${…}` and `$NAME` in every value


def collector_secret(ref: str) -> str:
    """A secret reference as the Collector's own config providers."""
    return naming.secret_indirection(ref, env="${{env:{}}}", file="${{file:{}}}")


def loki_otlp_endpoint(endpoint: str) -> str:
    base = endpoint.rstrip("/")
    return base if base.endswith("/otlp") else f"{base}/otlp"


def otlp_exporter_names(otelcol: str) -> tuple[str, str]:
    """(gRPC, HTTP) OTLP exporter type names for the targeted Collector version."""
    if otelcol_version(otelcol) >= OTELCOL_OTLP_RENAME:
        return "otlp_grpc", "otlp_http"
    return "otlp", "otlphttp"


def collector_context(spec: Spec) -> dict[str, Any]:
    telemetry = spec.telemetry
    auth = telemetry.logging.auth_secret_ref
    tempo = telemetry.tracing.tempo_endpoint
    grpc_exporter, http_exporter = otlp_exporter_names(spec.targets.otelcol)
    return {
        "exporters": {"loki": f"{http_exporter}/loki", "tempo": f"{grpc_exporter}/tempo"},
        "loki_endpoint": collector_literal(loki_otlp_endpoint(telemetry.logging.endpoint)),
        "loki_headers": {"Authorization": collector_secret(auth)} if auth else {},
        "tempo_endpoint": collector_literal(tempo),
        "tempo_insecure": tempo.startswith("http://"),
        "grpc_endpoint": f"0.0.0.0:{otlp_grpc_port(telemetry.tracing.collector_endpoint)}",
        "http_endpoint": f"0.0.0.0:{naming.OTLP_HTTP_PORT}",
        "prometheus_endpoint": f"0.0.0.0:{naming.OTEL_PROMETHEUS_PORT}",
        "health_endpoint": f"0.0.0.0:{naming.OTEL_HEALTH_PORT}",
    }


def render(spec: Spec, renderer: Renderer) -> list[OutputFile]:
    return [
        renderer.file(
            NAME, "otel/collector.yaml.j2", naming.OTEL_COLLECTOR_PATH, "yaml", **collector_context(spec)
        )
    ]

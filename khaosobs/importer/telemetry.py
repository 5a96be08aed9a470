"""Grafana datasource provisioning and an OpenTelemetry Collector config -> the spec's `telemetry`.

Grafana gives the Prometheus, Alertmanager, Loki and Tempo query URLs (and Loki's auth header);
the Collector gives its OTLP gRPC port, Tempo's OTLP endpoint and Loki's OTLP endpoint. Secrets
come back as references in the tools' own indirection: `$__env{X}` / `${env:X}` -> `env:X`,
`$__file{p}` / `${file:p}` -> `file:p` (a Vault reference renders as an environment variable, so
it comes back as `env:`, which renders the same). Values equal to the spec's defaults are left out.
"""

from __future__ import annotations

import re
from typing import Any

from khaosobs.domain.naming import OTLP_GRPC_DEFAULT_PORT
from khaosobs.domain.versions import OTELCOL_OTLP_RENAME
from khaosobs.importer.report import ImportReport
from khaosobs.spec.model import LoggingTelemetry, MetricsTelemetry, TracingTelemetry

GRAFANA_SECRET = re.compile(r"\$__(env|file)\{([^}]*)\}")
COLLECTOR_SECRET = re.compile(r"\$\{(env|file):([^}]*)\}")
DATASOURCE_FIELDS = {"prometheus": ("metrics", "endpoint"), "alertmanager": ("metrics", "alertmanager_endpoint"),
                     "loki": ("logging", "endpoint"), "tempo": ("tracing", "tempo_query_endpoint")}
DEFAULTS = {"metrics": MetricsTelemetry(), "logging": LoggingTelemetry(), "tracing": TracingTelemetry()}
COLLECTOR_HOST = "otel-collector"  # only the port is in the Collector's config; the spec's default host


def _literal(value: str) -> str:
    """A Grafana provisioning or Collector value as written in the spec: `$$` is a literal `$`."""
    return value.replace("$$", "$")


def _secret_ref(value: str, pattern: re.Pattern[str]) -> str | None:
    match = pattern.fullmatch(value.strip())
    return f"{match[1]}:{match[2]}" if match else None


class TelemetryImport:
    """Collects `telemetry` from the inputs that hold it; a value two inputs disagree on is reported."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.values: dict[tuple[str, str], tuple[str, str]] = {}  # (block, field) -> (value, origin)
        # tracing.collector_endpoint comes in two halves: the OTLP gRPC port from the Collector's config,
        # the host from the Prometheus job scraping the Collector (khaosobs' own prometheus.yml)
        self.collector_port: tuple[int, str] | None = None
        self.collector_host: tuple[str, str] | None = None
        self.otelcol: str | None = None  # the oldest Collector release that has the exporter names read
        self.grafana: str | None = None  # targets.grafana, from the dashboards' schemaVersion

    def set(self, block: str, name: str, value: str, origin: str) -> None:
        known = self.values.get((block, name))
        if known is not None and known[0] != value:
            self.report.omit(origin, f"telemetry.{block}.{name} {value!r}: {known[1]} gives {known[0]!r}, kept")
            return
        self.values[(block, name)] = (value, origin)

    def datasources(self, provisioning: dict[str, Any], origin: str) -> None:
        for source in provisioning.get("datasources") or []:
            if not isinstance(source, dict):
                continue
            kind = str(source.get("type", ""))
            where = f"{origin}: datasource {source.get('name')!r}"
            if kind not in DATASOURCE_FIELDS or "url" not in source:
                self.report.omit(where, f"a {kind or 'typeless'} datasource (khaosobs provisions Prometheus, "
                                 "Alertmanager, Loki and Tempo)")
                continue
            block, name = DATASOURCE_FIELDS[kind]
            self.set(block, name, _literal(str(source["url"])), where)
            headers = source.get("jsonData") or {}
            secure = source.get("secureJsonData") or {}
            if kind == "loki" and headers.get("httpHeaderName1") == "Authorization":
                ref = _secret_ref(str(secure.get("httpHeaderValue1", "")), GRAFANA_SECRET)
                if ref is not None:
                    self.set("logging", "auth_secret_ref", ref, where)
                else:
                    self.report.omit(where, "an Authorization header that is not $__env{…} or $__file{…}")

    def collector(self, config: dict[str, Any], origin: str) -> None:
        receivers = config.get("receivers") or {}
        grpc = ((receivers.get("otlp") or {}).get("protocols") or {}).get("grpc") or {}
        endpoint = str(grpc.get("endpoint", ""))
        port = endpoint.rsplit(":", 1)[-1] if ":" in endpoint else ""
        if port.isdigit():
            self.collector_port = (int(port), origin)
        exporters = config.get("exporters") or {}
        # Collector 0.144 renamed otlp/otlphttp to otlp_grpc/otlp_http: the names say which targets.otelcol
        renamed = "otlp_grpc/tempo" in exporters or "otlp_http/loki" in exporters
        if renamed:
            self.otelcol = ".".join(str(part) for part in OTELCOL_OTLP_RENAME)
        tempo = exporters.get("otlp_grpc/tempo" if renamed else "otlp/tempo") or {}
        if "endpoint" in tempo:
            self.set("tracing", "tempo_endpoint", _literal(str(tempo["endpoint"])), origin)
        loki = exporters.get("otlp_http/loki" if renamed else "otlphttp/loki") or {}
        if "endpoint" in loki:
            base = _literal(str(loki["endpoint"]))
            self.set("logging", "endpoint", base[: -len("/otlp")] if base.endswith("/otlp") else base, origin)
            auth = (loki.get("headers") or {}).get("Authorization")
            if auth is not None:
                ref = _secret_ref(str(auth), COLLECTOR_SECRET)
                if ref is not None:
                    self.set("logging", "auth_secret_ref", ref, origin)
                else:
                    self.report.omit(origin, "a Loki Authorization header that is not ${env:…} or ${file:…}")
        ours = {"otlp", "prometheus", "otlp/tempo", "otlphttp/loki", "otlp_grpc/tempo", "otlp_http/loki",
                "memory_limiter", "batch", "health_check"}
        for section in ("receivers", "processors", "exporters", "extensions", "connectors"):
            for name in sorted(config.get(section) or {}):
                if name not in ours:
                    self.report.omit(origin, f"Collector {section[:-1]} {name!r} (khaosobs writes its own pipelines)")

    def telemetry(self) -> dict[str, Any]:
        """`telemetry` in the spec's key order, without the defaults."""
        if self.collector_port is not None or self.collector_host is not None:
            port, origin = self.collector_port or (OTLP_GRPC_DEFAULT_PORT, "")
            host, origin = self.collector_host or (COLLECTOR_HOST, origin)
            self.set("tracing", "collector_endpoint", f"http://{host}:{port}", origin)
        out: dict[str, Any] = {}
        for block, defaults in DEFAULTS.items():
            fields = {name: self.values[(block, name)][0] for name in type(defaults).model_fields
                      if (block, name) in self.values and self.values[(block, name)][0] != getattr(defaults, name)}
            if fields:
                out[block] = fields
        return out

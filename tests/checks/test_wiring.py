"""khaosobs.domain.wiring (the facts logs, traces and the stack share) and the cross-signal checks that use it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from khaosobs.commands.validate import validate_paths
from khaosobs.domain import wiring
from khaosobs.domain.routing import compile_go_regex
from khaosobs.spec.model import Spec


def spec(**telemetry: Any) -> Spec:
    return Spec.model_validate({"version": 1, "project": "shop", "telemetry": telemetry,
                                "services": [{"name": "checkout-api"}]})


def test_default_regex_is_the_one_grafana_always_had() -> None:
    assert wiring.trace_id_regex(spec()) == r'trace_id"?\s*[:=]\s*"?(\w+)' == wiring.DEFAULT_TRACE_ID_REGEX


@pytest.mark.parametrize("field", ["trace_id", "traceId", "trace.id", "tid"])
def test_derived_regex_finds_the_trace_id_whatever_the_field_is_called(field: str) -> None:
    wired = spec(logging={"fields": {"trace_id": field}})
    regex = compile_go_regex(wiring.trace_id_regex(wired))
    line = wiring.sample_log_line(wired)
    assert f'"{field}": "{wiring.SAMPLE_TRACE_ID}"' in line
    assert wiring.extract_trace_id(regex, line) == wiring.SAMPLE_TRACE_ID
    assert wiring.extract_trace_id(regex, line.replace(wiring.SAMPLE_TRACE_ID, "")) is None


def test_sample_line_is_the_seed_format_in_order() -> None:
    record = yaml.safe_load(wiring.sample_log_line(spec(logging={"fields": {"message": "msg"}})))
    assert list(record) == ["timestamp", "level", "service", "trace_id", "span_id", "msg", "context"]


@pytest.mark.parametrize(("collector", "export", "url"), [
    ("http://otel-collector.observability:4317", None, "http://otel-collector.observability:4318/v1/traces"),
    ("https://collector:14317", None, "https://collector:4318/v1/traces"),
    ("http://[::1]:4317", None, "http://[::1]:4318/v1/traces"),
    ("http://otel-collector:4317", "http://gateway:4318/", "http://gateway:4318/v1/traces"),
    ("http://otel-collector:4317", "https://otlp.example.com/custom/traces", "https://otlp.example.com/custom/traces"),
])
def test_export_endpoint(collector: str, export: str | None, url: str) -> None:
    wired = spec(tracing={"collector_endpoint": collector, "export_endpoint": export})
    assert wiring.traces_url(wiring.export_endpoint(wired)) == url


def test_collector_listeners_follow_the_collector_endpoint() -> None:
    listeners = wiring.collector_listeners(spec(tracing={"collector_endpoint": "http://c:14317"}))
    assert listeners == {14317: "OTLP/gRPC", 4318: "OTLP/HTTP", 8889: "the Prometheus exporter",
                         13133: "the health check"}


def findings(tmp_path: Path, text: str) -> list[tuple[str, str, int | None]]:
    (tmp_path / "spec.yaml").write_text(text, encoding="utf-8")
    validation = validate_paths([tmp_path / "spec.yaml"])
    return [(d.severity.value, d.code, d.location.line if d.location else None)
            for d in validation.diagnostics.sorted()]


BASE = """version: 1
project: shop
services:
  - name: checkout-api
    tracing: {service_name: checkout}
    logging: {service: checkout}
    log_alerts:
      - name: Panics
        severity: critical
        summary: panics
        expr: %s
dashboards:
  - title: Logs
    panels:
      - {title: Errors, type: logs, logql: '%s'}
"""


@pytest.mark.parametrize(("alert", "panel", "expected"), [
    # the logs' name everywhere: nothing to say
    ('sum(count_over_time({service="checkout"}[5m])) > 0', '{service="checkout"}', []),
    # the spec name / trace name where logs carry another: an error, at the value
    ('sum(count_over_time({service="checkout"}[5m])) > 0', '{service="checkout-api"}',
     [("error", "log-service-name", 15)]),
    # a regex matcher names no single service: not judged
    ('sum(count_over_time({service=~"check.*"}[5m])) > 0', '{service=~"checkout-api|x"}', []),
    # another label than the join label: a warning (a shipper may add it)
    ('sum(count_over_time({app="checkout"}[5m])) > 0', '{app="checkout"}', [("warning", "log-service-label", 11)]),
    # a log alert about logs of a service the spec does not know: a warning
    ('sum(count_over_time({service="payments"}[5m])) > 0', '{service="payments"}',
     [("warning", "log-service-name", 11)]),
])
def test_log_selectors(tmp_path: Path, alert: str, panel: str, expected: list[tuple[str, str, int]]) -> None:
    assert findings(tmp_path, BASE % (alert, panel)) == expected


@pytest.mark.parametrize(("export", "expected"), [
    ("http://otel-collector:4318", []),
    ("http://otel-collector", [("error", "telemetry-export-port", 7)]),  # port 80
    ("http://otel-collector:8889", [("error", "telemetry-export-port", 7)]),
    ("otel-collector:4318", [("error", "telemetry-endpoint", 7)]),
])
def test_export_endpoint_check(tmp_path: Path, export: str, expected: list[tuple[str, str, int]]) -> None:
    text = ("version: 1\nproject: shop\ntelemetry:\n  tracing:\n    collector_endpoint: http://otel-collector:4317\n"
            f"\n    export_endpoint: {export}\n")
    assert findings(tmp_path, text) == expected


def test_service_field_must_be_a_label_name(tmp_path: Path) -> None:
    text = "version: 1\nproject: shop\ntelemetry:\n  logging:\n    fields: {service: service.name}\n"
    assert findings(tmp_path, text) == [("error", "log-fields", 5)]


def test_a_regex_grafana_cannot_compile(tmp_path: Path) -> None:
    text = "version: 1\nproject: shop\ntelemetry:\n  logging:\n    trace_id_regex: 'trace_id(?=x)'\n"
    assert findings(tmp_path, text) == [("error", "log-trace-id-regex", 5)]

"""OpenTelemetry Collector target: the config keeps the Collector's own rules (tests/support/otel_rules.py,
as there is no Collector binary here), routes each signal where the spec says, and keeps secrets
as `${env:…}`/`${file:…}` references."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from khaosobs.commands.validate import validate_paths
from khaosobs.domain import naming
from khaosobs.domain.versions import otelcol_version
from khaosobs.targets import otel
from tests.conftest import EXAMPLE_SPECS, render_spec, rendered_once
from tests.support import otel_rules

COLLECTOR = naming.OTEL_COLLECTOR_PATH
Rendered = Callable[[Path], Path]


def _render(spec: Path, out: Path) -> Path:
    return render_spec(spec, out, "otel")


def _config(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((out / COLLECTOR).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def rendered() -> Rendered:
    return lambda spec: rendered_once(spec, "otel")


def _spec_with_telemetry(tmp_path: Path, telemetry: dict[str, Any]) -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        yaml.safe_dump({"version": 1, "project": "otel-lab", "telemetry": telemetry}), encoding="utf-8"
    )
    return spec


specs = pytest.mark.parametrize("spec", EXAMPLE_SPECS, ids=lambda p: p.stem)


@specs
def test_collector_config_keeps_the_collectors_rules(spec: Path, rendered: Rendered) -> None:
    assert otel_rules.problems(_config(rendered(spec))) == []


@specs
def test_each_signal_goes_where_the_spec_says(spec: Path, rendered: Rendered) -> None:
    config = _config(rendered(spec))
    validation = validate_paths([spec], run_checks=False)
    assert validation.spec is not None
    telemetry = validation.spec.telemetry
    assert config["receivers"] == {
        "otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}, "http": {"endpoint": "0.0.0.0:4318"}}}
    }
    assert config["processors"]["memory_limiter"] == {
        "check_interval": "1s",
        "limit_percentage": 80,
        "spike_limit_percentage": 20,
    }
    pipelines = config["service"]["pipelines"]
    assert {name: p["exporters"] for name, p in pipelines.items()} == {
        "metrics": ["prometheus"],
        "logs": ["otlphttp/loki"],
        "traces": ["otlp/tempo"],
    }
    assert all(p["processors"] == ["memory_limiter", "batch"] for p in pipelines.values())
    exporters = config["exporters"]
    assert exporters["prometheus"]["endpoint"] == "0.0.0.0:8889"
    assert exporters["otlphttp/loki"]["endpoint"] == telemetry.logging.endpoint.rstrip("/") + "/otlp"
    assert exporters["otlp/tempo"]["endpoint"] == telemetry.tracing.tempo_endpoint
    insecure = telemetry.tracing.tempo_endpoint.startswith("http://")
    assert exporters["otlp/tempo"].get("tls", {}).get("insecure", False) is insecure
    assert config["extensions"] == {"health_check": {"endpoint": "0.0.0.0:13133"}}
    assert config["service"]["extensions"] == ["health_check"]


def test_the_seed_loki_secret_is_an_env_reference(rendered: Rendered) -> None:
    loki = _config(rendered(EXAMPLE_SPECS[0]))["exporters"]["otlphttp/loki"]
    assert loki["headers"] == {"Authorization": "${env:LOKI_AUTH}"}  # vault://kv/observability/loki_auth


@pytest.mark.parametrize(
    ("ref", "headers"),
    [
        ("file:/run/secrets/loki-auth", {"Authorization": "${file:/run/secrets/loki-auth}"}),
        ("env:LOKI_TOKEN", {"Authorization": "${env:LOKI_TOKEN}"}),
        ("vault://kv/data/observability/loki#token", {"Authorization": "${env:LOKI_TOKEN}"}),
        (None, None),
    ],
)
def test_loki_auth_through_the_cli(tmp_path: Path, ref: str | None, headers: dict[str, str] | None) -> None:
    logging = {"provider": "loki", "endpoint": "http://loki:3100/"} | (
        {"auth_secret_ref": ref} if ref else {}
    )
    config = _config(_render(_spec_with_telemetry(tmp_path, {"logging": logging}), tmp_path / "generated"))
    assert config["exporters"]["otlphttp/loki"].get("headers") == headers
    assert config["exporters"]["otlphttp/loki"]["endpoint"] == "http://loki:3100/otlp"
    assert otel_rules.problems(config) == []


def test_a_tls_tempo_endpoint_is_not_marked_insecure(tmp_path: Path) -> None:
    tracing = {"provider": "otel", "tempo_endpoint": "https://tempo.example.com:4317"}
    config = _config(_render(_spec_with_telemetry(tmp_path, {"tracing": tracing}), tmp_path / "generated"))
    assert config["exporters"]["otlp/tempo"] == {"endpoint": "https://tempo.example.com:4317"}
    assert otel_rules.problems(config) == []


@pytest.mark.parametrize(("collector_endpoint", "grpc"), [
    ("http://otel-collector.observability:4317", "0.0.0.0:4317"),
    ("http://otel-collector.observability:14317", "0.0.0.0:14317"),
    ("http://otel-collector.observability", "0.0.0.0:4317"),
])
def test_the_grpc_receiver_listens_where_applications_are_told_to_send(
    tmp_path: Path, collector_endpoint: str, grpc: str
) -> None:
    tracing = {"provider": "otel", "collector_endpoint": collector_endpoint}
    config = _config(_render(_spec_with_telemetry(tmp_path, {"tracing": tracing}), tmp_path / "generated"))
    protocols = config["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == grpc
    assert protocols["http"]["endpoint"] == "0.0.0.0:4318"
    assert otel_rules.problems(config) == []


def test_spec_text_cannot_become_a_collector_reference() -> None:
    assert otel.collector_literal("http://loki:3100/${env:HOME}") == "http://loki:3100/$${env:HOME}"
    assert otel.loki_otlp_endpoint("http://loki:3100/otlp/") == "http://loki:3100/otlp"


@pytest.mark.parametrize(
    ("ref", "name"),
    [
        ("vault://kv/observability/loki_auth", "LOKI_AUTH"),
        ("vault://kv/data/loki#password", "LOKI_PASSWORD"),
        ("vault://secret/grafana-admin/", "GRAFANA_ADMIN"),
        ("vault://kv/2fa.seed", "SECRET_2FA_SEED"),
        ("env:DISCORD_WEBHOOK", "DISCORD_WEBHOOK"),
    ],
)
def test_secret_env_name(ref: str, name: str) -> None:
    assert naming.secret_env_name(ref) == name


def test_a_file_reference_has_no_env_name() -> None:
    with pytest.raises(ValueError, match="file reference"):
        naming.secret_env_name("file:/run/secrets/x")


# --- the rules checker can fail ----------------------------------------------------------------


def _mutate(config: dict[str, Any], mutation: str) -> None:
    pipelines = config["service"]["pipelines"]
    exporters = config["exporters"]
    if mutation == "no-memory-limiter":
        pipelines["logs"]["processors"] = ["batch"]
    elif mutation == "memory-limiter-last":
        pipelines["traces"]["processors"] = ["batch", "memory_limiter"]
    elif mutation == "loki-exporter":
        exporters["loki"] = {"endpoint": "http://loki:3100/loki/api/v1/push"}
        pipelines["logs"]["exporters"] = ["loki"]
        del exporters["otlphttp/loki"]
    elif mutation == "logging-exporter":
        exporters["logging"] = {}
        pipelines["logs"]["exporters"].append("logging")
    elif mutation == "undefined-exporter":
        pipelines["metrics"]["exporters"] = ["prometheusremotewrite"]
    elif mutation == "unused-exporter":
        exporters["debug"] = {}
    elif mutation == "no-receivers":
        pipelines["traces"]["receivers"] = []
    elif mutation == "localhost-bind":
        config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] = "localhost:4317"
    elif mutation == "implicit-bind":
        config["receivers"]["otlp"]["protocols"]["http"] = None
    elif mutation == "literal-token":
        exporters["otlphttp/loki"]["headers"] = {"Authorization": "Bearer abcdef0123456789"}
    elif mutation == "shell-style-env":
        exporters["otlphttp/loki"]["headers"] = {"Authorization": "$LOKI_AUTH"}
    elif mutation == "braced-env-without-provider":
        exporters["otlphttp/loki"]["headers"] = {"Authorization": "${LOKI_AUTH}"}
    elif mutation == "webhook-in-url":
        exporters["otlphttp/loki"]["endpoint"] = "https://discord.com/api/webhooks/123456/abcDEF_token"
    elif mutation == "extension-not-enabled":
        config["service"]["extensions"] = []
    elif mutation == "unknown-signal":
        pipelines["events"] = pipelines.pop("logs")
    elif mutation == "no-pipelines":
        config["service"]["pipelines"] = {}


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        ("no-memory-limiter", "memory_limiter must be the first processor"),
        ("memory-limiter-last", "batch must be the last processor"),
        ("loki-exporter", "exporters: loki was removed"),
        ("logging-exporter", "exporters: logging was removed"),
        ("undefined-exporter", "exporter prometheusremotewrite is not defined"),
        ("unused-exporter", "exporters: debug is defined but no pipeline uses it"),
        ("no-receivers", "service.pipelines.traces has no receivers"),
        ("localhost-bind", "should bind 0.0.0.0:<port> explicitly"),
        ("implicit-bind", "no endpoint, so it binds localhost only"),
        ("literal-token", "a secret setting must be only"),
        ("shell-style-env", "uses `$` other than"),
        ("braced-env-without-provider", "uses `$` other than"),
        ("webhook-in-url", "looks like a literal secret"),
        ("extension-not-enabled", "health_check is defined but not enabled"),
        ("unknown-signal", "'events' is not a signal"),
        ("no-pipelines", "service.pipelines is empty"),
    ],
)
def test_the_rules_reject_a_broken_config(rendered: Rendered, mutation: str, message: str) -> None:
    good = _config(rendered(EXAMPLE_SPECS[0]))
    assert otel_rules.problems(good) == []
    broken = copy.deepcopy(good)
    _mutate(broken, mutation)
    problems = otel_rules.problems(broken)
    assert any(message in p for p in problems), problems


def test_the_rules_reject_what_is_not_a_config() -> None:
    assert otel_rules.problems(["not", "a", "mapping"]) == ["the config is not a mapping"]


# --- snapshots ---------------------------------------------------------------------------------




@pytest.mark.parametrize(("otelcol", "loki", "tempo"), [
    (None, "otlphttp/loki", "otlp/tempo"),        # the default target: a 2025 Collector
    ("0.143.1", "otlphttp/loki", "otlp/tempo"),
    ("0.144", "otlp_http/loki", "otlp_grpc/tempo"),  # v0.144 renamed the OTLP exporters
    ("1.2.0", "otlp_http/loki", "otlp_grpc/tempo"),
])
def test_exporter_names_follow_the_targeted_collector(tmp_path: Path, otelcol: str | None, loki: str,
                                                      tempo: str) -> None:
    spec = tmp_path / "spec.yaml"
    data: dict[str, Any] = {"version": 1, "project": "otel-lab"}
    if otelcol is not None:
        data["targets"] = {"otelcol": otelcol}
    spec.write_text(yaml.safe_dump(data), encoding="utf-8")
    config = _config(_render(spec, tmp_path / "out"))
    assert set(config["exporters"]) == {"prometheus", loki, tempo}
    assert config["service"]["pipelines"]["logs"]["exporters"] == [loki]
    assert config["service"]["pipelines"]["traces"]["exporters"] == [tempo]
    version = otelcol_version(otelcol or "0.117")
    assert otel_rules.problems(config, version) == []
    # the rule is real: the other generation's names are refused for this version
    other = {"otlp_http/loki": "otlphttp/loki", "otlp_grpc/tempo": "otlp/tempo",
             "otlphttp/loki": "otlp_http/loki", "otlp/tempo": "otlp_grpc/tempo"}
    swapped = copy.deepcopy(config)
    for name in (loki, tempo):
        swapped["exporters"][other[name]] = swapped["exporters"].pop(name)
    for signal in ("logs", "traces"):
        pipeline = swapped["service"]["pipelines"][signal]
        pipeline["exporters"] = [other[e] for e in pipeline["exporters"]]
    assert len(otel_rules.problems(swapped, version)) == 2


def test_an_unreadable_collector_target_is_an_error(tmp_path: Path, khaosobs: Callable[..., Any]) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nproject: otel-lab\ntargets: {otelcol: \"0.100\"}\n", encoding="utf-8")
    result = khaosobs("validate", spec, "--format", "json")
    assert result.returncode == 1
    assert '"otelcol-version"' in result.stdout

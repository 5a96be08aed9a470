"""The telemetry target: each generated `<service>_telemetry.py` runs for real.

A clean virtual environment gets exactly the pip line the generated module's docstring documents
(cached across sessions under pytest's temporary root, keyed by that line). One service's module
runs a traced function that logs through `logging` and structlog and calls a second service,
propagating the context in W3C headers; the second service's module continues the trace. Both
export over OTLP/HTTP to a receiver this test runs on 127.0.0.1, and the protobuf requests are
decoded with `opentelemetry-proto` in the venv. The log lines are held to the generated Grafana
datasources: the Loki derived field's regex and Tempo's trace-to-logs join label.
"""

from __future__ import annotations

import ast
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from khaosobs.domain.naming import GRAFANA_DATASOURCES_PATH, telemetry_module_path
from khaosobs.domain.routing import compile_go_regex
from tests.conftest import SPECS, render_spec

EXAMPLE = SPECS / "strategickhaos.yaml"
# A spec whose wiring differs from every default: renamed log fields, an explicit export endpoint,
# trace and log names set per service (the same, as the checks require).
RENAMED = """version: 1
project: shop
telemetry:
  logging:
    fields: {trace_id: traceId, span_id: spanId, service: app, message: msg, context: extra, level: severity,
             timestamp: ts}
  tracing:
    collector_endpoint: "http://collector.shop:4317"
    export_endpoint: "http://collector.shop:4318"
services:
  - name: checkout-api
    tracing: {service_name: checkout}
    logging: {service: checkout}
  - name: payments
"""

CALLER = r'''
import importlib.util, json, logging, sys
spec = importlib.util.spec_from_file_location("telemetry", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
provider = module.configure(endpoint=sys.argv[2])
assert module.configure() is provider, "a second configure() changes nothing"
from opentelemetry import propagate, trace
import structlog

logging.getLogger("outside").warning("no span yet")
tracer = trace.get_tracer("probe")

def deploy(env):
    with tracer.start_as_current_span("deploy_command") as span:
        span.set_attribute("deployment.env", env)
        logging.getLogger("probe").info("stdlib %s", "line", extra={"command": "/status"})
        structlog.get_logger().info("command_executed", command="/deploy", user_id=123456789)
        headers = {}
        propagate.inject(headers)
        return span.get_span_context(), headers

ctx, headers = deploy("prod")
provider.force_flush()
print(json.dumps({"trace_id": format(ctx.trace_id, "032x"), "span_id": format(ctx.span_id, "016x"),
                  "headers": headers}))
'''

CALLEE = r'''
import importlib.util, json, logging, sys
spec = importlib.util.spec_from_file_location("telemetry", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
provider = module.configure()  # the endpoint from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
from opentelemetry import propagate, trace

headers = json.loads(sys.argv[2])
with trace.get_tracer("probe").start_as_current_span("handle_webhook", context=propagate.extract(headers)) as span:
    logging.getLogger("probe").error("signature verification failed", extra={"source": "github"})
    ctx = span.get_span_context()
provider.force_flush()
print(json.dumps({"trace_id": format(ctx.trace_id, "032x"), "span_id": format(ctx.span_id, "016x")}))
'''

DECODE = r'''
import json, sys
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
spans = []
for path in sys.argv[1:]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(open(path, "rb").read())
    for resource_spans in request.resource_spans:
        attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append({"name": span.name, "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                              "parent_span_id": span.parent_span_id.hex(), "resource": attributes})
print(json.dumps(spans))
'''


def pip_line(module_source: str) -> list[str]:
    """The packages the generated module's docstring tells a service author to install."""
    docstring = ast.get_docstring(ast.parse(module_source)) or ""
    lines = [line.strip() for line in docstring.splitlines() if line.strip().startswith("pip install ")]
    assert len(lines) == 1, "the docstring documents one pip line"
    return lines[0].split()[2:]


@pytest.fixture(scope="module")
def example_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_spec(EXAMPLE, tmp_path_factory.mktemp("example") / "generated", "telemetry", "grafana")


@pytest.fixture(scope="module")
def venv_python(example_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean venv with the documented extras, made once and kept (pip is the slow part)."""
    source = (example_out / telemetry_module_path("discord-ops-bot")).read_text(encoding="utf-8")
    packages = [*pip_line(source), "opentelemetry-proto"]  # the proto package only to decode here
    key = hashlib.sha256(" ".join([sys.version, *packages]).encode()).hexdigest()[:12]
    venv = tmp_path_factory.getbasetemp().parent / f"khaosobs-telemetry-venv-{key}"
    python = venv / "bin" / "python"
    if not (venv / "ready").exists():
        building = venv.with_name(f"{venv.name}.{os.getpid()}")
        shutil.rmtree(building, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", building], check=True, timeout=300)
        result = subprocess.run([building / "bin" / "python", "-m", "pip", "install", "-q",
                                 "--disable-pip-version-check", *packages],
                                capture_output=True, text=True, timeout=600, check=False)
        assert result.returncode == 0, result.stderr
        (building / "ready").write_text(" ".join(packages), encoding="utf-8")
        try:
            building.rename(venv)  # scripts in bin/ keep the old path: only its `python` is used below
        except OSError:  # another session finished first
            if not (venv / "ready").exists():
                raise
            shutil.rmtree(building, ignore_errors=True)
    check = subprocess.run([python, "-c", "import opentelemetry.sdk, structlog"], capture_output=True,
                           text=True, check=False)
    assert check.returncode == 0, check.stderr
    return python


class Receiver(http.server.ThreadingHTTPServer):
    """An OTLP/HTTP traces endpoint: keeps every request, answers an empty ExportTraceServiceResponse."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []
        super().__init__(("127.0.0.1", 0), ReceiverHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1/traces"


class ReceiverHandler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.requests.append((self.path, self.headers.get("Content-Type", ""), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def run(python: Path, script: str, *args: str, env: dict[str, str] | None = None) -> tuple[dict[str, Any], list[str]]:
    """Run a probe in the venv: its JSON result (stdout) and its log lines (stderr)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    result = subprocess.run([python, "-c", script, *args], capture_output=True, text=True, timeout=120,
                            env={**clean, **(env or {})}, check=False)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data, result.stderr.splitlines()


def datasources(out: Path) -> tuple[re.Pattern[str], str]:
    """The Loki derived field's regex and the label Tempo's trace-to-logs query puts service.name in."""
    doc = yaml.safe_load((out / GRAFANA_DATASOURCES_PATH).read_text(encoding="utf-8"))
    by_type = {d["type"]: d for d in doc["datasources"]}
    [derived] = by_type["loki"]["jsonData"]["derivedFields"]
    regex = derived["matcherRegex"].replace("$$", "$")  # Grafana's provisioning escape
    [tag] = by_type["tempo"]["jsonData"]["tracesToLogsV2"]["tags"]
    assert tag["key"] == "service.name"
    return compile_go_regex(regex), tag["value"]


def decode(python: Path, receiver: Receiver, tmp_path: Path) -> list[dict[str, Any]]:
    files = []
    for i, (path, content_type, body) in enumerate(receiver.requests):
        assert path == "/v1/traces"
        assert content_type == "application/x-protobuf"
        files.append(tmp_path / f"request-{i}.bin")
        files[-1].write_bytes(body)
    result = subprocess.run([python, "-c", DECODE, *map(str, files)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    spans: list[dict[str, Any]] = json.loads(result.stdout)
    return spans


def module_constants(path: Path) -> dict[str, Any]:
    """The generated module's literal constants, read without importing it (no OTel here)."""
    found: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return found


def check_log_line(line: str, fields: dict[str, str], service: str, trace_id: str, span_id: str,
                   regex: re.Pattern[str], label: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(line)
    assert list(record) == list(fields.values()), "the seed's fields, in its order"
    assert record[fields["service"]] == service
    assert record[fields["trace_id"]] == trace_id
    assert record[fields["span_id"]] == span_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record[fields["timestamp"]])
    match = regex.search(line)
    assert match is not None and match.group(1) == trace_id, "Grafana's derived field finds exactly the trace id"
    assert fields["service"] == label, "Tempo's trace-to-logs query selects the label the logs carry"
    return record


def test_example_services_trace_and_log_across_a_propagated_call(
        example_out: Path, venv_python: Path, receiver: Receiver, tmp_path: Path) -> None:
    regex, label = datasources(example_out)
    bot = example_out / telemetry_module_path("discord-ops-bot")
    gateway = example_out / telemetry_module_path("event-gateway")
    fields = module_constants(bot)["LOG_FIELDS"]

    caller, caller_logs = run(venv_python, CALLER, str(bot), receiver.url)
    callee, callee_logs = run(venv_python, CALLEE, str(gateway), json.dumps(caller["headers"]),
                              env={"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.url})

    version, trace_id, parent_id, flags = caller["headers"]["traceparent"].split("-")  # W3C Trace Context
    assert (version, trace_id, parent_id) == ("00", caller["trace_id"], caller["span_id"])
    assert int(flags, 16) & 1, "sampled"
    outside, stdlib, structured = caller_logs
    outside_record = json.loads(outside)
    assert (outside_record["trace_id"], outside_record["span_id"]) == ("", "")
    assert regex.search(outside) is None, "a line outside a span links to no trace"
    record = check_log_line(stdlib, fields, "discord-ops-bot", caller["trace_id"], caller["span_id"], regex, label)
    assert (record["level"], record["message"], record["context"]) == ("INFO", "stdlib line", {"command": "/status"})
    record = check_log_line(structured, fields, "discord-ops-bot", caller["trace_id"], caller["span_id"], regex,
                            label)
    assert (record["message"], record["context"]) == ("command_executed", {"command": "/deploy",
                                                                           "user_id": 123456789})
    [callee_line] = callee_logs
    record = check_log_line(callee_line, fields, "event-gateway", caller["trace_id"], callee["span_id"], regex, label)
    assert (record["level"], record["context"]) == ("ERROR", {"source": "github"})

    spans = {span["name"]: span for span in decode(venv_python, receiver, tmp_path)}
    assert set(spans) == {"deploy_command", "handle_webhook"}
    deploy, webhook = spans["deploy_command"], spans["handle_webhook"]
    assert deploy["resource"]["service.name"] == "discord-ops-bot"
    assert webhook["resource"]["service.name"] == "event-gateway"
    assert deploy["resource"]["service.namespace"] == webhook["resource"]["service.namespace"] == "strategickhaos"
    assert (deploy["trace_id"], deploy["span_id"], deploy["parent_span_id"]) == \
        (caller["trace_id"], caller["span_id"], "")
    assert (webhook["trace_id"], webhook["span_id"], webhook["parent_span_id"]) == \
        (caller["trace_id"], callee["span_id"], caller["span_id"])


def test_renamed_fields_and_names_stay_joined(venv_python: Path, receiver: Receiver, tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(RENAMED, encoding="utf-8")
    out = render_spec(tmp_path / "shop.yaml", tmp_path / "generated", "telemetry", "grafana", cwd=tmp_path)
    regex, label = datasources(out)
    module = out / telemetry_module_path("checkout-api")
    constants = module_constants(module)
    assert constants["OTLP_TRACES_ENDPOINT"] == "http://collector.shop:4318/v1/traces"
    fields = constants["LOG_FIELDS"]
    assert label == fields["service"] == "app"

    caller, logs = run(venv_python, CALLER, str(module), receiver.url)
    for line in logs[1:]:
        check_log_line(line, fields, "checkout", caller["trace_id"], caller["span_id"], regex, label)
    [deploy] = decode(venv_python, receiver, tmp_path)
    assert deploy["resource"]["service.name"] == "checkout"
    assert deploy["resource"]["service.namespace"] == "shop"
    assert deploy["trace_id"] == caller["trace_id"]


def test_generated_modules_are_mypy_strict_clean(example_out: Path, venv_python: Path) -> None:
    """Typed against the real OpenTelemetry and structlog packages (both ship type information)."""
    modules = sorted(example_out.glob("instrumentation/python/*_telemetry.py"))
    assert [m.name for m in modules] == ["discord_ops_bot_telemetry.py", "event_gateway_telemetry.py"]
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull,
                             "--python-executable", str(venv_python), *map(str, modules)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


WITHOUT_STRUCTLOG = r'''
import importlib.util, json, logging, sys
sys.modules["structlog"] = None  # not installed: importing it raises ImportError
spec = importlib.util.spec_from_file_location("telemetry", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
provider = module.configure(endpoint=sys.argv[2], stream=sys.stdout, level="WARNING")
from opentelemetry import trace
with trace.get_tracer("probe").start_as_current_span("job") as span:
    logging.getLogger("probe").info("below the level")
    try:
        1 / 0
    except ZeroDivisionError:
        logging.getLogger("probe").exception("job failed")
provider.force_flush()
'''


def test_without_structlog_logging_alone_is_configured(example_out: Path, venv_python: Path,
                                                        receiver: Receiver) -> None:
    module = example_out / telemetry_module_path("event-gateway")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    result = subprocess.run([venv_python, "-c", WITHOUT_STRUCTLOG, str(module), receiver.url], capture_output=True,
                            text=True, timeout=120, env=clean, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", "configure(stream=...) sends every line there"
    [line] = result.stdout.splitlines()
    record = json.loads(line)
    assert (record["level"], record["message"], record["service"]) == ("ERROR", "job failed", "event-gateway")
    assert record["context"]["exception"].endswith("ZeroDivisionError: division by zero")
    assert len(record["trace_id"]) == 32 and len(record["span_id"]) == 16
    assert len(receiver.requests) == 1

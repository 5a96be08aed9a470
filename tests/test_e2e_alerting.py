"""End to end: a real Prometheus runs the prometheus.yml khaosobs renders (its rule files, its
Alertmanager, its scrape job) and a real Alertmanager routes the alerts with the config khaosobs
renders (every file loaded unchanged) to local webhook receivers.

tests/specs/e2e.yaml is the spec; its webhook URLs name 127.0.0.1:9 (nothing listens there) and its
Alertmanager and scrape target name ports 19093 and 19100, which this test replaces with its own
before rendering. The scrape target is a separate process serving the service's metrics through
its generated prometheus_client module (instrumentation/python/e2e_svc_metrics.py); setting its
gauges fires and resolves the alerts.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from khaosobs.domain import naming
from khaosobs.domain.naming import python_metric_identifier
from tests.conftest import ROOT, run_khaosobs
from tests.support.realtools import stop

pytestmark = pytest.mark.realtools

E2E_SPEC = ROOT / "tests" / "specs" / "e2e.yaml"
PLACEHOLDER = "http://127.0.0.1:9/"
ALERTMANAGER_PLACEHOLDER = "127.0.0.1:19093"
TARGET_PLACEHOLDER = "127.0.0.1:19100"
SERVICE = "e2e-svc"
DEADLINE = 60.0  # seconds; delivery takes ~5 s (scrape 1 s, for 2 s, group_wait 1 s)
QUIET = 3.0  # seconds to wait for a notification that must not come (3 group intervals)
PATHS = ("/default", "/critical", "/warnings")


def binary(name: str) -> str:
    path = f"/usr/bin/{name}"
    if os.access(path, os.X_OK):
        return path
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: the end-to-end test needs the real binary "
                    "(Debian: apt-get install prometheus prometheus-alertmanager)")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The service's side: its generated module, imported from the rendered file, served by
# prometheus_client's own HTTP server; each stdin line `IDENTIFIER VALUE` sets a gauge.
EXPORTER = """
import importlib.util, sys
from prometheus_client import start_http_server
spec = importlib.util.spec_from_file_location("service_metrics", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
for assignment in sys.argv[3:]:
    name, value = assignment.split("=")
    getattr(module, name).set(float(value))
start_http_server(int(sys.argv[2]), addr="127.0.0.1")
print("ready", flush=True)
for line in sys.stdin:
    name, value = line.split()
    getattr(module, name).set(float(value))
    print("ok", flush=True)
"""


class Exporter:
    """The service: a process serving its metrics through its generated prometheus_client module."""

    def __init__(self, module: Path, port: int, **initial: float) -> None:
        self.port = port
        self.process = subprocess.Popen(
            [sys.executable, "-c", EXPORTER, str(module), str(port),
             *(f"{python_metric_identifier(name)}={value}" for name, value in initial.items())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            pytest.fail(f"the exporter of {module.name} did not start")

    def set(self, **values: float) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        for name, value in values.items():
            self.process.stdin.write(f"{python_metric_identifier(name)} {value}\n")
            self.process.stdin.flush()
            assert self.process.stdout.readline().strip() == "ok"


@dataclass
class Notification:
    at: float  # time.monotonic() when it arrived
    path: str
    body: dict[str, Any]

    def alerts(self, alertname: str, status: str | None = None) -> list[dict[str, Any]]:
        return [a for a in self.body.get("alerts", []) if a["labels"].get("alertname") == alertname
                and (status is None or a["status"] == status)]


@dataclass
class Receiver:
    """Records every POST Alertmanager makes, by path (one path per receiver)."""

    received: list[Notification] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with receiver.lock:
                    receiver.received.append(Notification(time.monotonic(), self.path, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def find(self, path: str | None, alertname: str, status: str | None = None,
             since: float = 0.0) -> list[Notification]:
        with self.lock:
            return [n for n in self.received if n.at >= since and (path is None or n.path == path)
                    and n.alerts(alertname, status)]

    def summary(self) -> str:
        with self.lock:
            lines = [f"  {n.path} {n.body.get('status')} "
                     f"{[(a['labels'].get('alertname'), a['status']) for a in n.body.get('alerts', [])]}"
                     for n in self.received]
        return "\n".join(lines) or "  (nothing)"


@dataclass
class Stack:
    exporter: Exporter
    receiver: Receiver
    alertmanager_url: str
    prometheus_url: str
    logs: dict[str, Path]
    started: float

    def diagnosis(self) -> str:
        tails = "\n".join(f"--- {name} (last lines)\n" + tail(path) for name, path in self.logs.items())
        return f"notifications received:\n{self.receiver.summary()}\n{tails}"

    def wait_for(self, what: str, found: Callable[[], list[Notification]]) -> Notification:
        """Poll until `found` returns a notification; fail after DEADLINE seconds with the logs."""
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            hits = found()
            if hits:
                return hits[0]
            time.sleep(0.2)
        pytest.fail(f"no {what} within {DEADLINE:.0f} s\n{self.diagnosis()}")


def tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read() or b"null")


def wait_ready(name: str, url: str, process: subprocess.Popen[Any], log: Path) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{name} exited with {process.returncode}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{name} not ready within {DEADLINE:.0f} s:\n{tail(log)}")


def wait_until(what: str, done: Callable[[], bool], log: Path) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}:\n{tail(log)}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    prometheus, alertmanager = binary("prometheus"), binary("prometheus-alertmanager")
    tmp = tmp_path_factory.mktemp("e2e")
    processes: list[subprocess.Popen[Any]] = []
    servers: list[ThreadingHTTPServer] = []
    try:
        receiver = Receiver()
        servers.append(receiver.server)
        am_port, prom_port, exporter_port = free_port(), free_port(), free_port()
        spec_text = E2E_SPEC.read_text(encoding="utf-8")
        assert spec_text.count(PLACEHOLDER) == len(PATHS)
        assert spec_text.count(ALERTMANAGER_PLACEHOLDER) == spec_text.count(TARGET_PLACEHOLDER) == 1
        spec_text = (spec_text.replace(PLACEHOLDER, f"http://127.0.0.1:{receiver.port}/")
                     .replace(ALERTMANAGER_PLACEHOLDER, f"127.0.0.1:{am_port}")
                     .replace(TARGET_PLACEHOLDER, f"127.0.0.1:{exporter_port}"))
        (tmp / "e2e.yaml").write_text(spec_text, encoding="utf-8")
        rendered = run_khaosobs("render", "e2e.yaml", "-o", "generated", "-t", "alertmanager",
                                "-t", "prometheus", "-t", "instrumentation", cwd=tmp)
        assert rendered.returncode == 0, rendered.stderr
        out = tmp / "generated"
        rules = sorted((out / "prometheus" / "rules").glob("*.yml"))
        assert [r.name for r in rules] == [f"{SERVICE}.yml"]
        exporter = Exporter(out / naming.instrumentation_path(SERVICE), exporter_port,
                            e2e_up=1, e2e_queue_depth=0)
        processes.append(exporter.process)
        logs = {"alertmanager": tmp / "alertmanager.log", "prometheus": tmp / "prometheus.log"}
        commands = {
            "alertmanager": [alertmanager, f"--config.file={out / 'alertmanager' / 'alertmanager.yml'}",
                             f"--storage.path={tmp / 'alertmanager-data'}",
                             f"--web.listen-address=127.0.0.1:{am_port}",
                             # no cluster: otherwise every notification first waits ~10 s for peers
                             "--cluster.listen-address="],
            # the generated prometheus.yml, unchanged: its rule_files are relative to its folder
            "prometheus": [prometheus, f"--config.file={out / naming.PROMETHEUS_CONFIG_PATH}",
                           f"--storage.tsdb.path={tmp / 'prometheus-data'}",
                           f"--web.listen-address=127.0.0.1:{prom_port}"],
        }
        urls = {"alertmanager": f"http://127.0.0.1:{am_port}", "prometheus": f"http://127.0.0.1:{prom_port}"}
        for name, command in commands.items():
            with logs[name].open("wb") as log:
                processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=tmp))
            wait_ready(name, urls[name] + "/-/ready", processes[-1], logs[name])
        # Prometheus discovers its Alertmanager and scrape target a few seconds after it is ready;
        # wait for both, so that the delivery times below measure the alerting pipeline alone
        wait_until("Prometheus to scrape the service and know the Alertmanager", lambda: bool(
            get(f"{urls['prometheus']}/api/v1/alertmanagers")["data"]["activeAlertmanagers"]
            and [t for t in get(f"{urls['prometheus']}/api/v1/targets")["data"]["activeTargets"]
                 if t["health"] == "up" and t["labels"]["job"] == SERVICE]), logs["prometheus"])
        yield Stack(exporter, receiver, urls["alertmanager"], urls["prometheus"], logs, time.monotonic())
    finally:
        for process in reversed(processes):
            stop(process)
        for server in servers:
            server.shutdown()
            server.server_close()


def test_alerts_reach_the_receivers_their_routes_name(stack: Stack,
                                                      record_property: Callable[..., None]) -> None:
    flipped = time.monotonic()
    stack.exporter.set(e2e_up=0, e2e_queue_depth=10)
    critical = stack.wait_for("firing E2EServiceDown at /critical",
                              lambda: stack.receiver.find("/critical", "E2EServiceDown", "firing", flipped))
    record_property("seconds_to_critical", round(critical.at - flipped, 1))
    warning = stack.wait_for("firing E2EQueueBacklog at /warnings",
                             lambda: stack.receiver.find("/warnings", "E2EQueueBacklog", "firing", flipped))
    record_property("seconds_to_warning", round(warning.at - flipped, 1))
    print(f"\ndelivered: critical after {critical.at - flipped:.1f} s, "
          f"warning after {warning.at - flipped:.1f} s")

    assert critical.body["receiver"] == "critical" and warning.body["receiver"] == "warnings"
    [alert] = critical.alerts("E2EServiceDown")
    assert alert["labels"] == {"alertname": "E2EServiceDown", "severity": "critical", "service": "e2e-svc",
                               "team": "qa", "tier": "test", "instance": f"127.0.0.1:{stack.exporter.port}",
                               "job": SERVICE}
    # the spec's Go template text reached Prometheus verbatim and was expanded there
    instance = f"127.0.0.1:{stack.exporter.port}"
    assert alert["annotations"]["summary"] == f'e2e-svc is down on {instance} ("quoted": yes)'
    assert alert["annotations"]["description"] == "Value 0"
    [backlog] = warning.alerts("E2EQueueBacklog")
    assert (backlog["labels"]["severity"], backlog["labels"]["service"]) == ("warning", "e2e-svc")
    assert backlog["annotations"]["summary"] == "Queue backlog of 10 items"
    assert critical.body["groupLabels"] == {"alertname": "E2EServiceDown", "service": "e2e-svc"}

    time.sleep(QUIET)  # time for a wrongly routed copy to arrive
    assert stack.receiver.find("/default", "E2EServiceDown") == []
    assert stack.receiver.find("/default", "E2EQueueBacklog") == []
    assert [n.path for n in stack.receiver.find(None, "E2EServiceDown")] == ["/critical"], stack.diagnosis()
    assert [n.path for n in stack.receiver.find(None, "E2EQueueBacklog")] == ["/warnings"], stack.diagnosis()


def test_resolved_reaches_the_receiver_with_send_resolved(stack: Stack,
                                                          record_property: Callable[..., None]) -> None:
    stack.exporter.set(e2e_up=0, e2e_queue_depth=10)  # firing (already, when the test above ran)
    stack.wait_for("firing E2EServiceDown",
                   lambda: stack.receiver.find("/critical", "E2EServiceDown", "firing"))
    stack.wait_for("firing E2EQueueBacklog",
                   lambda: stack.receiver.find("/warnings", "E2EQueueBacklog", "firing"))

    flipped = time.monotonic()
    stack.exporter.set(e2e_up=1, e2e_queue_depth=0)
    resolved = stack.wait_for("resolved E2EServiceDown at /critical (send_resolved: true)",
                              lambda: stack.receiver.find("/critical", "E2EServiceDown", "resolved", flipped))
    record_property("seconds_to_resolved", round(resolved.at - flipped, 1))
    print(f"\nresolved delivered after {resolved.at - flipped:.1f} s")
    assert resolved.body["status"] == "resolved"
    [alert] = resolved.alerts("E2EServiceDown", "resolved")
    assert alert["endsAt"] > alert["startsAt"]

    # Alertmanager has resolved the backlog too; the warnings receiver (send_resolved: false) hears nothing
    def backlog_active() -> bool:
        return bool(get(f"{stack.alertmanager_url}/api/v2/alerts?filter=alertname%3D%22E2EQueueBacklog%22"))

    deadline = time.monotonic() + DEADLINE
    while backlog_active():
        if time.monotonic() > deadline:
            pytest.fail(f"E2EQueueBacklog still active in Alertmanager\n{stack.diagnosis()}")
        time.sleep(0.2)
    time.sleep(QUIET)
    assert stack.receiver.find("/warnings", "E2EQueueBacklog", "resolved") == [], stack.diagnosis()
    assert stack.receiver.find(None, "E2EQueueBacklog", "resolved") == []

"""End to end on Alertmanager 0.28: the config khaosobs renders, loaded unchanged by a real
Alertmanager 0.28 on 127.0.0.1, delivers a firing and a resolved alert to local stand-ins of Slack
and PagerDuty, whose URL and key Alertmanager reads from files as in production (slack
`api_url_file`, pagerduty `routing_key_file` + `url`). The payloads must carry the spec's summary,
severity and service through khaosobs' message templates, and a route inside a mute time interval
(or outside its active one) must hold its notification back.

Alerts are posted to Alertmanager's API v2 directly, with the labels and annotations of the rule
file khaosobs renders (what Prometheus would send). Every wait is bounded.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import run_khaosobs
from tests.support.realtools import stop, tool

pytestmark = pytest.mark.realtools

DEADLINE = 30.0  # seconds for a notification that must come (group_wait and group_interval are 1 s)
QUIET = 4.0  # seconds a held-back notification must stay away (four group intervals)

SPEC = """\
version: 1
project: e2e-receivers
targets: {{alertmanager: "0.28"}}
services:
  - name: checkout
    team: shop
    metrics:
      - {{name: checkout_up, type: gauge, help: Whether checkout answers}}
      - {{name: checkout_latency_seconds, type: gauge, help: Checkout latency}}
    alerts:
      - name: CheckoutDown
        expr: checkout_up == 0
        severity: critical
        summary: 'Checkout is down: "payments" refused'
        description: No checkout instance answers.
        runbook_url: https://runbooks.example.com/checkout/down
      - name: CheckoutSlow
        expr: checkout_latency_seconds > 2
        severity: warning
        summary: Checkout is slow
      - name: CheckoutLatencyNote
        expr: checkout_latency_seconds > 1
        severity: info
        summary: Checkout latency above 1 s
alerting:
  receivers:
    - name: nobody
    - name: shop-slack
      slack: {{api_url_ref: "file:{secrets}/slack-url", channel: "#shop", send_resolved: true}}
    - name: shop-pager
      pagerduty: {{routing_key_ref: "file:{secrets}/pd-key", url: "{pagerduty_url}"}}
  time_intervals:
    - name: all-week
      intervals: [{{weekdays: ["sunday:saturday"], times: [{{start_time: "00:00", end_time: "24:00"}}]}}]
    - name: long-ago
      intervals: [{{years: ["2001"]}}]
  route:
    receiver: nobody
    group_by: [alertname]
    group_wait: 1s
    group_interval: 1s
    repeat_interval: 1h
    routes:
      - matchers: ['severity="critical"']
        receiver: shop-pager
        continue: true
      - matchers: ['severity="critical"']
        receiver: shop-slack
      - matchers: ['severity="warning"']
        receiver: shop-slack
        mute_time_intervals: [all-week]
      - matchers: ['severity="info"']
        receiver: shop-slack
        active_time_intervals: [long-ago]
  inhibit_rules: []
"""
ROUTING_KEY = "e2e0123456789abcdef0123456789abc"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Delivery:
    path: str
    body: dict[str, Any]


@dataclass
class StandIn:
    """Slack's and PagerDuty's endpoints, as far as Alertmanager needs them: record every POST and answer
    the way each service does (Slack `200 ok`, PagerDuty `202` with a JSON status)."""

    received: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with stand_in.lock:
                    stand_in.received.append(Delivery(self.path, body))
                if self.path == "/pagerduty":
                    answer, status = json.dumps({"status": "success", "message": "Event processed",
                                                 "dedup_key": body.get("dedup_key", "")}).encode(), 202
                else:
                    answer, status = b"ok", 200
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def deliveries(self, path: str, match: Callable[[dict[str, Any]], bool]) -> list[Delivery]:
        with self.lock:
            return [d for d in self.received if d.path == path and match(d.body)]

    def summary(self) -> str:
        with self.lock:
            return "\n".join(f"  {d.path} {json.dumps(d.body)[:300]}" for d in self.received) or "  (nothing)"


@dataclass
class Stack:
    stand_in: StandIn
    alertmanager_url: str
    rules: dict[str, dict[str, Any]]  # the rendered alert rules, by name
    log: Path

    def post(self, alertname: str, *, resolved: bool = False) -> None:
        """The alert as Prometheus would send it: the rendered rule's labels and annotations."""
        rule = self.rules[alertname]
        now = datetime.now(UTC)
        alert: dict[str, Any] = {"labels": {"alertname": alertname, **rule.get("labels", {})},
                                 "annotations": rule.get("annotations", {}),
                                 "startsAt": (now - timedelta(minutes=1)).isoformat()}
        if resolved:
            alert["endsAt"] = now.isoformat()
        request = urllib.request.Request(f"{self.alertmanager_url}/api/v2/alerts", method="POST",
                                         data=json.dumps([alert]).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200

    def wait_for(self, what: str, path: str, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            found = self.stand_in.deliveries(path, match)
            if found:
                return found[0].body
            time.sleep(0.2)
        pytest.fail(f"no {what} within {DEADLINE:.0f} s\nreceived:\n{self.stand_in.summary()}\n"
                    f"--- alertmanager log\n{self.log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    alertmanager = tool("alertmanager", "0.28")
    tmp = tmp_path_factory.mktemp("e2e-receivers")
    stand_in = StandIn()
    secrets = tmp / "secrets"
    secrets.mkdir()
    (secrets / "slack-url").write_text(f"{stand_in.url}/slack\n", encoding="utf-8")
    (secrets / "pd-key").write_text(ROUTING_KEY + "\n", encoding="utf-8")
    spec = tmp / "spec.yaml"
    spec.write_text(SPEC.format(secrets=secrets, pagerduty_url=f"{stand_in.url}/pagerduty"), encoding="utf-8")
    out = tmp / "generated"
    rendered = run_khaosobs("render", spec, "-o", out, "-t", "alertmanager", "-t", "prometheus")
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    rules_doc = yaml.safe_load((out / "prometheus" / "rules" / "checkout.yml").read_text(encoding="utf-8"))
    rules = {rule["alert"]: rule for group in rules_doc["groups"] for rule in group["rules"] if "alert" in rule}
    port = free_port()
    log = tmp / "alertmanager.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([str(alertmanager), f"--config.file={out / 'alertmanager' / 'alertmanager.yml'}",
                                    f"--storage.path={tmp / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
                                    # no cluster: otherwise every notification first waits ~10 s for peers
                                    "--cluster.listen-address="],
                                   stdout=sink, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + DEADLINE
        while True:
            if process.poll() is not None:
                pytest.fail(f"Alertmanager 0.28 exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Alertmanager 0.28 not ready within {DEADLINE:.0f} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield Stack(stand_in, url, rules, log)
    finally:
        stop(process)
        stand_in.server.shutdown()


def slack_title(body: dict[str, Any]) -> str:
    attachments = body.get("attachments") or [{}]
    return str(attachments[0].get("title", ""))


def test_pagerduty_gets_the_firing_and_the_resolved_alert(stack: Stack) -> None:
    stack.post("CheckoutDown")
    fired = stack.wait_for("PagerDuty trigger", "/pagerduty", lambda b: b.get("event_action") == "trigger")
    assert fired["routing_key"] == ROUTING_KEY  # read from routing_key_file
    payload = fired["payload"]
    assert payload["summary"] == "[FIRING:1] CheckoutDown on checkout"
    assert payload["severity"] == "critical"
    details = payload["custom_details"]
    assert details["summary"] == 'Checkout is down: "payments" refused'
    assert (details["severity"], details["service"], details["status"]) == ("critical", "checkout", "firing")

    stack.post("CheckoutDown", resolved=True)
    resolved = stack.wait_for("PagerDuty resolve", "/pagerduty", lambda b: b.get("event_action") == "resolve")
    assert resolved["dedup_key"] == fired["dedup_key"]
    assert resolved["routing_key"] == ROUTING_KEY


def test_slack_gets_the_firing_and_the_resolved_alert(stack: Stack) -> None:
    stack.post("CheckoutDown")
    fired = stack.wait_for("Slack firing message", "/slack",
                           lambda b: slack_title(b) == "[FIRING:1] CheckoutDown on checkout")
    assert fired["channel"] == "#shop"
    attachment = fired["attachments"][0]
    assert attachment["color"] == "danger"
    assert attachment["text"] == (
        'CheckoutDown (firing)\nCheckout is down: "payments" refused\n'
        "Status: firing · Severity: critical · Service: checkout\n"
        "No checkout instance answers.\nRunbook: https://runbooks.example.com/checkout/down")

    stack.post("CheckoutDown", resolved=True)
    resolved = stack.wait_for("Slack resolved message", "/slack",
                              lambda b: slack_title(b) == "[RESOLVED] CheckoutDown on checkout")
    assert resolved["attachments"][0]["color"] == "good"
    assert "Status: resolved · Severity: critical · Service: checkout" in resolved["attachments"][0]["text"]


def test_time_intervals_hold_notifications_back(stack: Stack) -> None:
    """The warning's route is muted all week, the info's is active only in 2001: neither reaches Slack,
    while a critical alert posted after them does (so the receiver works and the wait was long enough)."""
    stack.post("CheckoutSlow")
    stack.post("CheckoutLatencyNote")
    time.sleep(QUIET)
    stack.post("CheckoutDown")
    stack.wait_for("Slack message of the unmuted route", "/slack", lambda b: "CheckoutDown" in slack_title(b))
    time.sleep(1.0)
    held = [d for d in stack.stand_in.received if "CheckoutSlow" in json.dumps(d.body)
            or "CheckoutLatencyNote" in json.dumps(d.body)]
    assert held == [], stack.stand_in.summary()
    # Alertmanager has both alerts: only the time intervals held them back
    with urllib.request.urlopen(f"{stack.alertmanager_url}/api/v2/alerts", timeout=5) as response:
        names = {a["labels"]["alertname"] for a in json.loads(response.read())}
    assert {"CheckoutSlow", "CheckoutLatencyNote"} <= names

"""The Alertmanager target, checked with the real amtool 0.25: the config loads, its template is
found, and amtool routes every alert of every spec to the receivers khaosobs.domain.routing names."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from khaosobs.commands.validate import validate_paths
from khaosobs.domain.routing import AlertRoute, escape_value, parse_matchers, route_alerts
from tests.conftest import EXAMPLE_SPECS, ROOT, run_khaosobs
from tests.support.realtools import tool

TEST_SPECS = ROOT / "tests" / "specs"
ROUTING_SPEC = TEST_SPECS / "routing.yaml"
E2E_SPEC = TEST_SPECS / "e2e.yaml"
DISCORD_SPEC = TEST_SPECS / "discord-028.yaml"
CHECKABLE = [*EXAMPLE_SPECS, ROUTING_SPEC, E2E_SPEC]  # specs amtool 0.25 can load
ALL_SPECS = [*CHECKABLE, DISCORD_SPEC]
CONFIG = "alertmanager/alertmanager.yml"


def spec_id(spec: Path) -> str:
    return spec.relative_to(ROOT).as_posix()


def amtool() -> str:
    path = shutil.which("amtool")
    if path is None:
        pytest.fail("amtool is not on PATH: install Alertmanager's amtool (Debian: prometheus-alertmanager)")
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path]:
    """Every spec rendered once by the real CLI (Alertmanager target only), by spec."""
    out: dict[Path, Path] = {}
    for spec in ALL_SPECS:
        folder = tmp_path_factory.mktemp(spec.stem)
        result = run_khaosobs("render", spec, "-o", folder, "-t", "alertmanager")
        assert result.returncode == 0, result.stderr
        out[spec] = folder
    return out


def routed(spec: Path) -> list[AlertRoute]:
    validation = validate_paths([spec])
    assert validation.spec is not None and not validation.diagnostics.errors
    return route_alerts(validation.spec)


def amtool_route(config: Path, labels: dict[str, str],
                 expected: list[str]) -> subprocess.CompletedProcess[str]:
    # without --verify.receivers amtool exits 0 whatever the receivers are
    return subprocess.run([amtool(), "config", "routes", "test", f"--config.file={config}",
                           f"--verify.receivers={','.join(expected)}",
                           *(f'{name}="{escape_value(value)}"' for name, value in labels.items())],
                          capture_output=True, text=True, check=False)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.realtools
@pytest.mark.parametrize("spec", CHECKABLE, ids=spec_id)
def test_amtool_check_config_loads_it_and_finds_its_template(spec: Path, rendered: dict[Path, Path]) -> None:
    config = rendered[spec] / CONFIG
    # from another folder: templates resolve against the config's folder, not the working one
    done = subprocess.run([amtool(), "check-config", str(config)], capture_output=True, text=True,
                          check=False, cwd="/")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout
    # a message template is written only when some receiver uses it; amtool counts the template globs
    # (ours, and the Prometheus Operator's folder with a `kubernetes:` block)
    globs = load(config).get("templates", [])
    assert f" - {len(globs)} templates" in done.stdout, done.stdout
    assert (rendered[spec] / "alertmanager" / "templates").exists() == bool(globs)


@pytest.mark.realtools
@pytest.mark.parametrize("spec", CHECKABLE, ids=spec_id)
def test_amtool_routes_every_alert_where_khaosobs_says(spec: Path, rendered: dict[Path, Path]) -> None:
    config = rendered[spec] / CONFIG
    alerts = routed(spec)
    assert alerts, "the spec has alerts to route"
    wrong = []
    for item in alerts:
        done = amtool_route(config, item.labels, item.receivers)
        if done.returncode != 0 or done.stdout.splitlines()[0] != ",".join(item.receivers):
            wrong.append(f"{item.alert.name}: khaosobs {item.receivers}, amtool {done.stdout.strip()!r}")
    assert wrong == []


@pytest.mark.realtools
def test_a_wrong_expected_receiver_makes_amtool_fail(rendered: dict[Path, Path]) -> None:
    """The routing test above can fail: amtool exits non-zero when the receivers differ."""
    spec = EXAMPLE_SPECS[0]
    item = routed(spec)[0]
    names = [r["name"] for r in load(rendered[spec] / CONFIG)["receivers"]]
    others = [name for name in names if name not in item.receivers]
    done = amtool_route(rendered[spec] / CONFIG, item.labels, [others[0]])
    assert done.returncode != 0
    assert "did not match" in done.stdout
    assert amtool_route(rendered[spec] / CONFIG, item.labels, item.receivers).returncode == 0


def test_routing_spec_goes_where_its_comments_say() -> None:
    assert {item.alert.name: item.receivers for item in routed(ROUTING_SPEC)} == {
        "ApiDown": ["pager", "platform", "platform-audit"],  # continue, then an inherited receiver, continue
        "ApiErrors": ["ops-core"],  # a value with double quotes
        "ApiQueueFull": ["queue-team"],  # a value with a backslash
        "DbConnectionsExhausted": ["pager", "storage"],
        "DbConnectionsHigh": ["storage"],
        "BatchLate": ["default"],
    }


def test_routing_spec_matchers_are_modern_and_exact(rendered: dict[Path, Path]) -> None:
    text = (rendered[ROUTING_SPEC] / CONFIG).read_text(encoding="utf-8")
    assert "match:" not in text and "match_re:" not in text
    platform = load(rendered[ROUTING_SPEC] / CONFIG)["route"]["routes"][1]
    assert platform["matchers"] == ['team=~"platform|web"']
    values = [(m.name, m.op, m.value)
              for child in platform["routes"] for m in parse_matchers(child["matchers"][0])]
    assert values[:2] == [("channel", "=", 'ops "core"'), ("component", "=", "queue\\worker")]
    assert "receiver" not in platform["routes"][2] and platform["routes"][2]["continue"] is True


def test_routing_warnings() -> None:
    done = run_khaosobs("validate", ROUTING_SPEC, "--format", "json")
    assert done.returncode == 0, done.stdout
    found = {(d["code"], d["line"]) for d in json.loads(done.stdout)["diagnostics"]}
    assert found == {("route-default-only", 53), ("route-unreached", 67)}
    strict = run_khaosobs("validate", ROUTING_SPEC, "--strict")
    assert strict.returncode == 1




def test_example_config_structure(rendered: dict[Path, Path]) -> None:
    config = load(rendered[EXAMPLE_SPECS[0]] / CONFIG)
    assert config["route"]["routes"][0] == {"receiver": "discord-critical",
                                            "matchers": ['severity="critical"']}
    # send_resolved is always written: the spec's value, else Alertmanager's default (true)
    assert [r["webhook_configs"][0]["send_resolved"] for r in config["receivers"]] == [True, True, True]
    assert config["inhibit_rules"] == [{"source_matchers": ['severity="critical"'],
                                        "target_matchers": ['severity="warning"'],
                                        "equal": ["alertname", "service"]}]
    assert "templates" not in config  # webhooks only: no receiver uses a message template
    discord = load(rendered[DISCORD_SPEC] / CONFIG)
    assert discord["templates"] == ["templates/*.tmpl"]


def test_discord_on_028_renders_webhook_url_file(rendered: dict[Path, Path]) -> None:
    receivers = {r["name"]: r for r in load(rendered[DISCORD_SPEC] / CONFIG)["receivers"]}
    direct = receivers["discord-direct"]["discord_configs"]
    assert direct == [{"webhook_url_file": "/etc/alertmanager/secrets/discord-webhook", "send_resolved": True,
                       "title": '{{ template "discord.title" . }}',
                       "message": '{{ template "discord.message" . }}'}]
    custom = receivers["discord-critical"]["discord_configs"][0]
    assert custom["send_resolved"] is False
    assert custom["title"] == '{{ template "discord.title" . }} <@&ops>'
    assert custom["message"] == '{{ range .Alerts }}{{ .Annotations.summary }}{{ "\\n" }}{{ end }}'
    assert "webhook_url" not in custom and "webhook_configs" not in receivers["discord-direct"]


def write_variant(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / source.name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def diagnostics(spec: Path) -> tuple[int, list[dict[str, Any]]]:
    done = run_khaosobs("validate", spec, "--format", "json")
    return done.returncode, json.loads(done.stdout)["diagnostics"]


def test_discord_on_the_default_target_is_an_error(tmp_path: Path) -> None:
    spec = write_variant(tmp_path, DISCORD_SPEC, 'targets: {alertmanager: "0.28"}\n', "")
    code, found = diagnostics(spec)
    assert code == 1
    errors = [d for d in found if d["severity"] == "error"]
    # the targets line is gone: the two references are on lines 25 and 28
    assert [(d["code"], d["line"]) for d in errors] == [("alertmanager-version", 25),
                                                        ("alertmanager-version", 28)]
    assert "0.28" in errors[0]["message"] and 'targets: {alertmanager: "0.28"}' in errors[0]["hint"]
    out = tmp_path / "out"
    assert run_khaosobs("render", spec, "-o", out).returncode == 1
    assert not out.exists()


@pytest.mark.parametrize(("ref", "code", "expected"), [
    ("env:DISCORD_WEBHOOK", "alertmanager-secret", "does not read environment variables"),
    ("vault://kv/discord", "alertmanager-secret", 'cannot read a "vault://" secret reference'),
    # not references at all: checks/secrets.py says so, once
    ("https://discord.com/api/webhooks/1/token", "secret-ref", "must be a secret reference"),
    ("file:secrets/discord", "secret-ref", "must be a secret reference"),
])
def test_discord_references_alertmanager_cannot_read(tmp_path: Path, ref: str, code: str,
                                                     expected: str) -> None:
    spec = write_variant(tmp_path, DISCORD_SPEC, "file:/etc/alertmanager/secrets/discord-webhook", ref)
    exit_code, found = diagnostics(spec)
    assert exit_code == 1
    assert [(d["code"], d["line"]) for d in found if d["severity"] == "error"] == [(code, 26)]
    assert expected in found[0]["message"]
    if code == "alertmanager-secret":
        assert "file:/etc/alertmanager/secrets/discord-webhook" in found[0]["hint"]


ALERTING_TAIL = """
services:
  - name: svc
    metrics: [{name: svc_up, type: gauge, help: Up}]
    alerts:
      - {name: SvcDown, expr: svc_up == 0, severity: critical, summary: down}
"""


def small_spec(tmp_path: Path, alerting: str, head: str = "") -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(f"version: 1\nproject: small\n{head}{ALERTING_TAIL}{alerting}", encoding="utf-8")
    return path


def test_matchers_alertmanager_refuses_are_errors_at_their_place(tmp_path: Path) -> None:
    spec = small_spec(tmp_path, """alerting:
  receivers: [{name: a}, {name: b}]
  route:
    receiver: a
    match: {team: x}
    continue: true
    routes:
      - matchers: ['severity=~"crit(al"', 'team="x']
        match_re: {service: "(?=svc)"}
        match: {bad-name: x}
        receiver: b
""")
    code, found = diagnostics(spec)
    assert code == 1
    assert sorted((d["code"], d["line"], d["column"]) for d in found) == [
        ("route-matcher", 16, 20), ("route-matcher", 16, 43), ("route-matcher", 17, 29),
        ("route-matcher", 18, 17), ("route-root", 13, 5), ("route-root", 14, 15)]


def test_group_by(tmp_path: Path) -> None:
    spec = small_spec(tmp_path, """alerting:
  receivers: [{name: a}]
  route: {receiver: a, group_by: [alertname, "...", bad-label, alertname]}
""")
    code, found = diagnostics(spec)
    assert code == 1
    assert sorted((d["code"], d["message"]) for d in found) == sorted([
        ("alertmanager-group-by", 'duplicated label "alertname" in group_by'),
        ("alertmanager-group-by", 'invalid label name "bad-label" in group_by'),
        ("alertmanager-group-by", "group_by `...` (group by every label) must stand alone")])


@pytest.mark.realtools
def test_no_inhibit_rules_when_the_spec_says_none(tmp_path: Path) -> None:
    spec = small_spec(tmp_path, "alerting:\n  receivers: [{name: a}]\n  route: {receiver: a}\n"
                                "  inhibit_rules: []\n")
    out = tmp_path / "out"
    assert run_khaosobs("render", spec, "-o", out, "-t", "alertmanager").returncode == 0
    assert "inhibit_rules" not in load(out / CONFIG)
    done = subprocess.run([amtool(), "check-config", str(out / CONFIG)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0 and " - 0 inhibit rules" in done.stdout


@pytest.mark.realtools
def test_the_seed_webhook_alone_makes_a_default_receiver(tmp_path: Path) -> None:
    spec = small_spec(tmp_path, "", head="telemetry:\n  metrics: {alertmanager_webhook: 'https://events.example.com/alert'}\n")
    out = tmp_path / "out"
    assert run_khaosobs("render", spec, "-o", out, "-t", "alertmanager").returncode == 0
    config = load(out / CONFIG)
    assert config["route"] == {"receiver": "default"}
    assert config["receivers"] == [{"name": "default", "webhook_configs": [
        {"url": "https://events.example.com/alert", "send_resolved": True}]}]
    checked = subprocess.run([amtool(), "check-config", str(out / CONFIG)], capture_output=True, check=False)
    assert checked.returncode == 0
    routes = json.loads(run_khaosobs("routes", spec, "--format", "json").stdout)
    assert [(r["alert"], r["receivers"]) for r in routes] == [("SvcDown", ["default"])]


def test_no_alerting_no_alertmanager_files(tmp_path: Path) -> None:
    spec = small_spec(tmp_path, "")
    out = tmp_path / "out"
    assert run_khaosobs("render", spec, "-o", out, "-t", "alertmanager").returncode == 0
    assert not (out / "alertmanager").exists()


def test_routes_command(tmp_path: Path) -> None:
    table = run_khaosobs("routes", ROUTING_SPEC)
    assert table.returncode == 0, table.stderr
    assert "ApiDown" in table.stdout and "pager, platform, platform-audit" in table.stdout
    assert "default (default)" in table.stdout  # BatchLate reaches only the root
    as_json = json.loads(run_khaosobs("routes", ROUTING_SPEC, "--format", "json").stdout)
    assert as_json[0] == {"service": "api", "alert": "ApiDown", "kind": "alert",
                          "labels": {"alertname": "ApiDown", "severity": "critical", "service": "api",
                                     "team": "platform"},
                          "receivers": ["pager", "platform", "platform-audit"], "default_only": False}
    assert run_khaosobs("routes", ROUTING_SPEC, "--format", "xml").returncode == 2
    broken = small_spec(tmp_path, "alerting:\n  receivers: [{name: a}]\n  route: {receiver: nope}\n")
    failed = run_khaosobs("routes", broken)
    assert failed.returncode == 1 and "route-receiver" in failed.stderr


@pytest.mark.realtools
def test_discord_template_renders_with_amtool(rendered: dict[Path, Path], tmp_path: Path) -> None:
    """Through Alertmanager 0.28's own template engine (the release the Discord receiver needs)."""
    data = {"receiver": "x", "status": "firing", "externalURL": "http://am", "groupLabels": {},
            "commonLabels": {"alertname": "HighCommandLatency", "service": "discord-ops-bot"},
            "commonAnnotations": {},
            "alerts": [{"status": "firing",
                        "labels": {"alertname": "HighCommandLatency", "severity": "warning",
                                   "service": "discord-ops-bot"},
                        "annotations": {"summary": 'High "latency" on /deploy', "runbook_url": "https://rb/x"},
                        "startsAt": "2024-01-15T10:23:45Z", "endsAt": "0001-01-01T00:00:00Z",
                        "generatorURL": "", "fingerprint": "a"}]}
    (tmp_path / "data.json").write_text(json.dumps(data))
    glob = str(rendered[DISCORD_SPEC] / "alertmanager" / "templates" / "*.tmpl")
    amtool_028 = tool("amtool", "0.28")

    def render(text: str) -> str:
        done = subprocess.run([str(amtool_028), "template", "render", f"--template.glob={glob}",
                               f"--template.text={text}", f"--template.data={tmp_path / 'data.json'}"],
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert render('{{ template "discord.title" . }}') == "🚨 [FIRING:1] HighCommandLatency on discord-ops-bot"
    # the seed's embed fields: status, severity, service
    assert render('{{ template "discord.message" . }}') == (
        '**HighCommandLatency** (firing)\nHigh "latency" on /deploy\n'
        "Status: firing · Severity: warning · Service: discord-ops-bot\nRunbook: https://rb/x")

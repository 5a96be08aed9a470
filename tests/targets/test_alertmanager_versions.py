"""Every example spec checked with the real tools of the version it targets (tests/support/realtools.py):
rule files with promtool 2.42 and 2.53, Alertmanager configs with amtool 0.25 and 0.28, and
`khaosobs routes` against `amtool config routes test --verify.receivers` of the targeted release.
The receivers spec (every receiver kind, time intervals) is accepted by amtool 0.28, and the same
spec targeting 0.25 is refused by khaosobs for exactly the receivers amtool 0.25 refuses."""

from __future__ import annotations

import functools
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from khaosobs.commands.validate import validate_paths
from khaosobs.domain.routing import escape_value, route_alerts
from khaosobs.spec.model import Spec
from tests.conftest import EXAMPLE_SPECS, ROOT, rendered_once, run_khaosobs
from tests.support.realtools import alertmanager_line, prometheus_line, tool

pytestmark = pytest.mark.realtools
TEST_SPECS = ROOT / "tests" / "specs"
INVALID_BY_DESIGN = {"seed-as-written.yaml"}  # the seed's spec as written: its errors are the point
SPECS = [*EXAMPLE_SPECS, *(s for s in sorted(TEST_SPECS.glob("*.yaml")) if s.name not in INVALID_BY_DESIGN)]
RECEIVERS_SPEC = TEST_SPECS / "receivers-028.yaml"
CONFIG = "alertmanager/alertmanager.yml"


def spec_id(spec: Path) -> str:
    return spec.relative_to(ROOT).as_posix()


@functools.cache
def model(spec: Path) -> Spec:
    validation = validate_paths([spec])
    assert validation.spec is not None and not validation.diagnostics.errors, spec
    return validation.spec


def checked_lines(target: str, lines: tuple[str, ...]) -> list[str]:
    """The release lines that must accept an output made for `target`: its own and every newer one."""
    own = lines.index(target)
    return list(lines[own:])


AM_CASES = [(spec, line) for spec in SPECS
            for line in checked_lines(alertmanager_line(model(spec).targets.alertmanager), ("0.25", "0.28"))
            if model(spec).alerting is not None or model(spec).telemetry.metrics.alertmanager_webhook]
RULE_CASES = [(spec, line) for spec in SPECS if model(spec).services
              for line in checked_lines(prometheus_line(model(spec).targets.prometheus), ("2.42", "2.53"))]


def amtool(line: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(tool("amtool", line)), *args], capture_output=True, text=True, check=False,
                          cwd=cwd or "/", timeout=60)


@pytest.mark.parametrize(("spec", "line"), AM_CASES, ids=[f"{spec_id(s)}@{v}" for s, v in AM_CASES])
def test_amtool_of_the_targeted_release_accepts_the_config(spec: Path, line: str) -> None:
    config = rendered_once(spec, "alertmanager") / CONFIG
    done = amtool(line, "check-config", str(config))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout
    templates = sorted((config.parent / "templates").glob("*.tmpl")) if (config.parent / "templates").exists() else []
    assert f" - {1 if templates else 0} templates" in done.stdout, done.stdout


ROUTE_CASES = [(spec, alertmanager_line(model(spec).targets.alertmanager)) for spec, _ in AM_CASES
               if route_alerts(model(spec))]
ROUTE_CASES = list(dict.fromkeys(ROUTE_CASES))


@pytest.mark.parametrize(("spec", "line"), ROUTE_CASES, ids=[f"{spec_id(s)}@{v}" for s, v in ROUTE_CASES])
def test_khaosobs_routes_agrees_with_amtool_of_the_targeted_release(spec: Path, line: str) -> None:
    config = rendered_once(spec, "alertmanager") / CONFIG
    table = json.loads(run_khaosobs("routes", spec, "--format", "json").stdout)
    assert table
    wrong = []
    for row in table:
        done = amtool(line, "config", "routes", "test", f"--config.file={config}",
                      f"--verify.receivers={','.join(row['receivers'])}",
                      *(f'{name}="{escape_value(value)}"' for name, value in row["labels"].items()))
        if done.returncode != 0:
            wrong.append(f"{row['alert']}: khaosobs {row['receivers']}, amtool {done.stdout.strip()!r}")
    assert wrong == []


@pytest.mark.parametrize(("spec", "line"), RULE_CASES, ids=[f"{spec_id(s)}@{v}" for s, v in RULE_CASES])
def test_promtool_of_the_targeted_release_accepts_the_rules(spec: Path, line: str) -> None:
    out = rendered_once(spec, "prometheus")
    files = sorted(str(p) for p in (out / "prometheus" / "rules").glob("*.yml"))
    assert files
    done = subprocess.run([str(tool("promtool", line)), "check", "rules", *files], capture_output=True,
                          text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("SUCCESS") == len(files)


def test_receivers_spec_renders_every_kind_and_keep_firing_for() -> None:
    config = yaml.safe_load((rendered_once(RECEIVERS_SPEC, "alertmanager") / CONFIG).read_text(encoding="utf-8"))
    kinds = {key for receiver in config["receivers"] for key in receiver if key != "name"}
    assert kinds == {"slack_configs", "pagerduty_configs", "email_configs", "msteams_configs", "opsgenie_configs",
                     "telegram_configs", "webhook_configs", "discord_configs"}
    assert {"name": "blackhole"} in config["receivers"]
    assert [t["name"] for t in config["time_intervals"]] == ["business-hours", "holidays"]
    # credentials are only ever files
    text = (rendered_once(RECEIVERS_SPEC, "alertmanager") / CONFIG).read_text(encoding="utf-8")
    assert "_ref:" not in text and '"file:' not in text
    files = re.findall(r"(\w+_file)\"?: ", text)
    assert sorted(set(files)) == sorted(["api_key_file", "api_url_file", "auth_password_file", "bot_token_file",
                                         "credentials_file", "password_file", "routing_key_file", "url_file",
                                         "webhook_url_file"])
    rules = yaml.safe_load((rendered_once(RECEIVERS_SPEC, "prometheus") / "prometheus/rules/web.yml")
                           .read_text(encoding="utf-8"))
    group = rules["groups"][0]
    assert group["interval"] == "30s"
    assert group["rules"][0]["keep_firing_for"] == "5m"


def _receiver_at(config_text: str, line: int) -> str:
    """The name of the receiver whose block holds `line` of a rendered config."""
    name = None
    for number, text in enumerate(config_text.splitlines(), start=1):
        found = re.match(r'  - name: "(.*)"$', text)
        if found:
            name = found.group(1)
        if number == line:
            assert name is not None
            return name
    raise AssertionError(line)


def test_on_025_khaosobs_refuses_exactly_what_amtool_025_refuses(tmp_path: Path) -> None:
    config = rendered_once(RECEIVERS_SPEC, "alertmanager") / CONFIG
    text = config.read_text(encoding="utf-8")
    # what Alertmanager 0.25 refuses in the config written for 0.28
    refused = amtool("0.25", "check-config", str(config))
    assert refused.returncode != 0
    amtool_refuses = {(_receiver_at(text, int(line)), field)
                      for line, field in re.findall(r"line (\d+): field (\w+) not found", refused.stdout)}
    assert len(amtool_refuses) == 4, refused.stdout
    # the same spec targeting 0.25
    spec = tmp_path / "receivers-025.yaml"
    source = RECEIVERS_SPEC.read_text(encoding="utf-8")
    spec.write_text(source.replace('alertmanager: "0.28"', 'alertmanager: "0.25"'), encoding="utf-8")
    done = run_khaosobs("validate", spec, "--format", "json")
    assert done.returncode == 1
    found = json.loads(done.stdout)["diagnostics"]
    assert {d["code"] for d in found} == {"alertmanager-version"}
    receivers = [r["name"] for r in yaml.safe_load(source)["alerting"]["receivers"]]
    khaosobs_refuses = set()
    for diagnostic in found:
        index = int(re.search(r"receivers\[(\d+)\]", diagnostic["path"]).group(1))  # type: ignore[union-attr]
        named = re.search(r"\((\w+): (\w+)\)", diagnostic["message"])
        assert named, diagnostic["message"]
        config_key, field = named.groups()
        # amtool stops at the list 0.25 lacks altogether (msteams_configs); khaosobs names its field
        khaosobs_refuses.add((receivers[index], config_key if config_key == "msteams_configs" else field))
        assert re.search(r"needs Alertmanager 0\.2[68]; targets\.alertmanager is 0\.25", diagnostic["message"])
    assert khaosobs_refuses == amtool_refuses
    # and 0.28 accepts it
    assert amtool("0.28", "check-config", str(config)).returncode == 0


TEMPLATE_DATA: dict[str, Any] = {
    "receiver": "web-slack", "status": "firing", "externalURL": "http://am",
    "groupLabels": {"alertname": "WebDown"},
    "commonLabels": {"alertname": "WebDown", "service": "web", "severity": "critical"},
    "commonAnnotations": {"summary": "Web <is> down", "dashboard_url": "https://grafana/d/web"},
    "alerts": [{"status": "firing",
                "labels": {"alertname": "WebDown", "severity": "critical", "service": "web"},
                "annotations": {"summary": "Web <is> down", "description": "No instance answers.",
                                "runbook_url": "https://rb/web", "dashboard_url": "https://grafana/d/web"},
                "startsAt": "2026-01-15T10:23:45Z", "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "", "fingerprint": "a"}]}


@pytest.fixture(scope="module")
def render_template(tmp_path_factory: pytest.TempPathFactory) -> Any:
    data = tmp_path_factory.mktemp("data") / "data.json"
    glob = str(rendered_once(RECEIVERS_SPEC, "alertmanager") / "alertmanager" / "templates" / "*.tmpl")

    def render(text: str, payload: dict[str, Any] = TEMPLATE_DATA) -> str:
        data.write_text(json.dumps(payload), encoding="utf-8")
        done = amtool("0.28", "template", "render", f"--template.glob={glob}", f"--template.text={text}",
                      f"--template.data={data}")
        assert done.returncode == 0, done.stderr
        return done.stdout

    return render


def test_message_templates_render_through_alertmanager(render_template: Any) -> None:
    assert render_template('{{ template "khaosobs.title" . }}') == "[FIRING:1] WebDown on web"
    assert render_template('{{ template "khaosobs.text" . }}') == (
        "WebDown (firing)\nWeb <is> down\nStatus: firing · Severity: critical · Service: web\n"
        "No instance answers.\nRunbook: https://rb/web\nDashboard: https://grafana/d/web")
    assert render_template('{{ template "khaosobs.pagerduty.severity" . }}') == "critical"
    assert render_template('{{ template "khaosobs.opsgenie.priority" . }}') == "P1"
    assert render_template('{{ template "khaosobs.slack.color" . }}') == "danger"
    assert render_template('{{ template "khaosobs.link" . }}') == "https://grafana/d/web"
    telegram = render_template('{{ template "khaosobs.telegram.message" . }}')
    assert "<b>[FIRING:1] WebDown on web</b>" in telegram
    assert "Web &lt;is&gt; down" in telegram and "<is>" not in telegram  # HTML parse mode: escaped
    resolved = {**TEMPLATE_DATA, "status": "resolved",
                "commonLabels": {**TEMPLATE_DATA["commonLabels"], "severity": "page-me"},
                "alerts": [{**TEMPLATE_DATA["alerts"][0], "status": "resolved"}]}
    assert render_template('{{ template "khaosobs.title" . }}', resolved) == "[RESOLVED] WebDown on web"
    assert render_template('{{ template "khaosobs.slack.color" . }}', resolved) == "good"
    # a severity PagerDuty does not know becomes its `error`
    assert render_template('{{ template "khaosobs.pagerduty.severity" . }}', resolved) == "error"


SPEC_025 = """\
version: 1
project: receivers-025
services:
  - name: web
    metrics: [{name: web_up, type: gauge, help: Up}]
    alerts:
      - {name: WebDown, expr: web_up == 0, severity: critical, summary: Web is down}
alerting:
  receivers:
    - name: web-slack
      slack: {api_url_ref: "file:/etc/alertmanager/secrets/slack-url", channel: "#web"}
    - name: web-pager
      pagerduty: {routing_key_ref: "file:/etc/alertmanager/secrets/pd-key"}
    - name: web-mail
      email: {to: web@example.com, from: am@example.com, smarthost: "smtp.example.com:587"}
    - name: web-opsgenie
      opsgenie: {api_key_ref: "file:/etc/alertmanager/secrets/opsgenie-key"}
  route:
    receiver: web-mail
    routes:
      - {matchers: ['severity="critical"'], receiver: web-pager, continue: true}
      - {matchers: ['severity="critical"'], receiver: web-slack, continue: true}
      - {matchers: ['severity="critical"'], receiver: web-opsgenie}
"""


def test_the_kinds_025_has_load_and_render_the_same_on_025_and_028(tmp_path: Path) -> None:
    """Slack, PagerDuty, email and Opsgenie on the default target: amtool 0.25 loads the config and its
    template set, and both releases render every template alike."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC_025, encoding="utf-8")
    out = tmp_path / "out"
    assert run_khaosobs("render", spec, "-o", out, "-t", "alertmanager").returncode == 0
    config = out / CONFIG
    for line in ("0.25", "0.28"):
        done = amtool(line, "check-config", str(config))
        assert done.returncode == 0 and " - 1 templates" in done.stdout, done.stdout + done.stderr
    data = tmp_path / "data.json"
    data.write_text(json.dumps(TEMPLATE_DATA), encoding="utf-8")
    glob = str(out / "alertmanager" / "templates" / "*.tmpl")
    for name in ("title", "text", "summary", "pagerduty.severity", "opsgenie.priority", "telegram.message"):
        text = f'{{{{ template "khaosobs.{name}" . }}}}'
        rendered = [amtool(line, "template", "render", f"--template.glob={glob}", f"--template.text={text}",
                           f"--template.data={data}") for line in ("0.25", "0.28")]
        assert all(r.returncode == 0 for r in rendered), [r.stderr for r in rendered]
        assert rendered[0].stdout == rendered[1].stdout != ""

"""Receivers, credentials and time intervals: what `validate` refuses, held to the real amtool.

- every Alertmanager field khaosobs gates on a version: amtool 0.25 refuses it, amtool 0.28 takes it;
- a credential of each kind written in the spec is refused, exit 1, and never printed whole;
- time interval values: khaosobs refuses what amtool 0.28 refuses, and accepts what it accepts.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from khaosobs.domain.versions import ALERTMANAGER_FIELDS
from tests.conftest import run_khaosobs
from tests.support.realtools import tool

# A minimal config using each gated field (the secret file need not exist for check-config)
FIELD_CONFIGS = {
    "webhook_configs.url_file": "webhook_configs: [{url_file: /s/hook}]",
    "telegram_configs.bot_token_file": "telegram_configs: [{bot_token_file: /s/tg, chat_id: 1}]",
    "msteams_configs": "msteams_configs: [{webhook_url: 'http://teams.example.com/x'}]",
    "msteams_configs.webhook_url_file": "msteams_configs: [{webhook_url_file: /s/teams}]",
    "discord_configs.webhook_url_file": "discord_configs: [{webhook_url_file: /s/discord}]",
}


def amtool_check(line: str, config: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / f"am-{line}.yml"
    path.write_text(config, encoding="utf-8")
    return subprocess.run([str(tool("amtool", line)), "check-config", str(path)], capture_output=True, text=True,
                          check=False, timeout=60)


@pytest.mark.realtools
@pytest.mark.parametrize("field", sorted(ALERTMANAGER_FIELDS))
def test_each_gated_field_is_refused_by_025_and_taken_by_028(field: str, tmp_path: Path) -> None:
    config = f"route: {{receiver: r}}\nreceivers:\n  - name: r\n    {FIELD_CONFIGS[field]}\n"
    old = amtool_check("0.25", config, tmp_path)
    assert old.returncode != 0 and "not found in type" in old.stdout, old.stdout
    new = amtool_check("0.28", config, tmp_path)
    assert new.returncode == 0, new.stdout + new.stderr


HEAD = 'version: 1\nproject: demo\ntargets: {alertmanager: "0.28"}\nalerting:\n  route: {receiver: team}\n'
SLACK_URL = "https://hooks.slack.com/services/T01ABCDEF/B01ABCDEF/AbCdEfGhIjKlMnOpQrStUvWx"
TEAMS_URL = "https://contoso.webhook.office.com/webhookb2/0a1b2c3d-aaaa@0a1b2c3d/IncomingWebhook/abcdef0123456789/x"
PD_KEY = "R0123456789abcdef0123456789abcde"
OPSGENIE_KEY = "8f14e45f-ceea-467f-a8d5-9e1b2c3d4e5f"
TELEGRAM_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
SMTP_PASSWORD = "correct-horse-battery-staple"
EMAIL = "to: a@example.com, from: am@example.com, smarthost: 'smtp.example.com:587', auth_username: am, "
CREDENTIALS = {
    # kind: (the receiver written with its credential in the `_ref` field, then under Alertmanager's key)
    "slack-url": (f'slack: {{api_url_ref: "{SLACK_URL}"}}', f'slack: {{api_url: "{SLACK_URL}"}}', SLACK_URL),
    "pagerduty-key": (f'pagerduty: {{routing_key_ref: "{PD_KEY}"}}', f'pagerduty: {{routing_key: "{PD_KEY}"}}',
                      PD_KEY),
    "opsgenie-key": (f'opsgenie: {{api_key_ref: "{OPSGENIE_KEY}"}}', f'opsgenie: {{api_key: "{OPSGENIE_KEY}"}}',
                     OPSGENIE_KEY),
    "telegram-token": (f'telegram: {{bot_token_ref: "{TELEGRAM_TOKEN}", chat_id: 1}}',
                       f'telegram: {{bot_token: "{TELEGRAM_TOKEN}", chat_id: 1}}', TELEGRAM_TOKEN),
    "smtp-password": (f'email: {{{EMAIL}auth_password_ref: "{SMTP_PASSWORD}"}}',
                      f'email: {{{EMAIL}auth_password: "{SMTP_PASSWORD}"}}', SMTP_PASSWORD),
    "teams-url": (f'msteams: {{webhook_url_ref: "{TEAMS_URL}"}}', f'msteams: {{webhook_url: "{TEAMS_URL}"}}',
                  TEAMS_URL),
}


@pytest.mark.parametrize("form", ["ref", "key"])
@pytest.mark.parametrize("kind", sorted(CREDENTIALS))
def test_inline_credentials_are_refused_and_masked(kind: str, form: str, tmp_path: Path) -> None:
    as_ref, as_key, secret = CREDENTIALS[kind]
    receiver = as_ref if form == "ref" else as_key
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"{HEAD}  receivers:\n    - name: team\n      {receiver}\n", encoding="utf-8")
    text = run_khaosobs("validate", spec)
    assert text.returncode == 1, text.stdout
    assert secret not in text.stdout + text.stderr  # masked on every line shown
    assert secret[:8] in text.stdout  # ... but still recognisable
    found = json.loads(run_khaosobs("validate", spec, "--format", "json").stdout)["diagnostics"]
    codes = {d["code"] for d in found}
    assert codes & {"secret-ref", "secret-inline", "secret-slack-webhook", "secret-teams-webhook", "secret-token"}
    assert all(secret not in json.dumps(d) for d in found)
    out = tmp_path / "out"
    assert run_khaosobs("render", spec, "-o", out).returncode == 1
    assert not out.exists()


# Time interval entries: (yaml of one interval, does Alertmanager 0.28 accept it?)
INTERVALS = [
    ('{times: [{start_time: "09:00", end_time: "24:00"}]}', True),
    ('{times: [{start_time: "25:00", end_time: "26:00"}]}', False),
    ('{times: [{start_time: "18:00", end_time: "09:00"}]}', False),
    ('{times: [{start_time: "9:00", end_time: "17:00"}]}', False),
    ('{weekdays: ["monday:friday", "Sunday"]}', True),
    ('{weekdays: ["friday:monday"]}', False),
    ('{weekdays: ["funday"]}', False),
    ('{days_of_month: ["1:7", "-3:-1", "5:-1"]}', True),
    ('{days_of_month: ["32"]}', False),
    ('{days_of_month: ["-1:5"]}', False),
    ('{days_of_month: ["-1:-3"]}', False),
    ('{months: ["January:3", "december"]}', True),
    ('{months: ["smarch"]}', False),
    ('{years: ["2025:2027"]}', True),
    ('{years: ["2030:2025"]}', False),
    ("{location: Europe/Berlin}", True),
    ("{location: UTC}", True),
    ("{location: Europe/Berln}", False),
    ("{location: europe/berlin}", False),
]
# khaosobs is stricter than Alertmanager 0.28 here: a value that can never match is a mistake
# (Alertmanager 0.28 loads months: ["13"] and years: ["0"], which then match nothing)
STRICTER = ['{months: ["13"]}', '{years: ["0"]}']


def khaosobs_refuses_interval(interval: str, tmp_path: Path) -> list[str]:
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nproject: demo\nalerting:\n  receivers: [{name: a}, {name: b}]\n"
                    f"  time_intervals: [{{name: x, intervals: [{interval}]}}]\n"
                    "  route: {receiver: a, routes: [{matchers: ['severity=\"info\"'], receiver: b, "
                    "mute_time_intervals: [x]}]}\n", encoding="utf-8")
    done = run_khaosobs("validate", spec, "--format", "json")
    return [d["code"] for d in json.loads(done.stdout)["diagnostics"] if d["severity"] == "error"]


@pytest.mark.realtools
@pytest.mark.parametrize(("interval", "accepted"), INTERVALS)
def test_time_intervals_agree_with_amtool_028(interval: str, accepted: bool, tmp_path: Path) -> None:
    config = ("route: {receiver: r, routes: [{receiver: r, mute_time_intervals: [x]}]}\n"
              f"receivers: [{{name: r}}]\ntime_intervals: [{{name: x, time_intervals: [{interval}]}}]\n")
    amtool = amtool_check("0.28", config, tmp_path)
    assert (amtool.returncode == 0) is accepted, amtool.stdout
    refused = khaosobs_refuses_interval(interval, tmp_path)
    assert (refused == []) is accepted, refused
    assert all(code.startswith("time-interval") for code in refused)


@pytest.mark.parametrize("interval", STRICTER)
def test_intervals_that_never_match_are_refused(interval: str, tmp_path: Path) -> None:
    assert khaosobs_refuses_interval(interval, tmp_path) == ["time-interval"]


# Receiver options Alertmanager refuses when it loads the config: (spec receiver, Alertmanager config)
OPTIONS = [
    ("email: {to: a@example.com, smarthost: 'smtp.example.com:25'}",
     "email_configs: [{to: a@example.com, smarthost: 'smtp.example.com:25'}]"),
    ("email: {to: a@example.com, from: am@example.com}", "email_configs: [{to: a@example.com, from: am@example.com}]"),
    ("email: {to: a@example.com, from: am@example.com, smarthost: smtp.example.com}",
     "email_configs: [{to: a@example.com, from: am@example.com, smarthost: smtp.example.com}]"),
    ('telegram: {bot_token_ref: "file:/s/tg", chat_id: 0}', "telegram_configs: [{bot_token_file: /s/tg, chat_id: 0}]"),
]


@pytest.mark.realtools
@pytest.mark.parametrize(("receiver", "config"), OPTIONS)
def test_options_alertmanager_refuses_are_refused(receiver: str, config: str, tmp_path: Path) -> None:
    refused = amtool_check("0.28", f"route: {{receiver: r}}\nreceivers:\n  - name: r\n    {config}\n", tmp_path)
    assert refused.returncode != 0, refused.stdout
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"{HEAD}  receivers:\n    - name: team\n      {receiver}\n", encoding="utf-8")
    found = json.loads(run_khaosobs("validate", spec, "--format", "json").stdout)["diagnostics"]
    assert [d["code"] for d in found if d["severity"] == "error"] == ["alertmanager-option"], found


def test_a_plain_url_the_spec_defines_is_no_credential(tmp_path: Path) -> None:
    """Opsgenie's `api_url` is a spec field holding a plain URL; Slack's `api_url` would hold the secret."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(f'{HEAD}  receivers:\n    - name: team\n      opsgenie: {{api_key_ref: "file:/s/og", '
                    'api_url: "https://api.eu.opsgenie.com/"}\n', encoding="utf-8")
    done = run_khaosobs("validate", spec)
    assert done.returncode == 0, done.stdout

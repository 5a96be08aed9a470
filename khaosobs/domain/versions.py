"""Target tool versions: what the spec's `targets` say, and which feature needs which version."""

from __future__ import annotations

import re

Version = tuple[int, int, int]

PROMETHEUS_MIN: Version = (2, 42, 0)
ALERTMANAGER_MIN: Version = (0, 25, 0)
DISCORD_URL_FILE: Version = (0, 28, 0)  # Alertmanager discord_configs.webhook_url_file
OTELCOL_MIN: Version = (0, 117, 0)  # the Collector's first release of 2025
# Collector v0.144.0 renamed the `otlp` and `otlphttp` exporters `otlp_grpc` and `otlp_http`
# (open-telemetry/opentelemetry-collector#14403, #14397); the old names log a deprecation warning.
OTELCOL_OTLP_RENAME: Version = (0, 144, 0)
# Alertmanager fields 0.25 lacks, with the release that has them. Checked with the real amtool:
# `amtool check-config` 0.25 refuses each ("field … not found"), 0.28.1 accepts each
# (tests/targets/test_alertmanager_versions.py). The releases in between follow Alertmanager's changelog:
# url_file (#3223) and bot_token_file (#3226) came in 0.26, as did msteams_configs; Discord's and
# Teams' webhook_url_file came in 0.27 but was only read correctly from 0.28 (#3728).
ALERTMANAGER_FIELDS: dict[str, Version] = {
    "webhook_configs.url_file": (0, 26, 0),
    "telegram_configs.bot_token_file": (0, 26, 0),
    "msteams_configs": (0, 26, 0),
    "msteams_configs.webhook_url_file": DISCORD_URL_FILE,
    "discord_configs.webhook_url_file": DISCORD_URL_FILE,
}
# Prometheus rule fields: keep_firing_for came in 2.42 (promtool 2.42 and 2.53 both check it), as did
# everything else khaosobs writes, so no Prometheus target refuses a rule field today.

_VERSION_RE = re.compile(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def parse_version(text: str) -> Version | None:
    """`"2.42"`, `"v3.1.0"`, `"3"` -> (major, minor, patch); anything else -> None."""
    found = _VERSION_RE.fullmatch(text.strip())
    if found is None:
        return None
    major, minor, patch = (int(part or 0) for part in found.groups())
    return major, minor, patch


def version_text(version: tuple[int, ...]) -> str:
    """(0, 28, 0) -> "0.28"; (0, 28, 1) -> "0.28.1"."""
    parts = list(version)
    while len(parts) > 2 and parts[-1] == 0:
        parts.pop()
    return ".".join(map(str, parts))


def prometheus_version(text: str) -> Version:
    """The Prometheus target; an unreadable one is reported by checks/targets.py and taken as the minimum."""
    return parse_version(text) or PROMETHEUS_MIN


def alertmanager_version(text: str) -> Version:
    return parse_version(text) or ALERTMANAGER_MIN


def otelcol_version(text: str) -> Version:
    return parse_version(text) or OTELCOL_MIN

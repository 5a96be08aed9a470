"""Alertmanager's notifiers as the spec names them: one table, read by the checks (which reference
each secret field takes, which Alertmanager release has each field) and by the Alertmanager target
(which `*_configs` list and `*_file` field each one renders), so the two can never disagree."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from khaosobs.domain.versions import ALERTMANAGER_FIELDS, Version
from khaosobs.spec.model import Integration, Receiver


@dataclass(frozen=True)
class SecretField:
    spec_key: str  # the spec's `*_ref` key
    file_key: str  # the Alertmanager field that reads the secret from a file
    what: str  # what the secret is, for messages
    required: bool = True


@dataclass(frozen=True)
class IntegrationKind:
    spec_key: str  # the receiver's key in the spec
    config_key: str  # Alertmanager's `*_configs` list
    label: str  # the product's name, for messages
    secrets: tuple[SecretField, ...]
    template: str | None  # the message template file (alertmanager/templates/<name>.tmpl) it uses
    send_resolved_default: bool  # Alertmanager's own default (config/notifiers.go)


INTEGRATIONS: tuple[IntegrationKind, ...] = (
    IntegrationKind("webhook", "webhook_configs", "webhook",
                    (SecretField("url_ref", "url_file", "webhook URL", required=False),), None, True),
    IntegrationKind("discord", "discord_configs", "Discord",
                    (SecretField("webhook_url_ref", "webhook_url_file", "Discord webhook URL"),), "discord", True),
    IntegrationKind("slack", "slack_configs", "Slack",
                    (SecretField("api_url_ref", "api_url_file", "Slack webhook URL"),), "khaosobs", False),
    IntegrationKind("pagerduty", "pagerduty_configs", "PagerDuty",
                    (SecretField("routing_key_ref", "routing_key_file", "PagerDuty routing key"),), "khaosobs", True),
    IntegrationKind("email", "email_configs", "email",
                    (SecretField("auth_password_ref", "auth_password_file", "SMTP password", required=False),),
                    "khaosobs", False),
    IntegrationKind("msteams", "msteams_configs", "Microsoft Teams",
                    (SecretField("webhook_url_ref", "webhook_url_file", "Teams webhook URL"),), "khaosobs", True),
    IntegrationKind("opsgenie", "opsgenie_configs", "Opsgenie",
                    (SecretField("api_key_ref", "api_key_file", "Opsgenie API key"),), "khaosobs", True),
    IntegrationKind("telegram", "telegram_configs", "Telegram",
                    (SecretField("bot_token_ref", "bot_token_file", "Telegram bot token"),), "khaosobs", True),
)
BY_SPEC_KEY = {kind.spec_key: kind for kind in INTEGRATIONS}
# http_config's secrets, whatever the integration: (path under http_config, Alertmanager's file field)
HTTP_SECRETS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("authorization", "credentials_ref"), "credentials_file"),
    (("basic_auth", "password_ref"), "password_file"),
)


def integrations(receiver: Receiver) -> Iterator[tuple[IntegrationKind, Integration]]:
    """The receiver's integrations, in the table's order."""
    for kind in INTEGRATIONS:
        config = getattr(receiver, kind.spec_key)
        if config is not None:
            yield kind, config


def required_version(config_key: str, field: str | None = None) -> Version | None:
    """The Alertmanager release that has `<config_key>.<field>` (or the list itself), when newer than
    the oldest khaosobs renders for; None when every supported release has it."""
    return ALERTMANAGER_FIELDS.get(config_key if field is None else f"{config_key}.{field}")

"""Alertmanager: `alertmanager/alertmanager.yml` (routing tree, receivers, inhibit rules) and the
Discord message template `alertmanager/templates/discord.tmpl`.

Decisions (Alertmanager >= 0.25):
- Routes use `matchers` only: the seed's `match`/`match_re` become `name="value"` / `name=~"value"`
  (khaosobs.routing, shared with `khaosobs routes`); user `matchers` are kept as written.
- `send_resolved` is always written: the spec's value, else Alertmanager's own default for webhook
  and Discord configs (true), so the file says what happens without knowing the defaults.
- Without `inhibit_rules`, one default rule: a critical alert silences the warning of the same
  alertname and service. `inhibit_rules: []` means none.
- Native Discord receivers need `webhook_url_file` (Alertmanager >= 0.28): the webhook URL holds its
  token, so it is read from a file, never written here (checks/alertmanager.py refuses the rest).
"""

from __future__ import annotations

from typing import Any

from khaosobs.model import Alerting, InhibitRule, Receiver, Route, Spec
from khaosobs.naming import (
    ALERTMANAGER_CONFIG_PATH,
    ALERTMANAGER_TEMPLATES_GLOB,
    alertmanager_template_path,
    file_ref_path,
)
from khaosobs.output import OutputFile
from khaosobs.routing import effective_alerting, route_matcher_texts
from khaosobs.templating import RenderBug, Renderer

NAME = "alertmanager"
DESCRIPTION = "Alertmanager config (routes, receivers, inhibit rules) and its Discord message template"

SEND_RESOLVED_DEFAULT = True  # Alertmanager's default for webhook_configs and discord_configs
DISCORD_TITLE = '{{ template "discord.title" . }}'
DISCORD_MESSAGE = '{{ template "discord.message" . }}'
TEMPLATE_NAMES = ("discord",)


def default_inhibit_rules() -> list[InhibitRule]:
    return [InhibitRule(source_matchers=['severity="critical"'], target_matchers=['severity="warning"'],
                        equal=["alertname", "service"])]


def inhibit_rules(alerting: Alerting) -> list[InhibitRule]:
    return default_inhibit_rules() if alerting.inhibit_rules is None else alerting.inhibit_rules


def _route(route: Route) -> dict[str, Any]:
    return {
        "receiver": route.receiver,
        "matchers": route_matcher_texts(route),
        "continue": route.continue_,
        "group_by": route.group_by,
        "group_wait": route.group_wait,
        "group_interval": route.group_interval,
        "repeat_interval": route.repeat_interval,
        "routes": [_route(child) for child in route.routes],
    }


def _send_resolved(value: bool | None) -> bool:
    return SEND_RESOLVED_DEFAULT if value is None else value


def _receiver(receiver: Receiver) -> dict[str, Any]:
    out: dict[str, Any] = {"name": receiver.name, "webhook_configs": [], "discord_configs": []}
    if receiver.webhook is not None:
        hook = receiver.webhook
        config: dict[str, Any] = {"url": hook.url, "send_resolved": _send_resolved(hook.send_resolved)}
        if hook.max_alerts is not None:
            config["max_alerts"] = hook.max_alerts
        out["webhook_configs"].append(config)
    if receiver.discord is not None:
        discord = receiver.discord
        path = file_ref_path(discord.webhook_url_ref)
        if path is None:  # checks/alertmanager.py refuses it before rendering
            raise RenderBug(f"receiver {receiver.name}: {discord.webhook_url_ref!r} is not a file reference")
        out["discord_configs"].append({
            "webhook_url_file": path,
            "send_resolved": _send_resolved(discord.send_resolved),
            "title": discord.title if discord.title is not None else DISCORD_TITLE,
            "message": discord.message if discord.message is not None else DISCORD_MESSAGE,
        })
    return out


def render(spec: Spec, renderer: Renderer) -> list[OutputFile]:
    alerting = effective_alerting(spec)
    if alerting is None:  # nowhere to send alerts: no Alertmanager config
        return []
    # a message template only where a receiver uses it (the Discord one: a `discord:` receiver)
    used = [name for name in TEMPLATE_NAMES if any(getattr(r, name, None) is not None for r in alerting.receivers)]
    context = {
        "route": _route(alerting.route),
        "receivers": [_receiver(r) for r in alerting.receivers],
        "inhibit_rules": [rule.model_dump() for rule in inhibit_rules(alerting)],
        "templates": [ALERTMANAGER_TEMPLATES_GLOB] if used else [],
    }
    files = [renderer.file(NAME, "alertmanager/alertmanager.yml.j2", ALERTMANAGER_CONFIG_PATH, "yaml",
                           **context)]
    for name in used:
        files.append(renderer.file(NAME, f"alertmanager/{name}.tmpl.j2", alertmanager_template_path(name),
                                   "text"))
    return files

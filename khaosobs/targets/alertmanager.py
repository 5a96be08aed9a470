"""Alertmanager: `alertmanager/alertmanager.yml` (routing tree, receivers, time intervals, inhibit
rules) and the message templates its receivers use: `alertmanager/templates/discord.tmpl` (Discord)
and `alertmanager/templates/khaosobs.tmpl` (Slack, PagerDuty, email, Teams, Opsgenie, Telegram), each
written only when some receiver uses it.

Decisions (Alertmanager >= 0.25):
- Routes use `matchers` only: the seed's `match`/`match_re` become `name="value"` / `name=~"value"`
  (khaosobs.domain.routing, shared with `khaosobs routes`); user `matchers` are kept as written.
- `send_resolved` is always written: the spec's value, else Alertmanager's own default for that
  integration (khaosobs.domain.receivers), so the file says what happens without knowing the defaults.
- Credentials are only ever `*_file` fields (khaosobs.domain.receivers names them); checks refuse the rest.
- Without `inhibit_rules`, one default rule: a critical alert silences the warning of the same
  alertname and service. `inhibit_rules: []` means none.
- Native Discord receivers need `webhook_url_file` (Alertmanager >= 0.28): the webhook URL holds its
  token, so it is read from a file, never written here (checks/alertmanager.py refuses the rest).
"""

from __future__ import annotations

from typing import Any

from khaosobs.domain.naming import (
    ALERTMANAGER_CONFIG_PATH,
    ALERTMANAGER_OPERATOR_TEMPLATES_GLOB,
    ALERTMANAGER_TEMPLATES_GLOB,
    alertmanager_template_path,
    file_ref_path,
)
from khaosobs.domain.receivers import IntegrationKind, integrations
from khaosobs.domain.routing import effective_alerting, route_matcher_texts
from khaosobs.output import OutputFile
from khaosobs.output.templating import RenderBug, Renderer
from khaosobs.spec.model import (
    Alerting,
    DiscordReceiver,
    EmailReceiver,
    HttpConfig,
    HttpIntegration,
    InhibitRule,
    Integration,
    MSTeamsReceiver,
    NamedTimeIntervals,
    OpsgenieReceiver,
    PagerDutyReceiver,
    Receiver,
    Route,
    SlackReceiver,
    Spec,
    TelegramReceiver,
    WebhookReceiver,
)

NAME = "alertmanager"
DESCRIPTION = "Alertmanager config (routes, receivers, time intervals, inhibit rules) and its message templates"

DISCORD_TITLE = '{{ template "discord.title" . }}'
DISCORD_MESSAGE = '{{ template "discord.message" . }}'
# The other integrations share one template set (templates/alertmanager/khaosobs.tmpl.j2)
TEMPLATE_TITLE = '{{ template "khaosobs.title" . }}'
TEMPLATE_TEXT = '{{ template "khaosobs.text" . }}'
SLACK_COLOR = '{{ template "khaosobs.slack.color" . }}'
SLACK_TITLE_LINK = '{{ template "khaosobs.link" . }}'
PAGERDUTY_SEVERITY = '{{ template "khaosobs.pagerduty.severity" . }}'
PAGERDUTY_DETAILS = {
    "status": '{{ .Status }}',
    "severity": '{{ template "khaosobs.severity" . }}',
    "service": '{{ template "khaosobs.service" . }}',
    "summary": '{{ template "khaosobs.summary" . }}',
    "firing": '{{ .Alerts.Firing | len }}',
    "resolved": '{{ .Alerts.Resolved | len }}',
}
OPSGENIE_PRIORITY = '{{ template "khaosobs.opsgenie.priority" . }}'
TELEGRAM_MESSAGE = '{{ template "khaosobs.telegram.message" . }}'
TEMPLATE_NAMES = ("discord", "khaosobs")


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
        "mute_time_intervals": route.mute_time_intervals,
        "active_time_intervals": route.active_time_intervals,
        "routes": [_route(child) for child in route.routes],
    }


def _time_intervals(named: NamedTimeIntervals) -> dict[str, Any]:
    """Alertmanager's `time_intervals` entry: only the fields the spec sets (a missing one matches any time)."""
    intervals = []
    for interval in named.intervals:
        out: dict[str, Any] = {}
        if interval.times:
            out["times"] = [{"start_time": t.start_time, "end_time": t.end_time} for t in interval.times]
        for key in ("weekdays", "days_of_month", "months", "years"):
            if getattr(interval, key):
                out[key] = getattr(interval, key)
        if interval.location is not None:
            out["location"] = interval.location
        intervals.append(out)
    return {"name": named.name, "time_intervals": intervals}


def _file(receiver: Receiver, ref: str) -> str:
    path = file_ref_path(ref)
    if path is None:  # checks/alertmanager.py refuses it before rendering
        raise RenderBug(f"receiver {receiver.name}: {ref!r} is not a file reference")
    return path


def _http_config(receiver: Receiver, http: HttpConfig | None) -> dict[str, Any] | None:
    if http is None:
        return None
    out: dict[str, Any] = {}
    if http.authorization is not None:
        out["authorization"] = {"type": http.authorization.type,
                                "credentials_file": _file(receiver, http.authorization.credentials_ref)}
    if http.basic_auth is not None:
        out["basic_auth"] = {"username": http.basic_auth.username,
                             "password_file": _file(receiver, http.basic_auth.password_ref)}
    if http.proxy_url is not None:
        out["proxy_url"] = http.proxy_url
    return out or None


def _or(value: str | None, default: str) -> str:
    return default if value is None else value


def _fields(receiver: Receiver, kind: IntegrationKind, config: Integration) -> dict[str, Any]:
    """The integration's own fields, in Alertmanager's documented order; None values are left out."""
    if isinstance(config, WebhookReceiver):
        return {"url": config.url, "url_file": None if config.url_ref is None else _file(receiver, config.url_ref),
                "max_alerts": config.max_alerts}
    if isinstance(config, DiscordReceiver):
        return {"webhook_url_file": _file(receiver, config.webhook_url_ref),
                "title": _or(config.title, DISCORD_TITLE), "message": _or(config.message, DISCORD_MESSAGE)}
    if isinstance(config, SlackReceiver):
        return {"api_url_file": _file(receiver, config.api_url_ref), "channel": config.channel,
                "username": config.username, "color": SLACK_COLOR,
                "title": _or(config.title, TEMPLATE_TITLE), "title_link": SLACK_TITLE_LINK,
                "text": _or(config.text, TEMPLATE_TEXT)}
    if isinstance(config, PagerDutyReceiver):
        return {"routing_key_file": _file(receiver, config.routing_key_ref), "url": config.url,
                "description": _or(config.description, TEMPLATE_TITLE),
                "severity": _or(config.severity, PAGERDUTY_SEVERITY),
                "details": {**PAGERDUTY_DETAILS, **config.details}}
    if isinstance(config, EmailReceiver):
        return {"to": config.to, "from": config.from_, "smarthost": config.smarthost,
                "auth_username": config.auth_username,
                "auth_password_file": (None if config.auth_password_ref is None
                                       else _file(receiver, config.auth_password_ref)),
                "require_tls": config.require_tls, "headers": {"Subject": TEMPLATE_TITLE, **config.headers},
                "text": TEMPLATE_TEXT}
    if isinstance(config, MSTeamsReceiver):
        return {"webhook_url_file": _file(receiver, config.webhook_url_ref),
                "title": _or(config.title, TEMPLATE_TITLE), "text": _or(config.text, TEMPLATE_TEXT)}
    if isinstance(config, OpsgenieReceiver):
        return {"api_key_file": _file(receiver, config.api_key_ref), "api_url": config.api_url,
                "message": _or(config.message, TEMPLATE_TITLE), "description": TEMPLATE_TEXT,
                "priority": _or(config.priority, OPSGENIE_PRIORITY), "tags": config.tags}
    if isinstance(config, TelegramReceiver):
        return {"bot_token_file": _file(receiver, config.bot_token_ref), "chat_id": config.chat_id,
                "message": _or(config.message, TELEGRAM_MESSAGE),
                "parse_mode": _or(config.parse_mode, "HTML")}
    raise RenderBug(f"receiver {receiver.name}: no rendering for {kind.spec_key}")


def receiver_config(receiver: Receiver) -> dict[str, Any]:
    """The receiver as alertmanager.yml holds it (import renders a candidate with it to confirm it)."""
    return _receiver(receiver)


def _receiver(receiver: Receiver) -> dict[str, Any]:
    out: dict[str, Any] = {"name": receiver.name, "configs": []}
    for kind, config in integrations(receiver):
        own = [(key, value) for key, value in _fields(receiver, kind, config).items() if value is not None]
        # the endpoint first, then send_resolved (the spec's, else this integration's default), then the rest
        send_resolved = kind.send_resolved_default if config.send_resolved is None else config.send_resolved
        fields = dict([*own[:1], ("send_resolved", send_resolved), *own[1:]])
        http_config = _http_config(receiver, config.http_config) if isinstance(config, HttpIntegration) else None
        if http_config is not None:
            fields["http_config"] = http_config
        out["configs"].append((kind.config_key, [fields]))
    return out


def used_templates(alerting: Alerting) -> list[str]:
    """The message template files some receiver uses, in a stable order (a file nobody uses is not written)."""
    used = {kind.template for receiver in alerting.receivers for kind, _ in integrations(receiver)}
    return [name for name in TEMPLATE_NAMES if name in used]


def render(spec: Spec, renderer: Renderer) -> list[OutputFile]:
    alerting = effective_alerting(spec)
    if alerting is None:  # nowhere to send alerts: no Alertmanager config
        return []
    templates = used_templates(alerting)
    settings = alerting.global_.model_dump(exclude_none=True) if alerting.global_ is not None else {}
    context = {
        "global_settings": settings,
        "route": _route(alerting.route),
        "receivers": [_receiver(r) for r in alerting.receivers],
        "time_intervals": [_time_intervals(named) for named in alerting.time_intervals],
        "inhibit_rules": [rule.model_dump() for rule in inhibit_rules(alerting)],
        # with Kubernetes manifests, the same config also runs from the Operator's Secret
        "templates": [ALERTMANAGER_TEMPLATES_GLOB,
                      *([ALERTMANAGER_OPERATOR_TEMPLATES_GLOB] if spec.kubernetes is not None else [])]
        if templates else [],
    }
    files = [renderer.file(NAME, "alertmanager/alertmanager.yml.j2", ALERTMANAGER_CONFIG_PATH, "yaml",
                           **context)]
    for name in templates:
        files.append(renderer.file(NAME, f"alertmanager/{name}.tmpl.j2", alertmanager_template_path(name),
                                   "text"))
    return files

"""An Alertmanager config -> the spec's `alerting`: the routing tree, receivers, inhibit rules and
the `global` settings that hold no secret.

Routing is carried exactly (matchers as written, `match`/`match_re`, `continue`, timings), so every
label set reaches the same receivers. A receiver keeps its name even when an integration of it
cannot be carried (the report says which): routing stays the same, delivery must be completed.
Secrets are never copied into a spec: a webhook with `url_file` or credentials is reported.
"""

from __future__ import annotations

from typing import Any

from khaosobs.domain.naming import ALERTMANAGER_TEMPLATES_GLOB
from khaosobs.domain.routing import matcher_text
from khaosobs.importer.report import ImportReport
from khaosobs.spec.model import AlertmanagerGlobal

GLOBAL_KEYS = tuple(AlertmanagerGlobal.model_fields)
ROUTE_KEYS = ("receiver", "match", "match_re", "matchers", "group_by", "group_wait", "group_interval",
              "repeat_interval", "continue", "routes")
DISCORD_DEFAULTS = {"title": '{{ template "discord.title" . }}', "message": '{{ template "discord.message" . }}'}
OUR_TEMPLATES = [ALERTMANAGER_TEMPLATES_GLOB]


def _bool(value: Any) -> bool:
    return str(value).lower() == "true"


def import_alertmanager(config: dict[str, Any], origin: str, report: ImportReport) -> dict[str, Any]:
    alerting: dict[str, Any] = {}
    settings = config.get("global")
    if isinstance(settings, dict):
        carried: dict[str, Any] = {}
        for key in sorted(settings):
            if key in GLOBAL_KEYS:
                value = settings[key]
                carried[key] = _bool(value) if key == "smtp_require_tls" else str(value)
            else:
                report.omit(f"{origin}: global", f"`{key}` (secrets and HTTP settings stay out of the spec)")
        if carried:
            alerting["global"] = {key: carried[key] for key in GLOBAL_KEYS if key in carried}
    receivers = config.get("receivers")
    alerting["receivers"] = [_receiver(r, origin, report) for r in receivers or [] if isinstance(r, dict)]
    route = config.get("route")
    alerting["route"] = _route(route if isinstance(route, dict) else {}, f"{origin}: route", report)
    rules = config.get("inhibit_rules")
    alerting["inhibit_rules"] = [_inhibit_rule(rule) for rule in rules or [] if isinstance(rule, dict)]
    for key in ("time_intervals", "mute_time_intervals"):
        for interval in config.get(key) or []:
            name = interval.get("name") if isinstance(interval, dict) else "?"
            report.omit(origin, f"{key} {name!r} (the spec has no time intervals; routes using it are active always)")
    templates = config.get("templates")
    if templates and list(templates) != OUR_TEMPLATES:
        report.omit(origin, f"templates {list(templates)!r} (khaosobs writes its own Discord template)")
    for key in sorted(set(config) - {"global", "receivers", "route", "inhibit_rules", "time_intervals",
                                       "mute_time_intervals", "templates"}):
        report.omit(origin, f"top-level `{key}`")
    return alerting


def _receiver(receiver: dict[str, Any], origin: str, report: ImportReport) -> dict[str, Any]:
    name = str(receiver.get("name", ""))
    where = f"{origin}: receiver {name!r}"
    out: dict[str, Any] = {"name": name}
    for key in sorted(receiver):
        if key == "name":
            continue
        configs = receiver[key] if isinstance(receiver[key], list) else []
        if key == "webhook_configs":
            for i, config in enumerate(configs):
                webhook = _webhook(config, where, report) if i == 0 else None
                if webhook is not None:
                    out["webhook"] = webhook
                elif i > 0:
                    report.omit(where, "a second webhook config (the spec has one per receiver)")
        elif key == "discord_configs":
            for i, config in enumerate(configs):
                discord = _discord(config, where, report) if i == 0 else None
                if discord is not None:
                    out["discord"] = discord
                elif i > 0:
                    report.omit(where, "a second discord config (the spec has one per receiver)")
        else:
            report.omit(where, f"{len(configs)} {key} (the receiver is kept without them: routing is unchanged, "
                        "delivery is not)")
    return out


def _webhook(config: dict[str, Any], where: str, report: ImportReport) -> dict[str, Any] | None:
    if "url" not in config:
        report.omit(where, "a webhook without `url` (url_file is a secret: the spec takes `url` only)")
        return None
    webhook: dict[str, Any] = {"url": str(config["url"])}
    if "send_resolved" in config and not _bool(config["send_resolved"]):
        webhook["send_resolved"] = False
    if "max_alerts" in config and str(config["max_alerts"]) != "0":
        webhook["max_alerts"] = int(str(config["max_alerts"]))
    for key in sorted(set(config) - {"url", "send_resolved", "max_alerts"}):
        report.omit(where, f"webhook setting `{key}`")
    return webhook


def _discord(config: dict[str, Any], where: str, report: ImportReport) -> dict[str, Any] | None:
    if "webhook_url_file" not in config:
        report.omit(where, "a discord config without `webhook_url_file` (its URL is a secret: write it to a file)")
        return None
    discord: dict[str, Any] = {"webhook_url_ref": f"file:{config['webhook_url_file']}"}
    if "send_resolved" in config and not _bool(config["send_resolved"]):
        discord["send_resolved"] = False
    for key in ("title", "message"):
        if key in config and str(config[key]) != DISCORD_DEFAULTS[key]:
            discord[key] = str(config[key])
    for key in sorted(set(config) - {"webhook_url_file", "send_resolved", "title", "message"}):
        report.omit(where, f"discord setting `{key}`")
    return discord


def _route(route: dict[str, Any], where: str, report: ImportReport) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ROUTE_KEYS:
        if key not in route:
            continue
        value = route[key]
        if key in ("match", "match_re"):
            out[key] = {str(k): str(v) for k, v in value.items()}
        elif key == "matchers":
            out[key] = [str(m) for m in value]
        elif key == "group_by":
            out[key] = [str(label) for label in value]
        elif key == "continue":
            if _bool(value):
                out[key] = True
        elif key == "routes":
            out[key] = []
            for i, child in enumerate(value):
                if isinstance(child, dict):
                    out[key].append(_route(child, f"{where}.routes[{i}]", report))
                else:
                    report.omit(f"{where}.routes[{i}]", "a route that is not a mapping (Alertmanager refuses it)")
        else:
            out[key] = str(value)
    for key in sorted(set(route) - set(ROUTE_KEYS)):
        report.omit(where, f"route setting `{key}`")
    return out


def _inhibit_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """The deprecated `source_match`/`source_match_re` (and target_) as matchers, which mean the same."""
    out: dict[str, Any] = {}
    for side in ("source", "target"):
        matchers = [str(m) for m in rule.get(f"{side}_matchers") or []]
        matchers += [matcher_text(str(k), "=", str(v)) for k, v in (rule.get(f"{side}_match") or {}).items()]
        matchers += [matcher_text(str(k), "=~", str(v)) for k, v in (rule.get(f"{side}_match_re") or {}).items()]
        out[f"{side}_matchers"] = matchers
    if rule.get("equal"):
        out["equal"] = [str(label) for label in rule["equal"]]
    return out

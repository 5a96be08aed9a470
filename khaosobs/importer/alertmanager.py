"""An Alertmanager config -> the spec's `alerting`: the routing tree, receivers, inhibit rules and
the `global` settings that hold no secret.

Routing is carried exactly (matchers as written, `match`/`match_re`, `continue`, timings), so every
label set reaches the same receivers. A receiver keeps its name even when an integration of it
cannot be carried (the report says which): routing stays the same, delivery must be completed.
Secrets are never copied into a spec: a webhook with `url_file` or credentials is reported.
"""

from __future__ import annotations

from typing import Any, get_args

from khaosobs.domain.naming import ALERTMANAGER_TEMPLATES_GLOB
from khaosobs.domain.receivers import HTTP_SECRETS, INTEGRATIONS, IntegrationKind
from khaosobs.domain.routing import matcher_text
from khaosobs.importer.report import ImportReport
from khaosobs.output.templating import RenderBug
from khaosobs.spec.model import AlertmanagerGlobal, Receiver
from khaosobs.spec.modelkit import Model
from khaosobs.targets.alertmanager import receiver_config as render_receiver

GLOBAL_KEYS = tuple(AlertmanagerGlobal.model_fields)
ROUTE_KEYS = ("receiver", "match", "match_re", "matchers", "group_by", "group_wait", "group_interval",
              "repeat_interval", "continue", "mute_time_intervals", "active_time_intervals", "routes")
BY_CONFIG_KEY = {kind.config_key: kind for kind in INTEGRATIONS}
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
    intervals = []
    for key in ("time_intervals", "mute_time_intervals"):  # the second is the deprecated name of the first
        for interval in config.get(key) or []:
            if isinstance(interval, dict):
                intervals.append(_time_interval(interval))
    if intervals:
        alerting["time_intervals"] = intervals
    templates = config.get("templates")
    if templates and list(templates) != OUR_TEMPLATES:
        report.omit(origin, f"templates {list(templates)!r} (khaosobs writes its own message templates)")
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
        kind = BY_CONFIG_KEY.get(key)
        if kind is None:
            report.omit(where, f"{len(configs)} {key} (the receiver is kept without them: routing is unchanged, "
                        "delivery is not)")
            continue
        for i, config in enumerate(configs):
            if i > 0:
                report.omit(where, f"a second {kind.spec_key} config (the spec has one per receiver)")
                continue
            carried = _integration(name, kind, config if isinstance(config, dict) else {}, where, report)
            if carried is not None:
                out[kind.spec_key] = carried
    return out


def _plain(value: Any) -> Any:
    """A rendered value as the YAML BaseLoader reads it back: every scalar a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value)


def _candidate(kind: IntegrationKind, config: dict[str, Any]) -> dict[str, Any]:
    """Every field of `config` the spec has, under the spec's name (`*_file` -> `*_ref: file:`)."""
    fields = _model(kind).model_fields
    names = {field.alias or key: key for key, field in fields.items()}
    files = {secret.file_key: secret.spec_key for secret in kind.secrets}
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key in files:
            out[files[key]] = f"file:{value}"
        elif key == "http_config" and isinstance(value, dict) and "http_config" in names:
            out[key] = _http_config(value)
        elif key in names:
            out[key] = value
    return out


def _http_config(config: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for (block, ref), file_key in HTTP_SECRETS:
        part = config.get(block)
        if isinstance(part, dict):
            out[block] = {k: (f"file:{v}" if k == file_key else v) for k, v in part.items()}
            out[block] = {(ref if k == file_key else k): v for k, v in out[block].items()}
    if "proxy_url" in config:
        out["proxy_url"] = config["proxy_url"]
    return out


def _model(kind: IntegrationKind) -> type[Model]:
    annotation = Receiver.model_fields[kind.spec_key].annotation
    model = next(arg for arg in get_args(annotation) if isinstance(arg, type) and issubclass(arg, Model))
    return model


def _rendered(name: str, kind: IntegrationKind, candidate: dict[str, Any]) -> Any:
    """What render writes for the candidate (None when the spec refuses it)."""
    try:
        model = Receiver.model_validate({"name": name, kind.spec_key: candidate}, strict=False)
        return _plain(render_receiver(model)["configs"][0][1][0])
    except (ValueError, RenderBug):
        return None


def _integration(name: str, kind: IntegrationKind, config: dict[str, Any], where: str,
                 report: ImportReport) -> dict[str, Any] | None:
    """The spec's integration that renders exactly `config`, written with no value render derives
    itself (the khaosobs templates, the defaults); None, reported, when there is none."""
    # as Alertmanager reads it: send_resolved left out is the integration's default (config/notifiers.go)
    source = _plain({"send_resolved": kind.send_resolved_default, **config})
    candidate = _candidate(kind, config)
    if _rendered(name, kind, candidate) is None:
        report.omit(where, f"its {kind.config_key} entry (the spec's {kind.spec_key} cannot express it: "
                    "a secret given inline rather than as a *_file, or a setting the spec lacks)")
        return None
    # drop what render writes anyway: a value, or a map's entry, equal to what it derives
    for key in list(candidate):
        value = candidate[key]
        if isinstance(value, dict) and key != "http_config":
            for item in list(value):
                trial = {**candidate, key: {k: v for k, v in value.items() if k != item}}
                if _rendered(name, kind, trial) == _rendered(name, kind, candidate):
                    candidate = trial
                    value = trial[key]
            if not candidate[key]:
                candidate.pop(key)
            continue
        trial = {k: v for k, v in candidate.items() if k != key}
        if _rendered(name, kind, trial) == _rendered(name, kind, candidate):
            candidate = trial
    if _rendered(name, kind, candidate) != source:
        report.omit(where, f"its {kind.config_key} entry (rendered from the spec it would differ: khaosobs "
                    "writes its own message templates and defaults)")
        return None
    model = Receiver.model_validate({"name": name, kind.spec_key: candidate}, strict=False)
    typed = getattr(model, kind.spec_key).model_dump(by_alias=True, exclude_unset=True)
    return {key: typed[key] for key in candidate if key in typed}


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
        elif key in ("group_by", "mute_time_intervals", "active_time_intervals"):
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


def _time_interval(named: dict[str, Any]) -> dict[str, Any]:
    """Alertmanager's named time interval as the spec writes it (`intervals`, the same fields)."""
    intervals = []
    for interval in named.get("time_intervals") or []:
        out: dict[str, Any] = {}
        if interval.get("times"):
            out["times"] = [{"start_time": str(t["start_time"]), "end_time": str(t["end_time"])}
                            for t in interval["times"]]
        for key in ("weekdays", "days_of_month", "months", "years"):
            if interval.get(key):
                out[key] = [str(v) for v in interval[key]]
        if "location" in interval:
            out["location"] = str(interval["location"])
        intervals.append(out)
    return {"name": str(named.get("name", "")), "intervals": intervals}

"""Prometheus (and Loki) rule groups -> services: one service per group.

The group becomes a service of its own name (a slug of it), or of the `service` label all its
alerts carry; a `team` label all its alerts share becomes the service's team. Those two are the
only labels a rendered alert may gain. Every rule keeps its expr, for, labels and annotations
verbatim; `summary`, `description` and `runbook_url` become the alert's fields, the rest stay
extra annotations. A rule whose expression is LogQL (it does not parse as PromQL, it does as
LogQL) becomes a log alert.
"""

from __future__ import annotations

import re
from typing import Any, get_args

from khaosobs.domain.annotations import ANNOTATION_FIELDS
from khaosobs.domain.naming import SLUG_RE, slugify
from khaosobs.importer.report import ImportReport
from khaosobs.importer.slos import find_slo
from khaosobs.importer.sources import Document
from khaosobs.spec.model import AlertSeverity, Service

CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
SERVICE_KEYS = tuple(field.alias or name for name, field in Service.model_fields.items())
SEVERITIES: tuple[AlertSeverity, ...] = get_args(AlertSeverity)
ALERT_FIELDS = ANNOTATION_FIELDS  # the annotations that are an alert's own fields in the spec
GROUP_KEYS = {"name", "rules", "interval"}
RULE_KEYS = {"alert", "record", "expr", "for", "labels", "annotations"}
DERIVED_LABELS = ("service", "team")  # what the spec sets on every alert of a service


def _text_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _shared_label(rules: list[dict[str, Any]], name: str) -> str | None:
    """The value every alert of the group gives label `name`, if they all give the same one."""
    values = {_text_map(rule.get("labels")).get(name) for rule in rules if "alert" in rule}
    if len(values) == 1:
        (value,) = values
        return value
    return None


def _common_labels(rules: list[dict[str, Any]]) -> dict[str, str]:
    """Labels every alert of the group sets to the same value: the service's `labels`, in first-seen order."""
    alerts = [_text_map(rule.get("labels")) for rule in rules if "alert" in rule]
    if not alerts:
        return {}
    return {name: value for name, value in alerts[0].items()
            if name not in ("severity", "service", "team", "slo", "alertname")
            and all(labels.get(name) == value for labels in alerts[1:])}


def is_logql(expr: str) -> bool:
    from khaosobs.domain.logql import analyse_logql
    from khaosobs.domain.promql_analysis import analyse

    return analyse(expr).error is not None and not analyse_logql(expr).problems


def import_rules(document: Document, services: dict[str, dict[str, Any]], report: ImportReport) -> list[dict[str, Any]]:
    """Each group of the document as a new service (a plain dict in the spec's key order); `services`
    holds those imported so far, by name (a Loki group joins the service of its name)."""
    groups = document.data.get("groups")
    found = []
    for g, group in enumerate(groups if isinstance(groups, list) else []):
        if not isinstance(group, dict):
            report.omit(document.origin, f"group #{g + 1} is not a mapping")
            continue
        service = _service(group, document.origin, document.scope, services, report)
        if service is not None:
            found.append(service)
    return found


def service_name(group_name: str, scope: str, taken: set[str]) -> str:
    """The group's name as a slug (CamelCase split into words); on a clash, prefixed with its scope."""
    name = slugify(CAMEL_BOUNDARY.sub("-", group_name)) or "rules"
    if name in taken and slugify(scope):
        name = f"{slugify(scope)}-{name}"
    if name in taken:
        n = 2
        while f"{name}-{n}" in taken:
            n += 1
        name = f"{name}-{n}"
    return name


def _complementary(existing: dict[str, Any], service: dict[str, Any]) -> bool:
    """The same service's groups in Prometheus and in Loki: one holds only log alerts (and, as Loki
    groups are rendered, no interval), the other none, and they agree on the team."""
    def logs_only(s: dict[str, Any]) -> bool:
        return "log_alerts" in s and not s.keys() & {"alerts", "recording_rules", "slos", "evaluation_interval"}

    if existing.get("team") != service.get("team"):
        return False
    return (logs_only(existing) and "log_alerts" not in service) or ("log_alerts" not in existing
                                                                       and logs_only(service))


def _merge_groups(existing: dict[str, Any], service: dict[str, Any]) -> bool:
    """One service from its Prometheus and Loki groups. The service's labels are those both groups'
    alerts share; the rest go back onto each alert, first, where they were. False (nothing merged)
    when an SLO, read with the Prometheus group's labels, would lose one."""
    first, second = existing.get("labels", {}), service.get("labels", {})
    shared = {k: v for k, v in first.items() if second.get(k) == v}
    for part in (existing, service):
        if part.get("slos") and shared != part.get("labels", {}):
            return False
    for part in (existing, service):
        moved = {k: v for k, v in part.get("labels", {}).items() if k not in shared}
        if moved:
            for kind in ("alerts", "log_alerts"):
                for alert in part.get(kind, []):
                    labels = {**moved, **alert.get("labels", {})}
                    alert.pop("labels", None)
                    # back in the alert's key order: labels come before annotations and tests
                    rest = {k: alert.pop(k) for k in ("annotations", "tests") if k in alert}
                    alert.update({"labels": labels, **rest})
    merged = {**existing, **service}
    if shared:
        merged["labels"] = shared
    else:
        merged.pop("labels", None)
    existing.clear()
    existing.update({key: merged[key] for key in SERVICE_KEYS if key in merged})
    return True


def _service(group: dict[str, Any], origin: str, scope: str, services: dict[str, dict[str, Any]],
             report: ImportReport) -> dict[str, Any] | None:
    group_name = str(group.get("name", ""))
    where = f"{origin}: group {group_name!r}"
    rules = [r for r in group.get("rules") or [] if isinstance(r, dict)]
    for key in sorted(set(group) - GROUP_KEYS):
        report.omit(where, f"group setting `{key}` (the spec has no such setting)")
    service_label = _shared_label(rules, "service")
    team = _shared_label(rules, "team")
    if service_label is not None and SLUG_RE.fullmatch(service_label):
        name = service_label
    else:  # a clash is settled below, once it is known whether the groups are one service's two halves
        name = service_name(group_name, scope, set())
    service: dict[str, Any] = {"name": name}
    if team is not None and SLUG_RE.fullmatch(team):
        service["team"] = team
    else:
        team = None
    common = _common_labels(rules)
    if common:
        service["labels"] = common
    if "interval" in group:
        service["evaluation_interval"] = str(group["interval"])
    alerts: list[dict[str, Any]] = []
    log_alerts: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    slos: list[dict[str, Any]] = []
    index = 0
    while index < len(rules):
        found = find_slo(rules, index, name, team, common)
        if found is not None:
            slos.append(found[0])
            index += found[1]
            continue
        rule = rules[index]
        index += 1
        expr = str(rule.get("expr", ""))
        rule_where = f"{where}: {'alert' if 'alert' in rule else 'record'} {rule.get('alert') or rule.get('record')!r}"
        # keep_firing_for is an alert's (Prometheus 2.42+); Loki's ruler and recording rules lack it
        own = RULE_KEYS | ({"keep_firing_for"} if "alert" in rule and not is_logql(expr) else set())
        for key in sorted(set(rule) - own):
            report.omit(rule_where, f"rule setting `{key}` (the spec has no such setting)")
        if "record" in rule:
            if is_logql(expr):
                report.omit(rule_where, "a LogQL recording rule (the spec has log alerts only)")
                continue
            record: dict[str, Any] = {"record": str(rule["record"]), "expr": expr}
            if labels := _text_map(rule.get("labels")):
                record["labels"] = labels
            records.append(record)
            continue
        alert = _alert(rule, expr, name, team, common, rule_where, report)
        if alert is not None:
            (log_alerts if is_logql(expr) else alerts).append(alert)
    if records:
        service["recording_rules"] = records
    if slos:
        service["slos"] = slos
    if alerts:
        service["alerts"] = alerts
    if log_alerts:
        service["log_alerts"] = log_alerts
    existing = services.get(name)
    if existing is not None and _complementary(existing, service) and _merge_groups(existing, service):
        return None  # the same service's group in the other ruler (Prometheus and Loki): one service again
    if existing is not None and name == service_label:
        report.omit(where, f"group not carried: its alerts' service label {name!r} is another group's too "
                    "(a service has one rule group)")
        return None
    if existing is not None:
        name = service_name(group_name, scope, set(services))
        service["name"] = name
    services[name] = service
    if name != group_name:
        report.note(where, f"group becomes service {name!r} (rule group {name!r} when rendered)")
    return service


def _alert(rule: dict[str, Any], expr: str, service: str, team: str | None, common: dict[str, str],
           where: str, report: ImportReport) -> dict[str, Any] | None:
    labels = {k: v for k, v in _text_map(rule.get("labels")).items() if k not in common}
    annotations = _text_map(rule.get("annotations"))
    severity = labels.pop("severity", None)
    if severity not in SEVERITIES:
        report.omit(where, "alert not carried: its severity label is "
                    + (f'"{severity}"' if severity is not None else "missing")
                    + f" and the spec's severities are {', '.join(SEVERITIES)}")
        return None
    for label, expected in (("service", service), ("team", team)):
        if label in labels:
            if labels[label] != expected:
                report.omit(where, f'alert not carried: its {label} label "{labels[label]}" differs from the '
                            f"rest of its group (the spec sets {label} per service)")
                return None
            del labels[label]
    if "summary" not in annotations:
        report.omit(where, "alert not carried: it has no summary annotation, which the spec requires")
        return None
    alert: dict[str, Any] = {"name": str(rule["alert"]), "expr": expr}
    if "for" in rule:
        alert["for"] = str(rule["for"])
    if "keep_firing_for" in rule and not is_logql(expr):
        alert["keep_firing_for"] = str(rule["keep_firing_for"])
    alert["severity"] = severity
    for key in ALERT_FIELDS:
        if key in annotations:
            alert[key] = annotations.pop(key)
    if labels:
        alert["labels"] = labels
    if annotations:
        alert["annotations"] = annotations
    return alert

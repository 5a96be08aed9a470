"""Ceph's alert rules (tests/data/ceph, from Debian 13's `ceph-prometheus-alerts`) as ONE spec.

Each rule group becomes a service named after the group (`cluster health` -> `cluster-health`),
each rule an alert carrying the rule's name, expr, for, severity, summary and description
exactly; its other labels (`type`, `oid`) become the alert's `labels` and its other annotations
(`documentation`) its `annotations`. Every metric the rules select is an external metric: the
package declares none, so nothing is known of their labels.
"""

from __future__ import annotations

import functools
from typing import Any

import yaml

from khaosobs.domain.naming import slugify
from tests.conftest import DATA

CEPH = DATA / "ceph"
CEPH_RULES = CEPH / "ceph_default_alerts.yml"
CEPH_DASHBOARDS = sorted((CEPH / "dashboards").glob("*.json"))


@functools.cache
def ceph_groups() -> tuple[dict[str, Any], ...]:
    document = yaml.load(CEPH_RULES.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    return tuple(document["groups"])


def ceph_rules() -> list[tuple[str, dict[str, Any]]]:
    """(service name, rule) for every rule, in file order."""
    return [(slugify(group["name"]), rule) for group in ceph_groups() for rule in group["rules"]]


def used_metrics() -> list[str]:
    """The metric names the rules' expressions select, read with the PromQL parser."""
    from khaosobs.domain.promql_analysis import analyse

    names: set[str] = set()
    for _service, rule in ceph_rules():
        analysis = analyse(rule["expr"])
        names.update(s.name for s in analysis.selectors if s.name is not None and not s.regex_name)
    return sorted(names)


def ceph_alert(rule: dict[str, Any]) -> dict[str, Any]:
    labels = dict(rule.get("labels") or {})
    annotations = dict(rule.get("annotations") or {})
    alert: dict[str, Any] = {"name": rule["alert"], "expr": rule["expr"]}
    if "for" in rule:
        alert["for"] = str(rule["for"])
    alert["severity"] = labels.pop("severity")
    alert["summary"] = annotations.pop("summary")
    if "description" in annotations:
        alert["description"] = annotations.pop("description")
    if labels:
        alert["labels"] = labels
    if annotations:
        alert["annotations"] = annotations
    return alert


def ceph_spec() -> dict[str, Any]:
    """The spec as data: dump it with `yaml.safe_dump` to get a file `khaosobs validate` reads."""
    services: dict[str, dict[str, Any]] = {}
    for service, rule in ceph_rules():
        if "alert" not in rule:
            raise ValueError(f"the Ceph rules now hold a recording rule ({rule['record']}): map it too")
        services.setdefault(service, {"name": service, "alerts": []})["alerts"].append(ceph_alert(rule))
    return {"version": 1, "project": "ceph", "external_metrics": used_metrics(), "services": list(services.values())}

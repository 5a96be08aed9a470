"""Every alert the spec yields (its own, its SLOs', its log alerts') with its final labels.

One place decides an alert's labels, so the Prometheus rules, the Loki rules, the routing
table and the end-to-end tests can never disagree about where an alert goes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from khaosobs.domain.gotemplate import go_template_literal
from khaosobs.domain.slo import TIER_NAMES, AlertPlan, SLOPlan, slo_plan, tier_options
from khaosobs.spec.model import SLO, Alert, LogAlert, Service, SLOTier, Spec
from khaosobs.spec.sources import Path_

AlertKind = Literal["alert", "slo", "log"]
# how an SLO's plan is had: computed (`slo_plan`), or taken from where it already was (a check run's)
PlanOf = Callable[[Service, SLO], SLOPlan]
SLO_TIERS = TIER_NAMES


@dataclass(frozen=True)
class AlertInfo:
    name: str
    service: str
    kind: AlertKind
    labels: dict[str, str]  # the labels the rule sets (expression labels come on top at run time)
    path: Path_  # where it is defined in the spec


def base_labels(service: Service, severity: str) -> dict[str, str]:
    labels = {"severity": severity, "service": service.name}
    if service.team:
        labels["team"] = service.team
    labels.update(service.labels)
    return labels


def alert_labels(service: Service, alert: Alert | LogAlert) -> dict[str, str]:
    return {**base_labels(service, alert.severity), **alert.labels}


def slo_alert_labels(service: Service, slo: SLO, tier: SLOTier | str,
                     plan_of: PlanOf = slo_plan) -> dict[str, str]:
    """severity, service, team, the service's labels, `slo`, then the SLO's, its alerting's and the
    tier's labels. `tier` is a tier's options or its name (page, ticket, no_data)."""
    name = tier if isinstance(tier, str) else next(n for n, t in slo_tiers(slo) if t is tier)
    return planned_slo_alert_labels(service, slo, slo_alert_plan(service, slo, name, plan_of))


def planned_slo_alert_labels(service: Service, slo: SLO, alert: AlertPlan) -> dict[str, str]:
    """The labels of one of the SLO's alerts, from its plan (`khaosobs.domain.slo.slo_plan`)."""
    return {**base_labels(service, alert.severity), "slo": slo.name, **slo.labels, **alert.labels}


def slo_alert_plan(service: Service, slo: SLO, tier: str, plan_of: PlanOf = slo_plan) -> AlertPlan:
    plan = plan_of(service, slo)
    found = plan.no_data if tier == "no_data" else next((t for t in plan.tiers if t.tier == tier), None)
    if found is None:
        raise KeyError(f"SLO {slo.name} has no enabled {tier} alert")
    return found


def slo_tiers(slo: SLO) -> list[tuple[str, SLOTier]]:
    """The enabled burn-rate tiers with their options."""
    tiers = []
    for tier_name in SLO_TIERS:
        tier = tier_options(slo, tier_name)
        if isinstance(tier, SLOTier):
            tiers.append((tier_name, tier))
    return tiers


def all_alerts(spec: Spec, plan_of: PlanOf = slo_plan) -> list[AlertInfo]:
    found: list[AlertInfo] = []
    for s, service in enumerate(spec.services):
        for a, alert in enumerate(service.alerts):
            found.append(AlertInfo(alert.name, service.name, "alert", alert_labels(service, alert),
                                   ("services", s, "alerts", a)))
        for i, slo in enumerate(service.slos):
            plan = plan_of(service, slo)
            for slo_alert in (*plan.tiers, *([plan.no_data] if plan.no_data else [])):
                found.append(AlertInfo(slo_alert.name, service.name, "slo",
                                       planned_slo_alert_labels(service, slo, slo_alert), ("services", s, "slos", i)))
        for a, log_alert in enumerate(service.log_alerts):
            found.append(AlertInfo(log_alert.name, service.name, "log", alert_labels(service, log_alert),
                                   ("services", s, "log_alerts", a)))
    return found


# --- links an alert carries: where to look, what to do -------------------------------------------

RUNBOOK_PLACEHOLDERS = ("alert", "service", "team", "severity")
_PLACEHOLDER_RE = re.compile(r"\{(\w*)\}")


def runbook_placeholders(pattern: str) -> list[str]:
    return _PLACEHOLDER_RE.findall(pattern)


def runbook_url(pattern: str, service: Service, alert: Alert | LogAlert) -> str:
    """The pattern with its placeholders filled, each value URL-encoded (a team may hold a space)."""
    values = {"alert": alert.name, "service": service.name, "team": service.team or "",
              "severity": alert.severity}
    return _PLACEHOLDER_RE.sub(lambda m: quote(values[m.group(1)], safe="") if m.group(1) in values
                               else m.group(), pattern)


def link_annotations(spec: Spec, shown_at: dict[tuple[str, str], tuple[str, int]], service: Service,
                     alert: Alert | LogAlert) -> dict[str, str]:
    """runbook_url from the project's pattern (when the alert has none) and dashboard_url: the
    panel that shows the alert's expression (when the project names its Grafana)."""
    found: dict[str, str] = {}
    if alert.runbook_url is None and spec.urls.runbook:
        found["runbook_url"] = go_template_literal(runbook_url(spec.urls.runbook, service, alert))
    where = shown_at.get((service.name, alert.name))
    if spec.urls.grafana and where is not None:
        uid, panel_id = where
        found["dashboard_url"] = go_template_literal(
            f"{spec.urls.grafana.rstrip('/')}/d/{uid}?viewPanel={panel_id}")
    return found


def with_links(annotations: dict[str, str], links: dict[str, str]) -> dict[str, str]:
    """The alert's own annotations, then the derived links it does not set itself."""
    return {**annotations, **{k: v for k, v in links.items() if k not in annotations}}

"""Every alert the spec yields (its own, its SLOs', its log alerts') with its final labels.

One place decides an alert's labels, so the Prometheus rules, the Loki rules, the routing
table and the end-to-end tests can never disagree about where an alert goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from khaosobs.domain.slo import TIER_NAMES, AlertPlan, slo_plan, tier_options
from khaosobs.loader import Path_
from khaosobs.model import SLO, Alert, LogAlert, Service, SLOTier, Spec

AlertKind = Literal["alert", "slo", "log"]
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


def slo_alert_labels(service: Service, slo: SLO, tier: SLOTier | str) -> dict[str, str]:
    """severity, service, team, the service's labels, `slo`, then the SLO's, its alerting's and the
    tier's labels. `tier` is a tier's options or its name (page, ticket, no_data)."""
    name = tier if isinstance(tier, str) else next(n for n, t in slo_tiers(slo) if t is tier)
    return planned_slo_alert_labels(service, slo, slo_alert_plan(service, slo, name))


def planned_slo_alert_labels(service: Service, slo: SLO, alert: AlertPlan) -> dict[str, str]:
    """The labels of one of the SLO's alerts, from its plan (`khaosobs.domain.slo.slo_plan`)."""
    return {**base_labels(service, alert.severity), "slo": slo.name, **slo.labels, **alert.labels}


def slo_alert_plan(service: Service, slo: SLO, tier: str) -> AlertPlan:
    plan = slo_plan(service, slo)
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


def all_alerts(spec: Spec) -> list[AlertInfo]:
    found: list[AlertInfo] = []
    for s, service in enumerate(spec.services):
        for a, alert in enumerate(service.alerts):
            found.append(AlertInfo(alert.name, service.name, "alert", alert_labels(service, alert),
                                   ("services", s, "alerts", a)))
        for i, slo in enumerate(service.slos):
            plan = slo_plan(service, slo)
            for slo_alert in (*plan.tiers, *([plan.no_data] if plan.no_data else [])):
                found.append(AlertInfo(slo_alert.name, service.name, "slo",
                                       planned_slo_alert_labels(service, slo, slo_alert), ("services", s, "slos", i)))
        for a, log_alert in enumerate(service.log_alerts):
            found.append(AlertInfo(log_alert.name, service.name, "log", alert_labels(service, log_alert),
                                   ("services", s, "log_alerts", a)))
    return found

"""Prometheus rule files: one group per service with its recording rules, SLO rules and alerts.

SLOs follow the Google SRE workbook's multi-window, multi-burn-rate alerts, in Sloth's style:
the error ratio is recorded over seven windows, and each tier alerts when a long and a short
window both burn the error budget faster than the tier's factor.
"""

from __future__ import annotations

from decimal import Decimal

from khaosobs.alerts import alert_labels, slo_alert_labels, slo_tiers
from khaosobs.domain.gotemplate import go_template_literal
from khaosobs.model import SLO, Service, SLOTier, Spec
from khaosobs.naming import prometheus_rules_path, slo_alert_name, slo_ratio_record
from khaosobs.output import OutputFile
from khaosobs.targets._rules import Rule, alert_annotations, alert_rule, promql_selector, recording_rule
from khaosobs.templating import Renderer

NAME = "prometheus"
DESCRIPTION = "Prometheus rule files (recording rules, SLO burn-rate rules, alerts), one per service"

SLO_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
# tier -> ((long window, short window, burn factor), ...): SRE workbook, chapter 5, table 5-8
BURN_RATE_TIERS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "page": (("1h", "5m", "14.4"), ("6h", "30m", "6")),
    "ticket": (("1d", "2h", "3"), ("3d", "6h", "1")),
}


def render(spec: Spec, renderer: Renderer) -> list[OutputFile]:
    return [
        renderer.file(NAME, "prometheus/rules.yml.j2", prometheus_rules_path(service.name), "yaml",
                      groups=[{"name": service.name, "rules": service_rules(service)}])
        for service in spec.services
    ]


def service_rules(service: Service) -> list[Rule]:
    """The group's rules in order: recording rules, each SLO's rules, then the alerts."""
    rules = [recording_rule(rule.record, rule.expr, rule.labels) for rule in service.recording_rules]
    for slo in service.slos:
        rules.extend(slo_rules(service, slo))
    rules.extend(
        alert_rule(alert.name, alert.expr, alert.for_, alert_labels(service, alert), alert_annotations(alert))
        for alert in service.alerts
    )
    return rules


def decimal_text(value: float | Decimal) -> str:
    """Exact, shortest plain notation: 99.9 -> '99.9', budget of 99.9 -> '0.001' (never 0.000999…)."""
    number = value if isinstance(value, Decimal) else Decimal(repr(value))  # repr: shortest round-trip
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def error_budget(objective: float) -> Decimal:
    """The SLO's error budget as a ratio, computed in decimal so 99.9 gives exactly 0.001."""
    return 1 - Decimal(repr(objective)) / 100


def slo_selector_labels(service: Service, slo: SLO) -> dict[str, str]:
    return {"service": service.name, "slo": slo.name}


def slo_rules(service: Service, slo: SLO) -> list[Rule]:
    labels = slo_selector_labels(service, slo)
    errors, total = slo.sli.errors.strip(), slo.sli.total.strip()
    rules = [
        # `or vector(0)`: no error series yet means a ratio of 0, not a missing one; 0/0 (no traffic)
        # is NaN, which never compares above a threshold, so an idle service does not page.
        recording_rule(slo_ratio_record(window),
                       f"(sum(rate({errors}[{window}])) or vector(0)) / sum(rate({total}[{window}]))",
                       dict(labels))
        for window in SLO_WINDOWS
    ]
    budget = decimal_text(error_budget(slo.objective))
    for tier_name, tier in slo_tiers(slo):
        rules.append(slo_alert(service, slo, tier_name, tier, labels, budget))
    return rules


def slo_alert(service: Service, slo: SLO, tier_name: str, tier: SLOTier, labels: dict[str, str],
              budget: str) -> Rule:
    def over(window: str, factor: str) -> str:
        return f"{promql_selector(slo_ratio_record(window), labels)} > ({factor} * {budget})"

    pairs = BURN_RATE_TIERS[tier_name]
    expr = " or ".join(f"({over(long, factor)} and {over(short, factor)})" for long, short, factor in pairs)
    conditions = ", or ".join(f"above {factor}x the budget over {long} and {short}"
                              for long, short, factor in pairs)
    objective = decimal_text(slo.objective)
    speed = "fast" if tier_name == "page" else "steadily"
    summary = f"{service.name}: SLO {slo.name} is burning its error budget {speed}"
    description = (
        # the spec's text is data: escaped so that Prometheus renders it, never evaluates it
        go_template_literal(f"{slo.description.rstrip('.')}. ") if slo.description else ""
    ) + (
        f"Objective {objective}% over {slo.window} (error budget {budget}). "
        f"The error ratio is {conditions}. "
        "Long-window error ratio: {{ $value | humanizePercentage }}."
    )
    return alert_rule(slo_alert_name(slo.name, tier_name), expr, None,
                      slo_alert_labels(service, slo, tier), {"summary": summary, "description": description})

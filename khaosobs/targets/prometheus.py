"""Prometheus rule files: one group per service with its recording rules, SLO rules and alerts.

SLOs follow the Google SRE workbook's multi-window, multi-burn-rate alerts, in Sloth's style:
the error ratio is recorded over seven windows, and each tier alerts when a long and a short
window both burn the error budget faster than the tier's factor.
"""

from __future__ import annotations

from decimal import Decimal

from khaosobs.domain import naming
from khaosobs.domain.alerts import alert_labels, link_annotations, planned_slo_alert_labels, with_links
from khaosobs.domain.dashboards import alert_panels
from khaosobs.domain.durations import duration_ms
from khaosobs.domain.gotemplate import go_template_literal
from khaosobs.domain.naming import PROMETHEUS_CONFIG_PATH, prometheus_rules_path, slo_ratio_record
from khaosobs.domain.slo import (
    DEFAULT_TIERS,
    AlertPlan,
    SLOPlan,
    decimal_text,
    error_budget,
    error_ratio_expr,
    slo_plan,
    total_selector,
)
from khaosobs.output import OutputFile
from khaosobs.output.templating import Renderer
from khaosobs.spec.model import Alert, Service, Spec
from khaosobs.targets._prometheus_config import prometheus_config
from khaosobs.targets._rules import Rule, alert_annotations, alert_rule, promql_selector, recording_rule

NAME = "prometheus"
DESCRIPTION = ("Prometheus rule files (recording rules, SLO burn-rate rules, alerts), one per service, "
               "and prometheus.yml")

# The windows the default tiers record (kept for callers; an SLO's own are in its plan)
SLO_WINDOWS = tuple(sorted({w for tier in DEFAULT_TIERS.values() for long, short, _ in tier for w in (long, short)},
                           key=lambda w: duration_ms(w) or 0))
__all__ = ["SLO_WINDOWS", "decimal_text", "error_budget", "render", "service_rules", "slo_rules"]


def render(spec: Spec, renderer: Renderer) -> list[OutputFile]:
    shown_at = alert_panels(spec) if spec.urls.grafana else {}
    return [
        *(renderer.file(NAME, "prometheus/rules.yml.j2", prometheus_rules_path(service.name), "yaml",
                        groups=[{"name": service.name, "interval": service.evaluation_interval,
                                 "rules": service_rules(service, spec, shown_at)}])
          for service in spec.services),
        renderer.file(NAME, "prometheus/prometheus.yml.j2", PROMETHEUS_CONFIG_PATH, "yaml",
                      config=prometheus_config(spec)),
    ]


def service_rules(service: Service, spec: Spec | None = None,
                  shown_at: dict[tuple[str, str], tuple[str, int]] | None = None) -> list[Rule]:
    """The group's rules in order: recording rules, each SLO's rules, then the alerts."""
    rules = [recording_rule(rule.record, rule.expr, rule.labels) for rule in service.recording_rules]
    for slo in service.slos:
        rules.extend(slo_rules(slo_plan(service, slo), service))
    rules.extend(
        alert_rule(alert.name, alert.expr, alert.for_, alert_labels(service, alert),
                   _alert_annotations(alert, service, spec, shown_at), alert.keep_firing_for)
        for alert in service.alerts
    )
    return rules


def _alert_annotations(alert: Alert, service: Service, spec: Spec | None,
                 shown_at: dict[tuple[str, str], tuple[str, int]] | None) -> dict[str, str]:
    annotations = alert_annotations(alert)
    if spec is None:
        return annotations
    return with_links(annotations, link_annotations(spec, shown_at or {}, service, alert))


def slo_rules(plan: SLOPlan, service: Service) -> list[Rule]:
    """The error ratio per window, the metadata series, the burn-rate alerts and the no-data alert."""
    slo = plan.slo
    labels = {**plan.selector_labels, **slo.labels}
    rules = [recording_rule(slo_ratio_record(window), error_ratio_expr(slo, window), dict(labels))
             for window in plan.windows]
    rules.extend(metadata_rules(plan, labels))
    budget = decimal_text(plan.budget)
    for tier in plan.tiers:
        rules.append(burn_rate_alert(plan, service, tier, budget))
    if plan.no_data is not None:
        rules.append(no_data_alert(plan, service, plan.no_data))
    return rules


def metadata_rules(plan: SLOPlan, labels: dict[str, str]) -> list[Rule]:
    """Sloth's and Pyrra's SLO series (names and meaning in `khaosobs.domain.naming`)."""
    slo, selector = plan.slo, plan.selector_labels
    budget = decimal_text(plan.budget)
    days = decimal_text(Decimal(plan.window_ms) / 86_400_000)

    def of(record: str) -> str:
        return promql_selector(record, selector)

    return [
        recording_rule(naming.SLO_PERIOD_ERROR_RATIO, error_ratio_expr(slo, slo.window), dict(labels)),
        recording_rule(naming.SLO_OBJECTIVE, f"vector({decimal_text(1 - plan.budget)})", dict(labels)),
        recording_rule(naming.SLO_ERROR_BUDGET, f"vector({budget})", dict(labels)),
        recording_rule(naming.SLO_TIME_PERIOD_DAYS, f"vector({days})", dict(labels)),
        recording_rule(naming.SLO_CURRENT_BURN_RATE, f"{of(slo_ratio_record(plan.windows[0]))} / {budget}",
                       dict(labels)),
        recording_rule(naming.SLO_PERIOD_BURN_RATE, f"{of(naming.SLO_PERIOD_ERROR_RATIO)} / {budget}",
                       dict(labels)),
        recording_rule(naming.SLO_BUDGET_REMAINING, f"1 - {of(naming.SLO_PERIOD_BURN_RATE)}", dict(labels)),
    ]


def _slo_annotations(generated: dict[str, str], alert: AlertPlan) -> dict[str, str]:
    """The generated summary and description, runbook_url, then the spec's annotations (verbatim,
    and winning over a generated one of the same name)."""
    annotations = dict(generated)
    if alert.runbook_url is not None:
        annotations["runbook_url"] = alert.runbook_url
    annotations.update(alert.annotations)
    return annotations


def _description_prefix(plan: SLOPlan) -> str:
    """The SLO's description as Go template text that prints it exactly (it is spec text, not a template)."""
    text = plan.slo.description
    return f"{go_template_literal(text.rstrip('.'))}. " if text else ""


def burn_rate_alert(plan: SLOPlan, service: Service, tier: AlertPlan, budget: str) -> Rule:
    slo = plan.slo

    def over(window: str, factor: Decimal) -> str:
        return (f"{promql_selector(slo_ratio_record(window), plan.selector_labels)}"
                f" > ({decimal_text(factor)} * {budget})")

    expr = " or ".join(f"({over(c.long, c.factor)} and {over(c.short, c.factor)})" for c in tier.conditions)
    conditions = ", or ".join(f"above {decimal_text(c.factor)}x the budget over {c.long} and {c.short}"
                              for c in tier.conditions)
    objective = decimal_text(slo.objective)
    speed = "fast" if tier.tier == "page" else "steadily"
    summary = f"{service.name}: SLO {slo.name} is burning its error budget {speed}"
    description = _description_prefix(plan) + (
        f"Objective {objective}% over {slo.window} (error budget {budget}). "
        f"The error ratio is {conditions}. "
        "Long-window error ratio: {{ $value | humanizePercentage }}."
    )
    return alert_rule(tier.name, expr, tier.for_, planned_slo_alert_labels(service, slo, tier),
                      _slo_annotations({"summary": summary, "description": description}, tier))


def no_data_alert(plan: SLOPlan, service: Service, alert: AlertPlan) -> Rule:
    slo = plan.slo
    total = total_selector(slo)
    watched = total if total is not None else promql_selector(slo_ratio_record(plan.windows[0]),
                                                              plan.selector_labels)
    summary = f"{service.name}: SLO {slo.name} has no data"
    description = _description_prefix(plan) + (
        f"No {'SLI series' if total is not None else 'error ratio'} for {alert.for_}: "
        "the SLO and its burn-rate alerts are blind."
    )
    return alert_rule(alert.name, f"absent({watched})", alert.for_, planned_slo_alert_labels(service, slo, alert),
                      _slo_annotations({"summary": summary, "description": description}, alert))

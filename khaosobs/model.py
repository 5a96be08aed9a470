"""Spec v1 as pydantic models: structure only (types, required keys, enumerations).

Meaning (references, PromQL, naming, secrets) is checked in `khaosobs.checks`, where each
finding gets a position and a hint. `extra="forbid"` everywhere: a typo is never ignored.
`strict=True`: YAML 1.1 surprises (`help: no` read as a boolean) are errors, not coercions.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MetricType = Literal["counter", "gauge", "histogram", "summary"]
# "none": the Prometheus Operator's convention for alerts that notify no one by themselves
# (kube-prometheus' Watchdog, InfoInhibitor), routed to a receiver without integrations
AlertSeverity = Literal["critical", "warning", "info", "none"]
PanelType = Literal["timeseries", "gauge", "stat", "piechart", "bargauge", "table", "logs"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class Metric(Model):
    name: str
    type: MetricType
    help: str = Field(description="The metric's HELP text")
    labels: list[str] = Field(default_factory=list)
    buckets: list[float] | None = Field(None, description="Histogram bucket upper bounds, strictly increasing")
    unit: str | None = Field(
        None, description="Display unit for dashboards (Grafana unit id); default derived from the name")


class TestSeries(Model):
    series: str = Field(description="A series selector, e.g. 'metric{label=\"x\"}'")
    values: str = Field(description="promtool's expanding notation, e.g. '0+10x20'")


class TestExpectation(Model):
    at: str = Field(description="Evaluation time as a duration from the start, e.g. 12m")
    firing: bool
    labels: dict[str, str] = Field(default_factory=dict, description="Labels the firing alert must carry")


class AlertTest(Model):
    name: str
    interval: str = "1m"
    series: list[TestSeries]
    expect: list[TestExpectation]


class AlertRule(Model):
    """What every alert has, whichever ruler evaluates it."""

    name: str
    expr: str
    for_: str | None = Field(None, alias="for")
    severity: AlertSeverity
    summary: str
    description: str | None = None
    runbook_url: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict, description="Extra annotations, kept verbatim")


class Alert(AlertRule):
    """A Prometheus alert: `expr` is PromQL."""

    tests: list[AlertTest] = Field(default_factory=list)


class RecordingRule(Model):
    record: str
    expr: str
    labels: dict[str, str] = Field(default_factory=dict)


class SLI(Model):
    errors: str = Field(description="Selector of the bad events counter")
    total: str = Field(description="Selector of the all events counter")


class SLOTier(Model):
    severity: AlertSeverity


class SLOAlerting(Model):
    page: SLOTier | Literal[False] = Field(default_factory=lambda: SLOTier(severity="critical"))
    ticket: SLOTier | Literal[False] = Field(default_factory=lambda: SLOTier(severity="warning"))


class SLO(Model):
    name: str
    objective: float = Field(description="Percent of good events, 0 < objective < 100")
    window: str = "30d"
    description: str | None = None
    sli: SLI
    alerting: SLOAlerting = Field(default_factory=SLOAlerting)


class LogAlert(AlertRule):
    """A Loki ruler alert: `expr` is a LogQL metric query."""


class Service(Model):
    name: str
    team: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    rule_interval: str | None = Field(
        None, description="Evaluation interval of the service's rule group (default: Prometheus's global one)")
    metrics: list[Metric] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)
    recording_rules: list[RecordingRule] = Field(default_factory=list)
    slos: list[SLO] = Field(default_factory=list)
    log_alerts: list[LogAlert] = Field(default_factory=list)


class PanelTarget(Model):
    expr: str
    legend: str | None = None


class Panel(Model):
    title: str
    type: PanelType = "timeseries"
    description: str | None = None
    expr: str | None = None
    legend: str | None = None
    targets: list[PanelTarget] = Field(default_factory=list)
    logql: str | None = None
    unit: str | None = None
    width: int | None = Field(None, description="Columns of Grafana's 24-column grid")
    height: int | None = Field(None, description="Grid rows")


class Dashboard(Model):
    title: str
    uid: str | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    refresh: str | None = None
    panels: list[Panel] = Field(default_factory=list)


class WebhookReceiver(Model):
    url: str
    send_resolved: bool | None = None
    max_alerts: int | None = None


class DiscordReceiver(Model):
    webhook_url_ref: str = Field(description="Secret reference to the Discord webhook URL, e.g. file:/path")
    send_resolved: bool | None = None
    title: str | None = None
    message: str | None = None


class Receiver(Model):
    name: str
    webhook: WebhookReceiver | None = None
    discord: DiscordReceiver | None = None


class Route(Model):
    receiver: str | None = None
    match: dict[str, str] = Field(default_factory=dict, description="Equality matchers (the seed's form)")
    match_re: dict[str, str] = Field(default_factory=dict, description="Regex matchers")
    matchers: list[str] = Field(default_factory=list, description="Alertmanager matchers, e.g. 'severity=\"critical\"'")
    group_by: list[str] | None = None
    group_wait: str | None = None
    group_interval: str | None = None
    repeat_interval: str | None = None
    continue_: bool = Field(False, alias="continue")
    routes: list[Route] = Field(default_factory=list)


class InhibitRule(Model):
    source_matchers: list[str]
    target_matchers: list[str]
    equal: list[str] = Field(default_factory=list)


class AlertmanagerGlobal(Model):
    """Alertmanager's `global` settings that hold no secret (secrets have no place in a spec)."""

    resolve_timeout: str | None = None
    smtp_from: str | None = None
    smtp_smarthost: str | None = None
    smtp_hello: str | None = None
    smtp_require_tls: bool | None = None


class Alerting(Model):
    global_: AlertmanagerGlobal | None = Field(None, alias="global", description="Alertmanager's global settings")
    receivers: list[Receiver] = Field(default_factory=list)
    route: Route
    inhibit_rules: list[InhibitRule] | None = Field(
        None, description="Default: critical silences warning for the same alertname and service")


class MetricsTelemetry(Model):
    provider: Literal["prometheus"] = "prometheus"
    alertmanager_webhook: str | None = None
    endpoint: str = Field("http://prometheus:9090", description="Prometheus URL for Grafana")
    alertmanager_endpoint: str = Field("http://alertmanager:9093", description="Alertmanager URL for Grafana")


class LoggingTelemetry(Model):
    provider: Literal["loki"] = "loki"
    endpoint: str = Field("http://loki:3100", description="Loki base URL")
    auth_secret_ref: str | None = None


class TracingTelemetry(Model):
    provider: Literal["otel"] = "otel"
    collector_endpoint: str = "http://otel-collector:4317"
    tempo_endpoint: str = Field("http://tempo:4317", description="Tempo OTLP gRPC endpoint the Collector exports to")
    tempo_query_endpoint: str = Field("http://tempo:3200", description="Tempo HTTP API for Grafana")


class Telemetry(Model):
    metrics: MetricsTelemetry = Field(default_factory=MetricsTelemetry)
    logging: LoggingTelemetry = Field(default_factory=LoggingTelemetry)
    tracing: TracingTelemetry = Field(default_factory=TracingTelemetry)


class Targets(Model):
    prometheus: str = "2.42"
    alertmanager: str = "0.25"
    grafana: str = "11"


class Spec(Model):
    version: Literal[1]
    project: str
    telemetry: Telemetry = Field(default_factory=Telemetry)
    targets: Targets = Field(default_factory=Targets)
    external_metrics: list[str] = Field(
        default_factory=list, description="Metrics used in expressions but defined elsewhere")
    services: list[Service] = Field(default_factory=list)
    dashboards: list[Dashboard] = Field(default_factory=list)
    alerting: Alerting | None = None

"""Spec v1 as models: structure only (types, required keys, enumerations).

Meaning (references, PromQL, naming, secrets) is checked in `khaosobs.checks`, where each
finding gets a position and a hint. `extra="forbid"` everywhere: a typo is never ignored.
`strict=True`: YAML 1.1 surprises (`help: no` read as a boolean) are errors, not coercions.
The classes are pydantic's in all but cost: see `khaosobs.spec.modelkit`.
"""

from __future__ import annotations

from typing import Literal

from khaosobs.spec.modelkit import Field, Model

MetricType = Literal["counter", "gauge", "histogram", "summary"]
# "none": the Prometheus Operator's convention for alerts that notify no one by themselves
# (kube-prometheus' Watchdog, InfoInhibitor), routed to a receiver without integrations
AlertSeverity = Literal["critical", "warning", "info", "none"]
PanelType = Literal[
    "timeseries", "gauge", "stat", "piechart", "bargauge", "table", "logs",
    "heatmap", "state-timeline", "text", "alertlist",
]


class Metric(Model):
    name: str
    type: MetricType
    help: str = Field(description="The metric's HELP text")
    labels: list[str] = Field(default_factory=list)
    buckets: list[float] | None = Field(default=None, description="Histogram bucket upper bounds, strictly increasing")
    unit: str | None = Field(
        default=None, description="Display unit for dashboards (Grafana unit id); default derived from the name")


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
    for_: str | None = Field(default=None, alias="for")
    severity: AlertSeverity
    summary: str
    description: str | None = None
    runbook_url: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict, description="Extra annotations, kept verbatim")


class Alert(AlertRule):
    """A Prometheus alert: `expr` is PromQL."""

    keep_firing_for: str | None = Field(default=None, description="Keep firing this long after the condition clears")
    tests: list[AlertTest] = Field(default_factory=list)


class RecordingRule(Model):
    record: str
    expr: str
    labels: dict[str, str] = Field(default_factory=dict)


class LatencySLI(Model):
    histogram: str = Field(description="The histogram's name, optionally with label matchers: "
                                       'http_request_duration_seconds{route="/api"}')
    threshold: float = Field(description="Upper bound of a good request, in the histogram's unit; one of its buckets")


class SLI(Model):
    """Exactly one form: errors + total, good + total, latency, error_ratio or bool_gauge."""

    errors: str | None = Field(default=None, description="Selector of the bad events counter (with total)")
    good: str | None = Field(default=None, description="Selector of the good events counter (with total)")
    total: str | None = Field(default=None, description="Selector of the all events counter")
    latency: LatencySLI | None = Field(default=None, description="Requests slower than a bucket over all requests")
    error_ratio: str | None = Field(
        default=None, description="A PromQL error ratio (0..1); write every range as [$window], e.g. "
                          'sum(rate(x{code=~"5.."}[$window])) / sum(rate(x[$window]))')
    bool_gauge: str | None = Field(
        default=None,
        description="Selector of a 0/1 gauge (up, probe_success): the SLI is the fraction of time it is 1")


class BurnWindow(Model):
    long: str = Field(description="Long window, e.g. 1h")
    short: str = Field(description="Short window, e.g. 5m (the workbook uses long / 12)")
    budget_share: float = Field(description="Fraction of the whole window's error budget spent in `long`, e.g. 0.02")


class SLOAlertOptions(Model):
    """What every SLO alert can set; unset values come from the SLO's `alerting`, then the defaults."""

    enabled: bool = True
    name: str | None = Field(default=None, description="The alert's name (CamelCase)")
    severity: AlertSeverity | None = None
    for_: str | None = Field(default=None, alias="for")
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict, description="Extra annotations, kept verbatim")
    runbook_url: str | None = None


class SLOTier(SLOAlertOptions):
    windows: list[BurnWindow] | None = Field(
        default=None, description="Burn-rate conditions (default: the SRE workbook's for this tier)")


class SLOAlerting(Model):
    page: SLOTier | Literal[False] = Field(default_factory=lambda: SLOTier(severity="critical"))
    ticket: SLOTier | Literal[False] = Field(default_factory=lambda: SLOTier(severity="warning"))
    no_data: SLOAlertOptions | Literal[False] = Field(
        default_factory=SLOAlertOptions, description="Alert when the SLI's total series is absent")
    name: str | None = Field(default=None, description="Alert name prefix (CamelCase); default <Slo>SLO")
    for_: str | None = Field(default=None, alias="for", description="Default `for` of the SLO's burn-rate alerts")
    labels: dict[str, str] = Field(default_factory=dict, description="Labels of the SLO's alerts")
    annotations: dict[str, str] = Field(default_factory=dict)
    runbook_url: str | None = None


class SLO(Model):
    name: str
    objective: float = Field(description="Percent of good events, 0 < objective < 100")
    window: str = "30d"
    description: str | None = None
    labels: dict[str, str] = Field(default_factory=dict, description="Added to the SLO's series and alerts")
    group_by: list[str] = Field(default_factory=list, description="Labels giving one SLO (and alert) per group")
    sli: SLI
    alerting: SLOAlerting = Field(default_factory=SLOAlerting)


class LogAlert(AlertRule):
    """A Loki ruler alert: `expr` is a LogQL metric query."""


class ServiceTracing(Model):
    service_name: str | None = Field(
        default=None, description="The OTel resource attribute service.name of its spans; default: the service's name")


class ServiceLogging(Model):
    service: str | None = Field(
        default=None,
        description="The value of its JSON logs' service field (and Loki label); default: the service's name")
class PodDiscovery(Model):
    """Kubernetes pod discovery (needs a Prometheus built with it: Debian's package is not)."""

    namespace: str | None = Field(default=None, description="Namespace of the pods; default: every namespace")
    selector: dict[str, str] | None = Field(
        default=None, description="Pod labels that select the service; default {app.kubernetes.io/name: <service>}")


class Scrape(Model):
    """How Prometheus finds a service's metrics: `targets`, Kubernetes pod discovery, or `<service>:<port>`."""

    port: int | str = Field(
        default=8080, description="Metrics port: a number, or a container port name (Kubernetes only)")
    path: str = "/metrics"
    interval: str | None = Field(default=None, description="Default: telemetry.metrics.scrape_interval")
    scheme: Literal["http", "https"] = "http"
    targets: list[str] = Field(default_factory=list, description="host:port addresses to scrape")
    kubernetes: PodDiscovery | None = Field(default=None, description="Discover the service's pods instead")


class Service(Model):
    name: str
    team: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    scrape: Scrape | None = Field(
        default=None, description="How Prometheus scrapes it; a service with metrics and no `scrape` gets the defaults")
    evaluation_interval: str | None = Field(
        default=None, description="How often Prometheus evaluates the service's rule group (default: the global one)")
    metrics: list[Metric] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)
    recording_rules: list[RecordingRule] = Field(default_factory=list)
    slos: list[SLO] = Field(default_factory=list)
    log_alerts: list[LogAlert] = Field(default_factory=list)
    tracing: ServiceTracing = Field(default_factory=ServiceTracing)
    logging: ServiceLogging = Field(default_factory=ServiceLogging)
    overview_dashboard: bool = Field(
        default=True, description="Generate the service's automatic overview dashboard (when it has metrics)")


class PanelTarget(Model):
    expr: str
    legend: str | None = None


class ThresholdStep(Model):
    color: str = Field(description="Grafana colour name or #rrggbb")
    value: float | None = Field(default=None, description="Lower bound of the step; the first step has none")


class ValueMappingText(Model):
    text: str
    color: str | None = None


class LegendOptions(Model):
    mode: Literal["list", "table", "hidden"] = "list"
    placement: Literal["bottom", "right"] = "bottom"
    calcs: list[str] = Field(default_factory=list, description="Grafana reducers, e.g. mean, max, lastNotNull")


class SeriesOverride(Model):
    series: str | None = Field(default=None, description="The series' display name, matched exactly")
    series_regex: str | None = Field(default=None, description="A regular expression over display names")
    color: str | None = None
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    fill: int | None = Field(default=None, description="Fill opacity, 0-100")
    axis: Literal["auto", "left", "right", "hidden"] | None = None
    display_name: str | None = None


class Panel(Model):
    title: str
    type: PanelType = "timeseries"
    description: str | None = None
    expr: str | None = None
    legend: str | None = None
    targets: list[PanelTarget] = Field(default_factory=list)
    logql: str | None = None
    unit: str | None = None
    width: int | None = Field(default=None, description="Columns of Grafana's 24-column grid")
    height: int | None = Field(default=None, description="Grid rows")
    thresholds: list[ThresholdStep] | None = Field(
        default=None, description="Steps with colours; default derived from an alert on the same expression")
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    mappings: dict[int | float | str, str | ValueMappingText] | None = Field(
        default=None, description="Value mappings, e.g. {'0': Down, '1': Up}")
    stacking: Literal["none", "normal", "percent"] | None = None
    fill: int | None = Field(default=None, description="Fill opacity of a time series, 0-100")
    legend_options: LegendOptions | None = None
    overrides: list[SeriesOverride] = Field(default_factory=list)
    content: str | None = Field(default=None, description="Markdown of a text panel")


class Row(Model):
    title: str
    collapsed: bool = False
    repeat: str | None = Field(default=None, description="A variable (label filter) to repeat the row for")
    panels: list[Panel] = Field(default_factory=list)


class Dashboard(Model):
    title: str
    uid: str | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    refresh: str | None = None
    variables: list[str] = Field(
        default_factory=list, description="Label filters beyond job and instance, as variables")
    panels: list[Panel] = Field(default_factory=list)
    rows: list[Row] = Field(default_factory=list)


class HttpAuthorization(Model):
    type: str = Field(default="Bearer", description="The Authorization header's scheme")
    credentials_ref: str = Field(description="Secret reference to the credentials, e.g. file:/path")


class HttpBasicAuth(Model):
    username: str
    password_ref: str = Field(description="Secret reference to the password, e.g. file:/path")


class HttpConfig(Model):
    """How Alertmanager talks to the integration's HTTP endpoint (credentials by reference only)."""

    authorization: HttpAuthorization | None = None
    basic_auth: HttpBasicAuth | None = None
    proxy_url: str | None = None


class Integration(Model):
    """What every notifier of Alertmanager accepts."""

    send_resolved: bool | None = None


class HttpIntegration(Integration):
    """A notifier that posts over HTTP (all but email)."""

    http_config: HttpConfig | None = None


class WebhookReceiver(HttpIntegration):
    url: str | None = Field(default=None, description="The endpoint, when its URL holds no secret")
    url_ref: str | None = Field(
        default=None, description="Secret reference to the URL (renders url_file, Alertmanager >= 0.26)")
    max_alerts: int | None = None


class DiscordReceiver(HttpIntegration):
    webhook_url_ref: str = Field(description="Secret reference to the Discord webhook URL, e.g. file:/path")
    title: str | None = None
    message: str | None = None


class SlackReceiver(HttpIntegration):
    api_url_ref: str = Field(description="Secret reference to the Slack webhook URL (renders api_url_file)")
    channel: str | None = None
    username: str | None = None
    title: str | None = Field(default=None, description="Go template; default the khaosobs title")
    text: str | None = Field(default=None, description="Go template; default the khaosobs text")


class PagerDutyReceiver(HttpIntegration):
    routing_key_ref: str = Field(description="Secret reference to the Events API v2 integration key")
    url: str | None = Field(default=None, description="Events API URL (default PagerDuty's own)")
    severity: str | None = Field(default=None, description="critical, error, warning or info, or a Go template")
    description: str | None = None
    details: dict[str, str] = Field(default_factory=dict, description="Custom details (Go templates)")


class EmailReceiver(Integration):
    to: str
    from_: str | None = Field(default=None, alias="from")
    smarthost: str | None = Field(default=None, description="host:port of the SMTP server")
    auth_username: str | None = None
    auth_password_ref: str | None = Field(default=None, description="Secret reference to the SMTP password")
    require_tls: bool | None = None
    headers: dict[str, str] = Field(default_factory=dict)


class MSTeamsReceiver(HttpIntegration):
    webhook_url_ref: str = Field(description="Secret reference to the Teams incoming webhook URL")
    title: str | None = None
    text: str | None = None


class OpsgenieReceiver(HttpIntegration):
    api_key_ref: str = Field(description="Secret reference to the Opsgenie API key")
    api_url: str | None = None
    message: str | None = None
    priority: str | None = Field(default=None, description="P1..P5 or a Go template")
    tags: str | None = None


class TelegramReceiver(HttpIntegration):
    bot_token_ref: str = Field(description="Secret reference to the bot token (renders bot_token_file, >= 0.26)")
    chat_id: int
    message: str | None = None
    parse_mode: Literal["HTML", "Markdown", "MarkdownV2", ""] | None = None


class Receiver(Model):
    """At most one integration of each kind; none at all drops the alerts it gets."""

    name: str
    webhook: WebhookReceiver | None = None
    discord: DiscordReceiver | None = None
    slack: SlackReceiver | None = None
    pagerduty: PagerDutyReceiver | None = None
    email: EmailReceiver | None = None
    msteams: MSTeamsReceiver | None = None
    opsgenie: OpsgenieReceiver | None = None
    telegram: TelegramReceiver | None = None


class TimeRange(Model):
    start_time: str = Field(description="HH:MM, 00:00 to 24:00")
    end_time: str = Field(description="HH:MM, after start_time")


class TimeInterval(Model):
    """One of Alertmanager's time_intervals entries; every field left out matches any time."""

    times: list[TimeRange] = Field(default_factory=list)
    weekdays: list[str] = Field(default_factory=list, description='e.g. "monday:friday", "sunday"')
    days_of_month: list[str] = Field(default_factory=list, description='e.g. "1:5", "-1" (the last day)')
    months: list[str] = Field(default_factory=list, description='e.g. "january:march", "12"')
    years: list[str] = Field(default_factory=list, description='e.g. "2024:2026"')
    location: str | None = Field(default=None, description="IANA time zone, e.g. Europe/Berlin (default UTC)")


class NamedTimeIntervals(Model):
    name: str
    intervals: list[TimeInterval]


class Route(Model):
    receiver: str | None = None
    match: dict[str, str] = Field(default_factory=dict, description="Equality matchers (the seed's form)")
    match_re: dict[str, str] = Field(default_factory=dict, description="Regex matchers")
    matchers: list[str] = Field(default_factory=list, description="Alertmanager matchers, e.g. 'severity=\"critical\"'")
    group_by: list[str] | None = None
    group_wait: str | None = None
    group_interval: str | None = None
    repeat_interval: str | None = None
    continue_: bool = Field(default=False, alias="continue")
    active_time_intervals: list[str] = Field(default_factory=list, description="Notify only inside these")
    mute_time_intervals: list[str] = Field(default_factory=list, description="Hold notifications inside these")
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
    global_: AlertmanagerGlobal | None = Field(
        default=None, alias="global", description="Alertmanager's global settings")
    receivers: list[Receiver] = Field(default_factory=list)
    time_intervals: list[NamedTimeIntervals] = Field(default_factory=list)
    route: Route
    inhibit_rules: list[InhibitRule] | None = Field(
        default=None, description="Default: critical silences warning for the same alertname and service")


class MetricsTelemetry(Model):
    provider: Literal["prometheus"] = "prometheus"
    alertmanager_webhook: str | None = None
    endpoint: str = Field(default="http://prometheus:9090", description="Prometheus URL for Grafana")
    alertmanager_endpoint: str = Field(
        default="http://alertmanager:9093", description="Alertmanager URL for Grafana and Prometheus")
    scrape_interval: str = Field(default="15s", description="prometheus.yml global scrape_interval")
    evaluation_interval: str = Field(default="15s", description="prometheus.yml global evaluation_interval")


class LogFields(Model):
    """Names of the JSON log fields the generated telemetry modules write: the seed's log format."""

    timestamp: str = "timestamp"
    level: str = "level"
    service: str = Field(default="service", description="Also the Loki label that joins a log stream to its service")
    trace_id: str = "trace_id"
    span_id: str = "span_id"
    message: str = "message"
    context: str = "context"


class LoggingTelemetry(Model):
    provider: Literal["loki"] = "loki"
    endpoint: str = Field(default="http://loki:3100", description="Loki base URL")
    auth_secret_ref: str | None = None
    fields: LogFields = Field(default_factory=LogFields)
    trace_id_regex: str | None = Field(
        default=None,
        description="Grafana's derived-field regex finding the trace id in a log line (RE2, first group); "
                          "default: derived from fields.trace_id")


class TracingTelemetry(Model):
    provider: Literal["otel"] = "otel"
    collector_endpoint: str = "http://otel-collector:4317"
    export_endpoint: str | None = Field(
        default=None, description="Where the generated telemetry modules send spans (OTLP/HTTP); "
                          "default: the collector endpoint's host on the Collector's OTLP/HTTP port 4318")
    tempo_endpoint: str = Field(
        default="http://tempo:4317", description="Tempo OTLP gRPC endpoint the Collector exports to")
    tempo_query_endpoint: str = Field(default="http://tempo:3200", description="Tempo HTTP API for Grafana")


class Telemetry(Model):
    metrics: MetricsTelemetry = Field(default_factory=MetricsTelemetry)
    logging: LoggingTelemetry = Field(default_factory=LoggingTelemetry)
    tracing: TracingTelemetry = Field(default_factory=TracingTelemetry)


class Targets(Model):
    prometheus: str = "2.42"
    alertmanager: str = "0.25"
    grafana: str = "11"
    otelcol: str = Field(
        default="0.117", description="OpenTelemetry Collector (contrib) version; 0.144 renamed exporters")


class Ruler(Model):
    """Settings of the `ruler` target: the same rules for a horizontally scaled ruler."""

    namespaces: Literal["service", "team"] = Field(
        default="service",
        description="One Mimir/Cortex ruler namespace per service, or per team (services without a team "
                               "keep their own)")
    source_tenants: list[str] = Field(
        default_factory=list, description="Mimir federated rule groups: the tenants every group queries")
    partial_response_strategy: Literal["abort", "warn"] = Field(
        default="abort", description="Thanos ruler: what a group does when a store answers partially")


class Kubernetes(Model):
    """Settings of the `kubernetes` target (Prometheus Operator and Grafana manifests)."""

    namespace: str = "monitoring"
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Labels on every object, e.g. what the Prometheus ruleSelector/podMonitorSelector match")
    dashboards: Literal["configmap", "grafana-operator"] = Field(
        default="configmap",
        description="ConfigMaps for Grafana's sidecar, or grafana-operator GrafanaDashboard objects")
    grafana_sidecar_labels: dict[str, str] = Field(
        default_factory=lambda: {"grafana_dashboard": "1"},
        description="Labels Grafana's dashboard sidecar selects ConfigMaps by")
    grafana_datasource_labels: dict[str, str] = Field(
        default_factory=lambda: {"grafana_datasource": "1"},
        description="Labels Grafana's datasource sidecar selects ConfigMaps by")
    grafana_instance_selector: dict[str, str] = Field(
        default_factory=lambda: {"dashboards": "grafana"},
        description="grafana-operator: labels of the Grafana instances the objects apply to")
    loki_rule_labels: dict[str, str] = Field(
        default_factory=lambda: {"loki_rule": "1"},
        description="Labels the Loki ruler's sidecar selects rule ConfigMaps by")
    alertmanager: str = Field(
        default="main", description="Name of the Alertmanager object; its Secret is alertmanager-<name>")


CoverageRequirement = Literal["metrics", "alerts", "dashboard", "slo", "log_alerts"]


class Policy(Model):
    """What every service must have (the seed: metrics, dashboards and alerts for every component)."""

    require: list[CoverageRequirement] = Field(default_factory=list)
    severity: Literal["error", "warning"] = Field(
        default="error", description="Of the finding for an unmet requirement")


class Urls(Model):
    grafana: str | None = Field(default=None, description="Grafana's base URL: alerts get a dashboard_url annotation")
    runbook: str | None = Field(
        default=None, description="runbook_url pattern for alerts without one: {alert}, {service}, {team}, {severity}")


class Spec(Model):
    version: Literal[1]
    project: str
    urls: Urls = Field(default_factory=Urls)
    telemetry: Telemetry = Field(default_factory=Telemetry)
    targets: Targets = Field(default_factory=Targets)
    external_metrics: list[str] = Field(
        default_factory=list, description="Metrics used in expressions but defined elsewhere")
    services: list[Service] = Field(default_factory=list)
    dashboards: list[Dashboard] = Field(default_factory=list)
    alerting: Alerting | None = None
    policy: Policy | None = None
    ruler: Ruler | None = Field(
        default=None, description="Render the rules for Mimir/Cortex and Thanos rulers (the `ruler` target)")
    kubernetes: Kubernetes | None = Field(
        default=None, description="Render Kubernetes manifests (the `kubernetes` target) with these settings")

"""The benchmark's workload: an organisation of N services, in khaosobs's spec and in metrics-forge's.

Shape (issue 15): per service 10 metrics of mixed types, 5 alerts, a recording rule, an SLO, a
log alert and one 6-panel dashboard; one team per ten services, one route per team. Every name
is unique per service, so nothing can be shared between services by accident.
"""

from __future__ import annotations

# (suffix, type, labels): 4 counters, 2 histograms, 3 gauges, 1 summary
METRICS: tuple[tuple[str, str, str], ...] = (
    ("requests_total", "counter", "[route, code]"),
    ("errors_total", "counter", "[route]"),
    ("retries_total", "counter", "[route]"),
    ("sent_bytes_total", "counter", "[route]"),
    ("request_duration_seconds", "histogram", "[route]"),
    ("response_size_bytes", "histogram", "[route]"),
    ("queue_depth", "gauge", "[queue]"),
    ("workers_busy", "gauge", "[]"),
    ("cache_entries", "gauge", "[cache]"),
    ("job_duration_seconds", "summary", "[job_kind]"),
)


def service_names(services: int) -> list[str]:
    return [f"svc-{i:04d}" for i in range(services)]


def khaosobs_spec(services: int, *, deploy: bool = False) -> str:
    """A valid khaosobs spec of `services` services, as YAML text; `deploy` adds the `kubernetes:` and
    `ruler:` blocks, so that every target renders (the issue's shape has neither)."""
    lines = ["version: 1", "project: benchmark"]
    if deploy:
        lines += ["kubernetes:", "  namespace: observability", "  labels: {release: kube-prometheus-stack}",
                  "ruler: {namespaces: team}"]
    lines.append("services:")
    teams = max(1, services // 10)
    for i, name in enumerate(service_names(services)):
        p = f"svc{i:04d}"
        lines += [f"  - name: {name}", f"    team: team-{i % teams}", "    labels: {tier: backend}", "    metrics:"]
        for suffix, kind, labels in METRICS:
            extra = ", buckets: [0.05, 0.1, 0.25, 0.5, 1.0, 2.5]" if kind == "histogram" else ""
            lines.append(f"      - {{name: {p}_{suffix}, type: {kind}, help: The {suffix} of {name},"
                         f" labels: {labels}{extra}}}")
        lines += [
            "    alerts:",
            f"      - name: HighLatency{i}",
            f"        expr: histogram_quantile(0.99, sum by (le) (rate({p}_request_duration_seconds_bucket[5m]))) > 1",
            "        for: 5m",
            "        severity: warning",
            '        summary: "p99 latency is {{ $value }}s"',
            f"      - name: ErrorsBurst{i}",
            f"        expr: sum by (route) (rate({p}_errors_total[5m])) > 5",
            "        for: 2m",
            "        severity: critical",
            '        summary: "errors on {{ $labels.route }}: {{ $value }}/s"',
            f"      - name: QueueBacklog{i}",
            f"        expr: {p}_queue_depth > 1000",
            "        severity: info",
            "        summary: Queue backlog",
            f"      - name: RetryStorm{i}",
            f"        expr: sum(rate({p}_retries_total[5m])) > 10",
            "        for: 10m",
            "        severity: warning",
            "        summary: Retries are high",
            f"      - name: WorkersSaturated{i}",
            f"        expr: {p}_workers_busy > 50",
            "        for: 15m",
            "        severity: warning",
            "        summary: Workers saturated",
            "    recording_rules:",
            f"      - record: route:{p}_requests:rate5m",
            f"        expr: sum by (route) (rate({p}_requests_total[5m]))",
            "    slos:",
            "      - name: availability",
            "        objective: 99.5",
            "        window: 30d",
            "        sli:",
            f"          errors: {p}_requests_total{{code=~\"5..\"}}",
            f"          total: {p}_requests_total",
            "    log_alerts:",
            f"      - name: PanicLogged{i}",
            f'        expr: sum(count_over_time({{service="{name}"}} |= "panic" [5m])) > 0',
            "        severity: critical",
            "        summary: Panic in logs",
        ]
    lines.append("dashboards:")
    rate = "[$__rate_interval]"  # what the panel-rate-interval check asks of a panel
    legend = "legend: '{{route}}'"
    for i, name in enumerate(service_names(services)):
        p = f"svc{i:04d}"
        lines += [
            f"  - title: {name} overview",
            "    panels:",
            f"      - {{title: Requests, expr: 'sum by (route) (rate({p}_requests_total{rate}))', {legend}}}",
            f"      - {{title: Errors, expr: 'sum by (route) (rate({p}_errors_total{rate}))', {legend}}}",
            f"      - {{title: p99 latency, expr: 'histogram_quantile(0.99, sum by (le) "
            f"(rate({p}_request_duration_seconds_bucket[$__rate_interval])))'}}",
            f"      - {{title: Queue depth, type: stat, unit: short, expr: 'sum({p}_queue_depth)'}}",
            f"      - {{title: Busy workers, type: gauge, unit: short, expr: 'sum({p}_workers_busy)'}}",
            f"      - {{title: Sent, expr: 'sum(rate({p}_sent_bytes_total[$__rate_interval]))'}}",
        ]
    lines += ["alerting:", "  receivers:", "    - name: default",
              "      webhook: {url: \"http://gateway.internal/alert\"}"]
    for t in range(teams):
        lines += [f"    - name: team-{t}", "      webhook: {url: \"http://gateway.internal/alert\"}"]
    lines += ["  route:", "    receiver: default", "    group_by: [alertname, service]", "    routes:"]
    for t in range(teams):
        lines += [f"      - matchers: ['team=\"team-{t}\"']", f"        receiver: team-{t}"]
    return "\n".join(lines) + "\n"


def metrics_forge_services(services: int) -> str:
    """The same organisation as metrics-forge 1.0.0 reads it (its `generate` input)."""
    teams = max(1, services // 10)
    lines = ["services:"]
    for i, name in enumerate(service_names(services)):
        lines += [
            f"- name: {name}",
            "  tier: standard",
            "  namespace: production",
            "  port: 8080",
            f"  team: team-{i % teams}",
            "  slos:",
            "  - {type: availability, target: 99.5, window: 30d}",
            "  - {type: latency, target: 500, window: 30d}",
            "  custom_metrics: [" + ", ".join(f"svc{i:04d}_{suffix}" for suffix, _, _ in METRICS) + "]",
            f"  labels: {{app: {name}}}",
        ]
    return "\n".join(lines) + "\n"


# --- Other axes than the number of services ---------------------------------------------------------
# One service (and so no fork), grown along one axis: a step that is linear in the services can still
# be quadratic in the routes of a tree, the alerts of a service or the panels of a dashboard.
SHAPES = ("routes", "alerts", "panels", "slos", "inhibitions")


def shaped_spec(shape: str, n: int) -> str:
    """A valid spec of one service (every target: `kubernetes:` and `ruler:` set) with `n` of `shape`:
    - routes: n team routes, each with two child routes, and n receivers no alert reaches (each one
      then asks which route shadows it);
    - alerts: n alerts of the service; panels: one dashboard of n panels; slos: n SLOs;
    - inhibitions: n inhibit rules between n + 1 alerts."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}: one of {', '.join(SHAPES)}")
    alerts = n + 1 if shape in ("alerts", "inhibitions") else 3
    lines = ["version: 1", f"project: shape-{shape}", "kubernetes:", "  namespace: observability",
             "ruler: {namespaces: team}", "services:", "  - name: api", "    team: web", "    metrics:",
             "      - {name: api_requests_total, type: counter, help: Requests, labels: [route, code]}",
             "      - {name: api_duration_seconds, type: histogram, help: Duration, labels: [route]}"]
    lines += [f"      - {{name: api_queue{q}, type: gauge, help: Queue {q}, labels: [queue]}}" for q in range(10)]
    lines.append("    alerts:")
    for a in range(alerts):
        lines += [f"      - name: Api{a}", f"        expr: api_queue{a % 10} > {a}", "        for: 5m",
                  "        severity: warning", '        summary: "queue at {{ $value }}"']
    if shape == "slos":
        lines.append("    slos:")
        for s in range(n):
            lines += [f"      - name: route-{s}", "        objective: 99.5", "        window: 30d", "        sli:",
                      f'          errors: api_requests_total{{code=~"5..", route="r{s}"}}',
                      f'          total: api_requests_total{{route="r{s}"}}']
    if shape == "panels":
        lines += ["dashboards:", "  - title: api", "    panels:"]
        lines += [f"      - {{title: Queue {p}, unit: short, "
                  f"expr: 'sum by (queue) (api_queue{p % 10}{{queue=\"q{p}\"}})'}}" for p in range(n)]
    receivers = n if shape == "routes" else 0
    lines += ["alerting:", "  receivers:", "    - name: default", '      webhook: {url: "http://gateway.internal/alert"}']
    for r in range(receivers):
        lines += [f"    - name: team-{r}", '      webhook: {url: "http://gateway.internal/alert"}']
    lines += ["  route:", "    receiver: default", "    group_by: [alertname, service]"]
    if receivers:
        lines.append("    routes:")
        for r in range(receivers):
            lines += [f"      - matchers: ['team=\"team-{r}\"']", f"        receiver: team-{r}", "        routes:",
                      "          - matchers: ['severity=\"critical\"']", "            continue: true",
                      f"          - matchers: ['queue=~\"q{r}.*\"']"]
    if shape == "inhibitions":
        lines.append("  inhibit_rules:")
        for i in range(n):
            lines += [f"    - source_matchers: ['alertname=\"Api{i}\"']",
                      f"      target_matchers: ['alertname=\"Api{i + 1}\"']", "      equal: [service]"]
    return "\n".join(lines) + "\n"

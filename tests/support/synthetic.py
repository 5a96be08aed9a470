"""A valid spec of any size, for the benchmark and for scale tests."""

from __future__ import annotations


def synthetic_spec(services: int) -> str:
    """A spec with `services` services, each with 4 metrics, 3 alerts, a recording rule, an SLO
    and a log alert, plus one dashboard per 10 services and a routing tree per team."""
    lines = [
        "version: 1",
        "project: synthetic",
        "services:",
    ]
    for i in range(services):
        name = f"svc-{i:04d}"
        prefix = f"svc{i:04d}"
        team = f"team-{i % 7}"
        lines += [
            f"  - name: {name}",
            f"    team: {team}",
            "    labels: {tier: backend}",
            "    metrics:",
            f"      - {{name: {prefix}_requests_total, type: counter, help: Requests served, labels: [route, code]}}",
            f"      - {{name: {prefix}_request_duration_seconds, type: histogram, help: Request latency,"
            " labels: [route], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5]}",
            f"      - {{name: {prefix}_queue_depth, type: gauge, help: Items waiting}}",
            f"      - {{name: {prefix}_errors_total, type: counter, help: Failed requests, labels: [route]}}",
            "    alerts:",
            f"      - name: HighLatency{i}",
            "        expr: histogram_quantile(0.99, sum by (le, route) "
            f"(rate({prefix}_request_duration_seconds_bucket[5m]))) > 1",
            "        for: 5m",
            "        severity: warning",
            '        summary: "p99 latency of {{ $labels.route }} is {{ $value }}s"',
            f"      - name: ErrorsBurst{i}",
            f"        expr: sum(rate({prefix}_errors_total[5m])) > 5",
            "        for: 2m",
            "        severity: critical",
            '        summary: "errors: {{ $value }}/s"',
            f"      - name: QueueBacklog{i}",
            f"        expr: {prefix}_queue_depth > 1000",
            "        severity: info",
            "        summary: Queue backlog",
            "    recording_rules:",
            f"      - record: {prefix}:requests:rate5m",
            f"        expr: sum by (route) (rate({prefix}_requests_total[5m]))",
            "    slos:",
            "      - name: availability",
            "        objective: 99.5",
            "        sli:",
            f"          errors: {prefix}_requests_total{{code=~\"5..\"}}",
            f"          total: {prefix}_requests_total",
            "    log_alerts:",
            f"      - name: PanicLogged{i}",
            f'        expr: sum(count_over_time({{service="{name}"}} |= "panic" [5m])) > 0',
            "        severity: critical",
            "        summary: Panic in logs",
        ]
    lines.append("dashboards:")
    for d in range(0, services, 10):
        lines += [f"  - title: Services {d} to {min(d + 9, services - 1)}", "    panels:"]
        for i in range(d, min(d + 10, services)):
            prefix = f"svc{i:04d}"
            lines += [
                f"      - title: Requests {i}",
                f"        expr: sum by (route) (rate({prefix}_requests_total[5m]))",
                '        legend: "{{route}}"',
            ]
    lines += [
        "alerting:",
        "  receivers:",
        "    - name: default",
        "      webhook: {url: \"http://gateway.internal/alert\"}",
    ]
    for t in range(7):
        lines += [f"    - name: team-{t}", "      webhook: {url: \"http://gateway.internal/alert\"}"]
    lines += ["  route:", "    receiver: default", "    group_by: [alertname, service]", "    routes:"]
    for t in range(7):
        lines += [f"      - match: {{team: team-{t}}}", f"        receiver: team-{t}"]
    return "\n".join(lines) + "\n"

"""Every name khaosobs derives, in one place: slugs, dashboard uids, output paths, SLO series."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# kept importable from here for code written before khaosobs/domain/ (the rule itself lives there)
from khaosobs.domain.prometheus_names import LABEL_NAME_RE as LABEL_NAME_RE
from khaosobs.domain.prometheus_names import METRIC_NAME_RE as METRIC_NAME_RE

SLUG_RE = re.compile(r"[a-z][a-z0-9-]*")
ALERT_NAME_RE = re.compile(r"[A-Z][A-Za-z0-9]*")
UID_RE = re.compile(r"[a-zA-Z0-9_-]{1,40}")
MAX_UID = 40
_NOT_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """ASCII lowercase words joined by dashes: 'Discord Ops Overview' -> 'discord-ops-overview'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG_RE.sub("-", ascii_text.lower()).strip("-")


def dashboard_uid(title: str, project: str, explicit: str | None = None) -> str:
    """A stable Grafana uid: the explicit one, else the title's slug; long ones keep a hash to stay unique."""
    if explicit:
        return explicit
    slug = slugify(title) or "dashboard"
    if len(slug) <= MAX_UID:
        return slug
    digest = hashlib.sha256(f"{project}/{title}".encode()).hexdigest()[:8]
    return f"{slug[: MAX_UID - 9].rstrip('-')}-{digest}"


def prometheus_rules_path(service: str) -> str:
    return f"prometheus/rules/{service}.yml"


PROMETHEUS_CONFIG_PATH = "prometheus/prometheus.yml"


def prometheus_rule_file_entry(service: str) -> str:
    """A rule file as prometheus.yml names it: relative to prometheus.yml's folder, which is how
    Prometheus and promtool resolve `rule_files`."""
    return f"rules/{service}.yml"


def mimir_rules_path(namespace: str) -> str:
    return f"ruler/mimir/{namespace}.yml"


def thanos_rules_path(service: str) -> str:
    return f"ruler/thanos/{service}.yml"


KUBERNETES_KUSTOMIZATION_PATH = "kubernetes/kustomization.yaml"


def kubernetes_manifest_path(kind: str, name: str) -> str:
    """One object per file, by kind: `kubernetes/prometheusrules/<name>.yaml`."""
    return f"kubernetes/{kind.lower()}s/{name}.yaml"


def prometheus_tests_path(service: str) -> str:
    return f"prometheus/tests/{service}.test.yml"


def prometheus_slo_tests_path(service: str) -> str:
    """The generated proof of a service's SLO alerts (its own file: a coarser evaluation interval)."""
    return f"prometheus/tests/{service}.slo.test.yml"


def loki_rules_path(service: str) -> str:
    return f"loki/rules/{service}.yml"


def dashboard_path(uid: str) -> str:
    return f"grafana/dashboards/{uid}.json"


def instrumentation_path(service: str) -> str:
    return f"instrumentation/python/{service.replace('-', '_')}_metrics.py"


def telemetry_module_path(service: str) -> str:
    """The service's tracing and logging bootstrap, beside its metrics module."""
    return f"instrumentation/python/{service.replace('-', '_')}_telemetry.py"


# Grafana datasource uids: defined once here, written by the datasource provisioning file and
# referred to by every dashboard panel, so the two can never disagree.
PROMETHEUS_DATASOURCE_UID = "prometheus"
LOKI_DATASOURCE_UID = "loki"
TEMPO_DATASOURCE_UID = "tempo"
ALERTMANAGER_DATASOURCE_UID = "alertmanager"
# Where Grafana reads the generated dashboards (a deployment choice: mount grafana/dashboards/ there).
GRAFANA_DASHBOARDS_DIR = "/var/lib/grafana/dashboards/khaosobs"
GRAFANA_DATASOURCES_PATH = "grafana/provisioning/datasources/khaosobs.yml"
GRAFANA_DASHBOARD_PROVIDER_PATH = "grafana/provisioning/dashboards/khaosobs.yml"
OTEL_COLLECTOR_PATH = "otel/collector.yaml"


def dollar_literal(value: str) -> str:
    """Spec text for a tool that expands `$…` in its config (Grafana provisioning, the Collector):
    `$$` keeps a `$` literal."""
    return value.replace("$", "$$")


def secret_indirection(ref: str, *, env: str, file: str) -> str:
    """A secret reference in a tool's own indirection syntax; `env` and `file` hold one `{}` each,
    e.g. env="${{env:{}}}", file="${{file:{}}}". The secret's value never appears in the output."""
    path = file_ref_path(ref)
    return file.format(path) if path is not None else env.format(secret_env_name(ref))


def secret_env_name(ref: str) -> str:
    """The environment variable a deployment provides a secret in, from the spec's reference.

    `env:NAME` -> `NAME`. A store reference (`vault://kv/observability/loki_auth`) -> its last path
    segment, upper-cased, other characters as `_`: `LOKI_AUTH`; a `#key` suffix is appended
    (`vault://kv/loki#password` -> `LOKI_PASSWORD`). The deployment (e.g. Vault Agent or External
    Secrets) exports the secret under that name; khaosobs never sees its value. `file:` references
    have no variable: outputs read the file itself.
    """
    if ref.startswith("env:"):
        return ref[4:]
    if ref.startswith("file:"):
        raise ValueError(f"{ref!r} is a file reference, not an environment variable")
    path, _, key = ref.split("://", 1)[-1].partition("#")
    name = path.rstrip("/").rsplit("/", 1)[-1] + (f"_{key}" if key else "")
    name = re.sub(r"_+", "_", re.sub(r"[^A-Z0-9_]", "_", name.upper())).strip("_") or "SECRET"
    return f"SECRET_{name}" if name[0].isdigit() else name


# SLO series (Sloth's names where Sloth has one). Every series carries `service` and `slo` (and the
# SLO's `labels` and `group_by` labels):
#   slo:sli_error:ratio_rate<w>              error ratio over burn-rate window w (5m, 30m, 1h, ...)
#   slo:sli_error:ratio_period               error ratio over the whole SLO window
#   slo:objective:ratio                      the objective as a ratio (99.9 -> 0.999)
#   slo:error_budget:ratio                   1 - objective (0.001)
#   slo:time_period:days                     the SLO window in days
#   slo:current_burn_rate:ratio              error ratio of the shortest window / error budget
#   slo:period_burn_rate:ratio               error ratio of the SLO window / error budget
#   slo:period_error_budget_remaining:ratio  1 - period burn rate (1 untouched, 0 spent, < 0 overspent)
SLO_PERIOD_ERROR_RATIO = "slo:sli_error:ratio_period"
SLO_OBJECTIVE = "slo:objective:ratio"
SLO_ERROR_BUDGET = "slo:error_budget:ratio"
SLO_TIME_PERIOD_DAYS = "slo:time_period:days"
SLO_CURRENT_BURN_RATE = "slo:current_burn_rate:ratio"
SLO_PERIOD_BURN_RATE = "slo:period_burn_rate:ratio"
SLO_BUDGET_REMAINING = "slo:period_error_budget_remaining:ratio"


def slo_ratio_record(window: str) -> str:
    """Recording rule of the SLO's error ratio over one window (Sloth's naming)."""
    return f"slo:sli_error:ratio_rate{window}"


def _camel(slug: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", slug) if part)


def slo_alert_name(slo: str, tier: str, prefix: str | None = None) -> str:
    """`command-availability`, page -> `CommandAvailabilitySLOPageBurnRate`; a spec's
    `alerting.name` replaces the `<Slo>SLO` prefix."""
    return f"{prefix or _camel(slo) + 'SLO'}{tier.capitalize()}BurnRate"


def slo_no_data_alert_name(slo: str, prefix: str | None = None) -> str:
    """`command-availability` -> `CommandAvailabilitySLONoData`."""
    return f"{prefix or _camel(slo) + 'SLO'}NoData"


def slo_dashboard_uid(service: str) -> str:
    """The generated SLO dashboard of a service."""
    return dashboard_uid(f"{service} SLOs", "")


def python_metric_identifier(metric: str) -> str:
    """The module-level name of a metric in generated instrumentation: `discord_commands_total` ->
    `DISCORD_COMMANDS_TOTAL` (upper case is never a Python keyword; `:` is not allowed in a name)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", metric).upper()


ALERTMANAGER_CONFIG_PATH = "alertmanager/alertmanager.yml"
# Alertmanager reads `templates:` globs relative to its config file's folder.
ALERTMANAGER_TEMPLATES_GLOB = "templates/*.tmpl"
# The Prometheus Operator mounts the config Secret's keys (the templates too) here, and runs
# Alertmanager on a copy of the config in another folder, so the relative glob finds nothing there.
ALERTMANAGER_OPERATOR_TEMPLATES_GLOB = "/etc/alertmanager/config/*.tmpl"


def alertmanager_template_path(name: str) -> str:
    return f"alertmanager/templates/{name}.tmpl"


# Listeners of the generated Collector config (OTLP gRPC takes the port of tracing.collector_endpoint)
OTLP_GRPC_DEFAULT_PORT = 4317
OTLP_HTTP_PORT = 4318
OTEL_PROMETHEUS_PORT = 8889
OTEL_HEALTH_PORT = 13133
OTEL_RESERVED_PORTS = frozenset({OTLP_HTTP_PORT, OTEL_PROMETHEUS_PORT, OTEL_HEALTH_PORT})


def file_ref_path(ref: str) -> str | None:
    """`file:/etc/x` -> `/etc/x`; any other kind of secret reference -> None."""
    return ref[len("file:"):] if ref.startswith("file:") else None

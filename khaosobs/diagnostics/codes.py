"""Every diagnostic code, declared once: its severity, what it means, how to fix it, and the
properties other stages read (salvage, reporters) instead of matching code strings or messages.

To add a code: add one `_error(...)` or `_warning(...)` line in the section of the check that
emits it, then emit it with `ctx.error("the-code", ...)` / `ctx.warning(...)`. A Diagnostic with
an unregistered code (or with a severity its code does not allow) raises `UnknownCode`, and
`tests/diagnostics/test_codes.py` fails for a code that no case of `tests/invalid/` exercises or that
`docs/checks.md` does not list (regenerate it with `python3 -m khaosobs explain --all > docs/checks.md`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from khaosobs.diagnostics import Severity


class Stage(StrEnum):
    """Where a code is found: reading the files, matching the model's structure, or a semantic check."""

    LOAD = "load"
    STRUCTURE = "structure"
    CHECK = "check"


@dataclass(frozen=True, slots=True)
class Code:
    name: str
    severity: Severity
    meaning: str  # what the finding means, one or two sentences
    fix: str  # how to fix it
    stage: Stage = Stage.CHECK
    # the code is also emitted, for a milder case, as a warning (its `meaning` says when)
    also_warning: bool = False
    # the finding is about a reference to a named definition (a metric, a receiver): when that
    # definition was set aside by salvage, the finding is made up and dropped
    refers_to_definition: bool = False
    # the finding is about the spec as a whole (reachability, uniqueness across files): setting any
    # part aside can make it up, so salvage drops it
    whole_spec: bool = False
    # the finding points at secret text: reporters mask the source line they quote
    sensitive_text: bool = False

    def allows(self, severity: Severity) -> bool:
        return severity is self.severity or (self.also_warning and severity is Severity.WARNING)


class UnknownCode(ValueError):
    """A Diagnostic was built with a code that is not declared here: a bug in khaosobs."""


def _error(name: str, meaning: str, fix: str, **properties: object) -> Code:
    return Code(name, Severity.ERROR, meaning, fix, **properties)  # type: ignore[arg-type]


def _warning(name: str, meaning: str, fix: str, **properties: object) -> Code:
    return Code(name, Severity.WARNING, meaning, fix, **properties)  # type: ignore[arg-type]


_LOAD = {"stage": Stage.LOAD}

_DECLARED: tuple[Code, ...] = (
    # --- reading the spec files (khaosobs/spec/loader.py) -------------------------------------------
    _error("file-missing", "A spec path names no file, or a folder that holds no *.yaml/*.yml file.",
           "Check the path given to the command (default: specs/).", **_LOAD),
    _error("file-too-large", "A spec file is larger than the loader's size limit.",
           "Split the spec into several files in one folder.", **_LOAD),
    _error("file-unreadable", "A spec file exists but cannot be read (permissions, a folder in its place).",
           "Make the file readable by the user running khaosobs.", **_LOAD),
    _error("empty-spec", "A spec file is empty or holds only comments.",
           "Start the spec with `version: 1` and `project: <slug>`.", **_LOAD),
    _error("spec-not-mapping", "The top of a spec file is a list or a scalar, not a mapping of keys.",
           "Write the spec as `key: value` lines, starting with `version: 1`.", **_LOAD),
    _error("not-utf8", "A spec file is not valid UTF-8.", "Save the file as UTF-8.", **_LOAD),
    _error("not-text", "A spec file contains a NUL byte: it is binary, not text.",
           "Remove the NUL byte or give the right file.", **_LOAD),
    _error("yaml-syntax", "The file is not valid YAML.", "Fix the YAML at the position shown.", **_LOAD),
    _error("yaml-too-deep", "The YAML is nested deeper than the loader accepts.",
           "Flatten the structure; no spec key needs such nesting.", **_LOAD),
    _error("yaml-alias", "A YAML alias refers to itself (a recursive structure).",
           "Write the value out instead of the recursive alias.", **_LOAD),
    _error("yaml-alias-bomb", "YAML aliases expand to more nodes than the loader accepts (a billion-laughs document).",
           "Write the values out; do not nest aliases of aliases.", **_LOAD),
    _error("yaml-merge-key", "YAML merge keys (`<<`) are not supported.", "Write the keys out.", **_LOAD),
    _error("yaml-key", "A mapping key is a list or a mapping, not a plain name.",
           "Use a plain string as the key.", **_LOAD),
    _error("yaml-value", "A YAML scalar cannot be read (e.g. an invalid timestamp or number).",
           "Quote the value to make it a string.", **_LOAD),
    _error("duplicate-key", "A mapping has the same key twice; YAML would silently keep only the last.",
           "Remove or rename one of the keys.", **_LOAD),
    _error("value-too-long", "A single value is longer than the loader's limit.",
           "Shorten the value; no spec field needs megabytes of text.", **_LOAD),
    _error("merge-conflict", "Two files of a spec folder set the same scalar to different values.",
           "Set the value in one file only, or make the files agree.", **_LOAD),
    _error("spec-version", "The spec has no `version`, or a version khaosobs does not read.",
           "Start the spec with `version: 1`.", **_LOAD),
    # --- structure (khaosobs/spec/structure.py: the model's shape) ----------------------------------
    _error("unknown-key", "A key the spec model does not know (often a typo).",
           "Remove the key or fix its spelling (the hint suggests the closest known key).",
           stage=Stage.STRUCTURE),
    _error("missing-key", "A required key is missing.", "Add the key.", stage=Stage.STRUCTURE),
    _error("wrong-type", "A value has the wrong type (e.g. `help: no` is a YAML 1.1 boolean, not a string).",
           "Write a value of the expected type; quote text that YAML reads as a boolean or number.",
           stage=Stage.STRUCTURE),
    _error("invalid-value", "A value is of the right type but not one of the accepted values.",
           "Use one of the values listed in the message.", stage=Stage.STRUCTURE),
    # --- names (checks/names.py, checks/version.py, checks/slugs.py) ---------------------------
    _error("project-name", "The project is not a slug.", "Use lowercase letters, digits and dashes."),
    _error("service-name", "A service name is not a slug (it names files and labels).",
           "Use lowercase letters, digits and dashes, starting with a letter."),
    _error("slo-name", "An SLO name is not a slug (it names recorded series and alerts).",
           "Use lowercase letters, digits and dashes, starting with a letter."),
    _error("alert-name", "An alert name is empty; a warning when it is not CamelCase (Prometheus convention).",
           "Name the alert in CamelCase, e.g. HighCommandLatency.", also_warning=True),
    _error("duplicate-service", "Two services have the same name.", "Every service name must be unique."),
    _error("duplicate-metric", "A service defines the same metric twice.", "Every metric name must be unique."),
    _error("duplicate-alert", "A service has two alerts (or log alerts) of the same name.",
           "Every alert name of a service must be unique."),
    _error("duplicate-SLO", "A service has two SLOs of the same name.", "Every SLO name of a service must be unique."),
    _error("duplicate-receiver", "Two Alertmanager receivers have the same name.",
           "Every receiver name must be unique."),
    _error("duplicate-dashboard-title", "Two dashboards have the same title.", "Every dashboard title must be unique."),
    _error("dashboard-uid", "A dashboard uid is not a safe slug (it names the dashboard's output file).",
           "Use letters, digits, dashes and underscores, at most 40 characters."),
    _error("duplicate-dashboard-uid", "Two dashboards end up with the same uid (explicit or from the title).",
           "Give one of them an explicit, different `uid`.", whole_spec=True),
    # --- metrics: names, labels, buckets (checks/naming_rules.py) ------------------------------
    _error("metric-name", "A metric name is not a valid Prometheus metric name, or starts with the reserved `__`.",
           "Use letters, digits, `_` and `:`, not starting with a digit nor with `__`."),
    _warning("metric-suffix", "A metric's name ends in a suffix that contradicts its type (_total on a "
             "non-counter) or that Prometheus adds itself (_bucket, _count… on a histogram or summary).",
             "Rename the metric or fix its type."),
    _warning("metric-unit", "A metric name uses a non-base unit (e.g. _milliseconds, _kilobytes).",
             "Use base units: seconds, bytes, ratios."),
    _warning("counter-total", "A counter's name does not end in _total.", "Add _total to the counter's name."),
    _error("record-name", "A recording rule's name is not a valid metric name or is a declared metric's "
           "name; a warning when it does not follow the level:metric:operations convention.",
           "Name it like `level:metric:operations`.", also_warning=True),
    _error("label-name", "A label name is not a valid Prometheus label name.",
           "Use letters, digits and `_`, not starting with a digit."),
    _error("label-duplicate", "A metric lists the same label twice.", "List each label once."),
    _error("label-reserved", "A label is reserved (starts with `__`, `le` on a histogram, `quantile` on a summary); "
           "a warning for `le`/`quantile` on other types, where it is easily confused.", "Rename the label.",
           also_warning=True),
    _error("buckets", "Histogram buckets are not positive, not increasing, or set on a metric that is not a histogram.",
           "Give a histogram strictly increasing positive bounds; remove buckets from other types."),
    # --- labels and annotations (checks/labels.py) ---------------------------------------------
    _error("team", "A service's team is empty.", "Name the team, or leave `team` out."),
    _error("label-override", "Alert labels override a label the spec sets through a field (severity, service, team); "
           "a warning when `team` is given as a label instead of the service's `team:` field.",
           "Use the field (e.g. `severity:`) instead of `labels:`.", also_warning=True),
    _error("annotation-name", "An annotation name is not a valid label name.",
           "Use letters, digits and `_`, not starting with a digit."),
    _error("annotation-override", "An extra annotation repeats a field the alert already has (summary, description, "
           "runbook_url).", "Use the field, not `annotations:`."),
    _error("severity-label", "A `severity` label contradicts `severity:`, or a service sets it for all its "
           "alerts; a warning when the label only repeats `severity:`.",
           "Use the `severity:` field only.", also_warning=True),
    # --- durations (checks/durations.py) -------------------------------------------------------
    _error("duration", "A duration is not a Prometheus duration, not positive, or out of order "
           "(e.g. group_interval longer than repeat_interval).", "Write e.g. 30s, 5m, 1h30m."),
    # --- PromQL (checks/promql.py) ---------------------------------------------------------------
    _error("promql-syntax", "A PromQL expression does not parse.", "Fix the expression at the position shown."),
    _error("promql-version", "An expression uses a PromQL feature newer than `targets.prometheus`.",
           "Raise `targets.prometheus` or avoid the feature."),
    _error("promql-result-type", "A rule's expression (an alert, a recording rule) returns a string, not a vector "
           "or a number.", "Write an expression that returns a vector, e.g. `up == 0`."),
    _error("unknown-metric", "An expression reads a metric the spec does not define.",
           "Define the metric, record it, or list it in `external_metrics`.", refers_to_definition=True),
    _error("rate-over-gauge", "rate()/increase() is applied to a gauge: it only makes sense on a counter.",
           "Use the gauge directly, or deriv()/delta()."),
    _warning("gauge-function-over-counter", "A gauge function (deriv, delta…) is applied to a counter.",
             "Use rate() or increase() on a counter."),
    _error("histogram-quantile", "histogram_quantile() is applied to something that is not a histogram's _bucket "
           "series; a warning when its argument is not a rate.",
           "Write histogram_quantile(0.95, sum by (le) (rate(<name>_bucket[5m]))).", also_warning=True),
    _error("histogram-quantile-le", "histogram_quantile()'s aggregation drops the `le` label it needs.",
           "Keep `le` in the `by (...)` clause."),
    _error("histogram-series", "A histogram is read by its bare name; it only exists as _bucket, _sum and _count.",
           "Read <name>_bucket, <name>_sum or <name>_count."),
    # --- LogQL (checks/logql.py) -----------------------------------------------------------------
    _error("logql-syntax", "A LogQL expression is malformed (unbalanced brackets, an unterminated string…).",
           "Fix the expression at the position shown."),
    _error("logql-selector", "A LogQL stream selector is malformed or selects every stream.",
           'Give at least one label matcher that is not empty, e.g. {service="api"}.'),
    _error("logql-range", "A LogQL range is not a valid duration.", "Write e.g. [5m]."),
    _error("logql-not-metric-query", "A log alert's expression is a log query, not a metric query Loki's ruler can "
           "evaluate.", 'Wrap it, e.g. sum(count_over_time({service="api"} |= "error" [5m])) > 0.'),
    # --- alert tests (checks/alert_tests.py) ---------------------------------------------------
    _error("alert-test", "An alert test expects nothing; a warning when it has no name.",
           "Add an expectation, e.g. `- {at: 10m, firing: true}`, and name the test.", also_warning=True),
    _error("alert-test-series", "A test series is not a series (a metric name and `=` labels); a warning when it "
           "names a metric the spec does not define.", 'Write e.g. http_requests_total{code="500"}.',
           also_warning=True, refers_to_definition=True),
    _error("alert-test-values", "A test series' values are not in promtool's expanding notation.",
           "Write values like '1 2 3', '0+10x20', '5x10', '_' or 'stale'."),
    # --- SLOs (checks/slo.py) --------------------------------------------------------------------
    _error("slo-objective", "An SLO objective is not strictly between 0 and 100.", "Write e.g. 99.9."),
    _warning("slo-window", "An SLO window is shorter than a day, while its burn-rate alerts look back up to 3 days.",
             "Use a 7d, 28d or 30d window."),
    _warning("slo-burn-rate", "A burn-rate tier can never fire: its threshold exceeds a 100% error ratio.",
             "Raise the objective, or turn the tier off (`page: false`)."),
    _warning("slo-sli", "An SLI's errors and total select the same series: the error ratio is always 1.",
             'Select the bad events only in `errors`, e.g. x_total{status="error"}.'),
    _error("slo-sli-selector", "An SLI is not a series selector (a metric name and its labels).",
           'Write the counter and its labels, e.g. http_requests_total{code=~"5.."}.'),
    _error("slo-sli-type", "An SLI's metric is not a counter; a warning when an external metric does not "
           "look like one.",
           "Point the SLI at counters: errors and total requests.", also_warning=True),
    _error("slo-window-too-short", "The SLO window is shorter than a burn-rate tier's long window: the tier would "
           "look back further than the SLO.", "Lengthen the window, give the tier shorter `windows`, or turn it off."),
    _error("slo-burn-window", "A tier's burn-rate windows are invalid: the short window is not shorter than the long "
           "one, `budget_share` is not in (0, 1], or the list is empty.",
           "Write windows like {long: 1h, short: 5m, budget_share: 0.02}."),
    _error("slo-sli-form", "An SLI does not set exactly one form, or `total` is missing or misplaced.",
           "Write exactly one of: errors + total, good + total, latency, error_ratio, bool_gauge."),
    _error("slo-latency-threshold", "A latency SLI's threshold is not one of the histogram's buckets.",
           "Use one of the buckets the hint lists, or add the bucket to the histogram."),
    _error("slo-sli-metric", "A latency SLI names a histogram the spec does not define.",
           "Declare the histogram in the service's metrics, or correct the name."),
    _error("slo-sli-label", "An SLI selector uses a label its metric does not declare.",
           "Use one of the metric's labels, or declare the label."),
    _error("slo-group-by", "A `group_by` label the SLI's series lack, a reserved one, or one also set in the SLO's "
           "`labels`.", "Group by a label every SLI series carries."),
    _error("slo-labels", "An SLO, alerting or tier label that khaosobs sets itself (severity, service, team, slo, "
           "alertname, le), or an invalid label name.", "Use another label name; set severity per tier."),
    _error("slo-alert-name", "A tier's alert name or the alert-name prefix is not CamelCase.",
           "Write e.g. CheckoutLatencyPage."),
    _error("slo-dashboard-uid", "A spec dashboard takes the uid of a generated SLO dashboard (<service>-slos).",
           "Give the dashboard another uid."),
    _warning("slo-sli-window", "An `error_ratio` SLI has no `[$window]` range: every window would read the same.",
             "Write the ratio over [$window], e.g. sum(rate(bad[$window])) / sum(rate(all[$window]))."),
    # --- routing and Alertmanager (checks/references.py, routing.py, alertmanager.py) -----------
    _error("route-receiver", "A route names a receiver that is not defined, or the root route has none.",
           "Define the receiver under `alerting.receivers`, or fix the name.", refers_to_definition=True),
    _error("route-root", "The top-level route has matchers or `continue`: it must take every alert.",
           "Move the matchers to a child route."),
    _error("route-matcher", "A route matcher cannot be parsed, or its regex is not RE2.",
           'Write matchers like `severity="critical"` or `service=~"api|web"`.'),
    _warning("route-unreached", "No alert of the spec reaches a receiver.",
             "Route an alert to it, or remove the receiver.", whole_spec=True),
    _warning("route-default-only", "An alert only reaches the root's default receiver while other routes exist.",
             "Add a route for it, or accept the default.", whole_spec=True),
    _error("alertmanager-group-by", "A `group_by` label is invalid or repeated, or `...` is mixed with labels.",
           "List valid label names once, or `[...]` alone."),
    _error("alertmanager-matcher", "An inhibit rule's matcher or `equal` label is invalid.",
           'Write matchers like `severity="critical"`.'),
    _error("alertmanager-secret", "Alertmanager cannot read this secret reference (it reads no environment "
           "variables, no vault://).", "Use a `file:/path` reference."),
    _error("alertmanager-webhook", "A webhook receiver's URL is not an http(s) URL, or max_alerts is negative.",
           "Write a full http(s) URL."),
    _error("alertmanager-url", "A PagerDuty `url` or Opsgenie `api_url` is not an http(s) URL.",
           "Write a full http(s) URL, or leave it out for the service's default."),
    _error("alertmanager-option", "A receiver option Alertmanager refuses at load (email without `from`, `smarthost` "
           "or port; SMTP password without user; Telegram chat 0; both `authorization` and `basic_auth`), or one "
           "the service refuses at send time (an unknown PagerDuty severity or Opsgenie priority).",
           "Set the option as the message says, or leave it out for khaosobs's mapping."),
    # --- time intervals (checks/time_intervals.py) -------------------------------------------------
    _error("time-interval", "A time interval has an invalid time, weekday, day, month or year, or a range that "
           "starts after it ends.", 'Write e.g. weekdays: ["monday:friday"], times: [{start_time: "09:00", '
           'end_time: "17:00"}].'),
    _error("time-interval-location", "A time interval's location is not an IANA time zone.",
           "Write a zone like Europe/Berlin, UTC or Local."),
    _error("time-interval-undefined", "A route names a time interval that `alerting.time_intervals` does not define.",
           "Define it, or correct the name."),
    _error("time-interval-duplicate", "Two time intervals have the same name.", "Rename one of them."),
    _error("time-interval-root", "The top-level route has active or mute time intervals; Alertmanager refuses them "
           "there.", "Move the intervals to a child route."),
    _warning("time-interval-unused", "No route names this time interval.", "Use it on a route, or remove it."),
    # --- secrets (checks/secrets.py) ---------------------------------------------------------
    _error("secret-ref", "A `*_ref` field holds no secret reference (unknown scheme, empty name, or the secret "
           "itself).", "Write `vault://kv/path#key`, `env:NAME` or `file:/path`.", sensitive_text=True),
    _error("secret-teams-webhook", "A Microsoft Teams webhook or workflow URL is written in the spec.",
           "Name the secret by reference (`webhook_url_ref: \"file:/path\"`).", sensitive_text=True),
    _error("secret-inline", "A credential is written in a receiver under Alertmanager's own key name (e.g. "
           "`routing_key:`).", "Write the `*_ref` twin, e.g. `routing_key_ref: \"file:/etc/alertmanager/secrets/pd\"`.",
           sensitive_text=True),
    _error("secret-discord-webhook", "A Discord webhook URL with its token is written in the spec.",
           "Name the secret by reference (`file:/path`); the rendered config reads it at run time.",
           sensitive_text=True),
    _error("secret-slack-webhook", "A Slack webhook URL is written in the spec.",
           "Name the secret by reference instead of writing it.", sensitive_text=True),
    _error("secret-bearer-token", "A bearer token is written in the spec.",
           "Name the secret by reference instead of writing it.", sensitive_text=True),
    _error("secret-url-credentials", "A URL carries a user and password.",
           "Name the secret by reference instead of writing it.", sensitive_text=True),
    _error("secret-token", "A token or key (GitHub, Slack, AWS, a private key) is written in the spec.",
           "Name the secret by reference instead of writing it.", sensitive_text=True),
    # --- dashboards (checks/panels.py) -----------------------------------------------------------
    _error("dashboard-title", "A dashboard title is empty.", "Give the dashboard a title."),
    _warning("panel-title", "A panel title is empty.", "Give the panel a title."),
    _error("panel-query", "A panel has no query, several kinds of query, or a query its type cannot show; a warning "
           "for a query the panel type ignores.", "Give one of `expr`, `targets` or `logql` that fits the panel type.",
           also_warning=True),
    _warning("panel-legend", "A panel sets `legend` with `targets`: the legend applies to `expr` only.",
             "Give each target its own legend."),
    _error("panel-width", "A panel width is not between 1 and 24 grid columns.", "Use 1..24."),
    _error("panel-height", "A panel height is less than 1.", "Use a height of at least 1."),
    # --- label meaning (checks/label_analysis.py, checks/metric_use.py, checks/templates.py) ------
    _error("label-unknown", "A matcher, `by`, `without`, `on`, `ignoring` or `group_*` names a label the series there "
           "cannot carry (their declared labels, job, instance and what the service's scrape adds, le/quantile).",
           "Use a label the metric declares, or declare it.", refers_to_definition=True),
    _error("template-label-unknown", "An annotation reads `$labels.x` that the alert's expression never carries "
           "(e.g. instance after sum()): Prometheus prints <no value>.",
           "Keep the label in the expression (by (...)), or drop it from the text.", refers_to_definition=True),
    _error("alert-test-label-unknown", "An alert test expects a label the alert never carries.",
           "Expect only labels of the alert's expression and its rule labels.", refers_to_definition=True),
    _error("metric-type-conflict", "One metric name is declared with two types.",
           "Give the metric one type everywhere, or rename one.", whole_spec=True),
    _warning("route-label-unknown", "A route's `group_by`, a route or inhibit matcher, or an inhibit `equal` names a "
             "label no alert can carry.", "Use a label the alerts carry (alertname, severity, service, ...).",
             whole_spec=True),
    _warning("legend-label-unknown", "A panel legend `{{x}}` names a label the query's result does not carry.",
             "Keep the label in the query (by (...)), or change the legend.", refers_to_definition=True),
    _warning("summary-no-quantiles", "A query reads a summary's quantile series, which the generated "
             "prometheus_client Summary never exposes.", "Read _sum and _count, or declare a histogram.",
             refers_to_definition=True),
    _error("template-syntax", "Alert text (or a Discord title/message) is not a valid Go template: an unclosed `{{`, "
           "an unknown function, a bad pipeline.", 'Fix the template, or write a literal `{{` as {{ "{{" }}.'),
    _warning("slo-objective-ratio", "An SLO objective below 1: 0.999 means 0.999%, not 99.9%.",
             "Write the objective as a percentage, e.g. 99.9."),
    # --- dashboard rules (checks/dashboard_rules.py) ------------------------------------------
    _error("dashboard-variable-undefined", "A `$variable` in a query, or a row's `repeat`, names a variable the "
           "dashboard does not define.", "Add it to the dashboard's `variables`, or correct the name."),
    _error("dashboard-variable", "An entry of `variables` is not a label name or is listed twice; a warning for "
           "`job`/`instance`, which every dashboard has already.", "List each extra label filter once.",
           also_warning=True),
    _warning("dashboard-overview-uid", "A hand-written dashboard takes the uid of a service's automatic overview, "
             "so that overview is not written.", "Give the dashboard another uid, or set `overview_dashboard: false`."),
    _error("panel-thresholds", "A threshold step after the first has no value, or the values do not rise; a warning "
           "for a value on the first (base) step.", "Write steps from low to high; the first step has no value.",
           also_warning=True),
    _error("panel-fill", "A panel's fill is outside 0-100.", "Write a fill opacity from 0 to 100."),
    _error("panel-override", "An override needs exactly one of `series` and `series_regex`.",
           "Name the series, or give a regex."),
    _error("panel-content", "A text panel has no `content`.", "Write the panel's Markdown in `content`."),
    _warning("panel-option", "The panel type ignores this option (stacking, fill, content, legend_options).",
             "Remove the option, or change the panel type."),
    _warning("panel-rate-interval", "rate()/irate() in a panel over a fixed range instead of `$__rate_interval` "
             "(dashboard-linter's rate interval rule).", "Write `[$__rate_interval]`."),
    _warning("panel-counter-aggregation", "A counter is shown without rate(), irate() or increase().",
             "Wrap the counter in rate(x[$__rate_interval])."),
    _warning("panel-unit", "A panel has no unit and none can be derived from its query.", "Set `unit`."),
    _warning("panel-description", "A panel has no description and none can be derived from a metric's help.",
             "Set `description`."),
    _warning("panel-label-filter", "A selector fixes `job`, `instance` or another filter label, so the dashboard's "
             "filter variable does not apply.", "Drop the matcher: the dashboard filter injects it."),
    _error("urls-runbook-placeholder", "The runbook URL pattern uses an unknown placeholder.",
           "Use {alert}, {service}, {team} or {severity}."),
    _error("urls-scheme", "`urls.grafana` or `urls.runbook` is not an http(s) URL.", "Write a full http(s) URL."),
    _error("grafana-version", "`targets.grafana` is not a version, or not 11 or 12.", 'Write "11" or "12".'),
    # --- telemetry and targets (checks/telemetry.py, checks/targets.py, checks/alertmanager.py) --
    _error("telemetry-endpoint", "A telemetry endpoint is not an http(s) URL with a host, lacks a port, or collides "
           "with a port of the Collector.", "Write a full URL with its port, e.g. http://tempo:4317."),
    _error("prometheus-version", "`targets.prometheus` is not a version, or older than khaosobs supports.",
           'Write e.g. "2.42" or "2.53.1".'),
    _error("alertmanager-version", "`targets.alertmanager` is not a version, older than khaosobs supports, or too old "
           "for a feature the spec uses (Discord `webhook_url_file` needs 0.28).", 'Write e.g. "0.25" or "0.28".'),
    # --- adoption (khaosobs/importer/, khaosobs/spec/environments.py) -------------------------------
    _error("import-unreadable", "An input of `khaosobs import` is not UTF-8, not valid YAML or JSON, too large, or "
           "has too many YAML aliases.", "Give the file as Prometheus, Alertmanager, Grafana or Kubernetes wrote it.",
           **_LOAD),
    _error("env-unknown", "`--env NAME` names no overlay `specs/env/NAME.yaml`.",
           "Use one of the environments the message lists, or create the overlay.", **_LOAD),
    # --- deployment (checks/scrape.py, checks/kubernetes.py, checks/targets.py) -----------------
    _error("scrape-port", "A scrape port is not 1-65535, is a port name without Kubernetes discovery, or is not a "
           "valid port name.", "Write a port number, or a container port name with `scrape.kubernetes`."),
    _error("scrape-target", "A scrape target is not host:port, or both `targets` and `kubernetes` are given.",
           "Write targets as host:port, and choose static targets or Kubernetes discovery."),
    _error("scrape-path", "A scrape path does not start with `/`.", "Write the path like /metrics."),
    _error("scrape-job-name", "A service named like the Collector's scrape job (otel-collector) would clash with it.",
           "Rename the service."),
    _error("kubernetes-name", "A namespace or object name is not a valid DNS-1123 name.",
           "Use lower-case letters, digits and '-', at most 63 characters, starting and ending alphanumeric."),
    _error("kubernetes-label", "A Kubernetes label key or value is invalid (syntax, or a value over 63 characters).",
           "Use a valid label: an optional DNS prefix and a name of at most 63 characters; values at most 63."),
    _error("otelcol-version", "`targets.otelcol` is not a version, or older than khaosobs supports.",
           'Write e.g. "0.117" or "0.144".'),
    # --- cross-signal wiring (checks/wiring.py) and the coverage policy (checks/coverage.py) -----
    _error("log-fields", "The log fields are empty or duplicated, or the service field is not a Loki label name.",
           "Give every field of `telemetry.logging.fields` a distinct name; the service field must be a label name."),
    _error("log-trace-id-regex", "The derived-field regex is not valid RE2, or does not extract exactly the trace id "
           "from a line in the log format.", "Leave `telemetry.logging.trace_id_regex` unset, or make its first "
           "group capture the trace_id field's value."),
    _error("log-service-label", "A log alert's stream selector selects `service` after that field was renamed; as a "
           "warning, it does not use the label that joins logs to a service.",
           "Select the service's logs by the join label, e.g. {service=\"api\"}.", also_warning=True),
    _error("log-service-name", "A LogQL selector names a service no logs carry (the service's spec or trace name while "
           "its logs use another); as a warning, a log alert selects another service's logs.",
           "Select the name the service's logs carry.", also_warning=True),
    _error("service-name-mismatch", "A service's spans and logs carry different service names.",
           "Give `tracing.service_name` and `logging.service` the same value, or leave both unset."),
    _error("telemetry-export-port", "The trace export endpoint's port is not the Collector's OTLP/HTTP port (4318).",
           "Export to the Collector's OTLP/HTTP port, e.g. http://otel-collector:4318."),
    _error("coverage-policy", "A service does not meet the spec's `policy` (metrics, alerts, dashboard, SLO, log "
           "alerts); a warning when `policy.severity: warning`.", "Add what the policy requires, or change the policy.",
           also_warning=True),
)


def _index(codes: tuple[Code, ...]) -> dict[str, Code]:
    registry: dict[str, Code] = {}
    for code in codes:
        if code.name in registry:
            raise UnknownCode(f"diagnostic code {code.name!r} is declared twice in khaosobs/diagnostics/codes.py")
        registry[code.name] = code
    return registry


REGISTRY: dict[str, Code] = _index(_DECLARED)


def code_info(name: str) -> Code:
    """The declaration of a code; UnknownCode for a code nobody declared."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownCode(f"diagnostic code {name!r} is not declared in khaosobs/diagnostics/codes.py") from None


def require(name: str, severity: Severity) -> None:
    """Refuse a code that is not declared, or a severity it does not allow (called for every Diagnostic)."""
    code = code_info(name)
    if not code.allows(severity):
        raise UnknownCode(f"diagnostic code {name!r} is declared as {code.severity.value}, not {severity.value}")


def explain(name: str) -> str:
    """What a code means and how to fix it, as Markdown (`khaosobs explain CODE`, docs/checks.md)."""
    code = code_info(name)
    severity = code.severity.value + (" (or warning)" if code.also_warning else "")
    properties = [label for label, on in (
        ("refers to a definition: dropped when salvage set that definition aside", code.refers_to_definition),
        ("about the whole spec: dropped when salvage set any part aside", code.whole_spec),
        ("secret text: the quoted source line is masked", code.sensitive_text),
    ) if on]
    lines = [f"## `{code.name}`", "", f"*{severity}, {code.stage.value}*", "", code.meaning, "",
             f"**Fix:** {code.fix}"]
    if properties:
        lines += ["", *(f"- {p}" for p in properties)]
    return "\n".join(lines) + "\n"


def checks_document() -> str:
    """docs/checks.md: every code, in declaration order (grouped by stage and check)."""
    header = ("# khaosobs checks\n\nEvery finding of `khaosobs validate` has one of these codes "
              "(`khaosobs explain CODE` prints one entry). Generated from `khaosobs/diagnostics/codes.py`: "
              "`python3 -m khaosobs explain --all > docs/checks.md`.\n")
    return header + "".join("\n" + explain(code.name) for code in _DECLARED)

"""SLOs as data: budgets, burn-rate tiers and their factors, and the SLI's error ratio in PromQL.

The one home of the multi-window, multi-burn-rate rules (Google SRE workbook, chapter 5): the
checks use it to refuse what cannot work, the Prometheus target to write the rules, the Grafana
target to draw the thresholds and the promtool test generator to prove them.

A tier alerts when, for one of its conditions, both the long and the short window burn the error
budget faster than the condition's factor. A condition spends `budget_share` of the whole SLO
window's budget within its long window, so

    factor = budget_share x SLO window / long window

(30d: page 2% in 1h -> 14.4, 5% in 6h -> 6; ticket 10% in 1d -> 3, 10% in 3d -> 1). Factors are
exact decimals when they terminate (28d: 13.44, 5.6, 2.8) and are otherwise rounded half-even to
FACTOR_PLACES decimal places (28d's ticket 0.9333…: 0.933333; 7d's 0.2333…: 0.233333), a relative
error below 1e-6, far under what a burn rate can be measured to.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import promql_parser

from khaosobs.domain.durations import duration_ms
from khaosobs.domain.naming import slo_alert_name, slo_no_data_alert_name
from khaosobs.domain.promql import PromQLError, parse_promql
from khaosobs.domain.promql_print import promql_string
from khaosobs.spec.model import SLO, Metric, Service, SLOAlertOptions, SLOTier

FACTOR_PLACES = 6
TIER_NAMES = ("page", "ticket")
DEFAULT_SEVERITY = {"page": "critical", "ticket": "warning", "no_data": "warning"}
# tier -> ((long window, short window, budget share), ...): SRE workbook, table 5-8
DEFAULT_TIERS: dict[str, tuple[tuple[str, str, Decimal], ...]] = {
    "page": (("1h", "5m", Decimal("0.02")), ("6h", "30m", Decimal("0.05"))),
    "ticket": (("1d", "2h", Decimal("0.1")), ("3d", "6h", Decimal("0.1"))),
}
# prometheus_client's default histogram buckets (a histogram declared without `buckets`)
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
WINDOW_VARIABLE = "$window"  # how an `error_ratio` SLI writes its range: [$window]
_WINDOW_RANGE_RE = re.compile(r"\[(\s*)\$window(\s*)([\]:])")

def decimal_text(value: float | Decimal) -> str:
    """Exact, shortest plain notation: 99.9 -> '99.9', budget of 99.9 -> '0.001' (never 0.000999…)."""
    number = value if isinstance(value, Decimal) else Decimal(repr(value))  # repr: shortest round-trip
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def error_budget(objective: float) -> Decimal:
    """The SLO's error budget as a ratio, computed in decimal so 99.9 gives exactly 0.001."""
    return 1 - Decimal(repr(objective)) / 100


@functools.lru_cache(maxsize=1 << 12)  # pure, of the few tier shapes; asked per SLO by every target
def burn_factor(share: Decimal, window_ms: int, long_ms: int) -> Decimal:
    """share x window / long window, exact when it terminates, else rounded to FACTOR_PLACES."""
    exact = Fraction(share) * Fraction(window_ms, long_ms)
    denominator = exact.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    quotient = Decimal(exact.numerator) / Decimal(exact.denominator)
    if denominator == 1:  # a terminating decimal: Decimal's 28 digits hold it exactly
        return quotient.normalize()
    return quotient.quantize(Decimal(1).scaleb(-FACTOR_PLACES), rounding=ROUND_HALF_EVEN).normalize()


@dataclass(frozen=True)
class BurnCondition:
    long: str
    short: str
    share: Decimal
    factor: Decimal
    path: tuple[str | int, ...] = ()  # under the SLO, where the spec sets it (empty for defaults)


@dataclass(frozen=True)
class AlertPlan:
    """One alert of an SLO with everything resolved: the tier's, then the SLO's, then the defaults."""

    tier: str  # page | ticket | no_data
    name: str
    severity: str
    for_: str | None
    labels: dict[str, str]  # the SLO's alerting labels, then the tier's
    annotations: dict[str, str]
    runbook_url: str | None
    conditions: tuple[BurnCondition, ...] = ()


@dataclass(frozen=True)
class SLOPlan:
    service: str
    slo: SLO
    budget: Decimal
    window_ms: int
    tiers: tuple[AlertPlan, ...]  # the enabled burn-rate tiers
    no_data: AlertPlan | None
    windows: tuple[str, ...]  # every window whose error ratio is recorded, shortest first
    selector_labels: dict[str, str] = field(default_factory=dict)  # service and slo


def tier_options(slo: SLO, tier: str) -> SLOTier | SLOAlertOptions | None:
    """The tier's options, None when it is turned off (`false` or `enabled: false`)."""
    options: SLOTier | SLOAlertOptions | bool = getattr(slo.alerting, tier)
    if options is False or isinstance(options, bool) or not options.enabled:
        return None
    return options


def tier_conditions(slo: SLO, tier: str, window_ms: int) -> tuple[BurnCondition, ...]:
    options = tier_options(slo, tier)
    overrides = options.windows if isinstance(options, SLOTier) else None
    spec: list[tuple[str, str, Decimal, tuple[str | int, ...]]]
    if overrides is None:
        spec = [(long, short, share, ()) for long, short, share in DEFAULT_TIERS[tier]]
    else:
        spec = [(w.long, w.short, Decimal(repr(w.budget_share)), ("alerting", tier, "windows", i))
                for i, w in enumerate(overrides)]
    found = []
    for long, short, share, path in spec:
        long_ms = duration_ms(long)
        factor = burn_factor(share, window_ms, long_ms) if long_ms else Decimal(0)
        found.append(BurnCondition(long, short, share, factor, path))
    return tuple(found)


def _alert_plan(service: Service, slo: SLO, tier: str, options: SLOAlertOptions, name: str,
                conditions: tuple[BurnCondition, ...]) -> AlertPlan:
    alerting = slo.alerting
    return AlertPlan(
        tier=tier,
        name=options.name or name,
        severity=options.severity or DEFAULT_SEVERITY[tier],
        for_=options.for_ if options.for_ is not None else (alerting.for_ if tier != "no_data" else None),
        labels={**alerting.labels, **options.labels},
        annotations={**alerting.annotations, **options.annotations},
        runbook_url=options.runbook_url or alerting.runbook_url,
        conditions=conditions,
    )


def slo_plan(service: Service, slo: SLO) -> SLOPlan:
    """Everything the outputs need of one SLO (call it on a validated spec)."""
    window_ms = duration_ms(slo.window) or 1
    tiers = []
    for tier in TIER_NAMES:
        options = tier_options(slo, tier)
        if options is not None:
            conditions = tier_conditions(slo, tier, window_ms)
            tiers.append(_alert_plan(service, slo, tier, options,
                                     slo_alert_name(slo.name, tier, slo.alerting.name), conditions))
    windows = {w for plan in tiers for c in plan.conditions for w in (c.long, c.short)}
    if not windows:  # every tier off: the shortest default window still feeds the metadata series
        windows = {DEFAULT_TIERS["page"][0][1]}
    ordered = tuple(sorted(windows, key=lambda w: (duration_ms(w) or 0, w)))
    no_data_options = tier_options(slo, "no_data")
    no_data = None
    if no_data_options is not None:
        no_data = _alert_plan(service, slo, "no_data", no_data_options,
                              slo_no_data_alert_name(slo.name, slo.alerting.name), ())
        if no_data.for_ is None:
            no_data = AlertPlan(**{**no_data.__dict__, "for_": no_data_for(tuple(tiers), ordered)})
    return SLOPlan(service.name, slo, error_budget(slo.objective), window_ms, tuple(tiers), no_data, ordered,
                   {"service": service.name, "slo": slo.name})


def no_data_for(tiers: tuple[AlertPlan, ...], windows: tuple[str, ...]) -> str:
    """How long the SLI may be absent before it is an incident: the shortest short window of the
    tiers (5m by default). By then the fastest burn-rate condition sees nothing, so a full outage
    that also took the metrics away would go unnoticed."""
    shorts = [c.short for plan in tiers for c in plan.conditions]
    return min(shorts, key=lambda w: duration_ms(w) or 0) if shorts else windows[0]


# --- the SLI in PromQL ---------------------------------------------------------------------------


def prometheus_float(value: float) -> str:
    """A bucket bound as prometheus_client writes its `le` label: 0.5 -> 0.5, 1 -> 1.0, 1e6 -> 1e+06."""
    number = float(value)
    if number == float("inf"):
        return "+Inf"
    if number == float("-inf"):
        return "-Inf"
    text = repr(number)
    dot = text.find(".")
    if number > 0 and dot > 6:  # prometheus_client.utils.floatToGoString
        mantissa = f"{text[0]}.{text[1:dot]}{text[dot + 1:]}".rstrip("0.")
        return f"{mantissa}e+0{dot - 1}"
    return text


def histogram_buckets(metric: Metric) -> tuple[float, ...]:
    return tuple(metric.buckets) if metric.buckets is not None else DEFAULT_BUCKETS


_MATCH_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


@dataclass(frozen=True)
class ParsedSelector:
    name: str
    matchers: tuple[tuple[str, str, str], ...]  # (label, operator, value)

    def text(self, name: str | None = None, extra: tuple[tuple[str, str, str], ...] = ()) -> str:
        """The selector written from its parts (values quoted as PromQL strings)."""
        parts = [f"{label}{op}{promql_string(value)}" for label, op, value in (*self.matchers, *extra)]
        return f"{name or self.name}{{{', '.join(parts)}}}" if parts else (name or self.name)


def parse_selector(text: str) -> ParsedSelector | None:
    """A plain series selector (a name and matchers), None for anything else."""
    try:
        node = parse_promql(text)
    except PromQLError:
        return None
    if not isinstance(node, promql_parser.VectorSelector) or node.offset is not None or node.at is not None:
        return None
    name = node.name
    matchers = []
    for matcher in node.matchers.matchers:
        if matcher.name == "__name__":
            if str(matcher.op) != "MatchOp.Equal":
                return None
            name = matcher.value
            continue
        matchers.append((matcher.name, _MATCH_OPS[str(matcher.op)], matcher.value))
    if not name:
        return None
    return ParsedSelector(name, tuple(matchers))


def latency_selectors(slo: SLO) -> tuple[str, str] | None:
    """(good, total) series of a latency SLI: the threshold's bucket and the histogram's count."""
    latency = slo.sli.latency
    if latency is None:
        return None
    histogram = parse_selector(latency.histogram)
    if histogram is None:
        return None
    le = (("le", "=", prometheus_float(latency.threshold)),)
    return histogram.text(f"{histogram.name}_bucket", le), histogram.text(f"{histogram.name}_count")


def window_substituted(text: str, window: str) -> str:
    """An `error_ratio` SLI with its `[$window]` ranges set to `window`."""
    return _WINDOW_RANGE_RE.sub(lambda m: f"[{m.group(1)}{window}{m.group(2)}{m.group(3)}", text)


def _sum(expr: str, group_by: list[str], how: str = "sum") -> str:
    return f"{how} by ({', '.join(group_by)}) ({expr})" if group_by else f"{how}({expr})"


def error_ratio_expr(slo: SLO, window: str) -> str:
    """The SLI's error ratio over `window`, one sample per group.

    Every counter is rate()d per series before it is summed, so a restarted instance (a counter
    reset) costs nothing. A missing numerator counts as no events (`or`), so a service with no
    errors yet has a ratio of 0, not none; no traffic at all is 0/0 = NaN, which never fires.
    """
    sli, group_by = slo.sli, slo.group_by

    def rate(selector: str) -> str:
        return _sum(f"rate({selector.strip()}[{window}])", group_by)

    def or_zero(numerator: str, total: str) -> str:
        if not group_by:
            return f"({numerator} or vector(0))"
        return f"({numerator} or (0 * {total}))"  # vector(0) has no labels to match a group by

    if sli.error_ratio is not None:
        return window_substituted(sli.error_ratio.strip(), window)
    if sli.bool_gauge is not None:
        return f"1 - {_sum(f'avg_over_time({sli.bool_gauge.strip()}[{window}])', group_by, 'avg')}"
    latency = latency_selectors(slo)
    if latency is not None:
        good, total = latency
        return f"1 - {or_zero(rate(good), rate(total))} / {rate(total)}"
    assert sli.total is not None
    if sli.good is not None:
        return f"1 - {or_zero(rate(sli.good), rate(sli.total))} / {rate(sli.total)}"
    assert sli.errors is not None
    return f"{or_zero(rate(sli.errors), rate(sli.total))} / {rate(sli.total)}"


def total_selector(slo: SLO) -> str | None:
    """The series whose absence means the SLI sees nothing; None for an `error_ratio` SLI."""
    sli = slo.sli
    if sli.bool_gauge is not None:
        return sli.bool_gauge.strip()
    latency = latency_selectors(slo)
    if latency is not None:
        return latency[1]
    return sli.total.strip() if sli.total is not None else None


def sli_form(slo: SLO) -> list[str]:
    """The SLI forms the spec sets (a valid SLI sets exactly one)."""
    sli = slo.sli
    forms = []
    if sli.errors is not None:
        forms.append("errors")
    if sli.good is not None:
        forms.append("good")
    for name in ("latency", "error_ratio", "bool_gauge"):
        if getattr(sli, name) is not None:
            forms.append(name)
    return forms

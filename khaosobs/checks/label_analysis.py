"""Meaning of labels: every label an expression, a template, a test, a route or a legend names
can exist on the series there (khaosobs.domain.labels computes which can), and a metric name has
one type.

Only what the spec declares is judged: an external or built-in metric, or anything computed from
one, can carry any label, so nothing about it is ever reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from khaosobs.checks._labels import LabelIndex
from khaosobs.checks._support import span_location
from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic, Location, suggest
from khaosobs.domain.alerts import alert_labels, slo_alert_labels, slo_tiers
from khaosobs.domain.annotations import ANNOTATION_FIELDS
from khaosobs.domain.labels import (
    UNKNOWN,
    LabelSet,
)
from khaosobs.domain.naming import LABEL_NAME_RE
from khaosobs.domain.prometheus_names import LABEL_NAME_PATTERN
from khaosobs.domain.promql import grafana_substituted, outside_strings
from khaosobs.domain.routing import MatcherError, parse_matcher, route_problems
from khaosobs.spec.loader import Path_

ALERT_RESULT_LABELS = ("alertname",)  # Prometheus adds it to every alert
ALERTS_SERIES_LABELS = ("alertname", "alertstate")  # and these to the ALERTS series tests query
_LEGEND_RE = re.compile(rf"\{{\{{\s*({LABEL_NAME_PATTERN})\s*\}}\}}")


@dataclass(frozen=True)
class _AlertLabels:
    result: LabelSet  # what $labels holds: the expression's labels
    fired: LabelSet  # what the alert carries: those, the rule's labels and alertname


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    labels = ctx.label_index
    yield from _metric_types(ctx)
    yield from _expressions(ctx, labels)
    alerts = list(_alerts(ctx, labels))
    for path, alert, known in alerts:
        yield from _templates(ctx, path, alert, known)
        yield from _tests(ctx, path, alert, known)
    fired = LabelSet(frozenset(ALERT_RESULT_LABELS))
    for _path, _alert, known in alerts:
        fired = fired.union(known.fired)
    for _, service in ctx.services():
        for slo in service.slos:
            for _tier_name, tier in slo_tiers(slo):
                fired = fired.with_labels(slo_alert_labels(service, slo, tier, ctx.slo_plan))
        for log_alert in service.log_alerts:
            fired = fired.union(logql_result_labels(log_alert.expr).with_labels(alert_labels(service, log_alert)))
    yield from _routing(ctx, fired)
    yield from _legends(ctx, labels)


_LOGQL_AGGREGATION_RE = re.compile(r"\s*(?:sum|min|max|avg|count|stddev|stdvar)\s*"
                                   r"(?:(by|without)\s*\(([^()]*)\))?\s*\(")
_LOGQL_GROUPING_RE = re.compile(r"\s*(by|without)\s*\(([^()]*)\)")
_LOGQL_THRESHOLD_RE = re.compile(r"\s*(?:(?:[<>]=?|[!=]=)\s*(?:bool\s+)?[-+]?[0-9.eE+]+\s*)?")


def logql_result_labels(text: str) -> LabelSet:
    """The labels of a LogQL alert's result, when it is an outer aggregation (`sum by (x) (…) > n`):
    its `by` labels, none without grouping. Anything else can carry any label."""
    blank = outside_strings(text)
    head = _LOGQL_AGGREGATION_RE.match(blank)
    if head is None:
        return UNKNOWN
    depth, i = 1, head.end()
    while i < len(blank) and depth:
        depth += {"(": 1, ")": -1}.get(blank[i], 0)
        i += 1
    if depth:
        return UNKNOWN
    grouping: tuple[str | None, str] = (head.group(1), head.group(2) or "")
    tail = _LOGQL_GROUPING_RE.match(blank, i)
    if tail is not None and head.group(1) is None:
        grouping, i = (tail.group(1), tail.group(2)), tail.end()
    if _LOGQL_THRESHOLD_RE.fullmatch(blank, i) is None:
        return UNKNOWN
    kind, labels = grouping
    names = [label.strip() for label in labels.split(",") if label.strip()]
    if kind == "without":
        return UNKNOWN
    return LabelSet(frozenset(names))


def _metric_types(ctx: CheckContext) -> Iterator[Diagnostic]:
    declared: dict[str, list[tuple[str, str, Path_]]] = {}
    for s, service in ctx.services():
        for m, metric in enumerate(service.metrics):
            declared.setdefault(metric.name, []).append((metric.type, service.name, ("services", s, "metrics", m)))
    for name, uses in declared.items():
        if len({t for t, _, _ in uses}) < 2:
            continue
        for metric_type, owner, path in uses:
            others = ", ".join(f'{t} in service "{srv}"' for t, srv, _ in uses if t != metric_type)
            yield ctx.error("metric-type-conflict",
                            f'metric "{name}" is declared as a {metric_type} in service "{owner}" '
                            f"and as a {others}", (*path, "type"),
                            "a metric name has one type everywhere: rename one of them, or make them agree")


def _label_offset(text: str, label: str, role: str) -> int | None:
    """Where `label` is named in the expression in that role (the first such place)."""
    blank = outside_strings(text)
    word = re.compile(rf"(?<![A-Za-z0-9_:]){re.escape(label)}(?![A-Za-z0-9_:])")
    if role == "matcher":
        scopes = [(m.start(1), m.end(1)) for m in re.finditer(r"\{([^}]*)\}", blank)]
    else:
        scopes = [(m.start(1), m.end(1)) for m in re.finditer(rf"\b{role}\s*\(([^)]*)\)", blank)]
    for start, end in scopes:
        found = word.search(blank, start, end)
        if found:
            return found.start()
    found = word.search(blank)
    return found.start() if found else None


def _where(ctx: CheckContext, path: Path_, text: str, offset: int | None, length: int) -> Location | None:
    if offset is None:
        return None
    return span_location(ctx.loaded, path, text, offset, length)


def _carried_hint(label: str, available: LabelSet) -> str:
    close = suggest(label, available.names())
    carried = ", ".join(available.names()) or "no labels"
    return f"{close + ' ' if close else ''}the series there can carry: {carried}"


def _expressions(ctx: CheckContext, labels: LabelIndex) -> Iterator[Diagnostic]:
    for expression in ctx.expressions("promql"):
        text, path, role = expression.text, expression.path, expression.role
        query = grafana_substituted(text) if role == "panel" else text
        if ctx.analysis(query).error is not None:
            continue  # reported by checks/promql.py
        for misuse in labels.misuses(query):
            if misuse.role == "matcher":
                message = f'label "{misuse.label}" is not a label of {misuse.metric}'
            else:
                message = f'`{misuse.role} ({misuse.label})`: no series there can carry label "{misuse.label}"'
            location = _where(ctx, path, text, _label_offset(text, misuse.label, misuse.role), len(misuse.label))
            yield ctx.error("label-unknown", message, path, _carried_hint(misuse.label, misuse.available),
                            location=location)


def _alerts(ctx: CheckContext, labels: LabelIndex) -> Iterator[tuple[Path_, Any, _AlertLabels]]:
    for s, service in ctx.services():
        for a, alert in enumerate(service.alerts):
            result = labels.expression(alert.expr)
            fired = result.with_labels([*alert_labels(service, alert), *ALERT_RESULT_LABELS])
            yield ("services", s, "alerts", a), alert, _AlertLabels(result, fired)


def _templates(ctx: CheckContext, path: Path_, alert: Any, known: _AlertLabels) -> Iterator[Diagnostic]:
    texts: list[tuple[Path_, str]] = [
        ((*path, name), getattr(alert, name)) for name in ANNOTATION_FIELDS if getattr(alert, name) is not None
    ]
    texts += [((*path, "annotations", key), value) for key, value in alert.annotations.items()]
    for where, text in texts:
        for read in ctx.alert_template(text).label_reads:
            if known.result.can_carry(read.label):
                continue
            rule_label = read.label in alert.labels or read.label in ("severity", "service", "team")
            hint = (
                f'"{read.label}" is a label the rule adds: templates only see the expression\'s labels'
                if rule_label
                else _carried_hint(read.label, known.result).replace("the series there", "the expression's result")
            )
            yield ctx.error("template-label-unknown",
                            f'the template reads label "{read.label}", which the alert\'s expression never carries',
                            where, hint, location=span_location(ctx.loaded, where, text, read.offset, read.length))


def _tests(ctx: CheckContext, path: Path_, alert: Any, known: _AlertLabels) -> Iterator[Diagnostic]:
    carried = known.fired.with_labels(ALERTS_SERIES_LABELS)
    for t, test in enumerate(alert.tests):
        for e, expectation in enumerate(test.expect):
            for label in expectation.labels:
                if not carried.can_carry(label):
                    yield ctx.error("alert-test-label-unknown",
                                    f'alert "{alert.name}" never carries label "{label}": this expectation '
                                    "can never be met", (*path, "tests", t, "expect", e, "labels", label),
                                    _carried_hint(label, carried).replace("the series there", "the alert"),
                                    key=True)


def _routing(ctx: CheckContext, fired: LabelSet) -> Iterator[Diagnostic]:
    alerting = ctx.spec.alerting
    if alerting is None or fired.open or fired.known == frozenset(ALERT_RESULT_LABELS):
        return  # a spec without alerts routes other systems' alerts: nothing to judge them by
    if any(route_problems(route, path) for route, path in ctx.routes()):
        return  # matchers Alertmanager refuses are reported by checks/routing.py; judge a sound tree

    def unknown(label: str) -> bool:  # an invalid label name is reported by checks/alertmanager.py
        return bool(LABEL_NAME_RE.fullmatch(label)) and not fired.can_carry(label)

    def warn(label: str, what: str, path: Path_, *, key: bool = False) -> Diagnostic:
        return ctx.warning("route-label-unknown", f'{what} names label "{label}", which no alert of the spec carries',
                           path, _carried_hint(label, fired).replace("the series there", "the alerts"), key=key)

    for route, path in ctx.routes():
        grouping = route.group_by or []
        for i, label in enumerate(grouping):
            if "..." not in grouping and unknown(label):
                yield warn(label, "`group_by`", (*path, "group_by", i))
        for kind in ("match", "match_re"):
            for label in getattr(route, kind):
                if unknown(label):
                    yield warn(label, "a route matcher", (*path, kind, label), key=True)
        for i, text in enumerate(route.matchers):
            yield from _matcher(text, fired, warn, (*path, "matchers", i))
    for r, rule in enumerate(alerting.inhibit_rules or []):
        base: Path_ = ("alerting", "inhibit_rules", r)
        for i, label in enumerate(rule.equal):
            if unknown(label):
                yield warn(label, "an inhibit rule's `equal`", (*base, "equal", i))
        for kind in ("source_matchers", "target_matchers"):
            for i, text in enumerate(getattr(rule, kind)):
                yield from _matcher(text, fired, warn, (*base, kind, i))


def _matcher(text: str, fired: LabelSet, warn: Any, path: Path_) -> Iterator[Diagnostic]:
    try:
        matcher = parse_matcher(text)
    except MatcherError:
        return  # reported by checks/routing.py
    if matcher.op == "=" and matcher.value == "":
        return
    if not fired.can_carry(matcher.name):
        yield warn(matcher.name, "a matcher", path)


def _legends(ctx: CheckContext, labels: LabelIndex) -> Iterator[Diagnostic]:
    for d, dashboard in enumerate(ctx.spec.dashboards):
        for p, panel in enumerate(dashboard.panels):
            base: Path_ = ("dashboards", d, "panels", p)
            queries: list[tuple[str, str | None, Path_]] = []
            if panel.expr is not None:
                queries.append((panel.expr, panel.legend, (*base, "legend")))
            queries += [(target.expr, target.legend, (*base, "targets", t, "legend"))
                        for t, target in enumerate(panel.targets)]
            for expr, legend, path in queries:
                if legend is None:
                    continue
                query = grafana_substituted(expr)
                if ctx.analysis(query).error is not None:
                    continue
                result = labels.expression(query)
                for match in _LEGEND_RE.finditer(legend):
                    label = match.group(1)
                    if not result.can_carry(label):
                        yield ctx.warning(
                            "legend-label-unknown",
                            f'the legend shows label "{label}", which the query\'s result never carries',
                            path, _carried_hint(label, result).replace("the series there", "the result"),
                            location=span_location(ctx.loaded, path, legend, match.start(1), len(label)))

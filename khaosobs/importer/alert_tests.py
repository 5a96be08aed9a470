"""promtool test files khaosobs wrote -> the alert tests of the spec again.

A test named `<Alert>: <test>` whose checks are `group(ALERTS{alertname=…, alertstate="firing", …})`
is read back into the alert's `tests`; the result is accepted only when the prometheus_tests target
renders exactly the file it came from. Other promtool tests (`alert_rule_test`, hand-written
`promql_expr_test`s) are reported: the spec's alert tests are expectations on ALERTS only.
"""

from __future__ import annotations

from typing import Any

from khaosobs.domain.naming import prometheus_rules_path
from khaosobs.importer.report import ImportReport
from khaosobs.spec.model import Service
from khaosobs.targets.prometheus_tests import service_tests, test_file_context

RULES_PREFIX = "../rules/"


def _text(value: Any) -> Any:
    """Values as YAML's BaseLoader reads them (text), to compare a rendered context with a read file."""
    if isinstance(value, dict):
        return {str(k): _text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text(v) for v in value]
    return str(value)


def _expect_labels(expr: str) -> dict[str, str] | None:
    """The labels an ALERTS check asks for (besides alertname and alertstate)."""
    from khaosobs.domain.promql import PromQLError, parse_promql

    try:
        tree = parse_promql(expr)
    except PromQLError:
        return None
    selector = getattr(tree, "expr", None)  # group(<selector>)
    matchers = getattr(getattr(selector, "matchers", None), "matchers", None)
    if getattr(selector, "name", None) != "ALERTS" or matchers is None:
        return None
    labels = {}
    for matcher in matchers:
        if str(matcher.op) != "MatchOp.Equal":
            return None
        if matcher.name not in ("alertname", "alertstate"):
            labels[str(matcher.name)] = str(matcher.value)
    return labels


def service_of(document: dict[str, Any]) -> str | None:
    files = document.get("rule_files") or []
    if len(files) != 1 or not str(files[0]).startswith(RULES_PREFIX):
        return None
    name = str(files[0])[len(RULES_PREFIX):]
    return name.removesuffix(".yml") if name.endswith(".yml") else None


def attach_tests(document: dict[str, Any], origin: str, services: dict[str, dict[str, Any]],
                 report: ImportReport) -> None:
    """Give the service's alerts their tests back, or report the file as not carried."""
    name = service_of(document)
    service = services.get(name or "")
    if name is None or service is None:
        report.omit(origin, "promtool tests of rules that were not imported (or not written by khaosobs)")
        return
    candidate = {**service, "alerts": [{**alert, "tests": []} for alert in service.get("alerts", [])]}
    by_name = {alert["name"]: alert for alert in reversed(candidate["alerts"])}  # the first of a name wins
    for test in document.get("tests") or []:
        alert_name, _, test_name = str(test.get("name", "")).partition(": ")
        alert = by_name.get(alert_name)
        checks = test.get("promql_expr_test") or []
        expects = []
        for check in checks:
            labels = _expect_labels(str(check.get("expr", "")))
            if labels is None:
                break
            expect: dict[str, Any] = {"at": str(check.get("eval_time")), "firing": bool(check.get("exp_samples"))}
            if labels:
                expect["labels"] = labels
            expects.append(expect)
        if alert is None or not test_name or len(expects) != len(checks) or test.get("alert_rule_test"):
            report.omit(origin, f"test {test.get('name')!r} (only khaosobs' ALERTS expectations are read back)")
            return
        alert["tests"].append({
            "name": test_name, "interval": str(test.get("interval", "1m")),
            "series": [{"series": str(s["series"]), "values": str(s["values"])}
                       for s in test.get("input_series") or []],
            "expect": expects,
        })
    try:
        model = Service.model_validate(candidate)
    except ValueError:
        report.omit(origin, "its tests do not fit the spec's alert tests")
        return
    context = test_file_context(model, service_tests(model, 0))
    rendered = {**context, "tests": [{"name": t["name"], "interval": t["interval"], "input_series": t["input_series"],
                                      "promql_expr_test": t["checks"]} for t in context["tests"]]}
    source = {key: document.get(key) for key in ("rule_files", "evaluation_interval", "tests")}
    if _text(rendered) != _text(source) or prometheus_rules_path(name) != f"prometheus/rules/{name}.yml":
        report.omit(origin, "its tests are not the ones khaosobs writes for these alerts: not carried")
        return
    for alert, tested in zip(service.get("alerts", []), candidate["alerts"], strict=True):
        if tested["tests"]:
            alert["tests"] = tested["tests"]

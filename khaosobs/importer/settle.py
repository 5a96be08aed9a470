"""Make the imported spec one `validate` accepts: declare the metrics its expressions use, then run
the ordinary pipeline and set aside (and report) each rule, alert or panel it refuses.

Metrics used but not declared become `external_metrics`: an import has no HELP text nor a certain
type for them (a name's suffix is a convention, not a fact), so none is invented.
"""

from __future__ import annotations

from typing import Any

from khaosobs.diagnostics import Diagnostic, Severity
from khaosobs.importer.report import ImportReport
from khaosobs.importer.specwriter import spec_text

MAX_PASSES = 10  # each pass sets aside at least one refused item; a few are plenty in practice
RECEIVER_INTEGRATIONS = ("webhook", "discord")
ITEM_KINDS = ("alerts", "recording_rules", "log_alerts")
# findings about an alert's summary, description, runbook URL or annotation text alone
TEXT_ONLY_CODES = frozenset({"template-label-unknown"})
REQUIRED_ALERT_TEXT = frozenset({"summary"})  # an alert without it does not validate: set aside whole


def used_metrics(data: dict[str, Any]) -> list[str]:
    """Metric names the PromQL expressions select that no recording rule of the spec records."""
    from khaosobs.domain.promql import grafana_substituted
    from khaosobs.domain.promql_analysis import analyse
    from khaosobs.domain.slo import window_substituted

    exprs: list[str] = []
    recorded: set[str] = set()
    for service in data.get("services", []):
        exprs += [alert["expr"] for alert in service.get("alerts", [])]
        for slo in service.get("slos", []):  # each SLI form's selectors (a latency SLI's histogram by name)
            sli = slo["sli"]
            exprs += [sli[key] for key in ("errors", "good", "total", "bool_gauge") if key in sli]
            if "error_ratio" in sli:
                exprs.append(window_substituted(sli["error_ratio"], "5m"))
            if "latency" in sli:
                exprs.append(sli["latency"]["histogram"])
        for rule in service.get("recording_rules", []):
            exprs.append(rule["expr"])
            recorded.add(rule["record"])
    for dashboard in data.get("dashboards", []):
        in_rows = [panel for row in dashboard.get("rows", []) for panel in row.get("panels", [])]
        for panel in [*dashboard.get("panels", []), *in_rows]:
            queries = [panel["expr"]] if "expr" in panel else [t["expr"] for t in panel.get("targets", [])]
            exprs += [grafana_substituted(q) for q in queries]
    names: set[str] = set()
    for expr in exprs:
        analysis = analyse(expr)
        names.update(s.name for s in analysis.selectors if s.name is not None and not s.regex_name)
    return sorted(names - recorded)


def known_series(data: dict[str, Any]) -> set[str]:
    """Series the spec itself defines (its metrics' series, recording rules) or Prometheus always has,
    by the checks' own index; empty when the spec's structure does not hold yet."""
    from khaosobs.checks.context import CheckContext
    from khaosobs.commands.validate import validate_loaded
    from khaosobs.domain.series import SeriesIndex
    from khaosobs.spec.loader import LoadError, load_bytes

    bare = {key: value for key, value in data.items() if key != "external_metrics"}
    try:
        loaded = load_bytes(spec_text(bare).encode("utf-8"), "imported spec")
    except LoadError:
        return set()
    spec = validate_loaded(loaded, run_checks=False).spec
    if spec is None:
        return set()
    index = SeriesIndex(CheckContext(spec, loaded))
    return {name for name, series in index.series.items() if series.kind != "external"}


def _declare_metrics(data: dict[str, Any]) -> None:
    """Set `external_metrics`, keeping the spec's key order (it comes before services)."""
    known = known_series(data)
    metrics = [name for name in used_metrics(data) if name not in known]
    rest = {key: data.pop(key) for key in list(data) if key in ("services", "dashboards", "alerting")}
    data.pop("external_metrics", None)
    if metrics:
        data["external_metrics"] = metrics
    data.update(rest)


def _errors(data: dict[str, Any]) -> list[Diagnostic]:
    from khaosobs.commands.validate import validate_loaded
    from khaosobs.spec.loader import LoadError, load_bytes

    try:
        loaded = load_bytes(spec_text(data).encode("utf-8"), "imported spec")
    except LoadError as exc:
        return list(exc.diagnostics)
    validation = validate_loaded(loaded)
    return [d for d in validation.diagnostics.items if d.severity is Severity.ERROR]


def _item(diagnostic: Diagnostic) -> tuple[str | int, ...] | None:
    """The smallest item that can be set aside on its own for `diagnostic`."""
    path = diagnostic.path
    if (diagnostic.code in TEXT_ONLY_CODES and len(path) >= 5 and path[0] == "services"
            and path[2] == "alerts" and path[4] not in REQUIRED_ALERT_TEXT):
        # only the text is wrong (it reads a label the expression drops): the rule itself is kept
        return path[:6] if path[4] == "annotations" else path[:5]
    if len(path) >= 4 and path[0] == "services" and path[2] in ITEM_KINDS:
        return path[:4]
    if len(path) >= 4 and path[0] == "dashboards" and path[2] == "panels":
        return path[:4]
    if len(path) >= 6 and path[0] == "dashboards" and path[2] == "rows" and path[4] == "panels":
        return path[:6]  # a panel of a row
    if len(path) >= 2 and path[0] in ("dashboards", "external_metrics"):
        return path[:2]
    if len(path) >= 4 and path[:2] == ("alerting", "receivers") and path[3] in RECEIVER_INTEGRATIONS:
        return path[:4]  # the integration (a URL holding a secret, say): the receiver stays for routing
    return None


def _describe(data: dict[str, Any], item: tuple[str | int, ...]) -> tuple[str, str]:
    if item[0] == "services":
        service = data["services"][item[1]]
        entry = service[item[2]][item[3]]
        kind = {"alerts": "alert", "recording_rules": "recording rule", "log_alerts": "log alert"}[str(item[2])]
        what = f"{kind} {entry.get('name') or entry.get('record')!r}"
        if len(item) > 4:  # one text of the alert: named, and quoted as written so nothing is lost
            text = entry[item[4]] if len(item) == 5 else entry[item[4]][item[5]]
            field = item[4] if len(item) == 5 else f"annotation {item[5]}"
            what = f"{what}: its {field} {text!r} (the alert itself is carried)"
        return f"service {service['name']!r}", what
    if item[0] == "dashboards":
        dashboard = data["dashboards"][item[1]]
        if len(item) == 4:
            return f"dashboard {dashboard['title']!r}", f"panel {dashboard['panels'][item[3]]['title']!r}"
        if len(item) == 6:
            panel = dashboard["rows"][item[3]]["panels"][item[5]]
            return f"dashboard {dashboard['title']!r}", f"panel {panel['title']!r}"
        return f"dashboard {dashboard['title']!r}", "the dashboard"
    if item[0] == "alerting":
        return f"receiver {data['alerting']['receivers'][item[2]]['name']!r}", f"its {item[3]} integration"
    return "external_metrics", repr(data["external_metrics"][item[1]])


def _remove(data: dict[str, Any], item: tuple[str | int, ...]) -> None:
    container: Any = data
    for step in item[:-1]:
        container = container[step]
    del container[item[-1]]


def settle(data: dict[str, Any], report: ImportReport) -> list[Diagnostic]:
    """Set aside refused items until the spec validates; returns the errors nothing could fix."""
    for _ in range(MAX_PASSES):
        _declare_metrics(data)
        errors = _errors(data)
        if not errors:
            return []
        refused: dict[tuple[str | int, ...], Diagnostic] = {}
        for diagnostic in errors:
            item = _item(diagnostic)
            if item is not None:
                refused.setdefault(item, diagnostic)
        if not refused:
            return errors
        # a text of an alert set aside whole in this pass is not reported a second time
        refused = {item: d for item, d in refused.items()
                   if len(item) <= 4 or item[:4] not in refused}
        for item in sorted(refused, key=lambda p: tuple(str(s).zfill(9) for s in p), reverse=True):
            origin, what = _describe(data, item)
            diagnostic = refused[item]
            report.omit(origin, f"{what} not carried: validate refuses it [{diagnostic.code}] {diagnostic.message}")
            _remove(data, item)
        for service in data.get("services", []):
            for alert in service.get("alerts", []):
                if "annotations" in alert and not alert["annotations"]:
                    del alert["annotations"]
            for kind in ITEM_KINDS:
                if kind in service and not service[kind]:
                    del service[kind]
        for dashboard in data.get("dashboards", []):
            for row in dashboard.get("rows", []):
                if "panels" in row and not row["panels"]:
                    del row["panels"]
            if "panels" in dashboard and not dashboard["panels"]:
                del dashboard["panels"]
    _declare_metrics(data)
    return _errors(data)

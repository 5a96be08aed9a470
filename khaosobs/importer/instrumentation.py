"""A `prometheus_client` module (as `khaosobs render` writes one per service) -> the service's metrics.

Read with Python's own parser, never executed: every module-level `NAME = Counter|Gauge|Histogram|
Summary(name, help, labelnames=[…], buckets=[…])` with literal arguments is a metric. The service
is named by the file (`checkout_api_metrics.py` -> `checkout-api`), as the instrumentation target
names it.
"""

from __future__ import annotations

import ast
from typing import Any

from khaosobs.importer.report import ImportReport

TYPES = {"Counter": "counter", "Gauge": "gauge", "Histogram": "histogram", "Summary": "summary"}
MODULE_SUFFIX = "_metrics"


def service_of(stem: str) -> str:
    return stem.removesuffix(MODULE_SUFFIX).replace("_", "-")


def read_metrics(source: str, origin: str, report: ImportReport) -> list[dict[str, Any]] | None:
    """The metrics the module defines, or None when it is not Python."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    metrics: list[dict[str, Any]] = []
    for statement in tree.body:
        if not (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call)):
            continue
        call = statement.value
        kind = TYPES.get(call.func.id if isinstance(call.func, ast.Name) else "")
        if kind is None:
            continue
        try:
            args = [ast.literal_eval(arg) for arg in call.args]
            keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
        except ValueError:
            report.omit(origin, f"a {kind} defined with computed arguments (only literals are read)")
            continue
        name = args[0] if args else keywords.get("name")
        documentation = args[1] if len(args) > 1 else keywords.get("documentation")
        if not isinstance(name, str) or not isinstance(documentation, str):
            report.omit(origin, f"a {kind} without a literal name and help text")
            continue
        metric: dict[str, Any] = {"name": name, "type": kind, "help": documentation}
        labels = keywords.get("labelnames", args[2] if len(args) > 2 else ())
        if labels:
            metric["labels"] = [str(label) for label in labels]
        if kind == "histogram" and keywords.get("buckets"):
            metric["buckets"] = [float(b) for b in keywords["buckets"]]
        for key in sorted(set(keywords) - {"name", "documentation", "labelnames", "buckets"}):
            report.omit(origin, f"{name}: argument `{key}`")
        metrics.append(metric)
    return metrics

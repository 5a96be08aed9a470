"""LogQL (log alerts, logs panels): every problem the analysis (khaosobs/domain/logql.py) finds, and
log alerts that are not metric queries."""

from __future__ import annotations

from collections.abc import Iterable

from khaosobs.checks._support import span_location
from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.logql import EXAMPLE, Problem, analyse_logql
from khaosobs.spec.loader import Path_


def _report(ctx: CheckContext, text: str, path: Path_, problem: Problem) -> Diagnostic:
    where = None
    if problem.offset is not None:
        where = span_location(ctx.loaded, path, text, problem.offset, problem.length)
    return ctx.error(problem.code, f"invalid LogQL: {problem.message}", path, problem.hint, location=where)


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    for expression in ctx.expressions("logql"):
        text, path, alerting = expression.text, expression.path, expression.role == "log-alert"
        result = analyse_logql(text, grafana=not alerting)
        for problem in result.problems:
            yield _report(ctx, text, path, problem)
        if alerting and not result.problems and not result.metric_query:
            yield ctx.error(
                "logql-not-metric-query",
                "a log alert needs a metric query: a log query returns lines, not a number to alert on",
                path,
                f"wrap it in a range aggregation, e.g. `{EXAMPLE}`",
            )

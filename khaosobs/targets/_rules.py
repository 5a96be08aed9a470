"""Rule-file building blocks shared by the Prometheus and Loki rule targets (not a target itself).

A rule is a plain dict the template `_rule_groups.yml.j2` writes: `kind` ("record" | "alert"),
`name`, `expr`, `for_` (None = no `for`), `keep_firing_for` (None = none), `labels` and `annotations`
(dicts in output order).
"""

from __future__ import annotations

from typing import Any

from khaosobs.domain.annotations import ANNOTATION_FIELDS
from khaosobs.domain.promql_print import promql_string
from khaosobs.spec.model import Alert, LogAlert

Rule = dict[str, Any]


def recording_rule(record: str, expr: str, labels: dict[str, str]) -> Rule:
    return {"kind": "record", "name": record, "expr": expr, "for_": None, "keep_firing_for": None,
            "labels": labels, "annotations": {}}


def alert_rule(name: str, expr: str, for_: str | None, labels: dict[str, str],
               annotations: dict[str, str], keep_firing_for: str | None = None) -> Rule:
    return {"kind": "alert", "name": name, "expr": expr, "for_": for_, "keep_firing_for": keep_firing_for,
            "labels": labels, "annotations": annotations}


def alert_annotations(alert: Alert | LogAlert) -> dict[str, str]:
    """summary, description, runbook_url (those set), then the extra annotations, all verbatim."""
    annotations = {key: value for key in ANNOTATION_FIELDS if (value := getattr(alert, key)) is not None}
    for key, value in alert.annotations.items():
        annotations.setdefault(key, value)  # an explicit field wins over an extra of the same name
    return annotations


def promql_selector(metric: str, labels: dict[str, str]) -> str:
    """`metric{a="x", b="y"}` with every value quoted."""
    matchers = ", ".join(f"{name}={promql_string(value)}" for name, value in labels.items())
    return f"{metric}{{{matchers}}}"

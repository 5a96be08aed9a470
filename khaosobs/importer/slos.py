"""Rules khaosobs rendered from an SLO -> the SLO again.

A candidate is read from the rules' own text (the 5m error ratio gives the SLI, the alerts'
description the objective and window); it is accepted only when the Prometheus target renders
it back to exactly the rules it came from, so a look-alike written by hand stays plain rules.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from khaosobs.domain.alerts import SLO_TIERS
from khaosobs.domain.naming import slo_alert_name, slo_ratio_record
from khaosobs.domain.prometheus_names import METRIC_NAME_PATTERN
from khaosobs.domain.promql_print import with_range_variable
from khaosobs.domain.slo import slo_plan
from khaosobs.spec.model import SLO, Service
from khaosobs.targets._rules import Rule
from khaosobs.targets.prometheus import SLO_WINDOWS, slo_rules

_GROUP_BY = re.compile(r"(?:1 - )?\(?(?:sum|avg) by \((?P<by>[^)]*)\) \(")
_HISTOGRAM = re.compile(rf"(?P<name>{METRIC_NAME_PATTERN})_bucket(?:\{{(?P<matchers>.*), le=\"(?P<le1>[^\"]+)\"\}}"
                        r"|\{le=\"(?P<le2>[^\"]+)\"\})")
_OBJECTIVE = re.compile(r"(?:(?P<description>.*)\. )?Objective (?P<objective>[0-9.]+)% over (?P<window>\S+) "
                        r"\(error budget ", re.DOTALL)


def _rule(raw: dict[str, Any]) -> Rule:
    """A source rule in the shape the Prometheus target builds (for an exact comparison)."""
    kind = "alert" if "alert" in raw else "record"
    return {"kind": kind, "name": str(raw[kind]), "expr": str(raw.get("expr", "")),
            "for_": str(raw["for"]) if "for" in raw else None,
            "keep_firing_for": str(raw["keep_firing_for"]) if "keep_firing_for" in raw else None,
            "labels": {str(k): str(v) for k, v in (raw.get("labels") or {}).items()},
            "annotations": {str(k): str(v) for k, v in (raw.get("annotations") or {}).items()}}


def find_slo(rules: list[dict[str, Any]], start: int, service: str, team: str | None,
             labels: dict[str, str]) -> tuple[dict[str, Any], int] | None:
    """The SLO whose rules begin at `start`, as a spec dict, and how many rules it spans."""
    first = rules[start]
    own = first.get("labels") or {}
    if first.get("record") != slo_ratio_record(SLO_WINDOWS[0]) or own.get("service") != service:
        return None
    name = str(own.get("slo", ""))
    candidates = sli_candidates(str(first.get("expr", "")))
    if not name or not candidates:
        return None
    tiers: dict[str, Any] = {}
    details = None
    for tier in SLO_TIERS:  # the tier alerts follow the SLO's recording rules
        alert = next((rule for rule in rules[start:] if rule.get("alert") == slo_alert_name(name, tier)
                      and (rule.get("labels") or {}).get("slo") == name), None)
        if alert is None:
            tiers[tier] = False
            continue
        tiers[tier] = {"severity": str((alert.get("labels") or {}).get("severity", ""))}
        details = details or _OBJECTIVE.match(str((alert.get("annotations") or {}).get("description", "")))
    if details is None:  # no alert of it: the objective is not written anywhere
        return None
    for sli, group_by in candidates:  # the first that renders back exactly these rules
        slo: dict[str, Any] = {"name": name, "objective": float(details["objective"]), "window": details["window"]}
        if details["description"]:
            slo["description"] = details["description"]
        if group_by:
            slo["group_by"] = group_by
        slo["sli"] = sli
        if tiers != {"page": {"severity": "critical"}, "ticket": {"severity": "warning"}}:
            slo["alerting"] = tiers
        try:
            model = SLO.model_validate(slo)
            owner = Service.model_validate({"name": service, "team": team, "labels": labels})
        except ValueError:
            continue
        # accepted only when khaosobs renders exactly these rules from it: the import is then lossless
        rendered = slo_rules(slo_plan(owner, model), owner)
        if rendered == [_rule(raw) for raw in rules[start:start + len(rendered)]]:
            return slo, len(rendered)
    return None


def sli_candidates(expr: str) -> list[tuple[dict[str, Any], list[str]]]:
    """(sli, group_by) forms whose 5m error ratio (khaosobs.domain.slo.error_ratio_expr) may be `expr`:
    read from its text, each confirmed or refused by the exact re-render in find_slo."""
    by = _GROUP_BY.match(expr)
    group_by = [label.strip() for label in by["by"].split(",")] if by else []
    total_sum = f"sum by ({', '.join(group_by)}) " if group_by else "sum"
    rate = re.escape(total_sum) + r"\(rate\((?P<{}>.+?)\[5m\]\)\)"
    zero = r"vector\(0\)" if not group_by else r"\(0 \* " + re.escape(total_sum) + r"\(rate\(.+?\[5m\]\)\)\)"
    ratio = r"\(" + rate.format("num") + " or " + zero + r"\) / " + rate.format("total")
    found: list[tuple[dict[str, Any], list[str]]] = []
    if (m := re.fullmatch(ratio, expr)) is not None:
        found.append(({"errors": m["num"], "total": m["total"]}, group_by))
    if (m := re.fullmatch("1 - " + ratio, expr)) is not None:
        bucket = _HISTOGRAM.fullmatch(m["num"])
        if bucket is not None:
            matchers = bucket["matchers"]
            histogram = f"{bucket['name']}{{{matchers}}}" if matchers else bucket["name"]
            try:
                threshold = float(bucket["le1"] or bucket["le2"])
            except ValueError:
                threshold = None
            if threshold is not None:
                found.append(({"latency": {"histogram": histogram, "threshold": threshold}}, group_by))
        found.append(({"good": m["num"], "total": m["total"]}, group_by))
    avg = (f"avg by ({', '.join(group_by)}) " if group_by else "avg")
    if (m := re.fullmatch("1 - " + re.escape(avg) + r"\(avg_over_time\((?P<gauge>.+)\[5m\]\)\)", expr)) is not None:
        found.append(({"bool_gauge": m["gauge"]}, group_by))
    # an error_ratio SLI is its own expression with `[$window]` ranges: its 5m ranges written back
    # on the parsed tree (accepted only if the SLI as printed renders exactly the rules)
    ratio_sli = with_range_variable(expr, timedelta(minutes=5), "$window")
    if ratio_sli is not None and "$window" in ratio_sli:
        found.append(({"error_ratio": ratio_sli}, []))
    return found

"""Rules khaosobs rendered from an SLO -> the SLO again.

A candidate is read from the rules' own text (the 5m error ratio gives the SLI, the alerts'
description the objective and window); it is accepted only when the Prometheus target renders
it back to exactly the rules it came from, so a look-alike written by hand stays plain rules.
"""

from __future__ import annotations

import re
from typing import Any

from khaosobs.domain.alerts import SLO_TIERS
from khaosobs.domain.naming import slo_alert_name, slo_ratio_record
from khaosobs.domain.slo import slo_plan
from khaosobs.spec.model import SLO, Service
from khaosobs.targets._rules import Rule
from khaosobs.targets.prometheus import SLO_WINDOWS, slo_rules

_RATIO = re.compile(r"\(sum\(rate\((?P<errors>.+)\[5m\]\)\) or vector\(0\)\) / sum\(rate\((?P<total>.+)\[5m\]\)\)")
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
    ratio = _RATIO.fullmatch(str(first.get("expr", "")))
    if not name or ratio is None:
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
    slo: dict[str, Any] = {"name": name, "objective": float(details["objective"]), "window": details["window"]}
    if details["description"]:
        slo["description"] = details["description"]
    slo["sli"] = {"errors": ratio["errors"], "total": ratio["total"]}
    if tiers != {"page": {"severity": "critical"}, "ticket": {"severity": "warning"}}:
        slo["alerting"] = tiers
    try:
        model = SLO.model_validate(slo)
        owner = Service.model_validate({"name": service, "team": team, "labels": labels})
    except ValueError:
        return None
    # accepted only when khaosobs renders exactly these rules from it: the import is then lossless
    rendered = slo_rules(slo_plan(owner, model), owner)
    if rendered != [_rule(raw) for raw in rules[start:start + len(rendered)]]:
        return None
    return slo, len(rendered)

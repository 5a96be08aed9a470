"""Generated proof of every SLO's burn-rate alerts: promtool unit tests, one pair per tier.

After clean traffic (1000 events a minute, no errors) filling the tier's longest window, the SLI
burns its error budget at a constant rate:
- `<tier> fires at 1.05x`: 1.05 times the factor of the tier's first condition; the tier must be
  firing once that condition's long window is full of the burn (plus the tier's `for`);
- `<tier> is quiet at 0.5x`: half the smallest factor of the tier; the tier must not fire at the end
  of each of its long windows (every window then sees nothing but the burn).

The input series are synthesised from the SLI's selectors: a series that matches each selector
(a regex matcher gets a shortest matching value), and for errors/total or good/total on one metric
a second series that matches the total but not the errors (or good) selector. An SLI whose series
cannot be synthesised (an `error_ratio` expression, a regex nothing simple matches) gets no tests;
nor does a tier that cannot fire (1.05x its factor would need more than 100% errors).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

from khaosobs.domain.durations import duration_ms
from khaosobs.domain.slo import (
    AlertPlan,
    ParsedSelector,
    SLOPlan,
    decimal_text,
    latency_selectors,
    parse_selector,
    slo_plan,
)
from khaosobs.spec.loader import Path_
from khaosobs.spec.model import Service

EVENTS_PER_MINUTE = 1000
HISTORY_MINUTES = 60  # the least clean traffic before the burn starts
FIRE_BURN = Decimal("1.05")
QUIET_BURN = Decimal("0.5")
OTHER_VALUE = "khaosobs_other"
GROUP_VALUE = "khaosobs"
EVALUATION_MINUTES = 5  # the proof files' evaluation interval: every check time is a multiple of it
STEPS = (1, 2, 5, 10, 15, 30, 60)  # sample spacings (minutes) that keep every time on a whole grid


@dataclass(frozen=True)
class SLOCheck:
    alert: str
    at: str
    firing: bool


@dataclass(frozen=True)
class SLOTest:
    slo: str
    alert: str  # the alert the test is about
    name: str
    series: list[dict[str, str]]
    checks: list[SLOCheck]
    path: Path_
    step: int  # minutes between samples


# --- series that match a selector -----------------------------------------------------------------


def _regex_example(pattern: str) -> str | None:
    """A short string the (anchored) regex matches, or None; checked with Python's `re` (RE2's syntax
    for what a label matcher uses is a subset of it)."""
    candidates = [""]
    first = re.split(r"(?<!\\)\|", pattern.strip("^$"))[0]
    simple = re.sub(r"\\d|\[[^\]]*\]|\.", "0", first)
    simple = re.sub(r"[()?*+]|\{\d+(,\d*)?\}", "", simple).replace("\\", "")
    candidates += [simple, first.replace("\\", ""), "0", "a"]
    for candidate in candidates:
        try:
            if re.fullmatch(pattern, candidate):
                return candidate
        except re.error:
            return None
    return None


def _matches(selector: ParsedSelector, name: str, labels: dict[str, str]) -> bool:
    if name != selector.name:
        return False
    for label, op, value in selector.matchers:
        actual = labels.get(label, "")
        try:
            found = {"=": actual == value, "!=": actual != value,
                     "=~": re.fullmatch(value, actual) is not None,
                     "!~": re.fullmatch(value, actual) is None}[op]
        except re.error:
            return False
        if not found:
            return False
    return True


def _sample_labels(selector: ParsedSelector, base: dict[str, str]) -> dict[str, str] | None:
    labels = dict(base)
    for label, op, value in selector.matchers:
        if op == "=":
            labels[label] = value
        elif op == "=~":
            example = _regex_example(value)
            if example is None:
                return None
            labels[label] = example
        elif op in ("!=", "!~") and not _matches(ParsedSelector(selector.name, ((label, op, value),)),
                                                  selector.name, {label: labels.get(label, "")}):
            labels[label] = OTHER_VALUE
    return labels if _matches(selector, selector.name, labels) else None


def _series_text(name: str, labels: dict[str, str]) -> str:
    return ParsedSelector(name, tuple((k, "=", v) for k, v in sorted(labels.items()))).text()


@dataclass(frozen=True)
class _Shape:
    """How to write the SLI's input series for a burn of `error_fraction` after clean history."""

    part: list[tuple[str, str]]  # (series, role): role "bad", "good", "total" or "gauge"

    def series(self, error_fraction: Decimal, minutes: int, step: int, clean: int) -> list[dict[str, str]]:
        """Samples every `step` minutes: `clean` minutes without errors, then `minutes` of the burn."""
        total = Decimal(EVENTS_PER_MINUTE * step)
        bad = error_fraction * total
        history, burn = clean // step, -(-minutes // step)
        values = {
            "total": f"0+{decimal_text(total)}x{history + burn}",
            "bad": f"0x{history - 1} 0+{decimal_text(bad)}x{burn}",
            "good": f"0+{decimal_text(total)}x{history - 1} {decimal_text(total * history)}"
                    f"+{decimal_text(total - bad)}x{burn}",
            "gauge": f"1x{history - 1} {decimal_text(1 - error_fraction)}x{burn}",
        }
        return [{"series": text, "values": values[role]} for text, role in self.part]


def _shape(plan: SLOPlan) -> _Shape | None:
    sli = plan.slo.sli
    base = {label: GROUP_VALUE for label in plan.slo.group_by}
    if sli.bool_gauge is not None:
        gauge = parse_selector(sli.bool_gauge)
        labels = _sample_labels(gauge, base) if gauge else None
        return _Shape([(_series_text(gauge.name, labels), "gauge")]) if gauge and labels is not None else None
    latency = latency_selectors(plan.slo)
    if latency is not None:
        bucket, count = parse_selector(latency[0]), parse_selector(latency[1])
        if bucket is None or count is None:
            return None
        bucket_labels, count_labels = _sample_labels(bucket, base), _sample_labels(count, base)
        if bucket_labels is None or count_labels is None:
            return None
        return _Shape([(_series_text(bucket.name, bucket_labels), "good"),
                       (_series_text(count.name, count_labels), "total")])
    part_text, role = (sli.errors, "bad") if sli.errors is not None else (sli.good, "good")
    if part_text is None or sli.total is None:
        return None  # an error_ratio expression: nothing to synthesise
    part, total = parse_selector(part_text), parse_selector(sli.total)
    if part is None or total is None:
        return None
    part_labels = _sample_labels(part, base)
    if part_labels is None:
        return None
    if part.name != total.name:
        total_labels = _sample_labels(total, base)
        if total_labels is None:
            return None
        return _Shape([(_series_text(part.name, part_labels), role),
                       (_series_text(total.name, total_labels), "total")])
    if not _matches(total, part.name, part_labels):
        return None
    # one metric: the rest of the traffic is a second series the total counts and the part does not
    other = _sample_labels(total, base)
    if other is None:
        return None
    for label, _op, _value in part.matchers:
        if _matches(part, part.name, other):
            other[label] = OTHER_VALUE
    if _matches(part, part.name, other) or not _matches(total, total.name, other):
        return None
    other_role = "good" if role == "bad" else "bad"
    return _Shape([(_series_text(part.name, part_labels), role), (_series_text(total.name, other), other_role)])


# --- the tests ----------------------------------------------------------------------------------


def _minutes(duration: str | None) -> int:
    return -(-(duration_ms(duration) or 0) // 60_000) if duration else 0


def _on_grid(minutes: int, step: int) -> int:
    """The first time on both the sample and the evaluation grid that is not before `minutes`."""
    grid = step * EVALUATION_MINUTES // math.gcd(step, EVALUATION_MINUTES)
    return -(-minutes // grid) * grid


def _clean_minutes(tier: AlertPlan, step: int) -> int:
    """Clean history filling the tier's longest window, so each condition sees only its own burn:
    a burn that fires only through another condition's partly empty window proves nothing."""
    return _on_grid(max(HISTORY_MINUTES, *(_minutes(c.long) for c in tier.conditions)), step)


def _step(tier: AlertPlan) -> int:
    """Sample spacing in minutes: about 1/12 of the tier's shortest short window (so every window
    holds many samples). Fewer samples keep promtool fast on 3-day tests."""
    shortest = min(_minutes(c.short) for c in tier.conditions)
    return max([d for d in STEPS if d * 12 <= shortest] or [1])


def slo_tests(service: Service, service_index: int) -> list[SLOTest]:
    tests = []
    for i, slo in enumerate(service.slos):
        plan = slo_plan(service, slo)
        shape = _shape(plan)
        if shape is None:
            continue
        path: Path_ = ("services", service_index, "slos", i)
        for tier in plan.tiers:
            tests.extend(_tier_tests(plan, tier, shape, path))
    return tests


def _tier_tests(plan: SLOPlan, tier: AlertPlan, shape: _Shape, path: Path_) -> list[SLOTest]:
    if not tier.conditions:
        return []
    tests = []
    step = _step(tier)
    clean = _clean_minutes(tier, step)
    wait = _minutes(tier.for_)
    first = tier.conditions[0]
    fire = FIRE_BURN * first.factor * plan.budget
    if fire < 1:
        at = _on_grid(clean + _minutes(first.long) + wait, step)
        tests.append(SLOTest(
            plan.slo.name, tier.name, f"{plan.slo.name}: {tier.tier} fires at {FIRE_BURN}x "
            f"({decimal_text(first.factor)}x budget over {first.long} and {first.short})",
            shape.series(fire, at - clean + step, step, clean), [SLOCheck(tier.name, f"{at}m", True)],
            path, step))
    smallest = min(c.factor for c in tier.conditions)
    times = sorted({_on_grid(clean + _minutes(c.long) + wait, step) for c in tier.conditions})
    quiet = QUIET_BURN * smallest * plan.budget
    tests.append(SLOTest(
        plan.slo.name, tier.name, f"{plan.slo.name}: {tier.tier} is quiet at {QUIET_BURN}x "
        f"({decimal_text(smallest)}x budget)",
        shape.series(quiet, times[-1] - clean + step, step, clean),
        [SLOCheck(tier.name, f"{at}m", False) for at in times], path, step))
    return tests

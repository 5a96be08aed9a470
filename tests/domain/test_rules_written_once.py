"""Domain rules live once, in khaosobs/domain/: this test fails when one is written again elsewhere.

The README's contributing section lists where each rule lives; the patterns below are the ways each
rule has been written by hand before (a regex literal, a tuple of field names, a route root path).
"""

from __future__ import annotations

import re

import pytest

from khaosobs.domain.annotations import ANNOTATION_FIELDS
from khaosobs.domain.durations import duration_ms, is_duration
from khaosobs.domain.prometheus_names import is_label_name, is_metric_name
from tests.conftest import ROOT

# rule -> (its home, a pattern that finds the rule written by hand)
NAMES, DURATIONS = "domain/prometheus_names.py", "domain/durations.py"
RULES: dict[str, tuple[str, re.Pattern[str]]] = {
    "metric name syntax": (NAMES, re.compile(r"a-zA-Z_:\]\[a-zA-Z0-9_:|A-Za-z_:\]\[A-Za-z0-9_:")),
    "label name syntax": (NAMES, re.compile(r"\[a-zA-Z_\]\[a-zA-Z0-9_\]|\[A-Za-z_\]\[A-Za-z0-9_\]")),
    "duration grammar": (DURATIONS, re.compile(r"\(\?:\(\\d\+\)y\)|ms\|y\|w\|d|\(\?:ms\|\[smhdwy\]\)")),
    "annotation fields": ("domain/annotations.py",
                          re.compile(r"""["']summary["'],\s*["']description["'],\s*["']runbook_url["']""")),
    "secret reference syntax": ("domain/secret_refs.py", re.compile(r"vault://\[\^")),
    "route root path": ("domain/routes.py", re.compile(r"""\(\s*["']alerting["'],\s*["']route["']\s*\)""")),
}

# the same characters for another concept: an environment variable's name in `env:NAME`
OTHER_CONCEPTS = {("label name syntax", "domain/secret_refs.py"),
                  ("label name syntax", "domain/gotemplate.py")}  # a Go identifier in a template


@pytest.mark.parametrize("rule", sorted(RULES))
def test_a_domain_rule_is_written_once(rule: str) -> None:
    home, pattern = RULES[rule]
    written = [path.relative_to(ROOT / "khaosobs").as_posix() for path in sorted((ROOT / "khaosobs").rglob("*.py"))
               if pattern.search(path.read_text(encoding="utf-8"))
               and (rule, path.relative_to(ROOT / "khaosobs").as_posix()) not in OTHER_CONCEPTS]
    assert written == [home], f"{rule} is written in {written}; use khaosobs/{home}"


def test_names() -> None:
    assert is_metric_name("job:http_requests:rate5m") and not is_metric_name("5xx")
    assert is_label_name("status_code") and not is_label_name("status-code") and not is_label_name("a:b")


@pytest.mark.parametrize(("text", "ms"), [("0", 0), ("1h30m", 5_400_000), ("1y2w3d", 33_004_800_000), ("5m", 300_000)])
def test_durations(text: str, ms: int) -> None:
    assert duration_ms(text) == ms and is_duration(text)


@pytest.mark.parametrize("text", ["", "5", "30m1h", "5 m", "1.5h", "-5m", "5M"])
def test_not_durations(text: str) -> None:
    assert not is_duration(text)


def test_annotation_fields_are_the_alert_fields() -> None:
    from khaosobs.spec.model import Alert

    assert set(ANNOTATION_FIELDS) <= set(Alert.model_fields)

"""The fast YAML path reads exactly what the full loader reads, or declines.

Differential: every spec in the repository, the real-world corpus, the synthetic benchmark spec
and arbitrary generated YAML go through both paths; where the fast path accepts a text, the data
must be identical, type for type, and the full loader must accept the text too.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khaosobs.spec.fastyaml import fast_load
from khaosobs.spec.loader import LoadError, _compose_and_convert, load_bytes
from tests.conftest import ROOT
from tests.support.realworld import realworld_spec
from tests.support.synthetic import synthetic_spec


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (True is not 1, 1 is not 1.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def full_loader(text: str) -> Any:
    converter, data = _compose_and_convert(text, "spec.yaml")
    assert not converter.diagnostics, [d.message for d in converter.diagnostics]
    return data


def check_agreement(text: str) -> bool:
    """True when the fast path read the text (and agreed); False when it declined."""
    fast = fast_load(text)
    if fast is None:
        return False
    try:
        slow = full_loader(text)
    except LoadError as exc:  # pragma: no cover - a failure here is the finding
        raise AssertionError(f"fast path accepted what PyYAML refuses: {exc}") from None
    assert same(fast, slow), f"fast and full loaders disagree on:\n{text[:2000]}"
    return True


REPO_YAML = sorted([*ROOT.glob("specs/*.yaml"), *ROOT.glob("tests/specs/*.yaml"), *ROOT.glob("tests/invalid/*.yaml")])


@pytest.mark.parametrize("path", REPO_YAML, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_repository_specs_read_the_same(path: Path) -> None:
    check_agreement(path.read_text(encoding="utf-8"))


def test_the_example_and_large_specs_take_the_fast_path() -> None:
    assert check_agreement((ROOT / "specs" / "strategickhaos.yaml").read_text(encoding="utf-8"))
    assert check_agreement(synthetic_spec(50))
    assert check_agreement(yaml.safe_dump(realworld_spec(), allow_unicode=True, sort_keys=False, width=10_000))


@pytest.mark.parametrize("text", [
    "help: no\n", "a: yes\n", "a:\n  off\n", "a: [1, On]\n", "a: 012\n", "a: 0o17\n", "a: 0X1F\n", "a: 1:30\n",
    "a: 1e3\n", "a: 0_1\n", "a: [-012]\n", "a: -.5\n", "a: 2024-01-15\n", "a: !!str 1\n", "%YAML 1.1\n---\na: 1\n",
    "a:\n\t- 1\n",
    "? [a]\n: 1\n", "a: x\x85y\n", "a: &x 1\nb: *x\n", "1: x\n", "true: x\n", "a: 1\na: 2\n",
    "a:\n  <<: {b: 1}\n", "- a\n", "a: b\n---\nc: d\n",
])
def test_what_yaml_1_1_reads_differently_goes_to_the_full_loader(text: str) -> None:
    assert fast_load(text) is None


def test_a_fast_read_spec_still_reports_exact_positions(tmp_path: Path) -> None:
    text = (ROOT / "specs" / "strategickhaos.yaml").read_text(encoding="utf-8")
    assert fast_load(text) is not None
    loaded = load_bytes(text.encode(), "specs/strategickhaos.yaml")
    info = loaded.info(("alerting", "route", "routes", 1, "receiver"))
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "receiver: discord-warnings" in row)
    assert info is not None and (info.line, info.column) == (line, 19)


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=False, allow_infinity=True, width=64),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(["no", "yes", "on", "off", "012", "1:30", "1e3", "2024-01-15", "~", "null", "True", "0x1F",
                     "-.5", ".inf", "=", "<<", "!x", "# c", "a: b", "- x", "{{ $labels.x }}", "'q'", '"d"', "\t"]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20,
).map(lambda value: {"spec": value})


EXAMPLES = int(os.environ.get("KHAOSOBS_FUZZ_EXAMPLES", "300"))  # raise it for a longer hunt


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=documents, flow=st.sampled_from([None, True, False]), style=st.sampled_from([None, '"', "'"]))
def test_generated_yaml_reads_the_same(data: dict[str, Any], flow: bool | None, style: str | None) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, default_style=style, allow_unicode=True, sort_keys=False)
    check_agreement(text)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.sampled_from([
    "a: ", "b:\n  ", "- ", "  - ", "[", "]", "{", "}", ", ", "no", "yes", "1e3", "0.5", "012", "'x'", '"y\\n"',
    "|\n  text\n", ">-\n  folded\n", "&a ", "*a", "# c", "\n", "  ", "x", "2024-01-01", "!!str ", "? ", ": ",
    "-.5", "+.5", "0x1F", "0o7", "007", "1E3", "1.5e-3", "x*2", "rate(x[5m])*100", " > 1e9", "!= 0", "1:30", "On",
    "a:1", "-", "=", "<<", "~", "null", "@", "`", "%",
]), min_size=1, max_size=14).map("".join))
def test_generated_fragments_read_the_same_or_are_declined(text: str) -> None:
    check_agreement(text)

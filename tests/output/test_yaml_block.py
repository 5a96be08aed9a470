"""`yaml_block` (manifests, prometheus.yml, ruler files): any nested data reads back exactly, with
PyYAML (YAML 1.1, what Python tools use) and yaml-rs (YAML 1.2, like Go's readers)."""

from __future__ import annotations

from typing import Any

import yaml
import yaml_rs
from hypothesis import given, settings
from hypothesis import strategies as st

from khaosobs.output.serialise import yaml_block, yaml_value

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
multiline = st.lists(texts, min_size=1, max_size=4).map(lambda lines: "\n".join(lines) + "\n")
scalars = st.one_of(st.none(), st.booleans(), st.integers(), texts, multiline,
                    st.floats(allow_nan=False, allow_infinity=False))
values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(texts, children, max_size=4)), max_leaves=20)


@settings(max_examples=300)
@given(st.dictionaries(texts, values, max_size=5))
def test_any_data_reads_back_exactly(data: dict[str, Any]) -> None:
    text = yaml_block(data) + "\n"
    assert yaml.safe_load(text) == data
    assert yaml_rs.loads(text, parse_datetime=False) == data


def test_multiline_text_is_a_literal_block() -> None:
    text = yaml_block({"data": {"rules.yml": "groups:\n  - name: a\n"}})
    assert text == 'data:\n  rules.yml: |\n    groups:\n      - name: a'


# quotes and backslashes among printable ASCII (the fast way of `yaml_string`), and anything else
quoted_texts = st.one_of(texts, st.text(st.sampled_from('"\\ a{}$=~\t\x7f\x85é'), max_size=12))


@settings(max_examples=500)
@given(quoted_texts)
def test_any_text_is_one_double_quoted_scalar_that_reads_back(text: str) -> None:
    value = yaml_value(text)
    assert value.startswith('"') and value.endswith('"')
    assert yaml.safe_load(f"k: {value}\n") == {"k": text}
    assert yaml_rs.loads(f"k: {value}\n", parse_datetime=False) == {"k": text}

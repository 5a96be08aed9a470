"""PromQL printed back from the parsed tree (khaosobs/domain/promql_print.py): the same tree after a round
trip, strings escaped, Grafana range variables kept, matchers added on the tree; and the real
promtool accepts every rewritten expression of the real-world corpus."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from khaosobs.domain.dashboards import metric_names
from khaosobs.domain.promql import parse_promql
from khaosobs.domain.promql_print import (
    expression_key,
    parse_query,
    print_promql,
    promql_string,
    selector_names,
    shown_key_and_names,
    with_matchers,
    without_matchers,
)
from tests.support.realworld import source_rules

FILTERS = [("job", "=~", "$job"), ("instance", "=~", "$instance")]
CASES = [
    "up",
    'sum by (command) (rate(x_total{status="error"}[5m] offset 1m)) / on (x) group_left (z) y > bool 5',
    'foo{a="x\\\\y\\"z\\n", b!~"c|d"}',
    "rate(x[$__rate_interval])",
    "rate(x[${__rate_interval}])",
    "max_over_time(rate(x[5m])[1h:$__interval])",
    "foo[5m] @ 100 offset -1m",
    "foo @ start()",
    "topk(3, foo)",
    'count_values("x", foo)',
    "quantile without (a) (0.9, foo)",
    "a and ignoring () b",
    "a * on () group_left () b",
    "-(foo + 1) ^ 2",
    '{__name__=~"a.*"}',
    "1.5e-3 * 2",
    "NaN",
    "-Inf",
    "vector(1) unless on (a) b",
    'label_replace(up, "x", "$1", "instance", "(.*):.*")',
    "histogram_quantile(0.95, sum by (le) (rate(d_bucket[5m]))) > 5",
]


def _matchers(tree: Any) -> list[tuple[str, str, str]]:
    """Every matcher of every selector, with exact values (str() of the tree does not escape)."""
    found: list[tuple[str, str, str]] = []

    def visit(node: Any) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            found.extend((m.name, str(m.op), m.value) for m in node.matchers.matchers)
        return True

    promql_parser.walk(tree, visit)
    return found


def _same_tree(a: str, b: str) -> bool:
    from khaosobs.domain.promql_print import _parse_with_variables

    tree_a, _ = _parse_with_variables(a)
    tree_b, _ = _parse_with_variables(b)
    return str(tree_a) == str(tree_b) and _matchers(tree_a) == _matchers(tree_b)


@pytest.mark.parametrize("expr", CASES)
def test_printing_keeps_the_tree(expr: str) -> None:
    printed = print_promql(expr)
    assert _same_tree(expr, printed), printed
    assert print_promql(printed) == printed


def test_strings_are_escaped_and_range_variables_kept() -> None:
    assert print_promql('foo{a="x\\"y\\n"}') == 'foo{a="x\\"y\\n"}'
    assert print_promql("rate(x[ $__rate_interval ])") == "rate(x[$__rate_interval])"
    assert print_promql("max_over_time(x[1h:$__interval])") == "max_over_time(x[1h:$__interval])"


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("rate(x[5m])", 'rate(x{job=~"$job", instance=~"$instance"}[5m])'),
        ('up{job="api"}', 'up{job="api", instance=~"$instance"}'),  # the user's matcher stays
        ("a / on (x) b", 'a{job=~"$job", instance=~"$instance"} / on (x) b{job=~"$job", instance=~"$instance"}'),
        ('{__name__="x"}', '{__name__="x", job=~"$job", instance=~"$instance"}'),
        ('x{a="1" or b="2"}',
         'x{a="1", job=~"$job", instance=~"$instance" or b="2", job=~"$job", instance=~"$instance"}'),
        ("vector(1)", "vector(1)"),
        ("rate(broken[5m", "rate(broken[5m"),  # does not parse: unchanged, the checks report it
    ],
)
def test_matchers_are_added_on_the_tree(expr: str, expected: str) -> None:
    assert with_matchers(expr, FILTERS) == expected


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("rate(x[5m])", "rate(x[5m])"),
        ('up{job="api"}', 'up{job="api"}'),
        ('x{instance=~"$instance"}', 'x{instance=~"$instance"}'),  # adding gives `job` after it: kept
        ('x{job=~"$job"}', "x"),  # adding gives exactly `instance` after it
        ('x{a="1" or b="2"}', 'x{a="1" or b="2"}'),
        ("a / on (x) b", "a / on (x) b"),
    ],
)
def test_without_matchers_undoes_with_matchers(written: str, kept: str) -> None:
    """Import takes back exactly what render's injection would add again: adding to what is kept
    gives the rendered text, and a matcher the injection would not put back where it is stays."""
    rendered = with_matchers(written, FILTERS)
    assert without_matchers(rendered, FILTERS) == kept
    assert with_matchers(kept, FILTERS) == rendered


@pytest.mark.parametrize("expr", [*CASES, "a + a * b", "topk(3, b) / on () sum_over_time(c[5m:1m])", "sum(x) > x"])
def test_one_walk_gives_the_shown_query_the_key_and_the_metric_names(expr: str) -> None:
    """The Grafana target reads a panel query once: the query as shown (filters added), its key and
    its metric names come from one walk of the tree, the same as with_matchers, expression_key and
    metric_names give separately."""
    parsed = parse_query(expr)
    assert parsed is not None
    shown, key, names = shown_key_and_names(*parsed, extra=FILTERS)
    assert shown == with_matchers(expr, FILTERS)
    assert key == expression_key(expr) == shown_key_and_names(*parsed, extra=[])[1]
    assert list(names) == metric_names(expr) == list(selector_names(parsed[0]))
    assert shown_key_and_names(*parsed, extra=[])[0] == print_promql(expr)


@pytest.mark.parametrize("value", ["", "plain", "ünïcode ✓", 'q"uote', "back\\slash", "new\nline", "tab\t",
                                   "\x00\x1f\x7f", "\u2028", "$1", "{{le}}", "<&>"])
def test_strings_are_written_as_json_writes_them(value: str) -> None:
    assert promql_string(value) == json.dumps(value, ensure_ascii=False)


def test_expression_keys_ignore_ranges_only() -> None:
    assert expression_key("rate(x[5m])") == expression_key("rate(x[$__rate_interval])")
    assert expression_key("rate(x[5m])") != expression_key("irate(x[5m])")
    assert expression_key("sum by (le) (x)") == expression_key("sum by(le)(x)")


def test_promtool_accepts_every_rewritten_corpus_expression(tmp_path: Path) -> None:
    rules = source_rules()
    assert len(rules) > 100
    exprs = []
    for rule in rules:
        printed = with_matchers(rule.expr, [("job", "=~", ".+"), ("instance", "=~", ".+")])
        parse_promql(printed)  # our parser reads it back ...
        assert _same_tree(rule.expr, print_promql(rule.expr)), rule.name
        exprs.append(printed)
    groups = [{"name": "printed", "rules": [
        {"alert": f"Printed{i}", "expr": expr} for i, expr in enumerate(exprs)]}]
    path = tmp_path / "printed.yml"
    path.write_text(yaml.safe_dump({"groups": groups}, allow_unicode=True), encoding="utf-8")
    check = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True,
                           check=False, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr  # ... and so does Prometheus
    assert f"SUCCESS: {len(exprs)} rules found" in check.stdout

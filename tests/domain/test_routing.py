"""khaosobs.domain.routing: Alertmanager's matcher parser, RE2 regexes and route tree, checked against the
cases of Alertmanager's own tests and, differentially, against the real amtool 0.25."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from khaosobs.domain.routing import (
    AlertRoute,
    MatcherError,
    RouteNode,
    Shadows,
    build_tree,
    escape_value,
    matcher_text,
    parse_matcher,
    parse_matchers,
    route_matcher_texts,
)
from khaosobs.spec.model import Route


def amtool() -> str:
    path = shutil.which("amtool")
    if path is None:
        pytest.fail("amtool is not on PATH: install Alertmanager's amtool (Debian: prometheus-alertmanager)")
    return path


def triples(text: str) -> list[tuple[str, str, str]]:
    return [(m.name, m.op, m.value) for m in parse_matchers(text)]


# Alertmanager pkg/labels/parse_test.go (the 0.25 classic parser)
@pytest.mark.parametrize(("text", "expected"), [
    ('{foo="bar"}', [("foo", "=", "bar")]),
    ('{foo=~"bar.*"}', [("foo", "=~", "bar.*")]),
    ('{foo="bar", baz!~"quux.*"}', [("foo", "=", "bar"), ("baz", "!~", "quux.*")]),
    ('{foo="bar,quux", job="job1"}', [("foo", "=", "bar,quux"), ("job", "=", "job1")]),
    ('{foo = "bar", dings != "bums", }', [("foo", "=", "bar"), ("dings", "!=", "bums")]),
    ("foo=bar,dings!=bums", [("foo", "=", "bar"), ("dings", "!=", "bums")]),
    ('{quote="She said: \\"Hi, ladies!\\""}', [("quote", "=", 'She said: "Hi, ladies!"')]),
    ("tricky=~~~", [("tricky", "=~", "~~")]),
    ('trickier==\\\\=\\=\\"', [("trickier", "=", '=\\=\\="')]),
    ('contains_quote != "\\"" , contains_comma !~ "foo,bar" , ',
     [("contains_quote", "!=", '"'), ("contains_comma", "!~", "foo,bar")]),
    ("job=", [("job", "=", "")]),  # 0.25 accepts an empty value
    ('foo="a\\nb"', [("foo", "=", "a\nb")]),
    ("foo=  spaced value  ", [("foo", "=", "spaced value")]),
    ('a:b="c"', [("a:b", "=", "c")]),
    ("", []),
])
def test_parse_matchers_like_alertmanager(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert triples(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ('job="value', 'matcher value contains unescaped double quote: "value'),
    ('job=value"', 'matcher value contains unescaped double quote: value"'),
    ('contains_unescaped_quote = foo"bar', 'matcher value contains unescaped double quote: foo"bar'),
    ('{invalid-name = "valid label"}', 'bad matcher format: invalid-name = "valid label"'),
    ('"foo=\\"bar"', 'bad matcher format: "foo=\\"bar"'),
    ('foo="bar",,baz="x"', "bad matcher format: "),
    ('{foo=~"invalid[regexp"}', "missing closing ]"),
])
def test_parse_errors_like_alertmanager(text: str, message: str) -> None:
    with pytest.raises(MatcherError) as caught:
        parse_matchers(text)
    assert message in str(caught.value)


@given(st.text(), st.sampled_from(["=", "!="]))
def test_every_value_survives_the_matcher_text(value: str, op: str) -> None:
    """The text khaosobs writes for a `match` value parses back to exactly that value."""
    matcher = parse_matcher(matcher_text("label", op, value))  # type: ignore[arg-type]
    assert (matcher.name, matcher.op, matcher.value) == ("label", op, value)


def test_match_and_match_re_become_matchers() -> None:
    route = Route.model_validate({"match": {"severity": 'crit "x"\\'}, "match_re": {"team": "a|b"},
                                  "matchers": ['env!="dev"']})
    assert route_matcher_texts(route) == ['severity="crit \\"x\\"\\\\"', 'team=~"a|b"', 'env!="dev"']


def test_route_tree_semantics() -> None:
    tree = build_tree(Route.model_validate({
        "receiver": "root",
        "routes": [
            {"match": {"severity": "critical"}, "receiver": "pager", "continue": True},
            {"match": {"team": "a"}, "receiver": "team-a", "routes": [
                {"match_re": {"alertname": "Disk.*"}},  # inherits team-a
                {"match": {"alertname": "DiskFull"}, "receiver": "never"},  # the one above wins
            ]},
            {"match": {"team": "a"}, "receiver": "never-either"},  # first match without continue stops
            {"matchers": ['severity!="critical"'], "receiver": "rest"},
        ],
    }))

    def receivers(**labels: str) -> list[str]:
        return [node.receiver for node in tree.match(labels)]

    assert receivers(severity="critical", team="a", alertname="DiskFull") == ["pager", "team-a"]
    assert receivers(severity="critical", team="b") == ["pager"]
    assert receivers(severity="warning", team="a", alertname="Other") == ["team-a"]
    assert receivers(severity="warning") == ["rest"]
    assert receivers(severity="critical") == ["pager"]
    assert receivers() == ["rest"]  # a missing label is "", which != "critical"
    assert [n.path for n in tree.match({"severity": "critical", "team": "a", "alertname": "DiskFull"})][1] \
        == ("alerting", "route", "routes", 1, "routes", 0)


@pytest.mark.parametrize(("pattern", "matches", "misses"), [
    ("crit.*", ["crit", "critical"], ["xcrit", "CRIT"]),  # anchored both ends
    ("a$", ["a"], ["a\n"]),  # Go's $ is the end of the text
    ("x(?i)a|b", ["xa", "xA", "B"], ["a", "xB"]),  # a mid-pattern flag runs to the end of the group
    ("[[:alpha:]]+", ["abC"], ["a1"]),
    ("\\Qa.b\\E", ["a.b"], ["axb"]),
    ("a{,2}", ["a{,2}"], ["aa"]),  # not a repetition in Go: literal
    ("\\s", [" ", "\t"], ["\v"]),
    ("\\x{41}", ["A"], ["a"]),
    ("\\d+", ["123"], ["١٢٣"]),  # ASCII digits only
])
def test_regexes_read_like_re2(pattern: str, matches: list[str], misses: list[str]) -> None:
    matcher = parse_matcher(matcher_text("v", "=~", pattern))
    assert [v for v in matches if not matcher.matches({"v": v})] == []
    assert [v for v in misses if matcher.matches({"v": v})] == []


@pytest.mark.parametrize("pattern", ["(?=a)", "(?<!a)b", "\\1", "(a)\\1", "a**", "a++", "a{1001}", "(?P=n)",
                                     "(a", "a)", "[a", "\\q", "\\u0041", "a\\Z"])
def test_what_re2_refuses_is_refused(pattern: str) -> None:
    with pytest.raises(MatcherError):
        parse_matcher(matcher_text("v", "=~", pattern))


REGEXES = [
    "crit.*", "(?i)CRIT", "a|b", "x(?i)a|b", "^a$", "a$", "\\d+", "[[:alpha:]]+", "\\Qa.b\\E", "a{2}",
    "a{,2}", "[a-c]+", "(?s).+", ".+", "\\s", "\\x{41}", "(a)(b)?", "(?P<n>a)", "[^a]", "\\z", "(?m)^a$",
    "[]a]", "\\Ba", "(?i:x)y", "a**", "(?=a)", "\\1", "a{1001}", "a\\Z", "(a", "[[:nope:]]",
]
VALUES = ["crit", "critical", "CRIT", "a", "b", "xa", "xA", "B", "a\n", "123", "abc", "a.b", "aa", "a{,2}",
          "", " ", "\n", "A", "ab", "x", "Y", "xy", "Xy", "]", "\t", "\v", "é"]


def write_config(path: Path, routes: list[dict[str, object]]) -> dict[str, object]:
    route: dict[str, object] = {"receiver": "root", "routes": routes}
    names = dict.fromkeys(["root", *(str(r["receiver"]) for r in routes)])
    path.write_text(yaml.safe_dump({"route": route, "receivers": [{"name": n} for n in names]}))
    return route


@pytest.mark.realtools
def test_regexes_agree_with_amtool(tmp_path: Path) -> None:
    """Same verdict as Alertmanager on every pattern, and the same matches on every value."""
    config = tmp_path / "alertmanager.yml"
    accepted = []
    for pattern in REGEXES:
        text = matcher_text("v", "=~", pattern)
        try:
            parse_matchers(text)
            ours = True
        except MatcherError:
            ours = False
        write_config(config, [{"receiver": "r", "matchers": [text]}])
        checked = subprocess.run([amtool(), "check-config", str(config)], capture_output=True, check=False)
        assert ours == (checked.returncode == 0), pattern
        if ours:
            accepted.append(pattern)
    assert len(accepted) >= 20
    route = write_config(config, [{"receiver": f"r{i}", "continue": True,
                                   "matchers": [matcher_text("v", "=~", p)]} for i, p in enumerate(accepted)])
    tree = build_tree(Route.model_validate(route))
    for value in VALUES:
        ours_text = ",".join(node.receiver for node in tree.match({"v": value}))
        done = subprocess.run([amtool(), "config", "routes", "test", f"--config.file={config}",
                               f"--verify.receivers={ours_text}", f'v="{escape_value(value)}"'],
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{value!r}: khaosobs {ours_text}, amtool {done.stdout.strip()}"


def _match_every_child(node: RouteNode, labels: dict[str, str]) -> list[RouteNode]:
    """Route.Match as Alertmanager writes it: every child tried in order (no index)."""
    if not all(m.matches(labels) for m in node.matchers):
        return []
    found: list[RouteNode] = []
    for child in node.children:
        taken = _match_every_child(child, labels)
        found.extend(taken)
        if taken and not child.continue_:
            break
    return found or [node]


_MATCHERS = st.sampled_from(['team="a"', 'team="b"', 'team=""', 'team!="a"', 'team=~"a|b"', 'env="prod"',
                             'env="prod", team="b"', 'severity="critical"'])
_CHILD = st.fixed_dictionaries({"matchers": st.lists(_MATCHERS, max_size=2), "continue": st.booleans()})
_LABELS = st.fixed_dictionaries({}, optional={"team": st.sampled_from(["a", "b", "c", ""]),
                                              "env": st.sampled_from(["prod", "dev"]),
                                              "severity": st.sampled_from(["critical", "info"])})


@given(st.lists(_CHILD, max_size=8), _LABELS)
def test_the_child_index_routes_as_trying_every_child(children: list[dict[str, object]],
                                                      labels: dict[str, str]) -> None:
    # the index only skips children whose equality matcher fails: same routes, same order
    tree = build_tree(Route.model_validate({"receiver": "default", "routes": [
        {**child, "receiver": f"r{i}"} for i, child in enumerate(children)]}))
    assert [n.path for n in tree.match(labels)] == [n.path for n in _match_every_child(tree, labels)]


def _shadow_by_search(tree: RouteNode, target: RouteNode, alerts: list[dict[str, str]]) -> RouteNode | None:
    """route-unreached's hint as plainly as it can be said: the target's parents found by a search of
    the tree, every alert tried, each routed afresh."""
    def chain(node: RouteNode) -> list[RouteNode] | None:
        if node is target:
            return [node]
        for child in node.children:
            below = chain(child)
            if below is not None:
                return [node, *below]
        return None

    nodes = chain(tree) or []
    for labels in alerts:
        if all(m.matches(labels) for node in nodes for m in node.matchers):
            taken = tree.match(labels)
            if not any(n is target for n in taken):
                return taken[0]
    return None


_NESTED = st.fixed_dictionaries({"matchers": st.lists(_MATCHERS, max_size=2), "continue": st.booleans(),
                                 "routes": st.lists(_CHILD, max_size=3)})


@given(st.lists(_NESTED, max_size=5), st.lists(_LABELS, max_size=6))
def test_shadows_finds_what_a_search_of_the_tree_finds(children: list[dict[str, object]],
                                                       alerts: list[dict[str, str]]) -> None:
    # the map of parents and the index of alerts by label give the plain search's answer, for every route
    tree = build_tree(Route.model_validate({"receiver": "default", "routes": children}))
    routed = [AlertRoute(None, labels, tree.match(labels)) for labels in alerts]  # type: ignore[arg-type]
    shadows = Shadows(tree, routed)
    for node in tree.walk()[1:]:
        assert shadows.of(node) is _shadow_by_search(tree, node, alerts)

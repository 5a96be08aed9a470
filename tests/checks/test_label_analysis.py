"""The label analysis (khaosobs.domain.labels) against the real Prometheus engine.

Hypothesis writes expressions over declared metrics (selectors, rate, aggregations by/without,
binary operations with on/ignoring/group_left/group_right, set operations, label_replace,
label_join, count_values, histogram_quantile, absent, vector, scalar); one `promtool test rules`
file evaluates a whole batch as promql_expr_tests that expect no sample, so promtool prints every
result it got. Every series carries every label it can (non-empty values), so the labels of the
result are exactly the ones the analysis says it can carry; where the data decides (`or` can
return either side) they must be among them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from khaosobs.domain.labels import UNKNOWN, LabelSet, analyse_labels, series_labels
from khaosobs.domain.promql import PromQLError, parse_promql
from tests.conftest import run_khaosobs

pytestmark = pytest.mark.skipif(shutil.which("promtool") is None, reason="needs promtool (.ci/run installs it)")

DECLARED = {  # series name -> (declared labels, kind)
    "http_requests_total": (["route", "code"], "plain"),
    "queue_depth": (["queue"], "plain"),
    "cpu_seconds_total": (["mode", "cpu"], "plain"),
    "req_duration_seconds_bucket": (["route"], "bucket"),
    "rpc_latency_seconds": (["method"], "summary-quantile"),
}
COUNTERS = ["http_requests_total", "cpu_seconds_total", "req_duration_seconds_bucket"]
POOL = sorted({"job", "instance", "le", "quantile", "dst", "nothing"} | {
    label for labels, _ in DECLARED.values() for label in labels})


def resolve(name: str) -> LabelSet:
    if name not in DECLARED:
        return UNKNOWN
    labels, kind = DECLARED[name]
    return series_labels(labels, kind)  # type: ignore[arg-type]


def input_series() -> list[dict[str, str]]:
    found = []
    for name, (labels, kind) in DECLARED.items():
        base = {label: f"{label}1" for label in labels} | {"job": "j", "instance": "i:1"}
        extra: list[dict[str, str]] = [{}]
        if kind == "bucket":
            extra = [{"le": "0.5"}, {"le": "+Inf"}]
        elif kind == "summary-quantile":
            extra = [{"quantile": "0.9"}]
        for more in extra:
            selector = ", ".join(f'{k}="{v}"' for k, v in sorted((base | more).items()))
            found.append({"series": f"{name}{{{selector}}}", "values": "0+7x30"})
    return found


def possible(name: str) -> list[str]:
    return resolve(name).names()


@st.composite
def selector(draw: st.DrawFn, names: list[str] | None = None) -> str:
    name = draw(st.sampled_from(names or sorted(DECLARED)))
    labels = draw(st.lists(st.sampled_from(possible(name)), max_size=2, unique=True))
    matchers = ", ".join(f'{label}=~".+"' for label in labels)
    return f"{name}{{{matchers}}}" if matchers else name


def grouping(draw: st.DrawFn) -> list[str]:
    return draw(st.lists(st.sampled_from(POOL), max_size=3, unique=True))


def vector(depth: int) -> st.SearchStrategy[str]:
    leaves = st.one_of(
        selector(),
        selector(COUNTERS).map(lambda s: f"rate({s}[5m])"),
        st.builds(lambda s: f"histogram_quantile(0.9, sum by (le, route) (rate({s}[5m])))",
                  st.just("req_duration_seconds_bucket")),
        st.sampled_from(['absent(queue_depth{queue="none", job="j"})', "absent(nothing_here)",
                         "vector(1)", 'absent(queue_depth{queue="a", queue="b"})']),
    )
    if depth == 0:
        return leaves
    inner = vector(depth - 1)

    @st.composite
    def aggregate(draw: st.DrawFn) -> str:
        op = draw(st.sampled_from(["sum", "max", "min", "avg", "count", "group", "stddev"]))
        expr = draw(inner)
        kind = draw(st.sampled_from(["by", "without", "none", "topk", "count_values"]))
        if kind == "none":
            return f"{op}({expr})"
        labels = ", ".join(grouping(draw))
        if kind == "topk":
            return f"topk(1, {expr})"
        if kind == "count_values":
            return f'count_values("cv", {expr})'
        return f"{op} {kind} ({labels}) ({expr})"

    @st.composite
    def binary(draw: st.DrawFn) -> str:
        lhs, rhs = draw(inner), draw(inner)
        op = draw(st.sampled_from(["+", "/", ">= bool", "or", "and", "unless"]))
        matching = draw(st.sampled_from(["", "on", "ignoring"]))
        modifier = f" {matching}({', '.join(grouping(draw))})" if matching else ""
        if modifier and op not in ("or", "and", "unless") and draw(st.booleans()):
            side = draw(st.sampled_from(["group_left", "group_right"]))
            modifier += f" {side}({', '.join(grouping(draw))})"
        return f"({lhs}) {op}{modifier} ({rhs})"

    @st.composite
    def function(draw: st.DrawFn) -> str:
        expr = draw(inner)
        form = draw(st.sampled_from(["replace", "join", "abs", "clamp", "scalar", "sort", "number"]))
        if form == "replace":
            return f'label_replace({expr}, "dst", "x-$1", "{draw(st.sampled_from(POOL))}", "(.*)")'
        if form == "join":
            return f'label_join({expr}, "dst", "-", "job", "instance")'
        if form == "abs":
            return f"abs({expr})"
        if form == "clamp":
            return f"clamp_min({expr}, 0)"
        if form == "scalar":
            return f"({expr}) * scalar(sum({expr}))"
        if form == "sort":
            return f"sort_desc({expr})"
        return f"2 * ({expr})"

    return st.one_of(leaves, aggregate(), binary(), function())


def parses(expr: str) -> bool:
    try:
        parse_promql(expr)
    except PromQLError:
        return False
    return True


_EXPR_RE = re.compile(r'^    expr: (".*"), time: [^,]+,(?: err: .*)?$')
_GOT_RE = re.compile(r"^        got: (.*)$")
_SERIES_RE = re.compile(r"\{([^{}]*)\}")
_LABEL_RE = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="')


def evaluate(expressions: list[str], tmp: Path, records: dict[str, str] | None = None) -> dict[str, list[set[str]]]:
    """The label names of every series each expression returns, from the real promtool (with
    `records` as recording rules, each adding the label `src`)."""
    tests = [{"expr": expr, "eval_time": "20m", "exp_samples": []} for expr in expressions]
    rule_files = []
    if records:
        rules = [{"record": name, "expr": expr, "labels": {"src": "r"}} for name, expr in records.items()]
        (tmp / "records.yml").write_text(yaml.safe_dump({"groups": [{"name": "r", "rules": rules}]}),
                                         encoding="utf-8")
        rule_files = ["records.yml"]
    document = {"rule_files": rule_files, "evaluation_interval": "1m",
                "tests": [{"interval": "1m", "input_series": input_series(), "promql_expr_test": tests}]}
    path = tmp / "labels.test.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    result = subprocess.run(["promtool", "test", "rules", path.name], cwd=tmp, capture_output=True,
                            text=True, timeout=60, check=False)
    output = result.stdout + result.stderr
    assert "FAILED" in output or result.returncode == 0, output
    got: dict[str, list[set[str]]] = {}
    current: str | None = None
    for line in output.splitlines():
        expr_match = _EXPR_RE.match(line)
        if expr_match:
            current = json.loads(expr_match.group(1))
            continue
        got_match = _GOT_RE.match(line)
        if got_match and current is not None:
            got[current] = [set(_LABEL_RE.findall(series)) - {"__name__"}
                            for series in _SERIES_RE.findall(got_match.group(1))]
            current = None
    return got


# One example is one promtool run over a whole batch; shrinking a batch would re-run promtool for
# minutes, and a failing assertion already names the expression.
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.generate])
@given(st.lists(vector(2), min_size=120, max_size=120, unique=True))
def test_computed_labels_match_prometheus(tmp_path_factory: pytest.TempPathFactory, batch: list[str]) -> None:
    batch = [expr for expr in batch if parses(expr)]  # e.g. a label both in on() and group_left()
    got = evaluate(batch, tmp_path_factory.mktemp("labels"))
    compared = 0
    for expr in batch:
        analysis = analyse_labels(parse_promql(expr), resolve)
        assert not analysis.misuses or any(m.label in POOL for m in analysis.misuses), expr
        series = got.get(expr)
        if not series:
            continue  # no sample (or an evaluation error such as many-to-many matching)
        compared += 1
        returned = set().union(*series)
        assert not analysis.result.open, expr
        assert returned <= analysis.result.known, (expr, returned, analysis.result)
        if " or" not in expr:
            assert returned == analysis.result.known, (expr, returned, analysis.result)
    assert compared >= 20, f"only {compared} of {len(batch)} expressions returned samples"


@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.generate])
@given(st.lists(vector(1), min_size=40, max_size=40, unique=True))
def test_recording_rules_carry_what_the_analysis_says(tmp_path_factory: pytest.TempPathFactory,
                                                      exprs: list[str]) -> None:
    """A recording rule's series carry its expression's labels plus the rule's own (`src`)."""
    # a rule whose evaluation fails stops promtool's whole test: record only what evaluates
    plain = evaluate([e for e in exprs if parses(e)], tmp_path_factory.mktemp("plain"))
    records = {f"level:rec{i}:op": expr for i, expr in enumerate(e for e in exprs if plain.get(e))}

    def with_records(name: str) -> LabelSet:
        if name in records:
            return analyse_labels(parse_promql(records[name]), resolve).result.with_labels(["src"])
        return resolve(name)

    queries = {query: name for name in records for query in (name, f"sum without (src) ({name})")}
    got = evaluate(list(queries), tmp_path_factory.mktemp("records"), records)
    compared = 0
    for query in queries:
        series = got.get(query)
        if not series:
            continue  # the rule recorded nothing (e.g. its evaluation failed)
        compared += 1
        expected = analyse_labels(parse_promql(query), with_records).result
        returned, record = set().union(*series), records[queries[query]]
        assert returned <= expected.known, (query, record, returned, expected)
        if " or" not in record:
            assert returned == expected.known, (query, record, returned, expected)
    assert compared >= min(20, len(records))


def test_selector_matchers_are_checked_against_declared_labels() -> None:
    analysis = analyse_labels(parse_promql('sum by (status) (http_requests_total{status=~"5.."})'), resolve)
    assert [(m.label, m.role) for m in analysis.misuses] == [("status", "matcher"), ("status", "by")]
    assert analysis.result == LabelSet()


def test_external_metrics_are_never_judged() -> None:
    analysis = analyse_labels(parse_promql('sum by (anything) (external_metric{whatever="x"})'), resolve)
    assert analysis.misuses == []
    assert analysis.result == LabelSet(frozenset({"anything"}))


def test_a_spec_using_only_the_scrape_labels_stays_valid(tmp_path: Path) -> None:
    # the panel reads `$__rate_interval`: a fixed `[5m]` rightly draws panel-rate-interval (a
    # warning, an exit 1 under --strict), which is not what this test is about
    spec = tmp_path / "spec.yaml"
    spec.write_text("""version: 1
project: demo
services:
  - name: api
    metrics:
      - {name: http_requests_total, type: counter, help: Requests served, labels: [route]}
    alerts:
      - name: NoTraffic
        expr: sum by (job, instance) (rate(http_requests_total{job="api"}[5m])) == 0
        for: 5m
        severity: critical
        summary: "No traffic on {{ $labels.instance }} ({{ $labels.job }})"
        tests:
          - name: fires without traffic
            series: [{series: 'http_requests_total{job="api", instance="a:1", route="/"}', values: '0x20'}]
            expect: [{at: 10m, firing: true, labels: {instance: "a:1", job: api}}]
dashboards:
  - title: API
    panels:
      - title: Requests
        expr: 'sum by (instance) (rate(http_requests_total[$__rate_interval]))'
        legend: "{{instance}}"
alerting:
  receivers: [{name: ops}]
  route: {receiver: ops, group_by: [alertname, instance, job]}
""", encoding="utf-8")
    result = run_khaosobs("validate", "--strict", spec.name, cwd=tmp_path)
    assert result.returncode == 0, result.stdout


_POD_SPEC = """version: 1
project: demo
services:
  - name: api
{scrape}    metrics:
      - {{name: http_requests_total, type: counter, help: Requests served, labels: [route]}}
    alerts:
      - name: PodNoTraffic
        expr: sum by (namespace, pod) (rate(http_requests_total{{namespace="shop"}}[5m])) == 0
        for: 5m
        severity: critical
        summary: "No traffic on {{{{ $labels.pod }}}} in {{{{ $labels.namespace }}}}"
dashboards:
  - title: API
    panels:
      - {{title: Requests, expr: 'sum by (pod) (rate(http_requests_total[$__rate_interval]))', legend: "{{{{pod}}}}"}}
alerting:
  receivers: [{{name: ops}}]
  route: {{receiver: ops, group_by: [alertname, namespace, pod]}}
"""
_POD_DISCOVERY = "    scrape: {kubernetes: {namespace: shop}}\n"


def _validate_json(tmp_path: Path, text: str) -> tuple[int, list[tuple[str, str]]]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    result = run_khaosobs("validate", "--strict", "--format", "json", spec.name, cwd=tmp_path)
    found = [(d["code"], d["path"]) for d in json.loads(result.stdout)["diagnostics"]]
    return result.returncode, found


def test_the_labels_pod_discovery_writes_count_as_the_services_labels(tmp_path: Path) -> None:
    """With `scrape.kubernetes`, prometheus.yml relabels each pod's namespace and pod onto its
    series: matchers, `by`, templates, legends and group_by may use them."""
    code, found = _validate_json(tmp_path, _POD_SPEC.format(scrape=_POD_DISCOVERY))
    assert (code, found) == (0, [])


def test_without_pod_discovery_namespace_and_pod_are_unknown(tmp_path: Path) -> None:
    """The same spec scraped at `api:8080`: nothing writes namespace or pod, so each use is a finding."""
    code, found = _validate_json(tmp_path, _POD_SPEC.format(scrape=""))
    assert code == 1
    assert sorted(found) == [
        ("label-unknown", "dashboards[0].panels[0].expr"),  # by (pod)
        *[("label-unknown", "services[0].alerts[0].expr")] * 3,  # {namespace=...}, by (namespace, pod)
        ("legend-label-unknown", "dashboards[0].panels[0].legend"),
        ("route-label-unknown", "alerting.route.group_by[1]"),
        ("route-label-unknown", "alerting.route.group_by[2]"),
        *[("template-label-unknown", "services[0].alerts[0].summary")] * 2,
    ]


def test_the_operators_pod_monitor_labels_count_when_the_spec_deploys_pod_monitors(tmp_path: Path) -> None:
    """A `kubernetes:` block renders a PodMonitor per scraped service: the Prometheus Operator
    gives its targets namespace, container, pod and endpoint, whatever prometheus.yml does."""
    text = _POD_SPEC.format(scrape="").replace("by (pod)", "by (pod, container, endpoint)")
    code, found = _validate_json(tmp_path, text + "kubernetes: {}\n")
    assert (code, found) == (0, [])


def test_prometheus_yml_relabels_exactly_the_labels_the_analysis_counts() -> None:
    """One list: the relabel_configs the prometheus target writes for pod discovery are the
    labels `target_labels` adds for it, and nothing else."""
    from khaosobs.domain.labels import TARGET_LABELS
    from khaosobs.domain.scrape import scrape_job, target_labels
    from khaosobs.spec.model import Spec
    from khaosobs.targets._prometheus_config import scrape_config

    spec = Spec.model_validate(yaml.safe_load(_POD_SPEC.format(scrape=_POD_DISCOVERY)))
    service = spec.services[0]
    job = scrape_job(service)
    assert job is not None
    written = {r["target_label"] for r in scrape_config(job)["relabel_configs"] if "target_label" in r}
    assert written == target_labels(spec, service) - set(TARGET_LABELS) == {"namespace", "pod"}


def test_one_alert_name_with_several_severities_and_multi_operation_records_are_valid(tmp_path: Path) -> None:
    """The node and Kubernetes mixins' shapes: identity is the alert name plus its labels."""
    spec = tmp_path / "spec.yaml"
    spec.write_text("""version: 1
project: demo
external_metrics: [node_cpu_seconds_total, node_filefd_allocated, node_filefd_maximum]
services:
  - name: node
    recording_rules:
      - {record: 'instance:node_cpu:rate:sum', expr: 'sum without (cpu, mode) (rate(node_cpu_seconds_total[5m]))'}
    alerts:
      - name: NodeFileDescriptorLimit
        expr: node_filefd_allocated * 100 / node_filefd_maximum > 70
        severity: warning
        summary: "File descriptors at {{ $labels.instance }} are at {{ printf \\"%.2f\\" $value }}%"
      - name: NodeFileDescriptorLimit
        expr: node_filefd_allocated * 100 / node_filefd_maximum > 90
        severity: critical
        summary: "File descriptors at {{ $labels.instance }} are at {{ printf \\"%.2f\\" $value }}%"
""", encoding="utf-8")
    result = run_khaosobs("validate", "--strict", spec.name, cwd=tmp_path)
    assert result.returncode == 0, result.stdout

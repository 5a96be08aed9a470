"""`khaosobs import` on real, public material it has never seen (issue 13's acceptance): Ceph
18.2.7's alert rules as one `PrometheusRule` and three of its Grafana dashboards in a
`ConfigMapList`, as a Rook or kube-prometheus user holds them (tests/data/ceph, from Debian 13's
`ceph-prometheus-alerts` and `ceph-grafana-dashboards`).

What the importer guarantees today, checked against the inputs and the real promtool, never
against what the importer believes: every rule rendered back equal field by field (alerts gain only
`service`), every dashboard's title, every carried panel's queries exactly as written in the spec,
rendered with only the dashboard's documented `job`/`instance` filters added, and every panel it
does not carry named in its report.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from khaosobs.domain.dashboards import filter_applies, label_filters
from khaosobs.domain.naming import slugify
from khaosobs.domain.promql_print import with_matchers
from khaosobs.spec.model import Dashboard
from tests.conftest import run_khaosobs
from tests.support.ceph import CEPH_DASHBOARDS, CEPH_RULES, ceph_groups
from tests.support.realtools import PROMETHEUS_VERSIONS, tool
from tests.targets.test_grafana import dashboard_problems

# What the report must name as not carried, and why (each is a limit of the spec today, not a bug
# of the input): the dashboards' own template variables that are no label filter (`$mds_servers`,
# `$interval`, `$datasource`), and the two MDS panels whose title and queries read `$mds_servers`,
# which validate would refuse without it. (The heatmap panels are carried: the spec has heatmaps.)
NOT_CARRIED_PANELS: dict[str, list[str]] = {
    "Ceph - Cluster": [],
    "MDS Performance": ["MDS Workload - $mds_servers", "Client Request Load - $mds_servers"],
    "OSD Overview": [],
}


def prometheus_rule() -> dict[str, Any]:
    groups = yaml.safe_load(CEPH_RULES.read_text(encoding="utf-8"))["groups"]
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "ceph-default-alerts", "namespace": "rook-ceph"}, "spec": {"groups": groups}}


def config_map_list() -> dict[str, Any]:
    """The dashboards as Grafana's sidecar reads them: one ConfigMap each, the JSON verbatim."""
    items = [{"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": path.stem, "namespace": "monitoring", "labels": {"grafana_dashboard": "1"}},
              "data": {path.name: path.read_text(encoding="utf-8")}} for path in CEPH_DASHBOARDS]
    return {"apiVersion": "v1", "kind": "ConfigMapList", "items": items}


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1 << 30), encoding="utf-8")
    return path


def imported(tmp_path: Path, data: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Import `data` through the CLI: the spec it wrote (validated without an error) and its report."""
    source = write_yaml(tmp_path / "input.yaml", data)
    spec = tmp_path / "spec.yaml"
    done = run_khaosobs("import", source.name, "-o", spec.name, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    valid = run_khaosobs("validate", "--format", "json", spec.name, cwd=tmp_path)
    report = json.loads(valid.stdout)
    assert valid.returncode == 0 and report["errors"] == 0, valid.stdout[-3000:]
    loaded: dict[str, Any] = yaml.safe_load(spec.read_text(encoding="utf-8"))
    return loaded, done.stderr


def render(tmp_path: Path, target: str) -> Path:
    out = tmp_path / "generated"
    done = run_khaosobs("render", "spec.yaml", "--target", target, "-o", out.name, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    return out


# --- the rules ------------------------------------------------------------------------------------


def test_ceph_prometheusrule_imports_and_renders_every_rule_equal(tmp_path: Path) -> None:
    spec, report = imported(tmp_path, prometheus_rule())
    assert "Not carried" not in report  # every field of every rule fits the spec
    # one service per group, in order, named after it (`cluster health` -> `cluster-health`,
    # `PrometheusServer` -> `prometheus-server`: the report says so)
    names = [s["name"] for s in spec["services"]]
    assert len(names) == len(set(names)) == len(ceph_groups()) == 16
    for group, name in zip(ceph_groups(), names, strict=True):
        assert slugify(group["name"]).replace("-", "") == name.replace("-", "")
        if name != group["name"]:
            assert f"group '{group['name']}': group becomes service '{name}'" in report
    out = render(tmp_path, "prometheus")
    files = [out / "prometheus" / "rules" / f"{name}.yml" for name in names]
    for version in PROMETHEUS_VERSIONS:
        checked = subprocess.run([str(tool("promtool", version)), "check", "rules", *map(str, files)],
                                 capture_output=True, text=True, timeout=120, check=False)
        assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]

    count = 0
    for group, name, file in zip(ceph_groups(), names, files, strict=True):
        # read as Prometheus does: every scalar a string, so "5m" and 5m compare equal only as text
        [ours] = yaml.load(file.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)["groups"]
        assert ours["name"] == name
        assert ours.get("interval") == group.get("interval")
        assert len(ours["rules"]) == len(group["rules"])
        for source, rule in zip(group["rules"], ours["rules"], strict=True):
            labels = dict(rule["labels"])
            assert labels.pop("service") == name  # the one label an alert may gain
            assert rule["alert"] == source["alert"]
            assert rule["expr"] == source["expr"], source["alert"]
            assert rule.get("for") == source.get("for"), source["alert"]
            assert labels == source["labels"], source["alert"]
            assert rule["annotations"] == source["annotations"], source["alert"]
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
            count += 1
    assert count == 83


# --- the dashboards -------------------------------------------------------------------------------


def panel_queries(dashboard: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(title, queries) of every panel with queries, rows' panels included, in order."""
    panels: list[dict[str, Any]] = []
    for panel in dashboard.get("panels") or []:
        panels += [panel, *(panel.get("panels") or [])]
    for row in dashboard.get("rows") or []:  # the pre-5.0 layout some of Ceph's files still declare
        panels += row.get("panels") or []
    return [(p.get("title", ""), [t["expr"] for t in p.get("targets") or [] if "expr" in t])
            for p in panels if p.get("type") not in ("row", "text")]


def spec_queries(dashboard: dict[str, Any]) -> list[tuple[str, list[str]]]:
    panels: list[dict[str, Any]] = []
    for panel in [*(dashboard.get("panels") or []), *(dashboard.get("rows") or [])]:
        panels += [panel, *(panel.get("panels") or [])]
    return [(p["title"], [p["expr"]] if "expr" in p else [t["expr"] for t in p.get("targets") or []])
            for p in panels if "expr" in p or "targets" in p]


@pytest.fixture(scope="module")
def dashboards(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, Path]:
    tmp_path = tmp_path_factory.mktemp("ceph-dashboards")
    spec, report = imported(tmp_path, config_map_list())
    return spec, report, render(tmp_path, "grafana")


def sources() -> dict[str, dict[str, Any]]:
    found = {}
    for path in CEPH_DASHBOARDS:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        found[dashboard["title"]] = dashboard
    return found


def test_ceph_dashboards_keep_titles_and_their_queries_as_written(
        dashboards: tuple[dict[str, Any], str, Path]) -> None:
    spec, report, _out = dashboards
    assert [d["title"] for d in spec["dashboards"]] == [json.loads(p.read_text())["title"] for p in CEPH_DASHBOARDS]
    for dashboard in spec["dashboards"]:
        source = sources()[dashboard["title"]]
        dropped = NOT_CARRIED_PANELS[dashboard["title"]]
        expected = [(title, queries) for title, queries in panel_queries(source) if title not in dropped]
        assert spec_queries(dashboard) == expected, dashboard["title"]
        for title in dropped:  # never dropped silently
            assert f"'{title}'" in report, title
        for variable in source["templating"]["list"]:
            assert f"${variable['name']}" in report, variable["name"]


def test_ceph_dashboards_render_the_same_queries_and_are_schema_valid(
        dashboards: tuple[dict[str, Any], str, Path]) -> None:
    spec, _report, out = dashboards
    rendered = {}
    for path in sorted((out / "grafana" / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        rendered[dashboard["title"]] = dashboard
        assert dashboard_problems(dashboard, {"prometheus": "prometheus", "loki": "loki"}) == [], path.name
    assert sorted(rendered) == sorted(sources())
    for data in spec["dashboards"]:
        model = Dashboard.model_validate(data)
        # the render adds the dashboard's label filters (job, instance) to every selector, on the
        # parsed tree; nothing else may change: each query is the source's with those filters
        filters = [(label, "=~", f"${label}") for label in label_filters(model)]
        applies = filter_applies({})  # the imported spec declares no metric: all are external
        source = sources()[data["title"]]
        dropped = NOT_CARRIED_PANELS[data["title"]]
        expected = [(title, [with_matchers(q, filters, applies) for q in queries])
                    for title, queries in panel_queries(source) if title not in dropped]
        assert panel_queries(rendered[data["title"]]) == expected, data["title"]

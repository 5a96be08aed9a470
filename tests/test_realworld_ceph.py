"""A second public rule set (issue 8's acceptance): Ceph 18.2.7's 83 alert rules, as Debian 13's
`ceph-prometheus-alerts` ships them (tests/data/ceph), in one spec. It validates with no finding
at all (`--strict`), and renders to rules both promtools accept, each rule equal to its source
field by field (the alert gains only the `service` label).

What it caught: its descriptions list the monitors or OSDs that are down with
`{{ range query "..." }}{{ .Labels.hostname }}{{ end }}`, where the dot is each sample of the
query, not the alert; the template check read those as the alert's labels and gave 6 false
`template-label-unknown` errors. `khaosobs.domain.gotemplate` now reads `.Labels` as the alert's
only where the dot is the alert (tests/domain/test_gotemplate.py holds that reading to promtool test rules).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from khaosobs.domain.naming import prometheus_rules_path
from tests.conftest import run_khaosobs
from tests.support.ceph import CEPH_RULES, ceph_groups, ceph_rules, ceph_spec
from tests.support.realtools import PROMETHEUS_VERSIONS, tool

# The findings Ceph's rules rightly draw: none. Every name is CamelCase, every metric is external
# (the package declares no metric, so nothing can be said of their labels), every template parses.
EXPECTED: list[dict[str, Any]] = []


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ceph") / "ceph.yaml"
    path.write_text(yaml.safe_dump(ceph_spec(), sort_keys=False, allow_unicode=True, width=1 << 30), encoding="utf-8")
    return path


def test_the_whole_package_is_in_the_spec() -> None:
    spec = ceph_spec()
    assert len(ceph_rules()) == sum(len(s["alerts"]) for s in spec["services"]) == 83
    names = [s["name"] for s in spec["services"]]
    assert len(set(names)) == len(names)  # one service per group: no two group names slug alike
    assert len(spec["services"]) == len(ceph_groups()) == 16
    assert "ceph_health_status" in spec["external_metrics"]


def test_ceph_rules_validate_without_a_finding(spec_path: Path) -> None:
    result = run_khaosobs("validate", "--strict", "--format", "json", spec_path.name, cwd=spec_path.parent)
    report = json.loads(result.stdout)
    assert report["diagnostics"] == EXPECTED
    assert result.returncode == 0


@pytest.mark.realtools
@pytest.mark.parametrize("version", PROMETHEUS_VERSIONS)
def test_ceph_rules_render_equal_and_promtool_accepts_them(spec_path: Path, tmp_path: Path, version: str) -> None:
    out = tmp_path / "generated"
    result = run_khaosobs("render", spec_path, "--target", "prometheus", "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    files = [out / prometheus_rules_path(s["name"]) for s in ceph_spec()["services"]]
    for promtool_input in ([CEPH_RULES], files):  # the source too: the tool agrees it is valid
        check = subprocess.run([str(tool("promtool", version)), "check", "rules", *map(str, promtool_input)],
                               capture_output=True, text=True, check=False, timeout=120)
        assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]

    rendered: list[tuple[str, dict[str, Any]]] = []
    for file in files:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
        for group in document["groups"]:
            rendered += [(group["name"], rule) for rule in group["rules"]]
    assert len(rendered) == len(ceph_rules())
    for (service, source), (group, got) in zip(ceph_rules(), rendered, strict=True):
        assert group == service
        labels = dict(got["labels"])
        assert labels.pop("service") == service  # the one label khaosobs adds
        assert got["alert"] == source["alert"]
        assert got["expr"] == source["expr"]
        assert got.get("for") == source.get("for")
        assert labels == source["labels"], source["alert"]
        assert got["annotations"] == source["annotations"], source["alert"]

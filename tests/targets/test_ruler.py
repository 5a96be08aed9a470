"""The ruler target: Mimir/Cortex ruler namespaces and Thanos ruler files hold exactly the plain
rules, with only the group settings each ruler reads, and the real promtool accepts the rest."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, render_spec, rendered_once
from tests.support.realtools import PROMETHEUS_VERSIONS, tool

DEPLOY_SPEC = ROOT / "tests" / "specs" / "deploy.yaml"
SPECS = [ROOT / "specs", DEPLOY_SPEC, ROOT / "tests" / "specs" / "checks-edge-cases.yaml"]
# Group fields each ruler's rule-file reader knows (Prometheus' rulefmt plus its own);
# mimirtool reads namespace files with unknown fields refused.
PROMETHEUS_GROUP_KEYS = {"name", "interval", "query_offset", "limit", "rules"}
MIMIR_GROUP_KEYS = PROMETHEUS_GROUP_KEYS | {"source_tenants"}
THANOS_GROUP_KEYS = PROMETHEUS_GROUP_KEYS | {"partial_response_strategy"}


def spec_id(spec: Path) -> str:
    return spec.relative_to(ROOT).as_posix()


def rendered(spec: Path) -> Path:
    return rendered_once(spec, "ruler", "prometheus")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def plain_groups(out: Path) -> dict[str, dict[str, Any]]:
    groups = {}
    for path in sorted((out / "prometheus" / "rules").glob("*.yml")):
        for group in load(path)["groups"]:
            if group.get("rules"):
                groups[group["name"]] = group
    return groups


def bare(group: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: v for k, v in group.items() if k not in keys}


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_mimir_namespaces_hold_exactly_the_plain_rules(spec: Path) -> None:
    out = rendered(spec)
    seen: dict[str, dict[str, Any]] = {}
    for path in sorted((out / "ruler" / "mimir").glob("*.yml")):
        document = load(path)
        assert set(document) == {"namespace", "groups"}
        for group in document["groups"]:
            assert set(group) <= MIMIR_GROUP_KEYS, path
            assert group["name"] not in seen
            seen[group["name"]] = bare(group, {"interval", "source_tenants"})
    assert seen == plain_groups(out)


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_thanos_files_hold_exactly_the_plain_rules(spec: Path) -> None:
    out = rendered(spec)
    seen = {}
    for path in sorted((out / "ruler" / "thanos").glob("*.yml")):
        for group in load(path)["groups"]:
            assert set(group) <= THANOS_GROUP_KEYS
            assert group["partial_response_strategy"] in ("abort", "warn")
            seen[group["name"]] = bare(group, {"interval", "partial_response_strategy"})
    assert seen == plain_groups(out)


@pytest.mark.realtools
@pytest.mark.parametrize("version", PROMETHEUS_VERSIONS)
@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_promtool_accepts_the_ruler_files_without_their_ruler_keys(spec: Path, version: str, tmp_path: Path) -> None:
    out = rendered(spec)
    files = []
    for kind, extra in (("mimir", {"source_tenants"}), ("thanos", {"partial_response_strategy"})):
        for path in sorted((out / "ruler" / kind).glob("*.yml")):
            groups = [bare(group, extra) for group in load(path)["groups"]]
            target = tmp_path / f"{kind}-{path.name}"
            target.write_text(yaml.safe_dump({"groups": groups}, allow_unicode=True), encoding="utf-8")
            files.append(str(target))
    assert files
    result = subprocess.run([str(tool("promtool", version)), "check", "rules", *files], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # the ruler keys are what plain Prometheus refuses: the files are for the rulers, not for it
    thanos = next(p for p in sorted((out / "ruler" / "thanos").glob("*.yml")))
    refused = subprocess.run([str(tool("promtool", version)), "check", "rules", str(thanos)], capture_output=True,
                             text=True, timeout=60, check=False)
    assert refused.returncode != 0 and "partial_response_strategy" in refused.stdout + refused.stderr


def test_settings() -> None:
    out = rendered(DEPLOY_SPEC)
    web = load(out / "ruler" / "mimir" / "web.yml")  # namespaces by team: checkout-api and payments
    assert web["namespace"] == "web"
    assert [g["name"] for g in web["groups"]] == ["checkout-api", "payments"]
    assert all(g["interval"] == "1m" and g["source_tenants"] == ["web", "payments"] for g in web["groups"])
    ledger = load(out / "ruler" / "mimir" / "ledger.yml")  # no team: its own namespace
    assert ledger["namespace"] == "ledger"
    assert not (out / "ruler" / "mimir" / "batch-jobs.yml").exists()  # no Prometheus rules


def test_rendered_by_default_only_with_a_ruler_block(tmp_path: Path) -> None:
    assert not (render_spec(ROOT / "tests" / "specs" / "routing.yaml", tmp_path / "a") / "ruler").exists()
    assert (render_spec(DEPLOY_SPEC, tmp_path / "b") / "ruler" / "mimir" / "web.yml").exists()


def test_a_team_name_makes_a_safe_file_name(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "version": 1, "project": "odd", "ruler": {"namespaces": "team"}, "external_metrics": ["up"],
        "services": [{"name": "a", "team": "../Platform Team", "alerts": [
            {"name": "Down", "expr": "up == 0", "severity": "critical", "summary": "down"}]}]}), encoding="utf-8")
    out = render_spec(spec, tmp_path / "out")
    [path] = (out / "ruler" / "mimir").glob("*.yml")
    assert path.parent == out / "ruler" / "mimir" and path.name.startswith("platform-team-")
    assert load(path)["namespace"] == "../Platform Team"

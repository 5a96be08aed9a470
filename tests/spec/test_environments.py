"""Environments: `specs/env/<name>.yaml` overlays over the base spec, through the real CLI.

The rendered trees of both environments are snapshot-tested; the merge rules (a scalar replaced,
a named list item merged, any other item appended) are checked on the merged document, and a
finding in an overlay points into the overlay file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from khaosobs.spec.environments import environment_names, load_environment
from tests.conftest import ROOT, run_khaosobs

PROJECT = ROOT / "tests" / "environments"
SPECS = PROJECT / "specs"
SNAPSHOT_FILES = ("alertmanager/alertmanager.yml", "prometheus/rules/checkout-api.yml",
                  "grafana/provisioning/datasources/khaosobs.yml")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("environments") / "generated"
    done = run_khaosobs("render", "specs", "--env", "all", "-o", out, cwd=PROJECT)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_environment_names() -> None:
    assert environment_names([SPECS]) == ["production", "staging"]


@pytest.mark.parametrize("env", ["staging", "production"])
@pytest.mark.parametrize("path", SNAPSHOT_FILES)
def test_environment_tree(rendered: Path, env: str, path: str, snapshot: object) -> None:
    assert (rendered / env / path).read_text(encoding="utf-8") == snapshot


def test_overlay_merge_rules() -> None:
    data = load_environment([SPECS], "production").data
    service = data["services"][0]
    assert len(data["services"]) == 1  # the named service was merged, not appended
    assert service["labels"] == {"env": "production"}  # a mapping merged key by key; the scalar replaced
    error_rate, down = service["alerts"]
    assert error_rate["expr"].endswith("> 0.02") and error_rate["for"] == "5m"  # threshold replaced
    assert error_rate["severity"] == "warning" and down["for"] == "5m"  # the rest kept
    receivers = {r["name"]: r["webhook"] for r in data["alerting"]["receivers"]}
    assert list(receivers) == ["default", "pager", "audit"]  # merged by name, the new one appended
    assert receivers["pager"] == {"url": "https://pager.prod.example.com/page", "send_resolved": False}
    routes = data["alerting"]["route"]["routes"]
    assert [r["receiver"] for r in routes] == ["pager", "audit"]  # routes have no name: appended
    assert data["targets"] == {"alertmanager": "0.28"}


def test_base_ignores_the_overlays() -> None:
    done = run_khaosobs("validate", "specs", cwd=PROJECT)
    assert done.returncode == 0 and "specs/shop.yaml: valid" in done.stdout


def test_render_check_all_names_the_stale_environment(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    assert run_khaosobs("render", "specs", "--env", "all", cwd=project).returncode == 0
    assert sorted(p.name for p in (project / "generated").iterdir()) == ["production", "staging"]
    fresh = run_khaosobs("render", "specs", "--check", "--env", "all", cwd=project)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    overlay = project / "specs/env/staging.yaml"
    overlay.write_text(overlay.read_text(encoding="utf-8").replace("loki.staging", "loki2.staging"), encoding="utf-8")
    stale = run_khaosobs("render", "specs", "--check", "--env", "all", cwd=project)
    assert stale.returncode == 1
    assert "generated/staging is stale" in stale.stderr and "generated/production is up to date" in stale.stderr
    assert "loki2.staging" in stale.stdout  # the diff


def test_finding_in_an_overlay_points_into_it(tmp_path: Path, snapshot: object) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    overlay = project / "specs/env/staging.yaml"
    data = yaml.safe_load(overlay.read_text(encoding="utf-8"))
    text = overlay.read_text(encoding="utf-8") + "  route:\n    receiver: pagr\n"
    assert "route" not in data["alerting"]
    overlay.write_text(text, encoding="utf-8")
    done = run_khaosobs("validate", "specs", "--env", "staging", cwd=project)
    assert done.returncode == 1
    assert done.stdout == snapshot
    assert "specs/env/staging.yaml:17:" in done.stdout


def test_unknown_environment(snapshot: object) -> None:
    done = run_khaosobs("render", "specs", "--env", "qa", "--check", cwd=PROJECT)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr == snapshot


def test_validate_every_environment() -> None:
    done = run_khaosobs("validate", "specs", "--env", "all", cwd=PROJECT)
    assert done.returncode == 0, done.stdout + done.stderr
    valid = [line for line in done.stdout.splitlines() if line.endswith(": valid")]
    assert valid == ["specs/shop.yaml + specs/env/production.yaml: valid",
                     "specs/shop.yaml + specs/env/staging.yaml: valid"]
    none = run_khaosobs("validate", "specs/strategickhaos.yaml", "--env", "all")
    assert none.returncode == 2 and "no environments" in none.stderr

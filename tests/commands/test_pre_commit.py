"""The repository's `.pre-commit-hooks.yaml`, run by the real `pre-commit` in a temporary project.

pre-commit installs khaosobs from a git repository (a snapshot of this source tree, committed into
a temporary repository, so uncommitted work is tested too) into its own virtual environment, as it
would from the published repository, and runs both hooks: they pass on a fresh project and
`render --check` fails once the spec changes without a render.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_khaosobs

SOURCE = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "khaosobs", "templates")


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args], cwd=cwd,
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def pre_commit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("pre-commit")
    assert executable, "pre-commit is not installed: python3 -m pip install -e '.[test]'"
    # the hook environments are cached between runs (pre-commit's own cache), as on a developer's machine
    return subprocess.run([executable, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=900,
                          env={**os.environ, "PYTHONPATH": ""})


@pytest.mark.realtools
def test_hooks_run_with_real_pre_commit(tmp_path: Path) -> None:
    hooks_repo = tmp_path / "khaosobs"
    hooks_repo.mkdir()
    for name in SOURCE:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, hooks_repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, hooks_repo / name)
    git("init", "-q", cwd=hooks_repo)
    git("add", "-A", cwd=hooks_repo)
    git("commit", "-qm", "khaosobs", cwd=hooks_repo)
    rev = git("rev-parse", "HEAD", cwd=hooks_repo)

    project = tmp_path / "project"
    assert run_khaosobs("init", project, "--project", "shop").returncode == 0
    assert run_khaosobs("render", cwd=project).returncode == 0
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks_repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: khaosobs-validate\n      - id: khaosobs-render-check\n", encoding="utf-8")
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-qm", "project", cwd=project)

    passed = pre_commit("run", "--all-files", cwd=project)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "khaosobs validate" in passed.stdout and "khaosobs render --check" in passed.stdout

    spec = project / "specs" / "shop.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace('for: "5m"', 'for: "10m"'), encoding="utf-8")
    stale = pre_commit("run", "--all-files", cwd=project)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "is stale" in stale.stdout  # pre-commit shows the hook's output

    spec.write_text("version: 1\nproject: shop\nservices: [{name: Shop}]\n", encoding="utf-8")
    invalid = pre_commit("run", "khaosobs-validate", "--all-files", cwd=project)
    assert invalid.returncode == 1 and "service-name" in invalid.stdout

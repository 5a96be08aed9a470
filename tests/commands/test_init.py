"""`khaosobs init`: what it writes validates and renders, and it never overwrites."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import run_khaosobs


def test_init_validates_and_renders(tmp_path: Path) -> None:
    done = run_khaosobs("init", tmp_path / "shop")
    assert done.returncode == 0, done.stdout + done.stderr
    project = tmp_path / "shop"
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()) == [
        ".github/workflows/khaosobs.yml", ".gitignore", ".pre-commit-config.yaml", "specs/shop.yaml"]
    valid = run_khaosobs("validate", "--strict", cwd=project)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    rendered = run_khaosobs("render", cwd=project)
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    assert (project / "generated/prometheus/rules/shop-api.yml").is_file()
    fresh = run_khaosobs("render", "--check", cwd=project)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    workflow = yaml.safe_load((project / ".github/workflows/khaosobs.yml").read_text(encoding="utf-8"))
    runs = [step.get("run", "") for step in workflow["jobs"]["khaosobs"]["steps"]]
    assert "khaosobs validate --format github" in runs and "khaosobs render --check --format github" in runs
    hooks = yaml.safe_load((project / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks["repos"][0]["hooks"]] == ["khaosobs-validate", "khaosobs-render-check"]


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n", encoding="utf-8")
    (tmp_path / ".gitignore").write_text("node_modules/", encoding="utf-8")
    done = run_khaosobs("init", tmp_path, "--project", "shop")
    assert done.returncode == 2 and "never overwrites" in done.stderr
    assert (tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8") == "repos: []\n"
    assert not (tmp_path / "specs").exists()
    (tmp_path / ".pre-commit-config.yaml").unlink()
    done = run_khaosobs("init", tmp_path, "--project", "shop")
    assert done.returncode == 0, done.stderr
    # .gitignore keeps its lines and gains ours once
    lines = (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "node_modules/" and lines.count(".venv/") == 1


def test_init_refuses_a_name_that_is_not_a_slug(tmp_path: Path) -> None:
    done = run_khaosobs("init", tmp_path, "--project", "Shop Team")
    assert done.returncode == 2 and "slug" in done.stderr
    assert not any(tmp_path.iterdir())


def test_shell_completion_completes_commands_and_options() -> None:
    """typer's completion, as `khaosobs --install-completion` installs it for bash."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    def complete(words: str) -> list[str]:
        env = {**os.environ, "_KHAOSOBS_COMPLETE": "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - 1)}
        done = subprocess.run([sys.executable, "-c", "from khaosobs.cli import app; app(prog_name='khaosobs')"],
                              cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert complete("khaosobs im") == ["import"]
    assert complete("khaosobs render --en") == ["--env"]

"""`khaosobs init`: a new project's files, so a team starts from a spec that validates and renders.

The spec is written through the import's spec writer (our YAML style); the pre-commit config and
the CI workflow are fixed texts that hold no value of the user's. Nothing existing is overwritten:
if any file to write exists, nothing is written; `.gitignore` only gains the lines it lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from khaosobs.importer.specwriter import spec_text

SPEC_HEADER = ("# The project's observability spec. `khaosobs validate` checks it, `khaosobs render` writes\n"
               "# generated/ (commit both). `khaosobs schema` gives editors its JSON Schema.\n")
GITIGNORE_LINES = (".venv/", "__pycache__/", "*.pyc", ".khaosobs-*.tmp")

PRE_COMMIT_CONFIG = """\
# khaosobs before every commit: the spec must validate and generated/ must match it.
# `repo: local` runs the khaosobs installed in your environment (python3 -m venv .venv &&
# .venv/bin/pip install khaosobs); docs/ci.md shows the remote-repository form.
repos:
  - repo: local
    hooks:
      - id: khaosobs-validate
        name: khaosobs validate
        entry: khaosobs validate
        language: system
        pass_filenames: false
        files: ^specs/
      - id: khaosobs-render-check
        name: khaosobs render --check
        entry: khaosobs render --check
        language: system
        pass_filenames: false
        files: ^(specs|generated)/
"""

WORKFLOW = """\
# Findings appear as annotations on the pull request's lines (--format github).
name: khaosobs
on:
  pull_request:
  push:
    branches: [main]
jobs:
  khaosobs:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install khaosobs
        run: python -m pip install khaosobs
      - name: Validate the spec
        run: khaosobs validate --format github
      - name: Generated files match the spec
        run: khaosobs render --check --format github
"""


@dataclass(frozen=True)
class Scaffold:
    files: dict[str, str]  # relative path -> content, written only when none exists
    gitignore: list[str]  # lines .gitignore lacks


def starter_spec(project: str) -> dict[str, Any]:
    """One service with a metric, an alert with a test, a dashboard and a webhook receiver."""
    service = f"{project}-api" if not project.endswith("-api") else project
    return {
        "version": 1,
        "project": project,
        "external_metrics": ["up"],
        "services": [{
            "name": service,
            "team": "ops",
            "metrics": [{"name": "http_requests_total", "type": "counter", "help": "HTTP requests served",
                         "labels": ["code"]}],
            "alerts": [{
                "name": "HighErrorRate",
                "expr": 'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.05',
                "for": "5m",
                "severity": "warning",
                "summary": f"{service}: more than 5% of requests fail",
            }],
        }],
        "dashboards": [{"title": f"{project} overview", "panels": [
            # $__rate_interval and a unit and description on every panel: the starter passes --strict
            {"title": "Requests", "description": "Requests served per second, by status code",
             "expr": "sum by (code) (rate(http_requests_total[$__rate_interval]))", "legend": "{{code}}",
             "unit": "reqps"},
            {"title": "Targets up", "type": "stat", "description": "Scrape targets that answered the last scrape",
             "expr": "sum(up)", "unit": "short"},
        ]}],
        "alerting": {
            "receivers": [{"name": "default", "webhook": {"url": "http://alert-gateway:8080/alert"}}],
            "route": {"receiver": "default", "group_by": ["alertname", "service"]},
        },
    }


def plan_scaffold(folder: Path, project: str) -> Scaffold:
    files = {
        f"specs/{project}.yaml": spec_text(starter_spec(project), SPEC_HEADER),
        ".pre-commit-config.yaml": PRE_COMMIT_CONFIG,
        ".github/workflows/khaosobs.yml": WORKFLOW,
    }
    ignore = folder / ".gitignore"
    present = set(ignore.read_text(encoding="utf-8").splitlines()) if ignore.is_file() else set()
    return Scaffold(files, [line for line in GITIGNORE_LINES if line not in present])


def existing(folder: Path, scaffold: Scaffold) -> list[str]:
    return [name for name in scaffold.files if (folder / name).exists()]


def write_scaffold(folder: Path, scaffold: Scaffold) -> None:
    from khaosobs.output.writer import atomic_write

    for name, content in scaffold.files.items():
        atomic_write(folder / name, content)
    if scaffold.gitignore:
        ignore = folder / ".gitignore"
        before = ignore.read_text(encoding="utf-8") if ignore.is_file() else ""
        separator = "" if not before or before.endswith("\n") else "\n"
        atomic_write(ignore, before + separator + "\n".join(scaffold.gitignore) + "\n")

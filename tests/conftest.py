"""Shared fixtures: the repository's paths and a way to run the real CLI in a subprocess."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests with a fixed seed: a red CI then means a reproducible finding,
# never a draw of luck. Locally they stay random, so new inputs keep being explored.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
# everything the tests read lives in the repository (a clean clone alone passes): the oracles
# (published schemas and CRDs) and the real-world corpus, each with its licence or README
DATA = ROOT / "tests" / "data"
ORACLES = DATA / "oracles"
REALWORLD = DATA / "realworld"
EXAMPLE_SPECS = sorted(SPECS.glob("*.yaml"))


def run_khaosobs(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
                 timeout: float = 120, process: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the CLI: exit code, stdout and stderr as a user sees them. In this process (the app
    itself, without an interpreter start-up) unless the test needs a real one: `process=True` (exit
    code 3 from `main`, timings, guards of the process itself) or an `env` (PATH, PYTHONHASHSEED)."""
    if env is None and not process:
        return run_in_process(*args, cwd=cwd)
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "khaosobs", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, env=full_env, timeout=timeout, check=False)


def run_in_process(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI's app called in this process (no interpreter start-up): exit code, stdout and stderr
    as `run_khaosobs` gives them. An exception escaping the app fails the test with its traceback."""
    import contextlib

    from typer.testing import CliRunner

    from khaosobs.cli import app

    with contextlib.chdir(cwd or ROOT):
        result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return subprocess.CompletedProcess(["khaosobs", *map(str, args)], result.exit_code, result.stdout, result.stderr)


def render_spec(spec: Path | str, out: Path, *targets: str, extra: tuple[str, ...] = (),
                cwd: Path = ROOT) -> Path:
    """`khaosobs render` through the real CLI (only `targets`, all when none); a spec inside the
    repository is named relative to it, so headers never hold a machine's path."""
    shown = spec.relative_to(ROOT) if isinstance(spec, Path) and spec.is_relative_to(ROOT) else spec
    args: list[str | Path] = ["render", shown, "-o", out, *extra]
    for target in targets:
        args += ["-t", target]
    result = run_khaosobs(*args, cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@functools.cache
def rendered_once(spec: Path, *targets: str) -> Path:
    """A spec rendered once per test session into a temporary folder; tests only read it."""
    out = Path(tempfile.mkdtemp(prefix="khaosobs-rendered-"))
    atexit.register(shutil.rmtree, out, True)
    return render_spec(spec, out / "generated", *targets)


@pytest.fixture
def khaosobs() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_khaosobs

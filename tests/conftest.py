"""Shared fixtures: the repository's paths and a way to run the real CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
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
SHARED = ROOT.parent / "shared"
EXAMPLE_SPECS = sorted(SPECS.glob("*.yaml"))


def run_khaosobs(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
                 timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `python -m khaosobs` for real: exit codes and output exactly as a user sees them."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "khaosobs", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, env=full_env, timeout=timeout, check=False)


@pytest.fixture
def khaosobs() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_khaosobs

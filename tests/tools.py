"""The real tools the deployment tests run: Debian 12's promtool 2.42 (on PATH) and Debian 13's
promtool 2.53 (unpacked beside it by .ci/debian13-prometheus-tools; KHAOSOBS_DEBIAN13_BIN or its
default folder). A missing tool fails the test that needs it, with the way to get it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

DEBIAN13_DEFAULT = Path.home() / ".cache" / "khaosobs-tools" / "debian13" / "root" / "usr" / "bin"


def promtool_242() -> str:
    path = "/usr/bin/promtool" if os.access("/usr/bin/promtool", os.X_OK) else shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is not installed (Debian: apt-get install prometheus)")
    return path


def debian13_tool(name: str) -> str:
    folder = Path(os.environ.get("KHAOSOBS_DEBIAN13_BIN") or DEBIAN13_DEFAULT)
    path = folder / name
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing: run .ci/debian13-prometheus-tools (Prometheus 2.53 / Alertmanager 0.28)")
    return str(path)


def promtools() -> dict[str, str]:
    """version -> promtool binary, for parametrizing."""
    return {"2.42": promtool_242(), "2.53": debian13_tool("promtool")}

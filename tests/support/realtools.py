"""The real Prometheus and Alertmanager tools, per version: Debian 12's packages on PATH (Prometheus
2.42, Alertmanager 0.25) and Debian 13's (Prometheus 2.53, Alertmanager 0.28), unpacked by
`.ci/debian13-prometheus-tools` (the repository's copy of the team's unpacking script) into the
folder `.ci/run` exports as KHAOSOBS_DEBIAN13_BIN. A missing tool fails the test that needs it: it is never skipped."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from khaosobs.domain.versions import Version, parse_version

DEBIAN13_ENV = "KHAOSOBS_DEBIAN13_BIN"
DEBIAN13_SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "debian13-prometheus-tools"
DEFAULT_DEBIAN13_BIN = Path.home() / ".cache" / "khaosobs-tools" / "debian13" / "root" / "usr" / "bin"
# The two toolsets the suite proves the outputs on, by the release each was built from
PROMETHEUS_VERSIONS = ("2.42", "2.53")
ALERTMANAGER_VERSIONS = ("0.25", "0.28")
_VERSION_RE = re.compile(r"version (\d+\.\d+\.\d+)")


def debian13_bin() -> Path:
    """Debian 13's tools: $KHAOSOBS_DEBIAN13_BIN, else the helper script's default folder."""
    folder = Path(os.environ.get(DEBIAN13_ENV) or DEFAULT_DEBIAN13_BIN)
    if not (folder / "amtool").is_file():
        pytest.fail(f"Debian 13's Prometheus tools are not in {folder}: run `bash {DEBIAN13_SCRIPT}` "
                    f"and export {DEBIAN13_ENV} to the folder it prints (.ci/run does)")
    return folder


def _system(name: str) -> Path:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not on PATH: install Debian's prometheus and prometheus-alertmanager")
    return Path(found)


@functools.cache
def tool_version(path: Path) -> Version:
    done = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=False, timeout=30)
    found = _VERSION_RE.search(done.stdout + done.stderr)
    assert found, f"{path} --version: {done.stdout}{done.stderr}"
    version = parse_version(found.group(1))
    assert version is not None
    return version


def tool(name: str, version: str) -> Path:
    """`promtool`, `prometheus`, `amtool` or `alertmanager` of one release line ("2.42", "0.28"), checked
    by asking the binary itself."""
    binary = "prometheus-alertmanager" if name == "alertmanager" else name
    prometheus_side = name in ("promtool", "prometheus")
    oldest = PROMETHEUS_VERSIONS[0] if prometheus_side else ALERTMANAGER_VERSIONS[0]
    path = _system(binary) if version == oldest else debian13_bin() / binary
    wanted = parse_version(version)
    assert wanted is not None
    actual = tool_version(path)
    assert actual[:2] == wanted[:2], f"{path} is version {actual}, expected {version}"
    return path


def _line_for(target: str, lines: tuple[str, ...]) -> str:
    """The oldest toolset that has everything a target may use: the target's own release line, else the
    next newer one we have (a spec targeting 0.26 may use url_file, which only 0.28 here can check)."""
    wanted = parse_version(target)
    for line in lines:
        have = parse_version(line)
        if wanted is None or (have is not None and wanted[:2] <= have[:2]):
            return line
    return lines[-1]


def alertmanager_line(target: str) -> str:
    """The toolset that checks a spec's `targets.alertmanager`: 0.25 for 0.25, 0.28 for anything newer."""
    return _line_for(target, ALERTMANAGER_VERSIONS)


def prometheus_line(target: str) -> str:
    return _line_for(target, PROMETHEUS_VERSIONS)


def stop(process: subprocess.Popen[Any]) -> None:
    """End a server the test started: terminate, and kill it when it does not stop in 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

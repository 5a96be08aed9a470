"""A plain `pip install .` works: the wheel carries the templates, and renders what the repo renders."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_the_wheel_ships_the_templates_and_renders_like_the_checkout(tmp_path: Path) -> None:
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path / "dist"),
                            str(ROOT)], capture_output=True, text=True, timeout=600, check=False)
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("khaosobs-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "site")
    shipped = {n.removeprefix("khaosobs/templates/") for n in names if n.startswith("khaosobs/templates/")}
    in_repo = {p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*") if p.is_file()}
    assert shipped == in_repo

    work = tmp_path / "work"
    work.mkdir()
    (work / "specs").mkdir()
    (work / "specs" / "strategickhaos.yaml").write_bytes((ROOT / "specs" / "strategickhaos.yaml").read_bytes())
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    probe = subprocess.run([sys.executable, "-c", "import khaosobs; print(khaosobs.__file__)"], cwd=work, env=env,
                           capture_output=True, text=True, check=False)
    assert probe.stdout.startswith(str(tmp_path / "site")), "the test must exercise the wheel, not the checkout"
    result = subprocess.run([sys.executable, "-m", "khaosobs", "render", "-o", "generated"], cwd=work, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    for path in (ROOT / "generated").rglob("*"):
        if path.is_file():
            relative = path.relative_to(ROOT / "generated")
            assert (work / "generated" / relative).read_bytes() == path.read_bytes(), relative

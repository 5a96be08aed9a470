"""What a command imports at start: a valid spec is validated and rendered without pydantic.

typer 0.29 coerces parameters through pydantic TypeAdapters, and the spec model used to be
pydantic's: together about 150 ms at every start. `khaosobs.cli` coerces its plain parameters
itself, and `khaosobs.spec.modelkit` validates a valid spec without pydantic's models.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "strategickhaos.yaml"

PROGRAM = """\
import json, sys
sys.argv = ["khaosobs", *json.loads(sys.argv[1])]
from khaosobs.cli import main
try:
    main()
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "pydantic": sorted(m for m in sys.modules if m.startswith("pydantic"))}),
      file=sys.stderr)
"""


def _run(arguments: list[str], cwd: Path) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROGRAM, json.dumps(arguments)], capture_output=True, text=True,
                          cwd=cwd, check=False)
    result: dict[str, object] = json.loads(done.stderr.strip().splitlines()[-1])
    result["stdout"] = done.stdout
    return result


@pytest.mark.parametrize("arguments", [
    ["validate", str(SPEC)],
    ["validate", "--strict", "-f", "json", str(SPEC)],
    ["render", str(SPEC), "-o", "out", "-t", "prometheus", "-t", "alertmanager"],
    ["routes", str(SPEC)],
])
def test_a_valid_spec_needs_no_pydantic(arguments: list[str], tmp_path: Path) -> None:
    result = _run(arguments, tmp_path)
    assert result["code"] == 0
    assert result["pydantic"] == []


def test_parameters_reach_the_command_as_typer_gives_them(tmp_path: Path) -> None:
    # -o as text becomes a folder path, repeated -t a list, a flag a bool: the render obeys each
    result = _run(["render", str(SPEC), "-o", "out", "-t", "prometheus", "--check"], tmp_path)
    assert result["code"] == 1 and not (tmp_path / "out").exists()  # --check: nothing written, stale
    result = _run(["render", str(SPEC), "-o", "out", "-t", "prometheus"], tmp_path)
    assert result["code"] == 0
    written = {path.relative_to(tmp_path / "out").parts[0] for path in (tmp_path / "out").rglob("*")}
    assert written == {"prometheus", "khaosobs-manifest.json"}


def test_an_invalid_spec_is_still_judged_by_pydantic(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nproject: p\nservices:\n  - name: a\n    metrics:\n"
                    "      - {name: x_total, type: countr, help: h}\n", encoding="utf-8")
    result = _run(["validate", str(spec)], tmp_path)
    assert result["code"] == 1
    assert "pydantic.main" in result["pydantic"]  # type: ignore[operator]

"""A spec may be a folder of files merged, so that teams own their own file."""

from __future__ import annotations

from pathlib import Path

from khaosobs.commands.validate import validate_paths
from khaosobs.spec.loader import load_paths
from tests.conftest import run_khaosobs

BASE = """\
version: 1
project: shop
alerting:
  receivers:
    - name: default
      webhook: {url: "http://gateway.internal/alert"}
  route:
    receiver: default
"""
TEAM_A = """\
version: 1
services:
  - name: cart
    team: a
    metrics:
      - {name: cart_items_total, type: counter, help: Items added}
    alerts:
      - name: CartStuck
        expr: rate(cart_items_total[5m]) == 0
        severity: warning
        summary: Nobody adds to carts
"""
TEAM_B = """\
version: 1
services:
  - name: payments
    team: b
    metrics:
      - {name: payments_total, type: counter, help: Payments, labels: [status]}
    alerts:
      - name: PaymentsFailing
        expr: rate(payments_total{status="failed"}[5m]) > 1
        severity: critical
        summary: Payments fail
"""


def write_folder(root: Path, files: dict[str, str]) -> Path:
    folder = root / "specs"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_folder_files_merge_in_name_order(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, {"00-base.yaml": BASE, "teams/a.yaml": TEAM_A, "teams/b.yml": TEAM_B})
    validation = validate_paths([folder])
    assert validation.ok, [d.message for d in validation.diagnostics.items]
    assert validation.spec is not None
    assert [s.name for s in validation.spec.services] == ["cart", "payments"]
    loaded = validation.loaded
    assert loaded is not None
    where = loaded.location(("services", 1, "alerts", 0, "expr"))
    assert where is not None and where.file.endswith("specs/teams/b.yml") and where.line == 9


def test_an_error_in_a_team_file_points_into_that_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, {"00-base.yaml": BASE, "a.yaml": TEAM_A,
                                     "b.yaml": TEAM_B.replace("payments_total{", "payment_total{")})
    result = run_khaosobs("validate", folder, "--format", "github", cwd=tmp_path)
    assert result.returncode == 1
    assert "file=specs/b.yaml,line=9,col=20," in result.stdout
    assert "payment_total" in result.stdout


def test_a_scalar_set_differently_in_two_files_is_a_conflict(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, {"00-base.yaml": BASE, "a.yaml": TEAM_A.replace("version: 1\n",
                                                                                      "version: 1\nproject: other\n")})
    result = run_khaosobs("validate", folder, cwd=tmp_path)
    assert result.returncode == 1
    assert "specs/a.yaml:2:10: error[merge-conflict]" in result.stdout
    assert "specs/00-base.yaml:2" in result.stdout


def test_a_duplicate_service_across_files_is_reported_with_both_places(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, {"00-base.yaml": BASE, "a.yaml": TEAM_A, "b.yaml": TEAM_A})
    result = run_khaosobs("validate", folder, cwd=tmp_path)
    assert result.returncode == 1
    assert "specs/b.yaml:3:11: error[duplicate-service]" in result.stdout


def test_every_file_of_a_folder_is_read_even_when_one_is_broken(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, {"a.yaml": "version: 1\nproject: [\n", "b.yaml": "version: 1\nversion: 1\n"})
    result = run_khaosobs("validate", folder, cwd=tmp_path)
    assert result.returncode == 1
    assert "specs/a.yaml:" in result.stdout and "specs/b.yaml:2:1: error[duplicate-key]" in result.stdout


def test_an_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    result = run_khaosobs("validate", cwd=tmp_path)
    assert result.returncode == 1
    assert "holds no *.yaml or *.yml spec" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_positions_survive_the_merge_for_every_node(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, {"00-base.yaml": BASE, "a.yaml": TEAM_A, "b.yaml": TEAM_B})
    loaded = load_paths([folder])
    info = loaded.info(("services", 0, "metrics", 0, "name"))
    assert info is not None and info.file.endswith("a.yaml") and (info.line, info.column) == (6, 16)
    key = loaded.location(("alerting", "route", "receiver"), key=True)
    assert key is not None and key.file.endswith("00-base.yaml") and (key.line, key.column) == (8, 5)


def test_a_conflict_deep_in_a_shared_mapping_names_the_file_that_set_it_first(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, {
        "a.yaml": "version: 1\nproject: x\nalerting:\n  route:\n    receiver: a\n    group_wait: 30s\n",
        "b.yaml": "version: 1\nalerting:\n  receivers: [{name: a}]\n  route:\n    group_wait: 1m\n",
    })
    result = run_khaosobs("validate", cwd=tmp_path)
    assert result.returncode == 1
    assert 'specs/b.yaml:5:17: error[merge-conflict]: "group_wait" is set differently in two spec files ' \
           "(specs/a.yaml:6)" in result.stdout
    assert folder.is_dir()


def test_a_merged_spec_is_named_by_the_folder_given(tmp_path: Path) -> None:
    write_folder(tmp_path, {"00-base.yaml": BASE, "a.yaml": TEAM_A, "b.yaml": TEAM_B})
    result = run_khaosobs("render", "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    header = (tmp_path / "out/prometheus/rules/cart.yml").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("# Generated by khaosobs from specs. ")

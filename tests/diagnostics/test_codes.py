"""The registry of diagnostic codes (khaosobs/diagnostics/codes.py): every code emitted is declared, with a
severity it allows; docs/checks.md is its generated text; `khaosobs explain` prints an entry.
(That every declared code is exercised is proved on the invalid corpus: tests/test_invalid_specs.py.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from khaosobs.diagnostics import Diagnostic, Severity
from khaosobs.diagnostics.codes import REGISTRY, UnknownCode, checks_document, code_info
from tests.conftest import ROOT, run_in_process

# the calls that take a diagnostic code as their first argument
_EMITTERS = {"error", "warning", "_error", "Diagnostic", "Problem"}


def literal_codes() -> dict[str, list[str]]:
    """Every code written as a literal first argument of an emitting call in khaosobs/, with where."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "khaosobs").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            first = node.args[0]
            if name in _EMITTERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
            elif name in _EMITTERS and isinstance(first, ast.JoinedStr):
                found.setdefault("<built at run time>", []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_code_written_in_the_source_is_registered() -> None:
    found = literal_codes()
    assert "<built at run time>" not in found, f"codes built at run time: {found.get('<built at run time>')}"
    unknown = {code: where for code, where in found.items() if code not in REGISTRY}
    assert not unknown, f"declare these in khaosobs/diagnostics/codes.py: {unknown}"
    assert len(found) >= 60  # the scan does see the checks


def test_an_unregistered_code_cannot_be_emitted() -> None:
    with pytest.raises(UnknownCode, match="not declared"):
        Diagnostic("no-such-code", Severity.ERROR, "message", None)
    with pytest.raises(UnknownCode, match="declared as warning, not error"):
        Diagnostic("route-unreached", Severity.ERROR, "message", None)
    assert Diagnostic("alert-name", Severity.WARNING, "a milder case", None).code == "alert-name"


def test_every_code_says_what_it_means_and_how_to_fix_it() -> None:
    for code in REGISTRY.values():
        assert code.meaning.endswith(".") and code.fix.endswith("."), code.name
        assert code.name == code.name.strip() and " " not in code.name


def test_docs_checks_md_is_the_registry() -> None:
    docs = ROOT / "docs" / "checks.md"
    assert docs.read_text(encoding="utf-8") == checks_document(), (
        "docs/checks.md is stale: python3 -m khaosobs explain --all > docs/checks.md"
    )


def test_explain_prints_one_code_and_refuses_an_unknown_one() -> None:
    result = run_in_process("explain", "route-receiver")
    assert result.returncode == 0
    assert result.stdout.startswith("## `route-receiver`\n") and code_info("route-receiver").fix in result.stdout
    unknown = run_in_process("explain", "route-reciever")
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert 'did you mean "route-receiver"?' in unknown.stderr


def test_sensitive_codes_are_masked_by_the_text_reporter(tmp_path: Path) -> None:
    spec = tmp_path / "leak.yaml"
    token = "ghp_" + "a1B2c3D4" * 5
    spec.write_text(f"version: 1\nproject: demo\ntelemetry:\n  metrics:\n    alertmanager_webhook: \"{token}\"\n",
                    encoding="utf-8")
    result = run_in_process("validate", "leak.yaml", cwd=tmp_path)
    assert "error[secret-token]" in result.stdout
    assert token not in result.stdout
    assert code_info("secret-token").sensitive_text and not code_info("duration").sensitive_text

"""Machine-readable findings: one JSON document with every diagnostic."""

from __future__ import annotations

import json
from typing import Any

from khaosobs.diagnostics import Diagnostic
from khaosobs.diagnostics.reporters._redact import mask_credentials
from khaosobs.spec.sources import SourceFile


def _masked(finding: dict[str, Any]) -> dict[str, Any]:
    for key in ("message", "hint"):
        if isinstance(finding.get(key), str):
            finding[key] = mask_credentials(finding[key])
    return finding


def report(diagnostics: list[Diagnostic], sources: dict[str, SourceFile]) -> str:
    errors = sum(1 for d in diagnostics if d.severity.value == "error")
    document = {
        "valid": errors == 0,
        "errors": errors,
        "warnings": len(diagnostics) - errors,
        "diagnostics": [_masked(d.to_dict()) for d in diagnostics],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

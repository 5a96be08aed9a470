"""Machine-readable findings: one JSON document with every diagnostic."""

from __future__ import annotations

import json

from khaosobs.diagnostics import Diagnostic
from khaosobs.sources import SourceFile


def report(diagnostics: list[Diagnostic], sources: dict[str, SourceFile]) -> str:
    errors = sum(1 for d in diagnostics if d.severity.value == "error")
    document = {
        "valid": errors == 0,
        "errors": errors,
        "warnings": len(diagnostics) - errors,
        "diagnostics": [d.to_dict() for d in diagnostics],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

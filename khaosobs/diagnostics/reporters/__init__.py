"""Reporters format Diagnostics; they never decide anything."""

from __future__ import annotations

from collections.abc import Callable

from khaosobs.diagnostics import Diagnostic
from khaosobs.spec.sources import SourceFile

Reporter = Callable[[list[Diagnostic], dict[str, SourceFile]], str]

FORMATS = ("text", "json", "github")


def reporter(name: str) -> Reporter:
    if name == "json":
        from khaosobs.diagnostics.reporters.json import report
    elif name == "github":
        from khaosobs.diagnostics.reporters.github import report
    else:
        from khaosobs.diagnostics.reporters.text import report
    return report

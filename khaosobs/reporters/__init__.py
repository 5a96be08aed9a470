"""Reporters format Diagnostics; they never decide anything."""

from __future__ import annotations

from collections.abc import Callable

from khaosobs.diagnostics import Diagnostic
from khaosobs.sources import SourceFile

Reporter = Callable[[list[Diagnostic], dict[str, SourceFile]], str]

FORMATS = ("text", "json", "github")


def reporter(name: str) -> Reporter:
    if name == "json":
        from khaosobs.reporters.json import report
    elif name == "github":
        from khaosobs.reporters.github import report
    else:
        from khaosobs.reporters.text import report
    return report

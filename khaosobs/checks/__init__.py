"""Semantic checks: one module per concern, each a function from the context to Diagnostics.

A check module defines `check(ctx: CheckContext) -> Iterable[Diagnostic]`; it is listed in
CHECK_MODULES and picked up by `run_checks`. Checks never raise on bad input: they report.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic

CHECK_MODULES: tuple[str, ...] = (
    "version",
    "names",
    "references",
)

Check = Callable[[CheckContext], Iterable[Diagnostic]]


def all_checks() -> list[tuple[str, Check]]:
    found: list[tuple[str, Check]] = []
    for name in CHECK_MODULES:
        module = importlib.import_module(f"khaosobs.checks.{name}")
        found.append((name, module.check))
    return found


def run_checks(ctx: CheckContext) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for _name, check in all_checks():
        diagnostics.extend(check(ctx))
    return diagnostics

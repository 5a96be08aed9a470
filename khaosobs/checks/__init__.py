"""Semantic checks: one module per concern, each a function from the context to Diagnostics.

Every module in this package (but `context`) defines `check(ctx: CheckContext) -> Iterable[Diagnostic]`
and is picked up by `all_checks()`, in name order. Checks never raise on bad input: they report.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic

Check = Callable[[CheckContext], Iterable[Diagnostic]]
_NOT_CHECKS = {"context"}


def check_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in _NOT_CHECKS
                  and not m.name.startswith("_"))


def all_checks() -> list[tuple[str, Check]]:
    return [(name, importlib.import_module(f"{__name__}.{name}").check) for name in check_modules()]


def run_checks(ctx: CheckContext) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for _name, check in all_checks():
        diagnostics.extend(check(ctx))
    return diagnostics

"""The spec's version and project name."""

from __future__ import annotations

from collections.abc import Iterable

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.naming import SLUG_RE


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    if not SLUG_RE.fullmatch(ctx.spec.project):
        yield ctx.error("project-name", f'project "{ctx.spec.project}" is not a slug', ("project",),
                        "use lowercase letters, digits and dashes, starting with a letter")

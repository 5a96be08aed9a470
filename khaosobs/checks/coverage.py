"""The coverage policy: every requirement of the spec's `policy` block, met by every service.

What counts as meeting a requirement lives in `khaosobs.domain.coverage` (also behind `khaosobs coverage`).
"""

from __future__ import annotations

from collections.abc import Iterable

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.coverage import CODE, unmet


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    policy = ctx.spec.policy
    if policy is None:
        return
    report = ctx.error if policy.severity == "error" else ctx.warning
    for row, requirement in unmet(ctx.spec):
        yield report(CODE, f"service {row.service} {requirement.wants}, and the policy requires "
                     f"{requirement.name}", ("services", row.index, "name"),
                     "add it, or drop the requirement from policy.require; `khaosobs coverage` shows every "
                     "service against the policy")

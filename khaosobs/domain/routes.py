"""The route tree's root: where it lives in the spec document."""

from __future__ import annotations

ROUTE_ROOT: tuple[str | int, ...] = ("alerting", "route")

"""Durations, the one grammar: Prometheus's `model.ParseDuration` (`30s`, `5m`, `1h30m`; units
from largest to smallest, each once; `0`), which Alertmanager, promtool and Loki read too.
Grafana's refresh interval is its own, smaller grammar, kept here beside it."""

from __future__ import annotations

import functools
import re

DURATION_RE = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?")
_UNIT_MS = (365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1)
GRAFANA_REFRESH_RE = re.compile(r"\d+(?:ms|s|m|h|d|w|M|y)")


# a pure function of a few distinct texts ("5m", "30d"), asked for every window of every SLO by
# every target: memoised, bounded
@functools.lru_cache(maxsize=1 << 12)
def duration_ms(text: str) -> int | None:
    """Milliseconds of a Prometheus duration, or None when it is not one."""
    if text == "0":
        return 0
    match = DURATION_RE.fullmatch(text)
    if not text or match is None:
        return None
    return sum(int(v) * unit for v, unit in zip(match.groups(), _UNIT_MS, strict=True) if v)


def is_duration(text: str) -> bool:
    return duration_ms(text) is not None

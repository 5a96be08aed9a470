"""Credentials never reach a report: whatever the finding, a bearer or basic token, a password in
a URL, a webhook token or an API token in a quoted line, message or hint is masked, in every
format (CI logs keep what they print). The patterns are the secrets check's own, plus Basic."""

from __future__ import annotations

import re

from khaosobs.checks.secrets import _PATTERNS

_BASIC_RE = re.compile(r"\bBasic\s+[A-Za-z0-9+/]{12,}=*", re.IGNORECASE)
_CREDENTIALS = (*(pattern for _code, _what, pattern in _PATTERNS), _BASIC_RE)


def _masked(match: re.Match[str]) -> str:
    found = match.group()
    keep = min(12, len(found) // 3)
    return found[:keep] + "*" * (len(found) - keep)


def mask_credentials(text: str) -> str:
    """`text` with every credential in it masked (same length, so carets still line up)."""
    for pattern in _CREDENTIALS:
        text = pattern.sub(_masked, text)
    return text

"""Secret references, the one syntax: a spec names a secret (`vault://kv/path#key`, `env:NAME`,
`file:/path`) instead of writing it. Checks accept only these; targets turn them into each
tool's indirection (khaosobs/domain/naming.py)."""

from __future__ import annotations

import re

ENV_NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*"  # an environment variable's name
SECRET_REFERENCE_RE = re.compile(rf"vault://[^\s]+|env:{ENV_NAME_PATTERN}|file:/[^\s]*")


def is_secret_reference(text: str) -> bool:
    return SECRET_REFERENCE_RE.fullmatch(text) is not None

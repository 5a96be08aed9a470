"""Prometheus name syntax (the data model's metric and label names), the one definition.

Checks, the PromQL and LogQL analysers, the route matcher parser and Alertmanager's `group_by`
all accept exactly these; the patterns are also exported as text for grammars that embed them.
"""

from __future__ import annotations

import re

METRIC_NAME_PATTERN = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_NAME_PATTERN = r"[a-zA-Z_][a-zA-Z0-9_]*"
METRIC_NAME_RE = re.compile(METRIC_NAME_PATTERN)
LABEL_NAME_RE = re.compile(LABEL_NAME_PATTERN)
RESERVED_PREFIX = "__"  # names starting with it are Prometheus's own


def is_metric_name(text: str) -> bool:
    return METRIC_NAME_RE.fullmatch(text) is not None


def is_label_name(text: str) -> bool:
    return LABEL_NAME_RE.fullmatch(text) is not None

"""Secrets never live in a spec: every string is scanned for credentials, and `*_ref` fields must be
references (`vault://…`, `env:NAME`, `file:/path`) that the rendered configs resolve at run time."""

from __future__ import annotations

import re
from collections.abc import Iterable

from khaosobs.checks._text import span_location, walk_strings
from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic

REFERENCE_RE = re.compile(r"vault://[^\s]+|env:[A-Za-z_][A-Za-z0-9_]*|file:/[^\s]*")
REFERENCE_HINT = (
    "name the secret instead of writing it: `vault://kv/path#key`, `env:NAME` or `file:/path`; "
    "the rendered configs read it at run time"
)

# (code, what, pattern): each pattern is specific enough that an ordinary URL or text never matches.
_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "secret-discord-webhook",
        "a Discord webhook URL with its token",
        re.compile(
            r"https?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api(?:/v\d+)?/webhooks/\d+/[A-Za-z0-9_.-]+",
            re.IGNORECASE,
        ),
    ),
    (
        "secret-slack-webhook",
        "a Slack webhook URL",
        re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/]{8,}"),
    ),
    (
        "secret-teams-webhook",
        "a Microsoft Teams webhook URL",
        re.compile(r"https://[A-Za-z0-9.-]+\.(?:webhook\.office\.com/webhookb2/[^\s]{16,}|"
                   r"logic\.azure\.com(?::\d+)?/workflows/[^\s]*[?&]sig=[^\s&]{16,})", re.IGNORECASE),
    ),
    (
        "secret-token",
        "a Telegram bot token",
        re.compile(r"(?<![\w:/.])\d{8,10}:[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])"),
    ),
    (
        "secret-bearer-token",
        "a bearer token",
        re.compile(r"\bBearer\s+[A-Za-z0-9\-._~+/]{16,}=*", re.IGNORECASE),
    ),
    (
        "secret-url-credentials",
        "a URL with a user and password",
        re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@{}$]+:(?![$%{])[^\s/@{}]+@[^\s/@]+"),
    ),
    (
        "secret-token",
        "a GitHub token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})"),
    ),
    ("secret-token", "a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("secret-token", "an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("secret-token", "a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
)
# Cheap first pass: a string without any of these cannot match a pattern above.
# (case-insensitive by hand: re.IGNORECASE makes this pass three times slower)
_CANDIDATE_RE = re.compile(
    r"://|[Bb][Ee][Aa][Rr][Ee][Rr]|gh[pousr]_|github_pat_|xox[abposr]-|AKIA|ASIA|PRIVATE KEY|\d:[A-Za-z0-9_-]{35}"
)


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    for path, value in walk_strings(ctx.loaded.data):
        key = path[-1] if path else ""
        if isinstance(key, str) and key.endswith("_ref"):
            if not REFERENCE_RE.fullmatch(value):
                # whatever it holds may be the secret itself: the text report masks it (code secret-*)
                yield ctx.error(
                    "secret-ref",
                    f'"{key}" must be a secret reference, never the secret itself',
                    path,
                    "use `vault://kv/path#key`, `env:NAME` or `file:/absolute/path`",
                )
            continue
        if len(value) < 16 or not _CANDIDATE_RE.search(value):
            continue
        for code, what, pattern in _PATTERNS:
            match = pattern.search(value)
            if match is None:
                continue
            where = span_location(ctx.loaded, path, value, match.start(), match.end() - match.start())
            yield ctx.error(
                code,
                f"this value holds {what}: secrets must not be written in a spec",
                path,
                REFERENCE_HINT,
                location=where,
            )
            break

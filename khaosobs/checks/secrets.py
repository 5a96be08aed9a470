"""Secrets never live in a spec: every string is scanned for credentials, and `*_ref` fields must be
references (`vault://…`, `env:NAME`, `file:/path`) that the rendered configs resolve at run time."""

from __future__ import annotations

import re
from collections.abc import Iterable

from khaosobs.checks._support import span_location, walk_strings
from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic, Location, Severity
from khaosobs.domain.secret_refs import SECRET_REFERENCE_RE
from khaosobs.spec.loader import LoadedSpec, Path_
from khaosobs.spec.structure import model_at

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
        re.compile(r"(?<![\w:.])(?:bot)?\d{8,10}:[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])"),
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
# A receiver's field that could only hold a credential: the spec names it `<key>_ref`, never the value
# (e.g. `routing_key:` written for `routing_key_ref:`, which structure checks report as unknown too).
_CREDENTIAL_KEYS = frozenset({"routing_key", "service_key", "api_key", "bot_token", "auth_password", "password",
                              "credentials", "api_url", "webhook_url", "token", "auth_secret"})
# Cheap first pass: a string without any of these cannot match a pattern above.
# (case-insensitive by hand: re.IGNORECASE makes this pass three times slower)
_CANDIDATE_RE = re.compile(
    r"://|[Bb][Ee][Aa][Rr][Ee][Rr]|gh[pousr]_|github_pat_|xox[abposr]-|AKIA|ASIA|PRIVATE KEY|\d:[A-Za-z0-9_-]{35}"
)
# The same without its two alternatives that need a ":" (most strings have none; `\d:` is the slow one).
_CANDIDATE_WITHOUT_COLON_RE = re.compile(
    r"[Bb][Ee][Aa][Rr][Ee][Rr]|gh[pousr]_|github_pat_|xox[abposr]-|AKIA|ASIA|PRIVATE KEY"
)


def _candidate(value: str) -> bool:
    """Whether `value` may hold a secret (`_CANDIDATE_RE` finds something in it)."""
    if ":" in value:
        return _CANDIDATE_RE.search(value) is not None
    return _CANDIDATE_WITHOUT_COLON_RE.search(value) is not None


def _spec_field(path: Path_) -> bool:
    """Whether the spec itself has this key here (Opsgenie's `api_url` is a plain URL, Slack's is not)."""
    model = model_at(path[:-1])
    return model is not None and any(path[-1] in (name, info.alias) for name, info in model.model_fields.items())


def _ref_hint(path: Path_, key: str) -> str:
    if path[:2] == ("alerting", "receivers"):  # Alertmanager reads files only
        name = key.removesuffix("_ref").replace("_", "-")
        return f'mount the secret as a file and write `{key}: "file:/etc/alertmanager/secrets/{name}"`'
    return "use `vault://kv/path#key`, `env:NAME` or `file:/absolute/path`"


def _hint(path: Path_) -> str:
    """A receiver's secret goes in the field's `*_ref` twin, as a file Alertmanager reads (it reads no
    environment variables): say so, rather than suggest a reference the field itself would refuse."""
    key = path[-1] if path else None
    if len(path) > 3 and path[:2] == ("alerting", "receivers") and isinstance(key, str):
        return (f'write `{key}_ref: "file:/etc/alertmanager/secrets/{key.replace("_", "-")}"` instead: '
                "Alertmanager reads the secret from that file")
    return REFERENCE_HINT


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    return scan(ctx.loaded)


def scan(loaded: LoadedSpec) -> Iterable[Diagnostic]:
    """Every leaked secret of the document as loaded: also run on a spec whose structure is broken,
    on the parts salvage sets aside, so a secret in a misspelt key is still refused and masked."""

    def error(code: str, message: str, path: Path_, hint: str, location: Location | None = None) -> Diagnostic:
        return Diagnostic(code, Severity.ERROR, message, location or loaded.location(path), path, hint)

    for path, value in walk_strings(loaded.data):
        key = path[-1] if path else ""
        if isinstance(key, str) and key.endswith("_ref"):
            if not SECRET_REFERENCE_RE.fullmatch(value):
                # whatever it holds may be the secret itself: the text report masks it (code secret-*)
                yield error(
                    "secret-ref",
                    f'"{key}" must be a secret reference, never the secret itself',
                    path,
                    _ref_hint(path, key),
                )
            continue
        credential = (key in _CREDENTIAL_KEYS and path[:2] == ("alerting", "receivers") and value != ""
                      and not _spec_field(path))
        if (len(value) < 16 or not _candidate(value)) and not credential:
            continue
        for code, what, pattern in _PATTERNS:
            match = pattern.search(value)
            if match is None:
                continue
            where = span_location(loaded, path, value, match.start(), match.end() - match.start())
            yield error(
                code,
                f"this value holds {what}: secrets must not be written in a spec",
                path,
                _hint(path),
                location=where,
            )
            break
        else:
            if credential:
                where = span_location(loaded, path, value, 0, len(value))
                yield error("secret-inline", f'"{key}" would hold the secret itself: secrets must not be '
                                "written in a spec", path, _hint(path), location=where)

"""The secrets check's cheap first pass (`_CANDIDATE_RE`) never lets a secret through: every string
a credential pattern matches is a candidate, whatever surrounds it. And `walk_strings` reads every
string of a document, in document order, whatever the nesting."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from khaosobs.checks._support import walk_strings
from khaosobs.checks.secrets import _CANDIDATE_RE, _PATTERNS, _candidate

# one (or more) of each kind of secret the check knows, as short as the pattern allows (>= 16 chars:
# shorter strings are not scanned at all)
SECRETS = [
    "https://discord.com/api/webhooks/123456789/abcDEF_ghi-jkl.mno",
    "http://PTB.DiscordApp.com/api/v10/webhooks/1/x",
    "https://hooks.slack.com/services/T000/B000/XXXXXXXX",
    "https://hooks.slack.com/workflows/abcdefgh",
    "https://acme.webhook.office.com/webhookb2/0123456789abcdef",
    "https://prod-1.westeurope.LOGIC.AZURE.com:443/workflows/x?api-version=1&sig=0123456789abcdef",
    "123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr",
    "bot1234567890:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr",
    "Bearer abcdefghijklmnop",
    "authorization: bEaReR ABCDEFGHIJKLMNOP==",
    "postgres://user:pa55word@db.example.com/x",
    "amqp://guest:guest@rabbit",
    "ghp_" + "a" * 30,
    "gho_" + "Z9" * 15,
    "github_pat_" + "A_" * 20,
    "xoxb-0123456789",
    "xoxp-1234-5678-abcdefgh",
    "AKIAABCDEFGHIJKLMNOP",
    "ASIA0123456789ABCDEF",
    "-----BEGIN PRIVATE KEY-----",
    "-----BEGIN RSA PRIVATE KEY-----",
]
SURROUNDINGS = [("", ""), ("token ", " here"), ("x=", ";"), ("\n", "\n"), ("prefix-with-some-length ", "")]


def _matches(text: str) -> bool:
    return any(pattern.search(text) for _, _, pattern in _PATTERNS)


@pytest.mark.parametrize("secret", SECRETS)
def test_every_secret_is_a_candidate(secret: str) -> None:
    for before, after in SURROUNDINGS:
        text = before + secret + after
        if len(text) < 16:
            continue  # never scanned (the check's own floor)
        assert _matches(text), f"the example is no secret to the check: {text!r}"
        assert _CANDIDATE_RE.search(text), f"the first pass would skip a secret: {text!r}"
        assert _candidate(text), f"the first pass would skip a secret: {text!r}"


def test_every_pattern_has_an_example() -> None:
    for _, what, pattern in _PATTERNS:
        assert any(pattern.search(secret) for secret in SECRETS), what


def test_random_text_matching_a_pattern_is_a_candidate() -> None:
    alphabet = "abcxyzABCXYZ0123456789:/@._-=+ ?&"
    fragments = ["://", "Bearer ", "bearer ", "ghp_", "github_pat_", "xoxb-", "AKIA", "ASIA", "PRIVATE KEY",
                 "-----BEGIN ", "-----", "hooks.slack.com/services/", "discord.com/api/webhooks/1/",
                 "https", "user:pw@host", "123456789:"]
    rng = random.Random(20261201)
    for _ in range(20000):
        parts = [rng.choice(fragments) if rng.random() < 0.4 else
                 "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(rng.randint(1, 5))]
        text = "".join(parts)
        assert _candidate(text) == (_CANDIDATE_RE.search(text) is not None), text
        if len(text) >= 16 and _matches(text):
            assert _candidate(text), text


def _reference_walk(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _reference_walk(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _reference_walk(value, (*path, i))


def test_walk_strings_reads_every_string_in_document_order() -> None:
    rng = random.Random(7)

    def document(depth: int) -> Any:
        r = rng.random()
        if depth > 5 or r < 0.3:
            return rng.choice(["a", "b", "", 1, 2.5, None, True])
        if r < 0.65:
            return {f"k{i}": document(depth + 1) for i in range(rng.randint(0, 4))}
        return [document(depth + 1) for _ in range(rng.randint(0, 4))]

    for _ in range(2000):
        data = document(0)
        assert list(walk_strings(data)) == list(_reference_walk(data))
        assert list(walk_strings(data, ("services", 0))) == list(_reference_walk(data, ("services", 0)))


def test_walk_strings_survives_deep_nesting() -> None:
    data: Any = "leaf"
    for i in range(5000):
        data = {"k": [data]} if i % 2 else [data]
    assert [value for _, value in walk_strings(data)] == ["leaf"]

"""What Alertmanager itself would refuse in the alerting section: receivers
(Discord secrets, webhook URLs), group_by, inhibit rules.

Matchers and the shape of the routing tree are checked in checks/routing.py, route timings in
checks/durations.py, and that a `*_ref` is a reference at all in checks/secrets.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.matchers import MATCHER_HINT, MatcherError, parse_matchers
from khaosobs.domain.prometheus_names import LABEL_NAME_RE
from khaosobs.domain.secret_refs import SECRET_REFERENCE_RE
from khaosobs.loader import Path_
from khaosobs.model import Receiver, Route
from khaosobs.naming import file_ref_path
from khaosobs.versions import DISCORD_URL_FILE, alertmanager_version, version_text

_FILE_HINT = ('mount the webhook URL as a file and write '
              'webhook_url_ref: "file:/etc/alertmanager/secrets/discord-webhook"')



def _group_by(ctx: CheckContext, route: Route, path: Path_) -> Iterable[Diagnostic]:
    if route.group_by is not None:
        seen: set[str] = set()
        for i, label in enumerate(route.group_by):
            where = (*path, "group_by", i)
            if label == "...":
                if len(route.group_by) > 1:
                    yield ctx.error("alertmanager-group-by",
                                    "group_by `...` (group by every label) must stand alone", where,
                                    "drop the other labels or the `...`")
            elif not LABEL_NAME_RE.fullmatch(label):
                yield ctx.error("alertmanager-group-by", f'invalid label name "{label}" in group_by', where,
                                "label names are letters, digits and _, not starting with a digit")
            elif label in seen:
                yield ctx.error("alertmanager-group-by", f'duplicated label "{label}" in group_by', where)
            seen.add(label)


def _discord(ctx: CheckContext, receiver: Receiver, path: Path_,
             version: tuple[int, ...]) -> Iterable[Diagnostic]:
    assert receiver.discord is not None
    ref = receiver.discord.webhook_url_ref
    where = (*path, "discord", "webhook_url_ref")
    if ref.startswith("env:"):
        yield ctx.error("alertmanager-secret", f'Alertmanager does not read environment variables: "{ref}" '
                        "cannot hold the Discord webhook URL", where, _FILE_HINT)
        return
    if not SECRET_REFERENCE_RE.fullmatch(ref):
        return  # not a reference at all: checks/secrets.py reports it
    file_path = file_ref_path(ref)
    if file_path is None:
        scheme = ref.split("://", 1)[0]
        yield ctx.error("alertmanager-secret", f'Alertmanager cannot read a "{scheme}://" secret reference',
                        where, _FILE_HINT + " (your secret agent writes the file)")
        return
    if version < DISCORD_URL_FILE:
        needed = version_text(DISCORD_URL_FILE)
        yield ctx.error("alertmanager-version",
                        "a Discord receiver reads its webhook URL from a file (webhook_url_file), which "
                        f"needs Alertmanager {needed}; targets.alertmanager is "
                        f"{ctx.spec.targets.alertmanager}", where,
                        f"if your Alertmanager is {needed} or newer, set "
                        f'`targets: {{alertmanager: "{needed}"}}`; otherwise use a webhook receiver '
                        "(the event gateway posts to Discord)")


def _receiver(ctx: CheckContext, receiver: Receiver, path: Path_,
              version: tuple[int, ...]) -> Iterable[Diagnostic]:
    if receiver.webhook is not None:
        url = receiver.webhook.url
        try:
            parts = urlsplit(url)
            hostname = parts.hostname
        except ValueError:  # e.g. an unbalanced `[` reads as a broken IPv6 address
            parts, hostname = None, None
        if parts is None or parts.scheme not in ("http", "https") or not hostname:
            yield ctx.error("alertmanager-webhook", f'webhook url "{url}" is not an http(s) URL',
                            (*path, "webhook", "url"), "e.g. https://events.example.com/alert")
        if receiver.webhook.max_alerts is not None and receiver.webhook.max_alerts < 0:
            yield ctx.error("alertmanager-webhook", "max_alerts cannot be negative",
                            (*path, "webhook", "max_alerts"), "0 (the default) sends them all")
    if receiver.discord is not None:
        yield from _discord(ctx, receiver, path, version)


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    version = alertmanager_version(ctx.spec.targets.alertmanager)  # checks/targets.py reports a bad one
    alerting = ctx.spec.alerting
    if alerting is None:
        return
    for i, receiver in enumerate(alerting.receivers):
        yield from _receiver(ctx, receiver, ("alerting", "receivers", i), version)
    for route, path in ctx.routes():
        yield from _group_by(ctx, route, path)
    for i, rule in enumerate(alerting.inhibit_rules or []):
        base: Path_ = ("alerting", "inhibit_rules", i)
        for kind in ("source_matchers", "target_matchers"):
            for j, text in enumerate(getattr(rule, kind)):
                try:
                    parse_matchers(text)
                except MatcherError as exc:
                    yield ctx.error("alertmanager-matcher", f"inhibit rule {kind}: {exc}", (*base, kind, j),
                                    MATCHER_HINT)
        for j, label in enumerate(rule.equal):
            if not LABEL_NAME_RE.fullmatch(label):
                yield ctx.error("alertmanager-matcher", f'invalid label name "{label}" in equal',
                                (*base, "equal", j))

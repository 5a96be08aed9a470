"""What Alertmanager itself would refuse in the alerting section: receivers (secrets Alertmanager
cannot read, fields the targeted release lacks, URLs, options), group_by, inhibit rules.

Matchers and the shape of the routing tree are checked in checks/routing.py, route timings in
checks/durations.py, and that a `*_ref` is a reference at all in checks/secrets.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.matchers import MATCHER_HINT, MatcherError, parse_matchers
from khaosobs.domain.naming import file_ref_path
from khaosobs.domain.prometheus_names import LABEL_NAME_RE
from khaosobs.domain.receivers import HTTP_SECRETS, IntegrationKind, SecretField, integrations, required_version
from khaosobs.domain.secret_refs import SECRET_REFERENCE_RE
from khaosobs.domain.versions import Version, alertmanager_version, version_text
from khaosobs.spec.loader import Path_
from khaosobs.spec.model import HttpIntegration, Receiver, Route, WebhookReceiver

_FILE_HINT = ('mount the {what} as a file and write {key}: "file:/etc/alertmanager/secrets/{file_name}"')
_TEMPLATE_MARK = "{{"  # a Go template: Alertmanager expands it per notification, khaosobs cannot check it
PAGERDUTY_SEVERITIES = ("critical", "error", "warning", "info")
OPSGENIE_PRIORITIES = ("P1", "P2", "P3", "P4", "P5")


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


def _file_hint(secret: SecretField) -> str:
    return _FILE_HINT.format(what=secret.what, key=secret.spec_key,
                             file_name=secret.what.lower().replace(" ", "-"))


def _version_error(ctx: CheckContext, path: Path_, what: str, needed: Version,
                   fallback: str | None) -> Diagnostic:
    text = version_text(needed)
    hint = f'if your Alertmanager is {text} or newer, set `targets: {{alertmanager: "{text}"}}`'
    return ctx.error("alertmanager-version",
                     f"{what} needs Alertmanager {text}; targets.alertmanager is {ctx.spec.targets.alertmanager}",
                     path, hint + (f"; otherwise {fallback}" if fallback else ""))


# What to do instead when the targeted Alertmanager lacks a field, by integration
_FALLBACK = {
    "discord": "use a webhook receiver (the event gateway posts to Discord)",
    "msteams": "use a webhook receiver that posts to Teams",
    "telegram": "use a webhook receiver that posts to Telegram",
    "webhook": "write the URL in `url:` if it holds no secret",
}


def _secret(ctx: CheckContext, kind: IntegrationKind, secret: SecretField, ref: str, path: Path_,
            version: Version) -> Iterable[Diagnostic]:
    """A `*_ref` Alertmanager must read: only a file it can read, and only a field the target has."""
    where = (*path, secret.spec_key)
    if ref.startswith("env:"):
        yield ctx.error("alertmanager-secret", f'Alertmanager does not read environment variables: "{ref}" '
                        f"cannot hold the {secret.what}", where, _file_hint(secret))
        return
    if not SECRET_REFERENCE_RE.fullmatch(ref):
        return  # not a reference at all: checks/secrets.py reports it
    if file_ref_path(ref) is None:
        scheme = ref.split("://", 1)[0]
        yield ctx.error("alertmanager-secret", f'Alertmanager cannot read a "{scheme}://" secret reference',
                        where, _file_hint(secret) + " (your secret agent writes the file)")
        return
    list_needs = required_version(kind.config_key)
    field_needs = required_version(kind.config_key, secret.file_key)
    needed = max((v for v in (list_needs, field_needs) if v is not None), default=None)
    if needed is not None and version < needed:
        what = (f"a {kind.label} receiver reads its {secret.what} from a file "
                f"({kind.config_key}: {secret.file_key}), which")
        yield _version_error(ctx, where, what, needed, _FALLBACK.get(kind.spec_key))


def _http_url(ctx: CheckContext, url: str, where: Path_, example: str,
              code: str = "alertmanager-url") -> Iterable[Diagnostic]:
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:  # e.g. an unbalanced `[` reads as a broken IPv6 address
        parts, hostname = None, None
    if parts is None or parts.scheme not in ("http", "https") or not hostname:
        hint = f"e.g. {example}"
        if url.startswith(("file:", "env:", "vault://")):
            hint = (f"a secret reference goes in `{where[-1]}_ref`, "
                    f'e.g. {where[-1]}_ref: "file:/etc/alertmanager/secrets/hook-url"')
        yield ctx.error(code, f'{where[-1]} "{url}" is not an http(s) URL', where, hint)


def _webhook(ctx: CheckContext, hook: WebhookReceiver, path: Path_) -> Iterable[Diagnostic]:
    # as written: a `url` of the wrong type, set aside by salvage, is reported once, as a wrong type.
    # Asked only when the model has neither or both: positions are composed on first use, and a
    # valid spec should never pay for them (a third of validating 1,000 services, 160 MiB).
    if (hook.url is None) == (hook.url_ref is None) and len(
            [key for key in ("url", "url_ref") if ctx.loaded.positions.get((*path, key)) is not None]) != 1:
        yield ctx.error("alertmanager-webhook", "a webhook needs exactly one of `url` and `url_ref`", path,
                        "`url` for an endpoint whose URL holds no secret, `url_ref: \"file:/path\"` otherwise")
    if hook.url is not None:
        yield from _http_url(ctx, hook.url, (*path, "url"), "https://events.example.com/alert",
                             "alertmanager-webhook")
    if hook.max_alerts is not None and hook.max_alerts < 0:
        yield ctx.error("alertmanager-webhook", "max_alerts cannot be negative", (*path, "max_alerts"),
                        "0 (the default) sends them all")


def _options(ctx: CheckContext, receiver: Receiver, path: Path_) -> Iterable[Diagnostic]:
    """The integrations' own options: what Alertmanager refuses at load time (email without `from`,
    `smarthost` or its port, Telegram chat 0; held to amtool 0.28 in tests/checks/test_receivers.py), and
    what PagerDuty and Opsgenie refuse at send time (an unknown severity or priority), which
    Alertmanager would only log when the page is lost."""
    if receiver.pagerduty is not None:
        pd = receiver.pagerduty
        if pd.url is not None:
            yield from _http_url(ctx, pd.url, (*path, "pagerduty", "url"), "https://events.pagerduty.com/v2/enqueue")
        if pd.severity is not None and _TEMPLATE_MARK not in pd.severity and pd.severity not in PAGERDUTY_SEVERITIES:
            yield ctx.error("alertmanager-option", f'PagerDuty severity "{pd.severity}" is not one of '
                            f"{', '.join(PAGERDUTY_SEVERITIES)}", (*path, "pagerduty", "severity"),
                            "leave it out: khaosobs maps the alert's severity")
    if receiver.email is not None:
        email = receiver.email
        for key in ("from_", "smarthost"):
            if getattr(email, key) is None:
                shown = key.rstrip("_")
                yield ctx.error("alertmanager-option", f"an email receiver needs `{shown}`", (*path, "email"),
                                'e.g. from: alertmanager@example.com, smarthost: "smtp.example.com:587"')
        if email.smarthost is not None and not re.fullmatch(r"[^\s:]+:\d{1,5}|\[[0-9a-fA-F:.]+\]:\d{1,5}",
                                                           email.smarthost):
            yield ctx.error("alertmanager-option", f'smarthost "{email.smarthost}" is not host:port',
                            (*path, "email", "smarthost"), 'e.g. "smtp.example.com:587"')
        if email.auth_password_ref is not None and email.auth_username is None:
            yield ctx.error("alertmanager-option", "an SMTP password without `auth_username`",
                            (*path, "email", "auth_password_ref"), "set auth_username")
    if receiver.opsgenie is not None:
        og = receiver.opsgenie
        if og.api_url is not None:
            yield from _http_url(ctx, og.api_url, (*path, "opsgenie", "api_url"), "https://api.eu.opsgenie.com/")
        if og.priority is not None and _TEMPLATE_MARK not in og.priority and og.priority not in OPSGENIE_PRIORITIES:
            yield ctx.error("alertmanager-option", f'Opsgenie priority "{og.priority}" is not one of P1..P5',
                            (*path, "opsgenie", "priority"), "leave it out: khaosobs maps the alert's severity")
    if receiver.telegram is not None and receiver.telegram.chat_id == 0:
        yield ctx.error("alertmanager-option", "Telegram chat_id cannot be 0", (*path, "telegram", "chat_id"),
                        "the chat's numeric id, e.g. -1001234567890 for a group")


def _receiver(ctx: CheckContext, receiver: Receiver, path: Path_, version: Version) -> Iterable[Diagnostic]:
    for kind, config in integrations(receiver):
        base = (*path, kind.spec_key)
        if isinstance(config, WebhookReceiver):
            yield from _webhook(ctx, config, base)
        for secret in kind.secrets:
            ref = getattr(config, secret.spec_key)
            if ref is not None:
                yield from _secret(ctx, kind, secret, ref, base, version)
        http = config.http_config if isinstance(config, HttpIntegration) else None
        if http is not None:
            if http.authorization is not None and http.basic_auth is not None:
                yield ctx.error("alertmanager-option", "http_config takes `authorization` or `basic_auth`, not both",
                                (*base, "http_config"))
            for (section, key), file_key in HTTP_SECRETS:
                part = getattr(http, section)
                if part is not None:
                    yield from _secret(ctx, kind, SecretField(key, file_key, "credentials"), getattr(part, key),
                                       (*base, "http_config", section), version)
    yield from _options(ctx, receiver, path)


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

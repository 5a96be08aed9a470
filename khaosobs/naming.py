"""Every name khaosobs derives, in one place: slugs, dashboard uids, output paths, SLO series."""

from __future__ import annotations

import hashlib
import re
import unicodedata

SLUG_RE = re.compile(r"[a-z][a-z0-9-]*")
METRIC_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
ALERT_NAME_RE = re.compile(r"[A-Z][A-Za-z0-9]*")
UID_RE = re.compile(r"[a-zA-Z0-9_-]{1,40}")
MAX_UID = 40


def slugify(text: str) -> str:
    """ASCII lowercase words joined by dashes: 'Discord Ops Overview' -> 'discord-ops-overview'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def dashboard_uid(title: str, project: str, explicit: str | None = None) -> str:
    """A stable Grafana uid: the explicit one, else the title's slug; long ones keep a hash to stay unique."""
    if explicit:
        return explicit
    slug = slugify(title) or "dashboard"
    if len(slug) <= MAX_UID:
        return slug
    digest = hashlib.sha256(f"{project}/{title}".encode()).hexdigest()[:8]
    return f"{slug[: MAX_UID - 9].rstrip('-')}-{digest}"


def prometheus_rules_path(service: str) -> str:
    return f"prometheus/rules/{service}.yml"


def prometheus_tests_path(service: str) -> str:
    return f"prometheus/tests/{service}.test.yml"


def loki_rules_path(service: str) -> str:
    return f"loki/rules/{service}.yml"


def dashboard_path(uid: str) -> str:
    return f"grafana/dashboards/{uid}.json"


def instrumentation_path(service: str) -> str:
    return f"instrumentation/python/{service.replace('-', '_')}_metrics.py"


def slo_ratio_record(window: str) -> str:
    """Recording rule of the SLO's error ratio over one window (Sloth's naming)."""
    return f"slo:sli_error:ratio_rate{window}"


def slo_alert_name(slo: str, tier: str) -> str:
    """`command-availability`, page -> `CommandAvailabilitySLOPageBurnRate`."""
    camel = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", slo) if part)
    return f"{camel}SLO{tier.capitalize()}BurnRate"

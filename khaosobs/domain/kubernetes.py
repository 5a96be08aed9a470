"""Kubernetes naming rules, used by the `kubernetes` check and target alike.

Object names are DNS-1123 subdomains (lowercase alphanumerics, `-` and `.`, at most 253 characters;
a namespace is a DNS-1123 label, at most 63); label values are at most 63 characters of
`[A-Za-z0-9_.-]`, starting and ending alphanumeric; label keys are an optional DNS subdomain prefix
and a name like a label value. Kubernetes refuses an object over 1 MiB (etcd's request limit).
"""

from __future__ import annotations

import hashlib
import re

DNS1123_LABEL_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_SUBDOMAIN_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
LABEL_VALUE_RE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
LABEL_NAME_RE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
MAX_NAME = 253
MAX_LABEL = 63
MAX_OBJECT_BYTES = 1024 * 1024
# What a ConfigMap of ours may hold: Kubernetes' limit less room for the object's metadata.
CONFIGMAP_DATA_BUDGET = 1000 * 1024


def is_dns1123_label(text: str) -> bool:
    return len(text) <= MAX_LABEL and DNS1123_LABEL_RE.fullmatch(text) is not None


def is_dns1123_subdomain(text: str) -> bool:
    return len(text) <= MAX_NAME and DNS1123_SUBDOMAIN_RE.fullmatch(text) is not None


def is_label_value(text: str) -> bool:
    return len(text) <= MAX_LABEL and LABEL_VALUE_RE.fullmatch(text) is not None


def is_label_key(text: str) -> bool:
    prefix, slash, name = text.rpartition("/")
    if slash and not (prefix and is_dns1123_subdomain(prefix)):
        return False
    return len(name) <= MAX_LABEL and LABEL_NAME_RE.fullmatch(name) is not None


def object_name(*parts: str, limit: int = MAX_NAME) -> str:
    """A DNS-1123 name from parts (`project`, `dashboard`, a uid…): lowercased, other characters as
    `-`; when that changed the text or it is too long, an 8-character hash of the original keeps
    names of different inputs apart."""
    original = "-".join(parts)
    name = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", original.lower())).strip("-") or "x"
    if name == original and len(name) <= limit:
        return name
    digest = hashlib.sha256(original.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-')}-{digest}"

"""The `kubernetes` block: the namespace and labels every manifest carries must be ones Kubernetes accepts."""

from __future__ import annotations

from collections.abc import Iterable

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.kubernetes import is_dns1123_label, is_dns1123_subdomain, is_label_key, is_label_value

LABEL_SETTINGS = ("labels", "grafana_sidecar_labels", "grafana_datasource_labels", "grafana_instance_selector",
                  "loki_rule_labels")


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    settings = ctx.spec.kubernetes
    if settings is None:
        return
    base = ("kubernetes",)
    if not is_dns1123_label(settings.namespace):
        yield ctx.error("kubernetes-name", f'"{settings.namespace}" is not a Kubernetes namespace name',
                        (*base, "namespace"), "lowercase letters, digits and dashes, at most 63")
    if not is_dns1123_subdomain(f"alertmanager-{settings.alertmanager}"):
        yield ctx.error("kubernetes-name", f'"{settings.alertmanager}" is not a Kubernetes object name',
                        (*base, "alertmanager"), "lowercase letters, digits, dashes and dots")
    for setting in LABEL_SETTINGS:
        for key, value in getattr(settings, setting).items():
            path = (*base, setting, key)
            if not is_label_key(key):
                yield ctx.error("kubernetes-label", f'"{key}" is not a Kubernetes label key', path,
                                "an optional DNS prefix and `/`, then at most 63 letters, digits, `-`, `_`, `.`",
                                key=True)
            if not is_label_value(value):
                yield ctx.error("kubernetes-label", f'"{value}" is not a Kubernetes label value', path,
                                "at most 63 letters, digits, `-`, `_` and `.`, starting and ending alphanumeric")

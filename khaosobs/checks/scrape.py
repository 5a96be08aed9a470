"""`services[].scrape`: what prometheus.yml and the PodMonitor are built from must be usable."""

from __future__ import annotations

import re
from collections.abc import Iterable

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.kubernetes import is_dns1123_label, is_label_key, is_label_value
from khaosobs.domain.scrape import COLLECTOR_JOB

HOST_PORT_RE = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?):(\d{1,5})")


def _port_ok(port: int) -> bool:
    return 0 < port < 65536


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    for s, service in ctx.services():
        if service.name == COLLECTOR_JOB and (service.scrape is not None or service.metrics):
            yield ctx.error("scrape-job-name", f'a service named "{COLLECTOR_JOB}" would share its scrape job '
                            "with the OpenTelemetry Collector's exporter", ("services", s, "name"),
                            "rename the service (job names are unique in prometheus.yml)")
        scrape = service.scrape
        if scrape is None:
            continue
        base = ("services", s, "scrape")
        if isinstance(scrape.port, int) and not _port_ok(scrape.port):
            yield ctx.error("scrape-port", f"port {scrape.port} is not a TCP port", (*base, "port"),
                            "a number from 1 to 65535")
        if isinstance(scrape.port, str):
            if scrape.kubernetes is None:
                yield ctx.error("scrape-port", f'port "{scrape.port}" is a name, which only Kubernetes '
                                "discovery resolves", (*base, "port"),
                                "give the port number, or add `kubernetes: {}` to discover the pods")
            elif not (len(scrape.port) <= 15 and is_dns1123_label(scrape.port)):
                yield ctx.error("scrape-port", f'"{scrape.port}" is not a Kubernetes port name', (*base, "port"),
                                "at most 15 lowercase letters, digits and dashes")
        if not scrape.path.startswith("/"):
            yield ctx.error("scrape-path", f'path "{scrape.path}" must start with "/"', (*base, "path"))
        for t, target in enumerate(scrape.targets):
            found = HOST_PORT_RE.fullmatch(target)
            if found is None or not _port_ok(int(found.group(3))):
                yield ctx.error("scrape-target", f'target "{target}" is not host:port', (*base, "targets", t),
                                'e.g. "checkout-api:8080" or "10.0.0.5:9100" (no scheme, no path)')
        if scrape.targets and scrape.kubernetes is not None:
            yield ctx.error("scrape-target", "`targets` and `kubernetes` are two ways to find the service: "
                            "give one", (*base, "targets"))
        pods = scrape.kubernetes
        if pods is None:
            continue
        if pods.namespace is not None and not is_dns1123_label(pods.namespace):
            yield ctx.error("kubernetes-name", f'"{pods.namespace}" is not a Kubernetes namespace name',
                            (*base, "kubernetes", "namespace"), "lowercase letters, digits and dashes, at most 63")
        for key, value in (pods.selector or {}).items():
            path = (*base, "kubernetes", "selector", key)
            if not is_label_key(key):
                yield ctx.error("kubernetes-label", f'"{key}" is not a Kubernetes label key', path, key=True)
            if not is_label_value(value):
                yield ctx.error("kubernetes-label", f'"{value}" is not a Kubernetes label value', path,
                                "at most 63 letters, digits, `-`, `_` and `.`, starting and ending alphanumeric")

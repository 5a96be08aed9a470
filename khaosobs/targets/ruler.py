"""The rules for a horizontally scaled ruler, from the plain Prometheus rule files (parsed back, so
they can never differ):

- `ruler/mimir/<namespace>.yml`: Mimir/Cortex ruler namespaces as `mimirtool rules load`, `sync`
  and `diff` read them (`namespace:` then `groups:`), one per service or per team
  (`ruler.namespaces`). Each group gets `interval` (the spec's evaluation_interval, which the ruler
  would otherwise replace with its own default) and, for federated rule groups, `source_tenants`.
- `ruler/thanos/<service>.yml`: Thanos ruler rule files (Prometheus format) with `interval` and
  Thanos' `partial_response_strategy` (`abort` by default: an alert is not evaluated on a partial answer).

Rendered by a plain `render` when the spec has a `ruler:` block; `--target ruler` renders it anyway.
"""

from __future__ import annotations

from typing import Any

import yaml_rs

from khaosobs.domain import naming
from khaosobs.domain.kubernetes import object_name  # a safe, unique file name for any team text
from khaosobs.output import OutputFile
from khaosobs.output.templating import Renderer
from khaosobs.spec.model import Ruler, Service, Spec
from khaosobs.targets import embedded_files, prometheus

NAME = "ruler"
USES = (prometheus.NAME,)  # its files regroup the rule files
DESCRIPTION = ("Mimir/Cortex ruler namespaces and Thanos ruler files of the Prometheus rules "
               "(rendered by default when the spec has a `ruler:` block)")


def by_default(spec: Spec) -> bool:
    return spec.ruler is not None


def ruler_namespace(service: Service, settings: Ruler) -> str:
    """The Mimir namespace a service's group lands in: its team's (verbatim; its file name is made
    safe apart), or its own."""
    if settings.namespaces == "team" and service.team:
        return service.team
    return service.name


def service_groups(plain: dict[str, str], service: Service) -> list[dict[str, Any]]:
    data = yaml_rs.loads(plain[naming.prometheus_rules_path(service.name)], parse_datetime=False)
    assert isinstance(data, dict), "a rendered rule file is a mapping"
    groups: list[dict[str, Any]] = data["groups"]
    return groups


def with_settings(group: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """The group with ruler settings after its name (where rule-file readers expect them)."""
    return {"name": group["name"], **settings, **{k: v for k, v in group.items() if k != "name"}}


def render(spec: Spec, renderer: Renderer) -> list[OutputFile]:
    settings = spec.ruler or Ruler()
    plain = {f.path: f.content for f in embedded_files(prometheus, spec, renderer)}
    interval = spec.telemetry.metrics.evaluation_interval
    mimir_settings: dict[str, Any] = {"interval": interval}
    if settings.source_tenants:
        mimir_settings["source_tenants"] = list(settings.source_tenants)
    thanos_settings = {"interval": interval, "partial_response_strategy": settings.partial_response_strategy}
    namespaces: dict[str, list[dict[str, Any]]] = {}
    files = []
    for service in spec.services:
        groups = [g for g in service_groups(plain, service) if g.get("rules")]  # an empty group evaluates nothing
        if not groups:
            continue
        namespaces.setdefault(ruler_namespace(service, settings), []).extend(
            with_settings(group, mimir_settings) for group in groups)
        files.append(renderer.file(
            NAME, "ruler/rules.yml.j2", naming.thanos_rules_path(service.name), "yaml",
            purpose="Thanos ruler rule file (--rule-file); partial_response_strategy is Thanos' own group setting.",
            document={"groups": [with_settings(group, thanos_settings) for group in groups]}))
    for namespace, groups in sorted(namespaces.items()):
        files.append(renderer.file(
            NAME, "ruler/rules.yml.j2", naming.mimir_rules_path(object_name(namespace)), "yaml",
            purpose=f"Mimir/Cortex ruler namespace {namespace}: mimirtool rules load|sync|diff this file.",
            document={"namespace": namespace, "groups": groups}))
    return files

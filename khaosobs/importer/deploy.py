"""The manifests and ruler files render wrote -> the spec's `kubernetes:` and `ruler:` blocks.

They are khaosobs' own (sources.py checks the header) and hold nothing of the stack that the plain
files do not: only the block's settings are read back from them (the namespace, the labels on every
object and on each kind, the dashboards' form, the Alertmanager's name; the ruler's namespaces, source
tenants and partial response strategy). Values equal to the model's defaults are left out.
"""

from __future__ import annotations

from typing import Any

from khaosobs.spec.model import Kubernetes, Ruler

OWN_LABELS = ("app.kubernetes.io/managed-by", "app.kubernetes.io/part-of")  # render adds them to every object
OPERATOR_KINDS = ("GrafanaDashboard", "GrafanaDatasource")


def _labels(obj: dict[str, Any]) -> dict[str, str]:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return {str(k): str(v) for k, v in labels.items() if k not in OWN_LABELS}


def kubernetes_block(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The `kubernetes:` block whose render gave `objects` (the Kustomization among them)."""
    defaults = Kubernetes()
    out: dict[str, Any] = {}
    namespace = next((str(o["namespace"]) for o in objects if o.get("kind") == "Kustomization" and "namespace" in o),
                     None)
    if namespace is not None and namespace != defaults.namespace:
        out["namespace"] = namespace
    labelled = [o for o in objects if o.get("kind") != "Kustomization"]
    # the labels every object carries; each kind's own ones come on top (khaosobs.targets.kubernetes)
    common = _labels(labelled[0]) if labelled else {}
    for obj in labelled[1:]:
        common = {k: v for k, v in common.items() if _labels(obj).get(k) == v}
    if common:
        out["labels"] = common
    operator = [o for o in objects if o.get("kind") in OPERATOR_KINDS]
    if operator:
        out["dashboards"] = "grafana-operator"
    for obj in objects:
        name = str((obj.get("metadata") or {}).get("name", ""))
        extra = {k: v for k, v in _labels(obj).items() if k not in common}
        if obj.get("kind") == "ConfigMap":
            annotations = (obj.get("metadata") or {}).get("annotations") or {}
            if "grafana_folder" in annotations:
                key = "grafana_sidecar_labels"
            elif "khaosobs.yaml" in (obj.get("data") or {}):
                key = "grafana_datasource_labels"
            elif "-loki-rules-" in name:
                key = "loki_rule_labels"
            else:
                continue
            if extra != getattr(defaults, key):
                out[key] = extra
        elif obj.get("kind") in OPERATOR_KINDS:
            selector = ((obj.get("spec") or {}).get("instanceSelector") or {}).get("matchLabels") or {}
            selector = {str(k): str(v) for k, v in selector.items()}
            if selector != defaults.grafana_instance_selector:
                out["grafana_instance_selector"] = selector
        elif (obj.get("kind") == "Secret" and name.startswith("alertmanager-")
              and name.removeprefix("alertmanager-") != defaults.alertmanager):
            out["alertmanager"] = name.removeprefix("alertmanager-")
    return out


def ruler_block(files: list[dict[str, Any]], services: list[str]) -> dict[str, Any]:
    """The `ruler:` block whose render gave `files` (Mimir namespace files and Thanos rule files)."""
    defaults = Ruler()
    out: dict[str, Any] = {}
    namespaces = [str(f["namespace"]) for f in files if "namespace" in f]
    if any(name not in services for name in namespaces):
        out["namespaces"] = "team"
    groups = [g for f in files for g in f.get("groups") or [] if isinstance(g, dict)]
    tenants = next((g["source_tenants"] for g in groups if g.get("source_tenants")), None)
    if tenants:
        out["source_tenants"] = [str(t) for t in tenants]
    strategy = next((str(g["partial_response_strategy"]) for g in groups if "partial_response_strategy" in g), None)
    if strategy is not None and strategy != defaults.partial_response_strategy:
        out["partial_response_strategy"] = strategy
    return out


def ruler_teams(files: list[dict[str, Any]]) -> dict[str, str]:
    """Service -> team from Mimir namespace files named after teams: the one place the team of a
    service without alerts (whose rules carry no `team` label) is written."""
    teams: dict[str, str] = {}
    for file in files:
        if "namespace" not in file:
            continue
        for group in file.get("groups") or []:
            if isinstance(group, dict) and group.get("name") and group["name"] != file["namespace"]:
                teams[str(group["name"])] = str(file["namespace"])
    return teams

"""Kubernetes manifests for the Prometheus Operator and Grafana, one object per file under kubernetes/.

What each plain output becomes (the plain file's content, parsed back or verbatim, so the two can
never disagree):
- each service's rules -> a `PrometheusRule` (monitoring.coreos.com/v1) holding exactly its groups;
- each scraped service -> a `PodMonitor`, with khaosobs.domain.scrape's port, path, interval and selector
  and `job` set to the service's name (as in prometheus.yml, so rules see the same labels);
- the Alertmanager config and its templates -> the Secret `alertmanager-<name>` the Prometheus
  Operator's Alertmanager reads (`alertmanager.yaml`), verbatim (with a `kubernetes:` block the
  plain config also names the Operator's template folder, so one config serves both);
- dashboards -> one ConfigMap each for Grafana's sidecar (labels `grafana_sidecar_labels`), or
  grafana-operator `GrafanaDashboard` objects; one object per dashboard keeps each under
  Kubernetes' 1 MiB limit whatever the number of dashboards;
- datasource provisioning -> a ConfigMap for the sidecar, or one `GrafanaDatasource` each;
- Loki rules -> one ConfigMap per service (key `<service>.yaml`) for the Loki ruler's sidecar;
- `kustomization.yaml` lists them all with the namespace.

Rendered by a plain `render` only when the spec has a `kubernetes:` block (the manifests repeat
every rule and dashboard, so a team that does not deploy to Kubernetes should not review them
twice); `render --target kubernetes` renders them with the default settings anyway.
"""

from __future__ import annotations

import re
from typing import Any

import yaml_rs

from khaosobs.domain import naming
from khaosobs.domain.kubernetes import is_label_value, object_name
from khaosobs.domain.scrape import scrape_jobs
from khaosobs.domain.secret_refs import ENV_NAME_PATTERN
from khaosobs.output import OutputFile
from khaosobs.output.templating import Renderer
from khaosobs.spec.model import Kubernetes, Spec
from khaosobs.targets import alertmanager, embedded_files, grafana, loki, prometheus

NAME = "kubernetes"
_EMBEDDED = (prometheus, alertmanager, grafana, loki)  # the targets whose files its objects hold
USES = tuple(module.NAME for module in _EMBEDDED)
DESCRIPTION = ("Kubernetes manifests: PrometheusRule, PodMonitor, Alertmanager Secret, Grafana dashboards and "
               "datasources, Loki rule ConfigMaps (rendered by default when the spec has a `kubernetes:` block)")

MONITORING_API = "monitoring.coreos.com/v1"
GRAFANA_API = "grafana.integreatly.org/v1beta1"
GRAFANA_ENV_RE = re.compile(rf"\$__env\{{({ENV_NAME_PATTERN})\}}")


def parsed(text: str) -> dict[str, Any]:
    """A plain YAML output read back: the manifests hold its data, so the two cannot differ."""
    data = yaml_rs.loads(text, parse_datetime=False)
    assert isinstance(data, dict), "a rendered rules or provisioning file is a mapping"
    return data


def by_default(spec: Spec) -> bool:
    return spec.kubernetes is not None


class Manifests:
    """Builds the objects of one spec with its settings."""

    def __init__(self, spec: Spec, renderer: Renderer) -> None:
        self.spec = spec
        self.settings = spec.kubernetes or Kubernetes()
        self.renderer = renderer
        self.objects: list[tuple[str, dict[str, Any]]] = []  # (path, object)

    def name(self, *parts: str) -> str:
        return object_name(self.spec.project, *parts)

    def labels(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        project = self.spec.project if is_label_value(self.spec.project) else object_name(self.spec.project, limit=63)
        return {**self.settings.labels, **(extra or {}), "app.kubernetes.io/managed-by": "khaosobs",
                "app.kubernetes.io/part-of": project}

    def add(self, api_version: str, kind: str, name: str, body: dict[str, Any],
            labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None) -> None:
        metadata: dict[str, Any] = {"name": name, "namespace": self.settings.namespace, "labels": self.labels(labels)}
        if annotations:
            metadata["annotations"] = annotations
        self.objects.append((naming.kubernetes_manifest_path(kind, name), {"apiVersion": api_version, "kind": kind,
                                                         "metadata": metadata, **body}))

    def instance_selector(self) -> dict[str, Any]:
        return {"matchLabels": dict(self.settings.grafana_instance_selector)}

    # --- Prometheus Operator -------------------------------------------------------------------

    def prometheus_rules(self, plain: dict[str, str]) -> None:
        for service in self.spec.services:
            groups = parsed(plain[naming.prometheus_rules_path(service.name)])["groups"]
            if any(group.get("rules") for group in groups):  # an empty group deploys nothing
                self.add(MONITORING_API, "PrometheusRule", self.name(service.name), {"spec": {"groups": groups}})

    def pod_monitors(self) -> None:
        for job in scrape_jobs(self.spec):
            endpoint: dict[str, Any] = {"portNumber": job.port} if isinstance(job.port, int) else {"port": job.port}
            endpoint["path"] = job.path
            endpoint["scheme"] = job.scheme
            if job.interval is not None:
                endpoint["interval"] = job.interval
            # the operator's job label would be <namespace>/<PodMonitor>: the service's name, as in prometheus.yml
            endpoint["relabelings"] = [{"action": "replace", "targetLabel": "job", "replacement": job.job}]
            namespaces = {"matchNames": [job.namespace]} if job.namespace is not None else {"any": True}
            self.add(MONITORING_API, "PodMonitor", self.name(job.job), {"spec": {
                "selector": {"matchLabels": dict(job.selector)},
                "namespaceSelector": namespaces,
                "podMetricsEndpoints": [endpoint],
            }})

    def alertmanager_secret(self, plain: dict[str, str]) -> None:
        config = plain.get(naming.ALERTMANAGER_CONFIG_PATH)
        if config is None:
            return
        data = {"alertmanager.yaml": config}
        for path, text in sorted(plain.items()):
            if path.startswith("alertmanager/templates/"):
                data[path.rsplit("/", 1)[-1]] = text
        self.add("v1", "Secret", f"alertmanager-{self.settings.alertmanager}",
                 {"type": "Opaque", "stringData": data})

    # --- Grafana -------------------------------------------------------------------------------

    def dashboards(self, plain: dict[str, str]) -> None:
        for path, text in sorted(plain.items()):
            if not (path.startswith("grafana/dashboards/") and path.endswith(".json")):
                continue
            file_name = path.rsplit("/", 1)[-1]
            uid = file_name.removesuffix(".json")
            if self.settings.dashboards == "grafana-operator":
                self.add(GRAFANA_API, "GrafanaDashboard", self.name("dashboard", uid), {"spec": {
                    "instanceSelector": self.instance_selector(), "folder": self.spec.project, "json": text}})
            else:
                # kube-prometheus-stack's sidecar files a dashboard in the folder this annotation names
                self.add("v1", "ConfigMap", self.name("dashboard", uid), {"data": {file_name: text}},
                         self.settings.grafana_sidecar_labels, {"grafana_folder": self.spec.project})

    def datasources(self, plain: dict[str, str]) -> None:
        text = plain[naming.GRAFANA_DATASOURCES_PATH]
        if self.settings.dashboards != "grafana-operator":
            self.add("v1", "ConfigMap", self.name("grafana-datasources"), {"data": {"khaosobs.yaml": text}},
                     self.settings.grafana_datasource_labels)
            return
        for datasource in parsed(text)["datasources"]:
            body: dict[str, Any] = {"instanceSelector": self.instance_selector(), "datasource": datasource}
            # Grafana's $__env{NAME} works in provisioning files only; the operator substitutes
            # ${NAME} from valuesFrom, here a Secret the deployment provides.
            values_from = []
            for key, value in (datasource.get("secureJsonData") or {}).items():
                if isinstance(value, str) and (found := GRAFANA_ENV_RE.fullmatch(value)):
                    datasource["secureJsonData"][key] = "${" + found.group(1) + "}"
                    values_from.append({"targetPath": f"secureJsonData.{key}", "valueFrom": {
                        "secretKeyRef": {"name": self.name("grafana-secrets"), "key": found.group(1)}}})
            if values_from:
                body["valuesFrom"] = values_from
            self.add(GRAFANA_API, "GrafanaDatasource", self.name("datasource", datasource["uid"]), {"spec": body})

    # --- Loki ----------------------------------------------------------------------------------

    def loki_rules(self, plain: dict[str, str]) -> None:
        for service in self.spec.services:
            text = plain.get(naming.loki_rules_path(service.name))
            if text is not None:
                self.add("v1", "ConfigMap", self.name("loki-rules", service.name),
                         {"data": {f"{service.name}.yaml": text}}, self.settings.loki_rule_labels)

    def files(self) -> list[OutputFile]:
        files = []
        for path, obj in self.objects:
            files.append(self.renderer.file(NAME, "kubernetes/object.yaml.j2", path, "yaml", object=obj))
        kustomization = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "namespace": self.settings.namespace,
            "resources": sorted(path.removeprefix("kubernetes/") for path, _ in self.objects),
        }
        files.append(self.renderer.file(NAME, "kubernetes/kustomization.yaml.j2",
                                        naming.KUBERNETES_KUSTOMIZATION_PATH, "yaml",
                                        kustomization=kustomization))
        return files


def render(spec: Spec, renderer: Renderer) -> list[OutputFile]:
    # the plain outputs as a plain render of this spec with its `kubernetes:` block writes them
    # (the defaults when `--target kubernetes` renders a spec without one)
    deployed = spec if spec.kubernetes is not None else spec.model_copy(update={"kubernetes": Kubernetes()})
    plain = {f.path: f.content for module in _EMBEDDED for f in embedded_files(module, deployed, renderer)}
    manifests = Manifests(spec, renderer)
    manifests.prometheus_rules(plain)
    manifests.pod_monitors()
    manifests.alertmanager_secret(plain)
    manifests.dashboards(plain)
    manifests.datasources(plain)
    manifests.loki_rules(plain)
    return manifests.files()

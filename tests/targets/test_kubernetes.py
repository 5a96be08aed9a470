"""The kubernetes target: every object validates against the real CRD schemas (tests/data/oracles/) or,
for core objects, Kubernetes' own naming and size rules; the rules, dashboards, datasources,
Alertmanager config and Loki rules inside are exactly the plain outputs, and the real promtool
and amtool accept what the manifests hold."""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from khaosobs.domain import naming
from khaosobs.domain.kubernetes import (
    MAX_OBJECT_BYTES,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_label_key,
    is_label_value,
    object_name,
)
from tests.conftest import ORACLES, ROOT, render_spec, rendered_once, run_khaosobs
from tests.support.realtools import PROMETHEUS_VERSIONS, tool

INVALID_EXAMPLES = {"seed-as-written.yaml"}
EXAMPLES = [ROOT / "specs",
            *sorted(p for p in (ROOT / "tests" / "specs").glob("*.yaml") if p.name not in INVALID_EXAMPLES)]
DEPLOY_SPEC = ROOT / "tests" / "specs" / "deploy.yaml"
PLAIN = ("prometheus", "alertmanager", "grafana", "loki")
DATA_KEY_RE = r"[-._a-zA-Z0-9]+"  # ConfigMap and Secret keys


def spec_id(spec: Path) -> str:
    return spec.relative_to(ROOT).as_posix()


def rendered(spec: Path) -> Path:
    """Every spec with `--target kubernetes` explicitly (so specs without a `kubernetes:` block
    get the default settings) and the plain outputs it is compared with."""
    return rendered_once(spec, "kubernetes", *PLAIN)


def objects(out: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted((out / "kubernetes").rglob("*.yaml")):
        if path.name != "kustomization.yaml":
            found[path.relative_to(out).as_posix()] = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert found, f"no manifests under {out}"
    return found


def of_kind(out: Path, kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects(out).values() if obj["kind"] == kind]


class CRDLoader(yaml.SafeLoader):
    """YAML 1.1 reads a lone `=` (an enum value in the ServiceMonitor CRD) as a `value` tag; it is a string."""


CRDLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


@functools.cache
def crd_validators() -> dict[tuple[str, str], jsonschema.Draft7Validator]:
    """(apiVersion, kind) -> a validator of the CRD's openAPIV3Schema (each served version)."""
    validators = {}
    for path in sorted(ORACLES.glob("*-crds/*.yaml")):
        crd = yaml.load(path.read_text(encoding="utf-8"), Loader=CRDLoader)
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                schema = version["schema"]["openAPIV3Schema"]
                validators[(f"{group}/{version['name']}", kind)] = jsonschema.Draft7Validator(schema)
    return validators


def crd_errors(obj: dict[str, Any]) -> list[str]:
    validator = crd_validators().get((obj["apiVersion"], obj["kind"]))
    if validator is None:
        return [f"no CRD for {obj['apiVersion']} {obj['kind']}"]
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)]


CORE_KINDS = {("v1", "ConfigMap"), ("v1", "Secret")}


def core_errors(obj: dict[str, Any]) -> list[str]:
    """ConfigMap and Secret: string data under valid keys (Kubernetes' own validation)."""
    import re

    field = "data" if obj["kind"] == "ConfigMap" else "stringData"
    data = obj.get(field)
    errors = [] if isinstance(data, dict) and data else [f"{field} missing or empty"]
    for key, value in (data or {}).items():
        if not re.fullmatch(DATA_KEY_RE, key) or len(key) > 253:
            errors.append(f"{field} key {key!r} is not a valid key")
        if not isinstance(value, str):
            errors.append(f"{field}.{key} is not a string")
    if set(obj) - {"apiVersion", "kind", "metadata", "data", "stringData", "type"}:
        errors.append(f"unknown fields {sorted(set(obj) - {'apiVersion', 'kind', 'metadata', field, 'type'})}")
    return errors


def metadata_errors(obj: dict[str, Any]) -> list[str]:
    metadata = obj["metadata"]
    errors = []
    if not is_dns1123_subdomain(metadata["name"]):
        errors.append(f"name {metadata['name']!r} is not a DNS-1123 subdomain")
    if not is_dns1123_label(metadata["namespace"]):
        errors.append(f"namespace {metadata['namespace']!r} is not a DNS-1123 label")
    for key, value in metadata.get("labels", {}).items():
        if not (is_label_key(key) and is_label_value(value)):
            errors.append(f"label {key}={value!r} is not valid")
    size = len(json.dumps(obj, ensure_ascii=False).encode())
    if size > MAX_OBJECT_BYTES:
        errors.append(f"{size} bytes: over Kubernetes' 1 MiB")
    return errors


@pytest.mark.parametrize("spec", EXAMPLES, ids=spec_id)
def test_every_object_validates(spec: Path) -> None:
    problems = {}
    for path, obj in objects(rendered(spec)).items():
        kind = (obj["apiVersion"], obj["kind"])
        errors = metadata_errors(obj) + (core_errors(obj) if kind in CORE_KINDS else crd_errors(obj))
        if errors:
            problems[path] = errors
    assert problems == {}


@pytest.mark.parametrize("spec", EXAMPLES, ids=spec_id)
def test_kustomization_lists_every_object_once(spec: Path) -> None:
    out = rendered(spec)
    kustomization = yaml.safe_load((out / "kubernetes" / "kustomization.yaml").read_text(encoding="utf-8"))
    listed = [f"kubernetes/{path}" for path in kustomization["resources"]]
    assert listed == sorted(objects(out))
    names = [(o["kind"], o["metadata"]["name"]) for o in objects(out).values()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("spec", EXAMPLES, ids=spec_id)
def test_prometheus_rules_are_exactly_the_plain_rules(spec: Path) -> None:
    out = rendered(spec)
    in_manifests = {rule["metadata"]["name"]: rule["spec"]["groups"] for rule in of_kind(out, "PrometheusRule")}
    plain = {}
    for path in sorted((out / "prometheus" / "rules").glob("*.yml")):
        groups = yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
        if any(group.get("rules") for group in groups):
            plain[path.stem] = groups
    project = yaml.safe_load((out / "kubernetes" / "kustomization.yaml").read_text(encoding="utf-8"))
    assert project["kind"] == "Kustomization"
    assert sorted(in_manifests.values(), key=str) == sorted(plain.values(), key=str)
    assert len(in_manifests) == len(plain)


@pytest.mark.realtools
@pytest.mark.parametrize("version", PROMETHEUS_VERSIONS)
@pytest.mark.parametrize("spec", [ROOT / "specs", DEPLOY_SPEC], ids=spec_id)
def test_promtool_accepts_the_prometheus_rule_objects(spec: Path, version: str, tmp_path: Path) -> None:
    rules = of_kind(rendered(spec), "PrometheusRule")
    files = []
    for rule in rules:
        path = tmp_path / f"{rule['metadata']['name']}.yml"
        path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}, allow_unicode=True), encoding="utf-8")
        files.append(str(path))
    result = subprocess.run([str(tool("promtool", version)), "check", "rules", *files], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files)


@pytest.mark.parametrize("spec", EXAMPLES, ids=spec_id)
def test_dashboards_and_datasources_are_exactly_the_plain_ones(spec: Path) -> None:
    out = rendered(spec)
    plain = {p.name: p.read_text(encoding="utf-8") for p in (out / "grafana" / "dashboards").glob("*.json")}
    datasources_text = (out / naming.GRAFANA_DATASOURCES_PATH).read_text(encoding="utf-8")
    datasources = yaml.safe_load(datasources_text)["datasources"]
    operator = of_kind(out, "GrafanaDashboard")
    if operator:
        found = {json.loads(d["spec"]["json"])["uid"] + ".json": d["spec"]["json"] for d in operator}
        for dashboard in operator:
            assert dashboard["spec"]["instanceSelector"]["matchLabels"]
        in_operator = {d["spec"]["datasource"]["uid"]: d["spec"]["datasource"]
                       for d in of_kind(out, "GrafanaDatasource")}
        assert set(in_operator) == {d["uid"] for d in datasources}
        for datasource in datasources:
            secure = datasource.pop("secureJsonData", None)
            got = dict(in_operator[datasource["uid"]])
            got_secure = got.pop("secureJsonData", None)
            assert got == datasource
            assert (secure is None) == (got_secure is None)
    else:
        maps = [m for m in of_kind(out, "ConfigMap") if "grafana_dashboard" in m["metadata"]["labels"]]
        found = {key: value for m in maps for key, value in m["data"].items()}
        assert all(len(m["data"]) == 1 for m in maps)  # one dashboard per ConfigMap: each under 1 MiB
        [provisioning] = [m for m in of_kind(out, "ConfigMap") if "grafana_datasource" in m["metadata"]["labels"]]
        assert provisioning["data"] == {"khaosobs.yaml": datasources_text}
    assert found == plain


@pytest.mark.parametrize("spec", EXAMPLES, ids=spec_id)
def test_loki_rules_are_exactly_the_plain_ones(spec: Path) -> None:
    out = rendered(spec)
    plain = {p.stem + ".yaml": p.read_text(encoding="utf-8") for p in (out / "loki" / "rules").glob("*.yml")}
    maps = [m for m in of_kind(out, "ConfigMap") if "-loki-rules-" in m["metadata"]["name"]]
    assert {key: value for m in maps for key, value in m["data"].items()} == plain


@pytest.mark.realtools
@pytest.mark.parametrize("spec", EXAMPLES, ids=spec_id)
def test_alertmanager_secret_is_the_plain_config_and_amtool_accepts_it(spec: Path, tmp_path: Path) -> None:
    out = rendered(spec)
    plain = out / naming.ALERTMANAGER_CONFIG_PATH
    secrets = of_kind(out, "Secret")
    if not plain.exists():
        assert secrets == []
        return
    [secret] = secrets
    settings = spec_settings(spec)
    assert secret["metadata"]["name"] == "alertmanager-" + (settings or {}).get("alertmanager", "main")
    data = secret["stringData"]
    if settings is not None:  # a plain render of this spec writes exactly what the Secret holds
        assert data["alertmanager.yaml"] == plain.read_text(encoding="utf-8")
    else:  # rendered with --target kubernetes only: the Operator's template folder is added, nothing else
        in_secret, on_disk = yaml.safe_load(data["alertmanager.yaml"]), load_yaml(plain)
        if "templates" in on_disk:
            assert in_secret.pop("templates") == [*on_disk.pop("templates"),
                                                  naming.ALERTMANAGER_OPERATOR_TEMPLATES_GLOB]
        assert in_secret == on_disk
    # templates are written only when a receiver uses one; then the Operator's folder is listed too
    listed = yaml.safe_load(data["alertmanager.yaml"]).get("templates", [])
    assert (naming.ALERTMANAGER_OPERATOR_TEMPLATES_GLOB in listed) == (out / "alertmanager" / "templates").is_dir()
    templates = {p.name: p.read_text(encoding="utf-8") for p in (out / "alertmanager" / "templates").glob("*")}
    assert {k: v for k, v in data.items() if k != "alertmanager.yaml"} == templates
    # what the Secret holds, laid out as the plain files are, is what amtool checks
    (tmp_path / "templates").mkdir()
    (tmp_path / "alertmanager.yml").write_text(data["alertmanager.yaml"], encoding="utf-8")
    for name in templates:
        (tmp_path / "templates" / name).write_text(data[name], encoding="utf-8")
    # discord-028.yaml targets Alertmanager 0.28 (webhook_url_file): Debian 13's amtool
    amtool = str(tool("amtool", "0.28")) if "028" in spec.name else str(tool("amtool", "0.25"))
    result = subprocess.run([amtool, "check-config", str(tmp_path / "alertmanager.yml")], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def spec_settings(spec: Path) -> dict[str, Any] | None:
    """The spec's `kubernetes:` block (None without one)."""
    files = sorted(spec.glob("*.yaml")) if spec.is_dir() else [spec]
    for file in files:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "kubernetes" in data:
            block: dict[str, Any] = data["kubernetes"] or {}
            return block
    return None


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_pod_monitors_scrape_what_prometheus_yml_scrapes() -> None:
    out = rendered(DEPLOY_SPEC)
    monitors = {m["metadata"]["name"]: m["spec"] for m in of_kind(out, "PodMonitor")}
    assert set(monitors) == {"deploy-lab-checkout-api", "deploy-lab-payments", "deploy-lab-ledger"}
    payments = monitors["deploy-lab-payments"]
    assert payments["selector"] == {"matchLabels": {"app": "payments", "tier": "backend"}}
    assert payments["namespaceSelector"] == {"matchNames": ["payments"]}
    [endpoint] = payments["podMetricsEndpoints"]
    assert endpoint == {"port": "http-metrics", "path": "/metrics", "scheme": "https",
                        "relabelings": [{"action": "replace", "targetLabel": "job", "replacement": "payments"}]}
    checkout = monitors["deploy-lab-checkout-api"]
    assert checkout["selector"] == {"matchLabels": {"app.kubernetes.io/name": "checkout-api"}}
    assert checkout["namespaceSelector"] == {"any": True}
    assert checkout["podMetricsEndpoints"][0]["portNumber"] == 8080
    assert checkout["podMetricsEndpoints"][0]["interval"] == "15s"


def test_settings_reach_every_object() -> None:
    out = rendered(DEPLOY_SPEC)
    for obj in objects(out).values():
        assert obj["metadata"]["namespace"] == "observability"
        assert obj["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "deploy-lab"
    [loki] = [d for d in of_kind(out, "GrafanaDatasource") if d["spec"]["datasource"]["uid"] == "loki"]
    assert loki["spec"]["instanceSelector"] == {"matchLabels": {"dashboards": "main-grafana"}}
    # Grafana's $__env{} works in provisioning files only: the operator substitutes from valuesFrom
    assert loki["spec"]["datasource"]["secureJsonData"] == {"httpHeaderValue1": "${LOKI_AUTH}"}
    assert loki["spec"]["valuesFrom"] == [{"targetPath": "secureJsonData.httpHeaderValue1", "valueFrom": {
        "secretKeyRef": {"name": "deploy-lab-grafana-secrets", "key": "LOKI_AUTH"}}}]


def test_crd_validation_is_real() -> None:
    """The validators refuse what the API server would: a bad duration, a missing selector."""
    [rule] = of_kind(rendered(DEPLOY_SPEC), "PrometheusRule")[:1]
    broken = json.loads(json.dumps(rule))
    broken["spec"]["groups"][0]["rules"][0]["for"] = "5 minutes"
    assert crd_errors(broken)
    [dashboard] = of_kind(rendered(DEPLOY_SPEC), "GrafanaDashboard")[:1]
    broken = json.loads(json.dumps(dashboard))
    del broken["spec"]["instanceSelector"]
    assert crd_errors(broken)


def test_plain_render_writes_manifests_only_for_a_spec_with_a_kubernetes_block(tmp_path: Path) -> None:
    without = render_spec(ROOT / "tests" / "specs" / "routing.yaml", tmp_path / "a")
    assert not (without / "kubernetes").exists()
    with_block = render_spec(DEPLOY_SPEC, tmp_path / "b")
    assert (with_block / "kubernetes" / "kustomization.yaml").exists()
    check = run_khaosobs("render", "tests/specs/deploy.yaml", "-o", tmp_path / "b", "--target", "kubernetes",
                         "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    (with_block / "kubernetes" / "kustomization.yaml").write_text("stale\n", encoding="utf-8")
    stale = run_khaosobs("render", "tests/specs/deploy.yaml", "-o", tmp_path / "b", "--target", "kubernetes",
                         "--check")
    assert stale.returncode == 1 and "kustomization.yaml" in stale.stdout + stale.stderr


def test_many_dashboards_stay_under_the_object_limit(tmp_path: Path) -> None:
    panels = [{"title": f"Panel {i} " + "x" * 200, "expr": "up"} for i in range(40)]
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"version": 1, "project": "big", "external_metrics": ["up"],
                                    "kubernetes": {},
                                    "dashboards": [{"title": f"Board {i}", "panels": panels} for i in range(60)]}),
                    encoding="utf-8")
    out = render_spec(spec, tmp_path / "out")
    total = sum(p.stat().st_size for p in (out / "grafana" / "dashboards").glob("*.json"))
    assert total > MAX_OBJECT_BYTES  # the folder would not fit one ConfigMap
    maps = [m for m in of_kind(out, "ConfigMap") if "grafana_dashboard" in m["metadata"]["labels"]]
    assert len(maps) == 60
    assert all(not metadata_errors(m) for m in maps)


@pytest.mark.parametrize(("parts", "name"), [
    (("shop", "checkout"), "shop-checkout"),
    (("shop", "dashboard", "Ledger_Lag"), None),
    (("a" * 300,), None),
])
def test_object_names_are_dns1123(parts: tuple[str, ...], name: str | None) -> None:
    made = object_name(*parts)
    assert is_dns1123_subdomain(made)
    if name is not None:
        assert made == name
    else:
        assert made != object_name(*parts[:-1], parts[-1].lower() + "x")

"""prometheus.yml (part of the prometheus target): accepted by the real promtool 2.42 and 2.53,
which also load every rule file it names; one job per scraped service; Alertmanager and the
Collector's exporter where the telemetry block says."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from khaosobs.commands.validate import validate_paths
from khaosobs.domain import naming
from khaosobs.domain.scrape import COLLECTOR_JOB
from tests.conftest import ROOT, rendered_once
from tests.support.realtools import PROMETHEUS_VERSIONS, tool

pytestmark = pytest.mark.realtools

INVALID_EXAMPLES = {"seed-as-written.yaml"}
EXAMPLES = [*sorted((ROOT / "specs").glob("*.yaml")),
            *sorted(p for p in (ROOT / "tests" / "specs").glob("*.yaml") if p.name not in INVALID_EXAMPLES)]
DEPLOY_SPEC = ROOT / "tests" / "specs" / "deploy.yaml"
CONFIG = naming.PROMETHEUS_CONFIG_PATH
# Debian's Prometheus packages are built without Kubernetes service discovery (upstream binaries
# have it): Debian 12's promtool 2.42 refuses the key, Debian 13's 2.53 has it.
NO_KUBERNETES_SD = "field kubernetes_sd_configs not found in type config.ScrapeConfig"


def spec_id(spec: Path) -> str:
    return spec.relative_to(ROOT).as_posix()


def rendered(spec: Path) -> Path:
    return rendered_once(spec, "prometheus")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def check_config(promtool: str, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, "check", "config", str(config)], capture_output=True, text=True,
                          timeout=120, check=False, cwd=config.parent)


def without_kubernetes_discovery(config: dict[str, Any]) -> dict[str, Any]:
    """The same config with each pod discovery replaced by a static target."""
    changed = copy.deepcopy(config)
    for job in changed["scrape_configs"]:
        if job.pop("kubernetes_sd_configs", None) is not None:
            job["static_configs"] = [{"targets": ["pod.invalid:8080"]}]
    return changed


@pytest.mark.parametrize("version", PROMETHEUS_VERSIONS)
@pytest.mark.parametrize("spec", EXAMPLES, ids=spec_id)
def test_promtool_check_config_accepts_it_and_every_rule_file(spec: Path, version: str, tmp_path: Path) -> None:
    out = rendered(spec)
    promtool = str(tool("promtool", version))
    config = out / CONFIG
    services = len(list((out / "prometheus" / "rules").glob("*.yml")))
    data = load(config)
    uses_pods = any("kubernetes_sd_configs" in job for job in data["scrape_configs"])
    result = check_config(promtool, config)
    if version == "2.42" and uses_pods:
        assert result.returncode != 0
        refused = [line for line in (result.stdout + result.stderr).splitlines() if "line " in line]
        assert refused and all(NO_KUBERNETES_SD in line for line in refused), result.stderr
        # everything else of the file is accepted: the same config with static targets instead
        (tmp_path / "prometheus").mkdir()
        (tmp_path / "prometheus" / "rules").symlink_to(out / "prometheus" / "rules")
        config = tmp_path / "prometheus" / "prometheus.yml"
        config.write_text(yaml.safe_dump(without_kubernetes_discovery(data)), encoding="utf-8")
        result = check_config(promtool, config)
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert f"SUCCESS: {services} rule files found" in output
    assert output.count("rules found") == services  # promtool loaded each rule file


@pytest.mark.parametrize("spec", EXAMPLES, ids=spec_id)
def test_rule_files_are_the_rendered_ones_relative_to_the_config(spec: Path) -> None:
    out = rendered(spec)
    data = load(out / CONFIG)
    on_disk = sorted(p.relative_to(out / "prometheus").as_posix() for p in (out / "prometheus" / "rules").glob("*"))
    assert sorted(data["rule_files"]) == on_disk
    assert all(not Path(entry).is_absolute() for entry in data["rule_files"])


@pytest.mark.parametrize("spec", EXAMPLES, ids=spec_id)
def test_one_job_per_scraped_service_then_the_collector(spec: Path) -> None:
    validation = validate_paths([spec], run_checks=False)
    assert validation.spec is not None
    data = load(rendered(spec) / CONFIG)
    expected = [s.name for s in validation.spec.services if s.metrics or s.scrape is not None]
    assert [job["job_name"] for job in data["scrape_configs"]] == [*expected, COLLECTOR_JOB]
    collector = data["scrape_configs"][-1]
    assert collector["honor_labels"] is True
    [target] = collector["static_configs"][0]["targets"]
    assert target.endswith(f":{naming.OTEL_PROMETHEUS_PORT}")


def test_every_form_of_scrape() -> None:
    data = load(rendered(DEPLOY_SPEC) / CONFIG)
    assert data["global"] == {"scrape_interval": "30s", "evaluation_interval": "1m"}
    assert data["alerting"] == {"alertmanagers": [{
        "scheme": "https", "path_prefix": "/am",
        "static_configs": [{"targets": ["alertmanager.monitoring.svc:9093"]}]}]}
    jobs = {job["job_name"]: job for job in data["scrape_configs"]}
    assert set(jobs) == {"checkout-api", "payments", "ledger", COLLECTOR_JOB}  # batch-jobs has no metrics
    assert jobs["checkout-api"] == {"job_name": "checkout-api", "scrape_interval": "15s", "metrics_path": "/metrics",
                                    "scheme": "http", "static_configs": [{"targets": ["checkout-api:8080"]}]}
    assert jobs["ledger"]["static_configs"] == [{"targets": ["10.0.0.5:9100", "ledger-1.example.internal:9100"]}]
    assert jobs["ledger"]["metrics_path"] == "/internal/metrics"
    payments = jobs["payments"]
    assert payments["scheme"] == "https" and "scrape_interval" not in payments
    assert payments["kubernetes_sd_configs"] == [{
        "role": "pod", "namespaces": {"names": ["payments"]},
        "selectors": [{"role": "pod", "label": "app=payments,tier=backend"}]}]
    assert payments["relabel_configs"][0] == {"source_labels": ["__meta_kubernetes_pod_container_port_name"],
                                              "regex": "http-metrics", "action": "keep"}
    assert jobs[COLLECTOR_JOB]["static_configs"] == [{"targets": ["collector.observability:8889"]}]


def test_defaults_of_a_service_without_scrape() -> None:
    data = load(rendered(ROOT / "specs") / CONFIG)
    bot, gateway = data["scrape_configs"][:2]
    assert bot == {"job_name": "discord-ops-bot", "scrape_interval": "30s", "metrics_path": "/metrics",
                   "scheme": "http", "static_configs": [{"targets": ["discord-ops-bot:8000"]}]}
    assert gateway == {"job_name": "event-gateway", "metrics_path": "/metrics", "scheme": "http",
                       "static_configs": [{"targets": ["event-gateway:8080"]}]}  # no `scrape:`: the defaults
    assert data["global"] == {"scrape_interval": "15s", "evaluation_interval": "15s"}
    assert data["alerting"]["alertmanagers"][0]["static_configs"] == [{"targets": ["alertmanager:9093"]}]

"""The real-world corpus (tests/data/realworld/awesome-prometheus-alerts) as ONE khaosobs spec.

Each rule file becomes a service named after its path (`ssl/tls/ribbybibby-ssl-exporter.yml` ->
`ssl-tls-ribbybibby-ssl-exporter`), each rule an alert carrying the rule's name, expr, for,
severity, summary and description exactly; every metric the corpus uses is declared in
`external_metrics` (from the corpus' metrics list). The group with no rules becomes a service
with no alerts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from khaosobs.domain.naming import slugify
from tests.conftest import REALWORLD

CORPUS = REALWORLD / "awesome-prometheus-alerts"
METRICS = REALWORLD / "awesome-prometheus-alerts.metrics.txt"


@dataclass(frozen=True)
class SourceRule:
    service: str
    file: Path
    name: str
    expr: str
    for_: str | None
    severity: str
    summary: str
    description: str | None


def rule_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.yml"))


def service_name(file: Path) -> str:
    return slugify(file.relative_to(CORPUS).with_suffix("").as_posix())


@functools.cache
def source_rules() -> tuple[SourceRule, ...]:
    """Every alerting rule of the corpus, in file order (read once: the corpus does not change)."""
    rules: list[SourceRule] = []
    for file in rule_files():
        document = yaml.load(file.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        for group in document["groups"]:
            for rule in group.get("rules") or []:
                annotations = rule.get("annotations") or {}
                rules.append(
                    SourceRule(
                        service_name(file),
                        file,
                        rule["alert"],
                        rule["expr"],
                        str(rule["for"]) if "for" in rule else None,
                        rule["labels"]["severity"],
                        annotations["summary"],
                        annotations.get("description"),
                    )
                )
    return tuple(rules)


def listed_metrics() -> list[str]:
    """The corpus' own list of the metrics it uses."""
    return [line.strip() for line in METRICS.read_text(encoding="utf-8").splitlines() if line.strip()]


def used_metrics() -> set[str]:
    """The metric names the corpus' expressions select, read with the PromQL parser."""
    from khaosobs.domain.promql_analysis import analyse

    names: set[str] = set()
    for rule in source_rules():
        analysis = analyse(rule.expr)
        names.update(s.name for s in analysis.selectors if s.name is not None and not s.regex_name)
    return names


def corpus_metrics() -> list[str]:
    """The list, plus what it misses (it skips the one folder nested two deep: ssl/tls)."""
    listed = listed_metrics()
    return listed + sorted(used_metrics() - set(listed))


def realworld_spec() -> dict[str, Any]:
    """The spec as data: dump it with `yaml.safe_dump` to get a file `khaosobs validate` reads."""
    services: dict[str, dict[str, Any]] = {}
    for file in rule_files():
        name = service_name(file)
        if name in services:
            raise ValueError(f"two corpus files map to the service name {name}")
        services[name] = {"name": name, "alerts": []}
    for rule in source_rules():
        alert: dict[str, Any] = {"name": rule.name, "expr": rule.expr}
        if rule.for_ is not None:
            alert["for"] = rule.for_
        alert["severity"] = rule.severity
        alert["summary"] = rule.summary
        if rule.description is not None:
            alert["description"] = rule.description
        services[rule.service]["alerts"].append(alert)
    return {
        "version": 1,
        "project": "awesome-prometheus-alerts",
        "external_metrics": corpus_metrics(),
        "services": list(services.values()),
    }


def write_realworld_spec(path: Path) -> Path:
    text = yaml.dump(realworld_spec(), Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, width=1 << 30)
    path.write_text(text, encoding="utf-8")
    return path

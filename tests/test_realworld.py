"""The real-world corpus (950+ alert rules of awesome-prometheus-alerts) as one spec: it validates
without a false error, and renders to Prometheus rules that promtool accepts, with every alert's
expr, for, summary and description exactly as the source has them."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from khaosobs.domain.naming import ALERT_NAME_RE, prometheus_rules_path
from tests.conftest import run_khaosobs
from tests.support.realworld import (
    CORPUS,
    corpus_metrics,
    listed_metrics,
    realworld_spec,
    rule_files,
    source_rules,
    write_realworld_spec,
)

# Warnings the corpus may legitimately raise: its alert names are not all CamelCase
# (`CassandraStorageExceptions(criteo)`, `MysqlTooManyConnections(>80%)`). Anything else is a
# false warning until shown otherwise.
EXPECTED_WARNINGS = {"alert-name"}
# Errors the corpus rightly draws: 229 summaries and descriptions say
# `(instance {{ $labels.instance }})` after an expression that aggregates `instance` away
# (`sum by (job) (...)`, `absent(...)`, `count(...)`, `... * on (a, b) ...`), so Prometheus
# renders "instance <no value>" (pint reports the same as alerts/template). The analysis behind
# it is held to the real Prometheus by tests/checks/test_label_analysis.py.
EXPECTED_ERRORS = {"template-label-unknown"}
_PATH_RE = re.compile(r"services\[(\d+)\]\.alerts\[(\d+)\]\.(summary|description)")
_LABEL_RE = re.compile(r'reads label "([^"]+)"')


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_realworld_spec(tmp_path_factory.mktemp("realworld") / "realworld.yaml")


@pytest.fixture(scope="module")
def report(spec_path: Path) -> dict[str, Any]:
    result = run_khaosobs("validate", "--format", "json", spec_path.name, cwd=spec_path.parent)
    parsed: dict[str, Any] = json.loads(result.stdout)
    parsed["returncode"] = result.returncode
    return parsed


def repaired(report: dict[str, Any]) -> tuple[dict[str, Any], set[tuple[int, int]]]:
    """The corpus with every template read the report rightly refuses replaced by `$value`."""
    spec = realworld_spec()
    fixed: set[tuple[int, int]] = set()
    for finding in report["diagnostics"]:
        if finding["code"] != "template-label-unknown":
            continue
        where, label = _PATH_RE.fullmatch(finding["path"]), _LABEL_RE.search(finding["message"])
        assert where and label, finding
        s, a, key = int(where.group(1)), int(where.group(2)), where.group(3)
        alert = spec["services"][s]["alerts"][a]
        alert[key] = re.sub(rf"\$labels\.{re.escape(label.group(1))}\b", "$value", alert[key])
        fixed.add((s, a))
    return spec, fixed


def test_corpus_is_complete() -> None:
    rules = source_rules()
    files = rule_files()
    spec = realworld_spec()
    assert len(files) == len(spec["services"]) >= 111
    assert len(rules) >= 950
    assert sum(len(s["alerts"]) for s in spec["services"]) == len(rules)
    empty = [s["name"] for s in spec["services"] if not s["alerts"]]
    assert empty == ["zookeeper-cloudflare-kafka-zookeeper-exporter"]
    assert set(listed_metrics()) <= set(corpus_metrics())
    names = [s["name"] for s in spec["services"]]
    assert len(set(names)) == len(names)
    assert "ssl-tls-ribbybibby-ssl-exporter" in names  # the one file two folders deep


def test_realworld_validates_without_false_errors(report: dict[str, Any]) -> None:
    errors = [d for d in report["diagnostics"] if d["severity"] == "error"]
    warnings = Counter(d["code"] for d in report["diagnostics"] if d["severity"] == "warning")
    print(
        f"realworld: {len(source_rules())} alerts, {len(errors)} errors, warnings by code: {dict(warnings)}"
    )
    assert {d["code"] for d in errors} <= EXPECTED_ERRORS, errors[:5]
    assert len(errors) == 229
    assert set(warnings) <= EXPECTED_WARNINGS, warnings
    not_camel = sum(1 for rule in source_rules() if not ALERT_NAME_RE.fullmatch(rule.name))
    assert warnings["alert-name"] == not_camel


@pytest.mark.realtools
def test_realworld_renders_rules_promtool_accepts(report: dict[str, Any], tmp_path: Path) -> None:
    spec, fixed = repaired(report)
    spec_path = tmp_path / "realworld.yaml"
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=1 << 30), encoding="utf-8")
    out = tmp_path / "generated"
    result = run_khaosobs("render", spec_path, "--target", "prometheus", "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    service_index = {service["name"]: i for i, service in enumerate(spec["services"])}
    rendered = {file.service: out / prometheus_rules_path(file.service) for file in source_rules()}
    files = sorted({out / prometheus_rules_path(s["name"]) for s in realworld_spec()["services"]})
    assert all(f.is_file() for f in files)

    check = subprocess.run(
        ["promtool", "check", "rules", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]

    by_service: dict[str, list[dict[str, Any]]] = {}
    for service, path in rendered.items():
        if service not in by_service:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
            by_service[service] = [r for g in document["groups"] for r in g["rules"] if "alert" in r]
    mismatches: list[str] = []
    positions: Counter[str] = Counter()
    in_service: Counter[str] = Counter()
    for rule in source_rules():
        place = (service_index[rule.service], in_service[rule.service])
        in_service[rule.service] += 1
        alerts = [a for a in by_service[rule.service] if a["alert"] == rule.name]
        index = positions[f"{rule.service}/{rule.name}"]
        positions[f"{rule.service}/{rule.name}"] += 1
        if place in fixed:
            continue  # its text was repaired above: compared with the repair by the render itself
        if index >= len(alerts):
            mismatches.append(f"{rule.service}: {rule.name} missing")
            continue
        got = alerts[index]
        annotations = got.get("annotations") or {}
        assert isinstance(annotations, dict)
        expected = {
            "expr": rule.expr,
            "for": rule.for_,
            "summary": rule.summary,
            "description": rule.description,
            "severity": rule.severity,
        }
        actual = {
            "expr": got["expr"],
            "for": got.get("for"),
            "summary": annotations.get("summary"),
            "description": annotations.get("description"),
            "severity": (got.get("labels") or {}).get("severity"),
        }
        for key, value in expected.items():
            if actual[key] != value:
                mismatches.append(f"{rule.service}: {rule.name}.{key}: {actual[key]!r} != {value!r}")
    assert not mismatches, mismatches[:10]
    source_count = sum(1 for _ in CORPUS.rglob("*.yml"))
    assert len(files) == source_count

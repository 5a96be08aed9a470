"""The instrumentation target: prometheus_client modules that define exactly the spec's metrics.

Each generated module is imported in a fresh interpreter (a fresh default registry) and its
exposition is compared with the spec: names, TYPE, HELP (exact), label names and buckets.
"""

from __future__ import annotations

import ast
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from khaosobs.output.serialise import python_literal
from khaosobs.spec.model import Metric, Service, Spec
from khaosobs.targets.instrumentation import module_context
from tests.conftest import EXAMPLE_SPECS
from tests.support.rules import render, rendered_example, yielded

MODULES = yielded("instrumentation")

# Imports one generated module into a registry holding nothing else, then reports what it exposes.
PROBE = r'''
import importlib.util, json, sys
from prometheus_client import REGISTRY, generate_latest
for collector in list(REGISTRY._collector_to_names):
    REGISTRY.unregister(collector)
spec = importlib.util.spec_from_file_location("generated_metrics", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
objects = {}
for name in module.__all__:
    metric = getattr(module, name)
    objects[name] = {"name": metric._name, "type": metric._type, "help": metric._documentation,
                     "labels": list(metric._labelnames),
                     "buckets": [repr(b) for b in getattr(metric, "_upper_bounds", [])]}
print(json.dumps({"exposition": generate_latest(REGISTRY).decode("utf-8"), "objects": objects}))
'''


def probe(module: Path) -> dict[str, Any]:
    env = {**os.environ, "PROMETHEUS_DISABLE_CREATED_SERIES": "True"}
    result = subprocess.run([sys.executable, "-c", PROBE, str(module)], capture_output=True, text=True,
                            env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def exposed_name(metric: Metric) -> str:
    """prometheus_client always exposes a counter as `<name>_total`."""
    if metric.type == "counter" and not metric.name.endswith("_total"):
        return metric.name + "_total"
    return metric.name


def unescape_help(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append({"n": "\n", "\\": "\\"}.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def check_module(module: Path, service: Service) -> None:
    data = probe(module)
    families = {name: (kind, unescape_help(raw)) for name, (kind, raw) in
                exposed_families_raw(data["exposition"]).items()}
    assert families == {exposed_name(m): (m.type, m.help) for m in service.metrics}
    objects = list(data["objects"].values())
    assert [o["help"] for o in objects] == [m.help for m in service.metrics]
    assert [o["labels"] for o in objects] == [m.labels for m in service.metrics]
    for obj, metric in zip(objects, service.metrics, strict=True):
        assert obj["type"] == metric.type
        if metric.type == "histogram" and metric.buckets:
            bounds = [*map(float, metric.buckets)]
            expected = bounds if math.isinf(bounds[-1]) else [*bounds, math.inf]
            assert obj["buckets"] == [repr(b) for b in expected]


def exposed_families_raw(exposition: str) -> dict[str, tuple[str, str]]:
    helps: dict[str, str] = {}
    types: dict[str, str] = {}
    for line in exposition.split("\n"):  # not splitlines(): a HELP may hold U+2028
        if line.startswith("# HELP "):
            name, _, text = line[len("# HELP "):].partition(" ")
            helps[name] = text
        elif line.startswith("# TYPE "):
            name, _, kind = line[len("# TYPE "):].partition(" ")
            types[name] = kind
    assert helps.keys() == types.keys()
    return {name: (types[name], helps[name]) for name in types}




@pytest.mark.parametrize("spec", EXAMPLE_SPECS, ids=[s.stem for s in EXAMPLE_SPECS])
def test_generated_modules_expose_exactly_the_spec_metrics(spec: Path) -> None:
    from khaosobs.commands.validate import validate_paths
    from khaosobs.domain.naming import instrumentation_path

    validation = validate_paths([spec])
    assert validation.spec is not None
    services = [s for s in validation.spec.services if s.metrics]
    expected = sorted(instrumentation_path(s.name) for s in services)
    assert sorted(p for s, p in MODULES if s == spec) == expected
    for service in services:
        check_module(rendered_example(spec) / instrumentation_path(service.name), service)


TRICKY = r"""version: 1
project: py
services:
  - name: odd-service
    metrics:
      - name: odd_events_total
        type: counter
        help: "He said \"hi\" and 'bye'\nsecond line \\ backslash, unicode é ✓ 日本,
          ''' and \"\"\" and {{ x }}"
        labels: [kind, "class"]
      - name: odd_latency_seconds
        type: histogram
        help: "Latency\u2028with a line separator"
        buckets: [0.005, 1, 2.5, .inf]
      - name: odd_queue
        type: gauge
        help: '#not a comment'
      - name: odd_sizes_bytes
        type: summary
        help: Sizes
        labels: [import]
  - name: no-metrics
"""


def test_tricky_help_texts_come_out_exact(tmp_path: Path) -> None:
    (tmp_path / "py.yaml").write_text(TRICKY, encoding="utf-8")
    out = render("py.yaml", tmp_path / "out", "instrumentation", cwd=tmp_path)
    assert not (out / "instrumentation/python/no_metrics_metrics.py").exists()
    module = out / "instrumentation/python/odd_service_metrics.py"
    source = module.read_text(encoding="utf-8")
    assert source.startswith("# Generated by khaosobs from py.yaml.")
    tree = ast.parse(source)
    assert ast.get_docstring(tree) is not None
    spec = Spec.model_validate(yaml.safe_load(TRICKY))
    check_module(module, spec.services[0])


def test_python_literal_round_trips() -> None:
    values: list[Any] = ["plain", "q'\"\n\\\u2028\x00é✓\ud800", "", 0.1, 1e-05, 1.0, -0.0, 10, True, None,
                         [0.005, 1.0, math.inf], {"a": [1, "b"]}, -math.inf]
    for value in values:
        assert eval(python_literal(value), {}) == value  # our own literal
    assert math.isnan(eval(python_literal(math.nan), {}))
    with pytest.raises(TypeError):
        python_literal(object())


def test_identifiers_are_unique_python_names() -> None:
    service = Service.model_validate({"name": "s", "metrics": [
        {"name": "a:b_total", "type": "counter", "help": "x"},
        {"name": "a_b_total", "type": "counter", "help": "y"},
        {"name": "import", "type": "gauge", "help": "z"},
    ]})
    names = [m["identifier"] for m in module_context(service)["metrics"]]
    assert names == ["A_B_TOTAL", "A_B_TOTAL_2", "IMPORT"]
    assert all(n.isidentifier() for n in names)

"""The model's fast path accepts only what pydantic's strict models accept, with the same values.

A valid spec never imports pydantic's models; an invalid one is judged by pydantic, as before.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from benchmarks.workload import khaosobs_spec
from khaosobs.spec import modelkit
from khaosobs.spec.model import SLO, Alert, Kubernetes, Metric, Panel, Route, SLOTier, Spec

ROOT = Path(__file__).resolve().parents[2]
SPEC_FILES = sorted([ROOT / "specs" / "strategickhaos.yaml", *(ROOT / "tests" / "specs").glob("*.yaml")])


def _documents() -> list[dict[str, Any]]:
    documents = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in SPEC_FILES]
    documents.append(yaml.safe_load(khaosobs_spec(3, deploy=True)))
    return [document for document in documents if isinstance(document, dict)]


DOCUMENTS = _documents()


def _typed(value: Any) -> Any:
    """The value with the type of every part: 1 and 1.0 (and True) differ here."""
    if isinstance(value, dict):
        return {_typed(key): _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (type(value).__name__, value)


def _fast(data: Any) -> Spec | None:
    try:
        return modelkit._validator(Spec).model(data)  # type: ignore[return-value]
    except modelkit._Reject:
        return None


def _pydantic(data: Any) -> Spec | None:
    try:
        return modelkit._from_mirror(modelkit._mirror(Spec).model_validate(data))  # type: ignore[no-any-return]
    except ValidationError:
        return None


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: str(d.get("project")))
def test_every_spec_of_the_repository_takes_the_fast_path_to_pydantics_values(document: dict[str, Any]) -> None:
    fast, judged = _fast(document), _pydantic(document)
    assert fast is not None and judged is not None
    assert _typed(fast.model_dump()) == _typed(judged.model_dump())
    assert fast == judged


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-2, 2, allow_nan=False),
                    st.sampled_from(["", "x", "counter", "critical", "1m", "for", "prometheus", "service"]),
                    # a fresh container each time: a later mutation must not change the strategy's own
                    st.builds(list), st.builds(dict), st.builds(lambda: ["x"]), st.builds(lambda: {"k": "v"}),
                    st.builds(lambda: {"text": "t"}))


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*path, index)))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(draw(st.sampled_from(DOCUMENTS)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(document)
        path = draw(st.sampled_from(paths[1:]))
        parent: Any = document
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add", "rename"]))
        if action == "replace":
            parent[path[-1]] = draw(SCALARS)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict) and action == "add":
            parent[draw(st.sampled_from(["for_", "for", "extra", "labels", "windows", 1]))] = draw(SCALARS)
        elif isinstance(parent, dict) and action == "rename":
            parent[draw(st.sampled_from(["from_", "global_", "continue_", "names"]))] = parent.pop(path[-1])
    return document


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_the_fast_path_never_accepts_what_pydantic_refuses_nor_reads_a_value_differently(data: Any) -> None:
    fast, judged = _fast(data), _pydantic(data)
    if judged is None:
        assert fast is None, "the fast path accepted a spec pydantic refuses"
        with pytest.raises(ValidationError):
            Spec.model_validate(data)
        return
    assert _typed(Spec.model_validate(data).model_dump()) == _typed(judged.model_dump())
    if fast is not None:
        assert _typed(fast.model_dump()) == _typed(judged.model_dump())


def test_a_valid_spec_is_validated_without_pydantics_models() -> None:
    program = ("import sys; from pathlib import Path; from khaosobs.commands.validate import validate_paths; "
               f"result = validate_paths([Path({str(ROOT / 'specs' / 'strategickhaos.yaml')!r})]); "
               "assert result.spec is not None and not result.diagnostics.errors; "
               "print(sorted(m for m in sys.modules if m.startswith('pydantic')))")
    shown = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True, cwd=ROOT)
    assert "pydantic.main" not in shown.stdout


def test_constructors_validate_as_pydantics_and_keep_the_fields_given() -> None:
    tier = SLOTier(severity="critical")
    assert tier.severity == "critical" and tier.enabled is True and tier.windows is None
    assert tier.model_fields_set == {"severity"}
    assert tier.model_dump(exclude_unset=True) == {"severity": "critical"}
    with pytest.raises(ValidationError) as raised:
        Metric(name="x", type="countr", help="h")
    assert [error["loc"] for error in raised.value.errors()] == [("type",)]
    with pytest.raises(ValidationError):
        Metric.model_validate({"name": "x", "type": "counter", "help": "h", "help_": "y"})
    assert Kubernetes().grafana_sidecar_labels == {"grafana_dashboard": "1"}


def test_aliases_defaults_copies_and_equality() -> None:
    alert = Alert.model_validate({"name": "A", "expr": "up == 0", "for": "5m", "severity": "warning", "summary": "s"})
    assert alert.for_ == "5m" and alert.model_dump(by_alias=True)["for"] == "5m"
    assert Alert.model_validate({"name": "A", "expr": "up == 0", "for_": "5m", "severity": "warning",
                                 "summary": "s"}) == alert  # populate_by_name, as the pydantic models had
    assert alert.model_dump(exclude_none=True).keys() >= {"name", "labels"} and "description" not in \
        alert.model_dump(exclude_none=True)
    copied = alert.model_copy(update={"severity": "critical"})
    assert copied.severity == "critical" and alert.severity == "warning" and copied != alert
    first, second = Alert.model_validate(alert.model_dump(by_alias=True)), Alert.model_validate(
        alert.model_dump(by_alias=True))
    assert first.labels is not second.labels  # a default factory per instance
    slo = SLO.model_validate({"name": "s", "objective": 99, "sli": {"bool_gauge": "up"}})
    assert type(slo.objective) is float and slo.alerting.page != False  # noqa: E712 - False is a value here
    route = Route.model_validate({"receiver": "r", "routes": [{"receiver": "q", "continue": True}]})
    assert route.routes[0].continue_ is True and route.routes[0].routes == []
    with pytest.raises(TypeError):
        hash(route)


def test_model_construct_takes_values_as_given_and_fills_defaults() -> None:
    built = Panel.model_construct(title="t", expr="up", width=6)
    assert built == Panel(title="t", expr="up", width=6)  # what validating the same values gives
    assert built.model_fields_set == {"title", "expr", "width"}
    other = Panel.model_construct(title="u")
    assert other.targets == [] and other.targets is not built.targets  # a default factory per instance
    assert Panel.model_construct(title=1).title == 1  # unchecked: for values khaosobs built itself


def test_strict_false_is_pydantics_lax_mode() -> None:
    metric = Metric.model_validate({"name": "x", "type": "gauge", "help": "h", "buckets": ["1", 2]}, strict=False)
    assert metric.buckets == [1.0, 2.0] and type(metric) is Metric

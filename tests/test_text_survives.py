"""Property: any text in any free-text field comes out of every output exactly as written.

Quotes, colons, `#`, newlines, `{{ $labels.x }}`, Jinja syntax, `${env:X}`, unicode: each
output is parsed back as its consumer would read it, and the text must be there unchanged,
with no extra structure (no injected keys, rules, panels or matchers).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from khaosobs.commands.render import render_outputs
from khaosobs.commands.validate import validate_paths
from khaosobs.domain.routing import parse_matchers

NASTY = [
    '"', "'", ":", ": ", "#", " #", "\n", "\\", "{{ $labels.x }}", "{{route}}", "{% raw %}", "{#", "${env:X}",
    "$X", "$$", "&anchor", "*alias", "- ", "[", "]", "{", "}", ",", "|", ">", "!tag", "%", "@", "`",
    "é", "😀", "\u2028", "\t", "<b>&amp;</b>", "---", "...", "null", "true", "0x1F", "1e3", "~",
]
text_strategy = st.lists(
    st.one_of(st.sampled_from(NASTY), st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)),
                                              max_size=8)),
    min_size=1, max_size=8,
).map("".join).filter(lambda t: t.strip() != "")


def build_spec(text: str) -> dict[str, Any]:
    return {
        "version": 1,
        "project": "prop",
        "services": [{
            "name": "svc",
            "team": "ops",
            "labels": {"note": text},
            "metrics": [{"name": "jobs_total", "type": "counter", "help": text, "labels": ["kind", "x"]}],
            "alerts": [{
                "name": "JobsFailing",
                "expr": "rate(jobs_total[5m]) > 1",
                "for": "5m",
                "severity": "warning",
                "summary": text,
                "description": text,
                "labels": {"extra": text},
                "annotations": {"note": text},
                "tests": [{"name": text, "interval": "1m",
                           "series": [{"series": "jobs_total", "values": "0+120x10"}],
                           "expect": [{"at": "10m", "firing": True}]}],
            }],
            "log_alerts": [{
                "name": "JobsLogged",
                "expr": 'sum(count_over_time({service="svc"} |= "x" [5m])) > 1',
                "severity": "info",
                "summary": text,
                "description": text,
                "annotations": {"note": text},
            }],
        }],
        "dashboards": [{
            "title": text,
            "uid": "prop",
            "tags": [text],
            "panels": [{"title": text, "type": "timeseries", "expr": "rate(jobs_total[5m])", "legend": text,
                        "description": text}],
        }],
        "alerting": {
            "receivers": [{"name": "default", "webhook": {"url": "http://gateway.internal/alert"}},
                          {"name": "special", "webhook": {"url": "http://gateway.internal/special"}}],
            "route": {"receiver": "default", "routes": [{"match": {"note": text}, "receiver": "special"}]},
        },
    }


def render_all(text: str, folder: Path) -> dict[str, str]:
    spec_file = folder / "spec.yaml"
    # with the Kubernetes manifests and the ruler files, which hold the other outputs' text again
    spec = {**build_spec(text), "kubernetes": {}, "ruler": {}}
    # every scalar double-quoted: PyYAML writes some text (a NEL before spaces) plainly in a form it
    # reads back differently itself
    spec_file.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, default_style='"'),
                         encoding="utf-8")
    validation = validate_paths([spec_file])
    # secret-looking text is rightly refused, and so is alert text that is no valid Go template
    # (`{{route}}`: Prometheus would refuse the rule file); anything else must be accepted
    assume(not any(d.code.startswith(("secret", "template-")) for d in validation.diagnostics.errors))
    assert validation.ok, [d.message for d in validation.diagnostics.errors]
    assert validation.spec is not None
    return {f.path: f.content for f in render_outputs(validation.spec, "spec.yaml")}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=text_strategy)
@example(text='a: "b" # c\n{{ $labels.x }} {{ "{{route}}" }} {% if %} ${env:X} é😀')
@example(text="line one\nline two\n")
@example(text="\u2028\x85\ufeff")
@example(text="0\x85")  # PyYAML itself once wrote this plainly and read back "0 "
def test_free_text_survives_every_output(text: str, tmp_path: Path) -> None:
    files = render_all(text, tmp_path)

    rules = yaml.safe_load(files["prometheus/rules/svc.yml"])
    (group,) = rules["groups"]
    alerts = [r for r in group["rules"] if "alert" in r]
    (alert,) = alerts
    assert alert["annotations"] == {"summary": text, "description": text, "note": text}
    assert alert["labels"]["note"] == text and alert["labels"]["extra"] == text
    assert set(alert) == {"alert", "expr", "for", "labels", "annotations"}

    loki = yaml.safe_load(files["loki/rules/svc.yml"])
    (log_rule,) = loki["groups"][0]["rules"]
    assert log_rule["annotations"] == {"summary": text, "description": text, "note": text}
    assert log_rule["labels"]["note"] == text

    tests = yaml.safe_load(files["prometheus/tests/svc.test.yml"])
    assert [t["name"] for t in tests["tests"]] == [f"JobsFailing: {text}"]

    dashboard = json.loads(files["grafana/dashboards/prop.json"])
    assert dashboard["title"] == text and dashboard["tags"] == [text, "prop"]  # + the project's tag
    (panel,) = dashboard["panels"]
    assert panel["title"] == text and panel["description"] == text
    assert [t["legendFormat"] for t in panel["targets"]] == [text]

    am = yaml.safe_load(files["alertmanager/alertmanager.yml"])
    (child,) = am["route"]["routes"]
    matchers = [m for text_ in child["matchers"] for m in parse_matchers(text_)]
    assert [(m.name, m.op, m.value) for m in matchers] == [("note", "=", text)]

    module = ast.parse(files["instrumentation/python/svc_metrics.py"])
    calls = [n for n in ast.walk(module) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Counter"]
    (call,) = calls
    assert [ast.literal_eval(a) for a in call.args] == ["jobs_total", text]

    # the manifests and ruler files hold the same data, whatever the text
    manifest = yaml.safe_load(files["kubernetes/prometheusrules/prop-svc.yaml"])
    assert manifest["spec"]["groups"] == rules["groups"]
    loki_map = yaml.safe_load(files["kubernetes/configmaps/prop-loki-rules-svc.yaml"])
    assert loki_map["data"] == {"svc.yaml": files["loki/rules/svc.yml"]}
    dashboard_map = yaml.safe_load(files["kubernetes/configmaps/prop-dashboard-prop.yaml"])
    assert dashboard_map["data"] == {"prop.json": files["grafana/dashboards/prop.json"]}
    secret = yaml.safe_load(files["kubernetes/secrets/alertmanager-main.yaml"])
    assert secret["stringData"]["alertmanager.yaml"] == files["alertmanager/alertmanager.yml"]
    thanos = yaml.safe_load(files["ruler/thanos/svc.yml"])
    assert [{k: v for k, v in g.items() if k not in ("interval", "partial_response_strategy")}
            for g in thanos["groups"]] == rules["groups"]

    for path, content in files.items():
        assert content.endswith("\n"), path
        if path.endswith((".yml", ".yaml")):
            assert re.match(r"# Generated by khaosobs from spec\.yaml\. ", content), path

"""`khaosobs import`: existing configs become a spec whose render is the same stack.

Equivalence is checked against the real tools and the inputs themselves, never against what the
importer believes: every rule field by field (alerts may gain only `service` and `team`),
`promtool check rules` on the re-rendered files, `amtool config routes test` giving the same
receivers on both Alertmanager configs for a grid of label sets, and every dashboard's queries
equal and valid against Grafana's schemas. Inputs: the real-world corpus (tests/data/realworld),
kube-prometheus' PrometheusRule objects as one stream, an Alertmanager config in a Secret (both
`stringData` and base64 `data`), Spegel's dashboard in a ConfigMapList, and for the round trip
what `render` wrote for every example spec.
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings

from khaosobs.commands.render import render_outputs
from khaosobs.commands.validate import validate_loaded
from khaosobs.domain.dashboards import DEFAULT_LABEL_FILTERS
from khaosobs.domain.promql_print import print_promql, with_matchers
from khaosobs.importer import ImportResult, import_files
from khaosobs.importer.specwriter import spec_text
from khaosobs.spec.loader import load_bytes
from khaosobs.spec.model import Spec
from tests.conftest import REALWORLD, ROOT, run_khaosobs
from tests.support.rules import promtool
from tests.targets.test_grafana import dashboard_problems
from tests.test_text_survives import text_strategy

INPUTS = ROOT / "tests" / "import"
CORPUS = REALWORLD / "awesome-prometheus-alerts"
KUBE_PROMETHEUS = INPUTS / "kube-prometheus" / "prometheusrule-stream.yaml"
SECRETS = sorted((INPUTS / "alertmanager").glob("secret-*.yaml"))
DASHBOARDS = INPUTS / "spegel" / "dashboards-configmaplist.yaml"
TEAM_RULES = sorted((INPUTS / "rules").glob("*.yml"))
# every example spec that renders (seed-as-written is the seed's spec as written: invalid on purpose)
EXAMPLES = sorted(p for p in [*(ROOT / "specs").glob("*.yaml"), *(ROOT / "tests" / "specs").glob("*.yaml")]
                  if p.name != "seed-as-written.yaml")

DERIVED_LABELS = ("service", "team")


def validated(result: ImportResult) -> Spec:
    """The imported spec through the ordinary pipeline: it must validate without an error."""
    validation = validate_loaded(load_bytes(spec_text(result.data).encode("utf-8"), "imported.yaml"))
    assert validation.spec is not None and not validation.diagnostics.errors, validation.diagnostics.errors
    assert result.remaining == []
    return validation.spec


def rendered(spec: Spec, target: str, source: str = "imported.yaml") -> dict[str, str]:
    return {f.path: f.content for f in render_outputs(spec, source, targets=[target])}


def write_tree(files: dict[str, str], out: Path) -> list[Path]:
    paths = []
    for name, content in sorted(files.items()):
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        paths.append(path)
    return paths


# --- rules, field by field -----------------------------------------------------------------------


def source_rules(documents: list[Any]) -> list[dict[str, Any]]:
    """Every rule of the inputs as Prometheus reads it (text scalars), with its group's interval."""
    rules = []
    for document in documents:
        groups = document["spec"]["groups"] if document.get("kind") == "PrometheusRule" else document["groups"]
        for group in groups:
            for rule in group.get("rules") or []:
                rules.append(normal_rule(rule, group.get("interval")))
    return rules


def normal_rule(rule: dict[str, Any], interval: str | None) -> dict[str, Any]:
    kind = "alert" if "alert" in rule else "record"
    return {"kind": kind, "name": rule[kind], "expr": rule["expr"], "for": rule.get("for"),
            "labels": dict(rule.get("labels") or {}), "annotations": dict(rule.get("annotations") or {}),
            "interval": interval}


def rule_files(files: dict[str, str]) -> dict[str, str]:
    """The rule files of a render (not prometheus.yml, nor the alert and SLO tests beside them)."""
    return {p: c for p, c in files.items() if p.startswith(("prometheus/rules/", "loki/rules/"))}


def rendered_rules(files: dict[str, str]) -> list[dict[str, Any]]:
    rules = []
    for path in sorted(rule_files(files)):
        for group in yaml.load(files[path], Loader=yaml.BaseLoader)["groups"]:
            for rule in group.get("rules") or []:
                rules.append(normal_rule(rule, group.get("interval")))
    return rules


def without_derived(rule: dict[str, Any], source_labels: dict[str, str]) -> dict[str, Any]:
    """The rendered rule minus what an alert may gain: `service` and `team`, when the source lacked them."""
    labels = {k: v for k, v in rule["labels"].items() if k in source_labels or k not in DERIVED_LABELS}
    return {**rule, "labels": labels}


def assert_rules_equivalent(source: list[dict[str, Any]], result: list[dict[str, Any]],
                            omitted: frozenset[str] = frozenset()) -> int:
    """Each source rule (but the reported ones) is rendered with the same fields; returns how many."""
    def key(rule: dict[str, Any]) -> tuple[str, str, str]:
        return rule["kind"], rule["name"], rule["expr"]

    rendered_by_key: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for rule in result:
        rendered_by_key.setdefault(key(rule), []).append(rule)
    checked = 0
    for rule in source:
        if rule["name"] in omitted:
            assert key(rule) not in rendered_by_key, rule["name"]
            continue
        candidates = rendered_by_key.get(key(rule), [])
        assert any(without_derived(c, rule["labels"]) == rule for c in candidates), (rule, candidates)
        checked += 1
    assert checked == len(result), "the render holds rules the inputs do not"
    return checked


def test_realworld_corpus_imports_and_renders_equivalent(tmp_path: Path) -> None:
    files = sorted(CORPUS.rglob("*.yml"))
    result = import_files(files)
    source = source_rules([yaml.load(f.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) for f in files])
    # The only loss: alerts whose summary reads a label their expression aggregates away (`count(x) > 1`
    # with `{{ $labels.instance }}`), which validate refuses (template-label-unknown). Each is reported
    # by name, and each really reads `$labels` in its summary.
    omitted = {}
    for omission in result.report.omissions:
        assert "[template-label-unknown]" in omission.what and " not carried: " in omission.what, omission
        omitted[omission.what.split("'")[1]] = omission
    by_name = {rule["name"]: rule for rule in source}
    assert all("$labels." in by_name[name]["annotations"]["summary"] for name in omitted)
    assert len(omitted) == len(result.report.omissions) == 216
    spec = validated(result)
    rules = rendered(spec, "prometheus")
    assert assert_rules_equivalent(source, rendered_rules(rules), frozenset(omitted)) == len(source) - 216 == 738
    paths = write_tree(rule_files(rules), tmp_path)
    checked = promtool("check", "rules", *paths)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_prometheusrule_stream(tmp_path: Path) -> None:
    result = import_files([KUBE_PROMETHEUS])
    assert result.report.omissions == []  # Watchdog and InfoInhibitor included (`severity: none`)
    spec = validated(result)
    rules = rendered(spec, "prometheus")
    source = source_rules(list(yaml.load_all(KUBE_PROMETHEUS.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)))
    assert assert_rules_equivalent(source, rendered_rules(rules)) == len(source) == 25
    checked = promtool("check", "rules", *write_tree(rule_files(rules), tmp_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_team_rules_keep_interval_labels_and_log_alerts(tmp_path: Path) -> None:
    result = import_files(TEAM_RULES)
    spec = validated(result)
    rules = rendered(spec, "prometheus")
    logs = rendered(spec, "loki")
    prometheus_source = source_rules([yaml.load(TEAM_RULES[1].read_text(encoding="utf-8"), Loader=yaml.BaseLoader)])
    assert assert_rules_equivalent(prometheus_source, rendered_rules(rules)) == 5
    firing = {r["alert"]: r.get("keep_firing_for") for f in rule_files(rules).values()
              for g in yaml.safe_load(f)["groups"] for r in g["rules"] if "alert" in r}
    assert firing["CheckoutDown"] == "5m"  # keep_firing_for is carried (Prometheus 2.42 has it)
    loki_source = source_rules([yaml.load(TEAM_RULES[0].read_text(encoding="utf-8"), Loader=yaml.BaseLoader)])
    assert assert_rules_equivalent(loki_source, rendered_rules(logs)) == 1
    assert [s.name for s in spec.services] == ["checkout-api", "checkout-batch"]
    assert sorted(o.what.split("`")[1] for o in result.report.omissions) == ["limit"]
    checked = promtool("check", "rules", *write_tree(rule_files(rules), tmp_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr


# --- Alertmanager: the same receivers for every label set -----------------------------------------


def secret_config(secret: Path) -> str:
    document = yaml.safe_load(secret.read_text(encoding="utf-8"))
    if "stringData" in document:
        return str(document["stringData"]["alertmanager.yaml"])
    return base64.b64decode(document["data"]["alertmanager.yaml"]).decode("utf-8")


LABEL_GRID = [
    dict(zip(("alertname", "severity", "team", "namespace"), values, strict=True))
    for values in itertools.product(("Watchdog", "InfoInhibitor", "DiskFull"), ("critical", "warning", "info"),
                                    ("db", "web", "storage", "frontend"), ("kube-system", "shop"))
]


def amtool_receivers(config: Path, labels: dict[str, str]) -> str:
    amtool = shutil.which("amtool")
    assert amtool, "amtool is not on PATH: install prometheus-alertmanager"
    done = subprocess.run([amtool, "config", "routes", "test", f"--config.file={config}",
                           *(f'{k}="{v}"' for k, v in labels.items())],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


@pytest.mark.realtools
@pytest.mark.parametrize("secret", SECRETS, ids=[s.stem for s in SECRETS])
def test_alertmanager_secret_routes_the_same(secret: Path, tmp_path: Path) -> None:
    result = import_files([secret])
    spec = validated(result)
    original = tmp_path / "original.yml"
    original.write_text(secret_config(secret), encoding="utf-8")
    files = rendered(spec, "alertmanager")
    write_tree(files, tmp_path / "out")
    ours = tmp_path / "out" / "alertmanager" / "alertmanager.yml"
    amtool = shutil.which("amtool")
    assert amtool
    checked = subprocess.run([amtool, "check-config", str(ours)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    seen = set()
    for labels in LABEL_GRID:
        expected = amtool_receivers(original, labels)
        assert amtool_receivers(ours, labels) == expected, labels
        seen.add(expected)
    assert len(seen) >= 5  # the grid reaches most of the tree, not one default route
    config = yaml.safe_load(ours.read_text(encoding="utf-8"))
    source = yaml.safe_load(original.read_text(encoding="utf-8"))
    assert [r["name"] for r in config["receivers"]] == [r["name"] for r in source["receivers"]]
    assert config["global"] == {k: v for k, v in source["global"].items() if k != "slack_api_url"}
    assert len(config["inhibit_rules"]) == len(source["inhibit_rules"])
    # the time interval and the route muted by it are carried (amtool agreed above, and they are equal)
    assert config["time_intervals"] == source["time_intervals"]
    # what was not carried is listed: the integrations that would be delivered differently (khaosobs'
    # message templates; Slack's URL only in `global`), the secret, the templates
    text = result.report.text()
    for needle in ("email_configs", "slack_configs", "slack_api_url", "slack.tmpl", "templates"):
        assert needle in text, needle


def test_inhibit_rules_are_the_same() -> None:
    """The deprecated source_match/target_match_re mean what the rendered matchers mean."""
    from khaosobs.domain.routing import parse_matchers

    spec = validated(import_files([SECRETS[0]]))
    assert spec.alerting is not None and spec.alerting.inhibit_rules is not None
    first = spec.alerting.inhibit_rules[0]
    source = [m for text in first.source_matchers for m in parse_matchers(text)]
    target = [m for text in first.target_matchers for m in parse_matchers(text)]
    assert [(m.name, m.op, m.value) for m in source] == [("severity", "=", "critical")]
    assert [(m.name, m.op, m.value) for m in target] == [("severity", "=~", "warning|info")]


# --- dashboards --------------------------------------------------------------------------------------


def dashboard_queries(dashboard: dict[str, Any]) -> list[tuple[str, list[str]]]:
    panels = []
    for panel in dashboard.get("panels") or []:
        panels += [panel, *(panel.get("panels") or [])]
    return [(p.get("title", ""), [t["expr"] for t in p.get("targets") or [] if "expr" in t])
            for p in panels if p.get("type") not in ("row", "text")]


DASHBOARD_FILTERS = [(label, "=~", f"${label}") for label in DEFAULT_LABEL_FILTERS]


def injected(queries: list[tuple[str, list[str]]],
             filters: list[tuple[str, str, str]]) -> list[tuple[str, list[str]]]:
    """Each query parsed and printed back, with `filters` added to every selector lacking them."""
    return [(title, [with_matchers(print_promql(q), filters) for q in exprs]) for title, exprs in queries]


def test_dashboard_configmaplist_keeps_title_and_queries() -> None:
    result = import_files([DASHBOARDS])
    spec = validated(result)
    files = rendered(spec, "grafana")
    source_map = yaml.safe_load(DASHBOARDS.read_text(encoding="utf-8"))["items"][0]["data"]
    source = json.loads(source_map["spegel.json"])
    ours = json.loads(files[f"grafana/dashboards/{source['uid']}.json"])
    assert ours["title"] == source["title"]
    # render injects the job/instance filters into every query on the parsed tree (README,
    # "Dashboards"): the source's queries with that same injection, both printed from their trees
    # every panel but the one reading the custom variable $container (reported below) is carried
    carried = [q for q in dashboard_queries(source) if q[0] != "CPU Usage"]
    assert injected(dashboard_queries(ours), []) == injected(carried, DASHBOARD_FILTERS)
    problems = dashboard_problems(ours, {"prometheus": "prometheus", "loki": "loki"})
    assert problems == []
    text = result.report.text()
    for needle in ("$datasource", "$instance", "$container (custom)", "panel 'CPU Usage' not carried"):
        assert needle in text, needle
    # the text panel is carried with its Markdown
    text_panel = next(p for p in source["panels"] if p["type"] == "text")
    ours_panels = [*spec.dashboards[0].panels, *(p for row in spec.dashboards[0].rows for p in row.panels)]
    assert [p.content for p in ours_panels if p.type == "text"] == [text_panel["options"]["content"]]
    # its rows, by title, as Grafana shows them (the repeat for $datasource is reported)
    assert [r.title for r in spec.dashboards[0].rows] == [p["title"] for p in source["panels"] if p["type"] == "row"]


# --- round trip: what render wrote comes back byte for byte ---------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_round_trip_of_rendered_output(example: Path, tmp_path: Path) -> None:
    from khaosobs.commands.validate import validate_paths

    validation = validate_paths([example])
    assert validation.spec is not None and not validation.diagnostics.errors
    files = {f.path: f.content for f in render_outputs(validation.spec, "spec.yaml")}
    carried = {p: c for p, c in files.items() if not p.endswith(".tmpl")}  # the template is khaosobs' own
    inputs = write_tree(carried, tmp_path)
    result = import_files(inputs, validation.spec.project)
    assert result.report.omissions == []
    again = {f.path: f.content for f in render_outputs(validated(result), "spec.yaml")}
    assert sorted(again) == sorted(files)
    for path in sorted(files):
        assert again[path] == files[path], path


def test_telemetry_from_provisioning_and_collector(tmp_path: Path) -> None:
    datasources = tmp_path / "datasources.yml"
    datasources.write_text(
        "apiVersion: 1\ndatasources:\n"
        "  - {name: Prom, type: prometheus, url: 'https://prom.example.com'}\n"
        "  - {name: Logs, type: loki, url: 'https://loki.example.com', jsonData: {httpHeaderName1: Authorization},"
        " secureJsonData: {httpHeaderValue1: '$__file{/run/secrets/loki}'}}\n"
        "  - {name: PG, type: postgres, url: 'db:5432'}\n", encoding="utf-8")
    collector = tmp_path / "collector.yaml"
    collector.write_text(
        "receivers: {otlp: {protocols: {grpc: {endpoint: '0.0.0.0:14317'}}}, hostmetrics: {}}\n"
        "exporters: {otlphttp/loki: {endpoint: 'https://loki.example.com/otlp'},"
        " otlp/tempo: {endpoint: 'tempo.example.com:4317'}}\n"
        "service: {pipelines: {}}\n", encoding="utf-8")
    result = import_files([datasources, collector])
    assert result.data["telemetry"] == {
        "metrics": {"endpoint": "https://prom.example.com"},
        "logging": {"endpoint": "https://loki.example.com", "auth_secret_ref": "file:/run/secrets/loki"},
        "tracing": {"collector_endpoint": "http://otel-collector:14317", "tempo_endpoint": "tempo.example.com:4317"},
    }
    text = result.report.text()
    assert "postgres datasource" in text and "receiver 'hostmetrics'" in text


# --- the command ---------------------------------------------------------------------------------


def test_cli_writes_a_folder_that_validates(tmp_path: Path) -> None:
    out = tmp_path / "specs"
    report = tmp_path / "import-report.txt"
    done = run_khaosobs("import", *TEAM_RULES, SECRETS[0], DASHBOARDS, "-o", out, "--report", report,
                        "--project", "shop")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml")) == [
        "alerting.yaml", "dashboards.yaml", "khaosobs.yaml", "services/checkout-api.yaml",
        "services/checkout-batch.yaml"]
    assert report.read_text(encoding="utf-8") in done.stderr
    assert "group setting `limit`" in report.read_text(encoding="utf-8")
    valid = run_khaosobs("validate", out)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    again = tmp_path / "again"
    run_khaosobs("import", *TEAM_RULES, SECRETS[0], DASHBOARDS, "-o", again, "--project", "shop")
    for path in out.rglob("*.yaml"):  # deterministic byte for byte
        assert (again / path.relative_to(out)).read_bytes() == path.read_bytes()


def test_cli_never_overwrites(tmp_path: Path) -> None:
    out = tmp_path / "spec.yaml"
    out.write_text("version: 1\n", encoding="utf-8")
    done = run_khaosobs("import", TEAM_RULES[0], "-o", out)
    assert done.returncode == 2 and "never overwrites" in done.stderr
    assert out.read_text(encoding="utf-8") == "version: 1\n"


def test_cli_unreadable_input_is_located(tmp_path: Path, snapshot: object) -> None:
    broken = tmp_path / "rules.yml"
    broken.write_text("groups:\n  - name: a\n    rules: [\n", encoding="utf-8")
    out = tmp_path / "spec.yaml"
    done = run_khaosobs("import", "rules.yml", "-o", "spec.yaml", cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert not out.exists()
    assert done.stderr == snapshot


def test_imported_spec_snapshot(snapshot: object) -> None:
    """The spec and report for the Alertmanager Secret, as the user reads them."""
    result = import_files([SECRETS[0].relative_to(ROOT)])
    assert result.files(folder=False)[""] + result.report.text() == snapshot


def test_a_secret_in_a_config_is_never_copied(tmp_path: Path) -> None:
    token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghijklmnopqrstuvwxyzABCD"
    config = tmp_path / "alertmanager.yml"
    config.write_text("route: {receiver: discord}\nreceivers:\n  - name: discord\n    webhook_configs:\n"
                      f"      - url: https://discord.com/api/webhooks/123456789012345678/{token}\n", encoding="utf-8")
    done = run_khaosobs("import", "alertmanager.yml", "-o", "spec.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = (tmp_path / "spec.yaml").read_text(encoding="utf-8")
    assert token not in written and token not in done.stdout + done.stderr
    assert "secret-discord-webhook" in done.stderr  # reported: the receiver is kept without the webhook
    assert run_khaosobs("validate", "spec.yaml", cwd=tmp_path).returncode == 0


def test_unreadable_inputs_are_located(tmp_path: Path) -> None:
    (tmp_path / "board.json").write_text('{\n  "title": "x",\n  "panels": [,]\n}\n', encoding="utf-8")
    (tmp_path / "latin1.yml").write_bytes(b"groups: []\n# caf\xe9\n")
    done = run_khaosobs("import", "board.json", "latin1.yml", "-o", "spec.yaml", cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "board.json:3:14: error[import-unreadable]: not valid JSON" in done.stderr
    assert "latin1.yml:1:1: error[import-unreadable]: latin1.yml is not UTF-8" in done.stderr
    assert not (tmp_path / "spec.yaml").exists()


def test_objects_that_are_not_configs_are_reported(tmp_path: Path) -> None:
    stream = tmp_path / "k8s.yaml"
    stream.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\n"
                      "apiVersion: v1\nkind: Secret\nmetadata: {name: other}\nstringData: {token: x}\n",
                      encoding="utf-8")
    result = import_files([stream])
    text = result.report.text()
    assert "Service web: this kind of object is not imported" in text
    assert "Secret other: holds no alertmanager.yaml" in text and "'token'" in text
    assert "x" not in [o.what for o in result.report.omissions]


def test_round_trip_through_the_cli(tmp_path: Path) -> None:
    """render -> import of the whole generated/ folder -> render: the same tree, manifest included."""
    first, second = tmp_path / "first", tmp_path / "second"
    (first / "specs").mkdir(parents=True)
    shutil.copy2(ROOT / "specs" / "strategickhaos.yaml", first / "specs" / "strategickhaos.yaml")
    assert run_khaosobs("render", cwd=first).returncode == 0
    (second / "specs").mkdir(parents=True)
    done = run_khaosobs("import", first / "generated", "-o", second / "specs" / "strategickhaos.yaml",
                        "--project", "strategickhaos")
    assert done.returncode == 0, done.stderr
    assert "Not carried" not in done.stderr
    rendered = run_khaosobs("render", cwd=second)
    assert rendered.returncode == 0, rendered.stderr
    ours = sorted(p.relative_to(first / "generated") for p in (first / "generated").rglob("*") if p.is_file())
    again = sorted(p.relative_to(second / "generated") for p in (second / "generated").rglob("*") if p.is_file())
    assert ours == again
    for path in ours:
        assert (second / "generated" / path).read_bytes() == (first / "generated" / path).read_bytes(), path


def test_an_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join(f'*a{i - 1}' for _ in range(10))}]" for i in range(1, 120)]
    (tmp_path / "bomb.yml").write_text("\n".join(lines) + "\ngroups: []\n", encoding="utf-8")
    done = run_khaosobs("import", "bomb.yml", "-o", "spec.yaml", cwd=tmp_path)
    assert done.returncode == 1 and "YAML aliases" in done.stderr and "Traceback" not in done.stderr


def test_malformed_configs_are_reported_not_crashed_on(tmp_path: Path) -> None:
    (tmp_path / "am.yml").write_text("route: {receiver: a, routes: [oops]}\nreceivers: [{name: a}]\n",
                                     encoding="utf-8")
    (tmp_path / "board.json").write_text('{"title": "t", "panels": [], "tags": 5}', encoding="utf-8")
    (tmp_path / "rules.yml").write_text("groups: [{name: g, rules: {a: 1}}, 7]\n", encoding="utf-8")
    done = run_khaosobs("import", "am.yml", "board.json", "rules.yml", "-o", "spec.yaml", cwd=tmp_path)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    assert "am.yml: route.routes[0]: a route that is not a mapping" in done.stderr
    assert "board.json: not carried: its structure is not that of a valid dashboard config" in done.stderr
    assert "group #2 is not a mapping" in done.stderr


def test_round_trip_at_scale(tmp_path: Path) -> None:
    """A synthetic spec of 30 services (metrics, alerts, recording rules, SLOs, log alerts, dashboards,
    a routing tree per team) comes back from its rendered tree byte for byte."""
    from tests.support.synthetic import synthetic_spec

    loaded = load_bytes(synthetic_spec(30).encode("utf-8"), "synthetic.yaml")
    validation = validate_loaded(loaded)
    assert validation.spec is not None and not validation.diagnostics.errors
    files = {f.path: f.content for f in render_outputs(validation.spec, "synthetic.yaml")}
    inputs = write_tree({p: c for p, c in files.items() if not p.endswith(".tmpl")}, tmp_path)
    result = import_files(inputs, validation.spec.project)
    assert result.report.omissions == []
    again = {f.path: f.content for f in render_outputs(validated(result), "synthetic.yaml")}
    assert sorted(again) == sorted(files)
    assert [p for p in files if again[p] != files[p]] == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=text_strategy)
@example(text='a: "b" # c\n{{ $labels.x }} {{route}} {% if %} ${env:X} $$ é😀')
def test_any_text_round_trips(text: str, tmp_path: Path) -> None:
    """Free text in every field (quotes, newlines, `{{ $labels.x }}`, `${env:X}`, unicode) comes back
    from the rendered files into a spec that renders the same bytes."""
    from tests.test_text_survives import render_all

    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # one per example: hypothesis reuses tmp_path
    files = render_all(text, folder)
    inputs = write_tree({p: c for p, c in files.items() if not p.endswith(".tmpl")}, folder / "generated")
    result = import_files(inputs, "prop")
    assert result.report.omissions == [], result.report.text()
    again = {f.path: f.content for f in render_outputs(validated(result), "spec.yaml")}
    assert [p for p in files if again.get(p) != files[p]] == []


def test_a_text_reading_a_dropped_label_is_set_aside_alone(tmp_path: Path) -> None:
    """A description reading a label the expression aggregates away is refused by validate
    (template-label-unknown): the alert is carried without it, and the report quotes it as written."""
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "groups:\n  - name: shop\n    rules:\n      - alert: TooManyLeaders\n"
        "        expr: count(zk_leader) > 1\n        labels: {severity: warning}\n"
        "        annotations:\n          summary: More than one leader\n"
        "          description: 'Leader on {{ $labels.instance }}'\n", encoding="utf-8")
    result = import_files([rules])
    spec = validated(result)
    alert = spec.services[0].alerts[0]
    assert (alert.name, alert.expr, alert.summary, alert.description) == (
        "TooManyLeaders", "count(zk_leader) > 1", "More than one leader", None)
    [omission] = result.report.omissions
    assert "'Leader on {{ $labels.instance }}'" in omission.what
    assert "[template-label-unknown]" in omission.what and "the alert itself is carried" in omission.what


SLO_FORMS_SPEC = """\
version: 1
project: slo-forms
services:
  - name: api
    team: web
    metrics:
      - {name: http_requests_total, type: counter, help: Requests, labels: [code, route]}
      - {name: http_request_duration_seconds, type: histogram, help: Latency, labels: [route],
         buckets: [0.1, 0.5, 1]}
      - {name: api_healthy, type: gauge, help: "1 if the API answers, else 0"}
    slos:
      - name: availability
        objective: 99.9
        window: 30d
        sli: {errors: 'http_requests_total{code=~"5.."}', total: http_requests_total}
      - name: success
        objective: 99
        window: 28d
        group_by: [route]
        sli: {good: 'http_requests_total{code!~"5.."}', total: http_requests_total}
      - name: latency
        objective: 95
        window: 7d
        sli: {latency: {histogram: 'http_request_duration_seconds{route="/pay"}', threshold: 0.5}}
      - name: health
        objective: 99.5
        window: 30d
        sli: {bool_gauge: api_healthy}
      - name: ratio
        objective: 99
        window: 30d
        sli:
          error_ratio: 'sum(rate(http_requests_total{code=~"5.."}[$window])) / sum(rate(http_requests_total[$window]))'
"""


def test_slos_of_every_sli_form_come_back(tmp_path: Path) -> None:
    """errors/total, good/total (with group_by), latency (a selector with matchers), bool_gauge and
    error_ratio SLOs are read back from their rules: the same SLOs, so the same files."""
    validation = validate_loaded(load_bytes(SLO_FORMS_SPEC.encode("utf-8"), "slo-forms.yaml"))
    assert validation.spec is not None and not validation.diagnostics.errors, validation.diagnostics.errors
    files = {f.path: f.content for f in render_outputs(validation.spec, "slo-forms.yaml")}
    inputs = write_tree({p: c for p, c in files.items() if p.startswith("prometheus/")}, tmp_path)
    result = import_files(inputs, "slo-forms")
    spec = validated(result)
    assert [s.model_dump() for s in spec.services[0].slos] == [s.model_dump() for s in validation.spec.services[0].slos]
    again = rendered(spec, "prometheus", "slo-forms.yaml")
    assert [p for p in again if again[p] != files[p]] == []


_YAML_INPUTS = sorted(p for folder in ("tests/import", "tests/data", "tests/specs", "generated")
                      for p in (Path(__file__).resolve().parents[2] / folder).rglob("*.y*ml"))


def test_libyaml_reads_every_input_as_the_pure_parser_does() -> None:
    # an import reads YAML with libyaml for speed, and falls back to the pure parser only for its error
    # message: both must give the same documents (every scalar text) of every YAML file the tests hold
    from khaosobs.importer.sources import _documents

    assert len(_YAML_INPUTS) > 100
    for path in _YAML_INPUTS:
        text = path.read_text(encoding="utf-8")
        assert _documents(text, path.name, yaml.CBaseLoader) == _documents(text, path.name, yaml.BaseLoader), path


@pytest.mark.parametrize("text", ["a: [1, 2\n", "a: 'x\n", "k: v\n- item\n", "a: &x 1\nb: *y\n", "\t- a\n"])
def test_unreadable_yaml_is_reported_with_the_pure_parsers_position(text: str) -> None:
    from khaosobs.importer.sources import ImportInputError, _parse_text

    try:
        yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.MarkedYAMLError as exc:
        assert exc.problem_mark is not None
        expected = (exc.problem_mark.line + 1, exc.problem_mark.column + 1, f"not valid YAML: {exc.problem}")
    with pytest.raises(ImportInputError) as raised:
        _parse_text(text, "rules.yaml", json_first=False)
    [found] = raised.value.diagnostics
    assert (found.location.line, found.location.column, found.message) == expected

"""Input files -> the documents an import understands: rule groups, an Alertmanager config, dashboards.

Kubernetes wrappers are opened the way their consumers open them: a `PrometheusRule`'s `spec`
(the Prometheus Operator), the `alertmanager.yaml` key of a `Secret` (`stringData`, or base64
`data`), and every `*.json` key of a `ConfigMap` (Grafana's dashboard sidecar); `List` and
`ConfigMapList` objects are opened item by item, and a YAML file may be a stream of documents.
Scalars are read as text (YAML's BaseLoader), as Prometheus and Alertmanager read label values
and annotations: `on`, `1.0` and `yes` stay what was written.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from khaosobs.diagnostics import Diagnostic, Location, Severity
from khaosobs.importer.report import ImportReport
from khaosobs.spec.limits import MAX_FILE_BYTES
from khaosobs.spec.loader import display_path

DocumentKind = Literal["rules", "alertmanager", "dashboard", "datasources", "collector", "instrumentation",
                       "alert_tests", "prometheus_config", "kubernetes", "ruler"]
ALERTMANAGER_KEYS = ("alertmanager.yaml", "alertmanager.yml")
MAX_ALIASES = 1000
FOLDER_SUFFIXES = (".yaml", ".yml", ".json", ".rules", ".py", ".tmpl")  # what a folder given is read for


@dataclass(frozen=True)
class Document:
    kind: DocumentKind
    data: dict[str, Any]
    origin: str  # e.g. "rules.yaml", "k8s.yaml: PrometheusRule monitoring/node-rules"
    scope: str = ""  # what tells its groups apart from another input's: the object's or folder's name


class ImportInputError(Exception):
    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


def _error(code: str, message: str, file: str, line: int = 1, column: int = 1,
           hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, Location(file, line, column), (), hint)


try:  # libyaml reads a large import (hundreds of rule files) twenty times faster than the pure parser
    from yaml import CBaseLoader as _FAST_LOADER
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import BaseLoader as _FAST_LOADER  # type: ignore[assignment]


def _documents(text: str, name: str, loader: type[yaml.BaseLoader] | type[yaml.CBaseLoader]) -> list[Any]:
    aliases = sum(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=loader))
    if aliases > MAX_ALIASES:  # an alias bomb expands into more than any config holds
        raise ImportInputError([_error("import-unreadable", f"{aliases} YAML aliases: more than the "
                                       f"{MAX_ALIASES} an import reads", name)])
    return [doc for doc in yaml.load_all(text, Loader=loader) if doc is not None]


def _parse_text(text: str, name: str, json_first: bool) -> list[Any]:
    """Every document of a YAML stream (JSON is read as JSON: it keeps numbers as numbers)."""
    if json_first:
        try:
            return [json.loads(text)]
        except json.JSONDecodeError as exc:
            raise ImportInputError([_error("import-unreadable", f"not valid JSON: {exc.msg}", name,
                                           exc.lineno, exc.colno)]) from None
    try:
        return _documents(text, name, _FAST_LOADER)
    except yaml.YAMLError:
        pass  # read again by the pure parser, whose message and position every import error has had
    try:
        return _documents(text, name, yaml.BaseLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ImportInputError([_error("import-unreadable", f"not valid YAML: {exc.problem or exc}", name,
                                       line, column)]) from None
    except yaml.YAMLError as exc:
        raise ImportInputError([_error("import-unreadable", f"not valid YAML: {exc}", name)]) from None


def derived_file(path: Path, text: str) -> tuple[str, str] | None:
    """("derived", why) for a file render wrote (its header says so) that holds nothing the spec does
    not hold elsewhere: render writes it again from the spec."""
    if not text.startswith(GENERATED_HEADER):
        return None
    if path.name.endswith(".slo.test.yml"):
        return "derived", "the SLO proof tests render derives from the SLOs (written again)"
    if path.name.endswith("_telemetry.py"):
        return "derived", "the telemetry module render derives from `telemetry` (written again)"
    return None


def _deploy_kind(path: Path) -> DocumentKind | None:
    """`kubernetes` or `ruler` for a file in the folder of that name of a generated tree."""
    folders = path.resolve().parts[:-1]
    for kind in ("kubernetes", "ruler"):
        if kind in folders:
            return "kubernetes" if kind == "kubernetes" else "ruler"
    return None


def read_documents(paths: list[Path], report: ImportReport) -> list[Document]:
    found: list[Document] = []
    problems: list[Diagnostic] = []
    files: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            if file.suffix in FOLDER_SUFFIXES:
                files.append(file)
            else:
                report.note(display_path(file), "in a folder given, but not a config file by its name: skipped")
    for path in files:
        name = display_path(path)
        if path.suffix == ".tmpl":
            report.note(name, "an Alertmanager template: khaosobs writes its own (Discord); yours stays as it is")
            continue
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                problems.append(_error("import-unreadable", f"{name} is larger than {MAX_FILE_BYTES} bytes", name))
                continue
            text = path.read_bytes().decode("utf-8")
        except OSError as exc:
            problems.append(_error("import-unreadable", f"cannot read {name}: {exc.strerror}", name))
            continue
        except UnicodeDecodeError as exc:
            problems.append(_error("import-unreadable", f"{name} is not UTF-8 (byte {exc.start})", name))
            continue
        if (derived := derived_file(path, text)) is not None:
            report.note(name, derived[1])
            continue
        if path.suffix == ".py":  # a prometheus_client module: parsed as Python, never run
            found.append(Document("instrumentation", {"source": text, "stem": path.stem}, name))
            continue
        try:
            parsed = _parse_text(text, name, json_first=path.suffix == ".json")
        except ImportInputError as exc:
            problems.extend(exc.diagnostics)
            continue
        deploy = _deploy_kind(path) if text.startswith(GENERATED_HEADER) else None
        if deploy is not None:  # khaosobs' own manifests or ruler files: read for their block's settings
            found.extend(Document(deploy, doc, name) for doc in parsed if isinstance(doc, dict))
            report.note(name, f"written from the spec's `{deploy}:` block, read back into it (render writes it again)")
            continue
        if text.startswith(GENERATED_HEADER) and len(parsed) == 1 and isinstance(parsed[0], dict) \
                and "scrape_configs" in parsed[0]:  # khaosobs' own prometheus.yml: its inverse is known
            found.append(Document("prometheus_config", parsed[0], name))
            continue
        before = (len(found), len(report.omissions), len(report.notes))
        for document in parsed:
            _classify(document, name, found, report, path.resolve().parent.name)
        if (len(found), len(report.omissions), len(report.notes)) == before:  # not even a skipped object
            report.omit(name, "nothing in it is a rule file, an Alertmanager config or a Grafana dashboard")
    if problems:
        raise ImportInputError(problems)
    return found


GENERATED_HEADER = "# Generated by khaosobs from "  # templates/_header.yml.j2 and the Python modules


def _object_name(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    name = str(meta.get("name", "?"))
    return f"{meta['namespace']}/{name}" if meta.get("namespace") else name


def _classify(obj: Any, origin: str, found: list[Document], report: ImportReport, scope: str = "") -> None:
    if not isinstance(obj, dict):
        report.omit(origin, f"a document that is {type(obj).__name__}, not a mapping, was skipped")
        return
    kind = obj.get("kind")
    if kind in ("List", "ConfigMapList", "SecretList", "PrometheusRuleList"):
        for item in obj.get("items") or []:
            _classify(item, origin, found, report, scope)
        return
    if kind == "PrometheusRule":
        spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        assert isinstance(meta, dict)
        found.append(Document("rules", spec or {"groups": []}, f"{origin}: PrometheusRule {_object_name(obj)}",
                              str(meta.get("name", ""))))
        return
    if kind == "Secret":
        _secret(obj, origin, found, report)
        return
    if kind == "ConfigMap":
        _config_map(obj, origin, found, report)
        return
    if kind == "GrafanaDashboard":  # grafana-operator: the dashboard JSON as text in spec.json
        spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        where = f"{origin}: GrafanaDashboard {_object_name(obj)}"
        if isinstance(spec, dict) and isinstance(spec.get("json"), str):
            for doc in _parse_text(spec["json"], where, json_first=True):
                _classify(doc, where, found, report)
        else:
            report.omit(where, "only spec.json (inline dashboard JSON) is read")
        return
    if isinstance(kind, str) and "apiVersion" in obj:
        report.omit(f"{origin}: {kind} {_object_name(obj)}", "this kind of object is not imported")
        return
    if isinstance(obj.get("groups"), list):
        found.append(Document("rules", obj, origin, scope))
    elif isinstance(obj.get("tests"), list) and "rule_files" in obj:  # promtool's unit tests
        found.append(Document("alert_tests", obj, origin))
    elif obj.get("generated_by") == "khaosobs":
        report.note(origin, "khaosobs' manifest of the files it wrote (render writes it again)")
    elif isinstance(obj.get("providers"), list):  # Grafana's dashboard provisioning: khaosobs writes its own
        report.note(origin, "dashboard provider settings are khaosobs' own (the folder is named after the project)")
    elif isinstance(obj.get("datasources"), list):  # Grafana's datasource provisioning
        found.append(Document("datasources", obj, origin))
    elif "exporters" in obj and isinstance(obj.get("service"), dict):  # before Alertmanager: both have receivers
        found.append(Document("collector", obj, origin))
    elif "route" in obj or "receivers" in obj:
        found.append(Document("alertmanager", obj, origin))
    elif isinstance(obj.get("dashboard"), dict):  # Grafana's HTTP API form: {"dashboard": {...}, "meta": ...}
        found.append(Document("dashboard", obj["dashboard"], origin))
    elif "panels" in obj or "schemaVersion" in obj or "rows" in obj:
        found.append(Document("dashboard", obj, origin))
    else:
        report.omit(origin, "a document that is neither rules, an Alertmanager config nor a dashboard was skipped")


def _secret(obj: dict[str, Any], origin: str, found: list[Document], report: ImportReport) -> None:
    where = f"{origin}: Secret {_object_name(obj)}"
    texts: dict[str, str] = {}
    data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
    assert isinstance(data, dict)
    for key, value in data.items():
        try:
            texts[key] = base64.b64decode(str(value), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            report.omit(where, f"data key {key!r} is not base64-encoded UTF-8 text")
    string_data = obj.get("stringData") if isinstance(obj.get("stringData"), dict) else {}
    assert isinstance(string_data, dict)
    texts.update({key: str(value) for key, value in string_data.items()})  # stringData wins, as in Kubernetes
    config_key = next((key for key in ALERTMANAGER_KEYS if key in texts), None)
    for key in sorted(texts):
        if key != config_key:  # templates and credentials stay where they are: never copied into a spec
            report.omit(where, f"key {key!r} (only alertmanager.yaml is imported; secrets stay in the Secret)")
    if config_key is None:
        report.omit(where, "holds no alertmanager.yaml")
        return
    for doc in _parse_text(texts[config_key], f"{where} {config_key}", json_first=False):
        if isinstance(doc, dict):
            found.append(Document("alertmanager", doc, f"{where} {config_key}"))


def _config_map(obj: dict[str, Any], origin: str, found: list[Document], report: ImportReport) -> None:
    where = f"{origin}: ConfigMap {_object_name(obj)}"
    data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
    assert isinstance(data, dict)
    for key in sorted(data):
        text = str(data[key])
        if key.endswith(".json"):
            docs = _parse_text(text, f"{where} {key}", json_first=True)
        elif key.endswith((".yaml", ".yml")):
            docs = _parse_text(text, f"{where} {key}", json_first=False)
        else:
            report.omit(where, f"key {key!r} is neither *.json nor *.yaml")
            continue
        for doc in docs:
            _classify(doc, f"{where} {key}", found, report)
    if obj.get("binaryData"):
        report.omit(where, "binaryData is not read")

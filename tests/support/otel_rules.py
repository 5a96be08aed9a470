"""The OpenTelemetry Collector's own configuration rules, checked without a Collector binary.

`problems(config)` returns one sentence per broken rule (empty when the config is sound):
- every component a pipeline names is defined in its section (connectors may stand in for
  receivers and exporters); every defined receiver, exporter and extension is used;
- component ids are `type[/name]`; pipelines are `traces|metrics|logs|profiles[/name]` and have
  receivers and exporters; no component twice in one list;
- memory_limiter is the first processor of every pipeline (and present), batch the last;
- the removed exporters `loki` and `logging` are not used;
- with a Collector version: from v0.144 the OTLP exporters are `otlp_grpc`/`otlp_http` (the old
  `otlp`/`otlphttp` are deprecated aliases that log a warning), before it only the old names exist;
- receivers and the health check bind explicitly (`0.0.0.0:<port>`; the default is localhost);
- `$` only as `${env:NAME}` / `${file:/path}` references or `$$`; secret-bearing settings hold
  nothing but such a reference (after an optional `Bearer `/`Basic `); no value looks like a literal secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

SECTIONS = ("receivers", "processors", "exporters", "connectors", "extensions")
SIGNALS = ("traces", "metrics", "logs", "profiles")
REMOVED_EXPORTERS = {"loki": "use otlphttp to Loki's /otlp endpoint", "logging": "use debug"}
COMPONENT_ID = re.compile(r"[a-zA-Z][0-9a-zA-Z_]*(/[^/\s]+)?")
BIND = re.compile(r"0\.0\.0\.0:\d{1,5}")
REFERENCE = re.compile(r"\$\{(env:[A-Za-z_][A-Za-z0-9_]*|file:/[^}]+)\}")
AUTH_SCHEME = re.compile(r"\s*((Bearer|Basic)\s+)?", re.IGNORECASE)  # what may stand before a reference
SECRET_KEY = re.compile(
    r"(password|passwd|secret|token|api_?key|authorization|bearer|credential)", re.IGNORECASE
)
LOOKS_SECRET = (
    re.compile(r"discord(app)?\.com/api/webhooks/\d+/\S+", re.IGNORECASE),
    re.compile(r"^(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE),
    re.compile(r"://[^/@\s:]+:[^/@\s]+@"),  # credentials in a URL
)


def _type(component_id: str) -> str:
    return component_id.split("/", 1)[0]


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string value (and mapping key path) in the config."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


def _references_only(text: str) -> str:
    """`text` with every valid reference and `$$` escape removed: what is left is literal."""
    return REFERENCE.sub("", text.replace("$$", ""))


# v0.144.0 renamed the OTLP exporters (open-telemetry/opentelemetry-collector#14403, #14397)
OTLP_RENAME = (0, 144, 0)
OTLP_NEW_NAMES = {"otlp": "otlp_grpc", "otlphttp": "otlp_http"}


def _exporter_name_problems(exporters: dict[str, Any], version: tuple[int, int, int]) -> list[str]:
    found = []
    for exporter in exporters:
        kind = _type(exporter)
        if version >= OTLP_RENAME and kind in OTLP_NEW_NAMES:
            found.append(f"exporters: {exporter}: {kind!r} is a deprecated alias since v0.144; "
                         f"use {OTLP_NEW_NAMES[kind]!r}")
        if version < OTLP_RENAME and kind in OTLP_NEW_NAMES.values():
            found.append(f"exporters: {exporter}: {kind!r} does not exist before v0.144")
    return found


def problems(config: Any, version: tuple[int, int, int] | None = None) -> list[str]:
    if not isinstance(config, dict):
        return ["the config is not a mapping"]
    found: list[str] = []
    sections = {s: config.get(s) or {} for s in SECTIONS}
    for section, components in sections.items():
        if not isinstance(components, dict):
            found.append(f"{section} is not a mapping")
            sections[section] = {}
            continue
        for component_id in components:
            if not COMPONENT_ID.fullmatch(str(component_id)):
                found.append(f"{section}: {component_id!r} is not a component id (type[/name])")
    for exporter in sections["exporters"]:
        if _type(exporter) in REMOVED_EXPORTERS:
            found.append(
                f"exporters: {exporter} was removed from the Collector; {REMOVED_EXPORTERS[_type(exporter)]}"
            )
    if version is not None:
        found += _exporter_name_problems(sections["exporters"], version)
    found += _pipeline_problems(config.get("service") or {}, sections)
    found += _bind_problems(sections)
    found += _secret_problems(config)
    return found


def _pipeline_problems(service: dict[str, Any], sections: dict[str, dict[str, Any]]) -> list[str]:
    found: list[str] = []
    pipelines = service.get("pipelines") or {}
    if not pipelines:
        found.append("service.pipelines is empty: the Collector would not start")
    used: dict[str, set[str]] = {"receivers": set(), "processors": set(), "exporters": set()}
    for name, pipeline in pipelines.items():
        where = f"service.pipelines.{name}"
        if _type(name) not in SIGNALS:
            found.append(f"{where}: {_type(name)!r} is not a signal ({', '.join(SIGNALS)})")
        pipeline = pipeline or {}
        for kind in ("receivers", "processors", "exporters"):
            listed = pipeline.get(kind) or []
            if len(set(listed)) != len(listed):
                found.append(f"{where}.{kind} lists a component twice")
            for component in listed:
                used[kind].add(component)
                defined = component in sections[kind] or (
                    kind != "processors" and component in sections["connectors"]
                )
                if not defined:
                    found.append(f"{where}: {kind[:-1]} {component} is not defined under {kind}")
        for kind in ("receivers", "exporters"):
            if not pipeline.get(kind):
                found.append(f"{where} has no {kind}")
        processors = [_type(p) for p in pipeline.get("processors") or []]
        if not processors or processors[0] != "memory_limiter":
            found.append(f"{where}: memory_limiter must be the first processor")
        if "batch" in processors and processors[-1] != "batch":
            found.append(f"{where}: batch must be the last processor")
    for kind in ("receivers", "exporters"):
        for component in sections[kind]:
            if component not in used[kind]:
                found.append(f"{kind}: {component} is defined but no pipeline uses it")
    enabled = service.get("extensions") or []
    for extension in enabled:
        if extension not in sections["extensions"]:
            found.append(f"service.extensions: {extension} is not defined under extensions")
    for extension in sections["extensions"]:
        if extension not in enabled:
            found.append(f"extensions: {extension} is defined but not enabled in service.extensions")
    return found


def _bind_problems(sections: dict[str, dict[str, Any]]) -> list[str]:
    found: list[str] = []
    servers: list[tuple[str, Any]] = []
    for receiver, settings in sections["receivers"].items():
        protocols = (settings or {}).get("protocols")
        if isinstance(protocols, dict):  # otlp and friends: one server per protocol
            servers += [(f"receivers.{receiver}.protocols.{p}", s) for p, s in protocols.items()]
        else:
            servers.append((f"receivers.{receiver}", settings))
    servers += [
        (f"extensions.{e}", s) for e, s in sections["extensions"].items() if _type(e) == "health_check"
    ]
    for where, settings in servers:
        endpoint = (settings or {}).get("endpoint")
        if endpoint is None:
            found.append(f"{where}: no endpoint, so it binds localhost only; bind 0.0.0.0:<port> explicitly")
        elif not BIND.fullmatch(str(endpoint)):
            found.append(f"{where}: endpoint {endpoint!r} should bind 0.0.0.0:<port> explicitly")
    return found


def _secret_problems(config: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for path, text in _strings(config, ""):
        literal = _references_only(text)
        if "$" in literal:
            found.append(f"{path}: {text!r} uses `$` other than ${{env:NAME}}, ${{file:/path}} or $$")
        leaf = path.rsplit(".", 1)[-1]
        if SECRET_KEY.search(leaf) and not AUTH_SCHEME.fullmatch(literal):
            found.append(
                f"{path}: a secret setting must be only a ${{env:NAME}} or ${{file:/path}} reference"
            )
        if any(pattern.search(literal) for pattern in LOOKS_SECRET):
            found.append(f"{path}: {text!r} looks like a literal secret")
    return found

"""The `targets` block: readable versions, no older than the oldest each output is made for."""

from __future__ import annotations

from collections.abc import Iterable

from khaosobs.checks.context import CheckContext
from khaosobs.diagnostics import Diagnostic
from khaosobs.domain.versions import ALERTMANAGER_MIN, OTELCOL_MIN, PROMETHEUS_MIN, Version, parse_version, version_text

TOOL_NAMES = {"otelcol": "the OpenTelemetry Collector"}

_CODES = {"prometheus": "prometheus-version", "alertmanager": "alertmanager-version", "otelcol": "otelcol-version"}


def _target(ctx: CheckContext, tool: str, text: str, minimum: Version, example: str) -> Iterable[Diagnostic]:
    path = ("targets", tool)
    code = _CODES[tool]
    version = parse_version(text)
    if version is None:
        yield ctx.error(code, f'targets.{tool} "{text}" is not a version', path,
                        f"write the version like {example}")
    elif version < minimum:
        yield ctx.error(code,
                        f"khaosobs renders for {TOOL_NAMES.get(tool, tool.capitalize())} {version_text(minimum)} "
                        f"or newer, not {text}",
                        path, f'upgrade {TOOL_NAMES.get(tool, tool.capitalize())} and write '
                        f'"{version_text(minimum)}" or newer')


def check(ctx: CheckContext) -> Iterable[Diagnostic]:
    targets = ctx.spec.targets
    yield from _target(ctx, "prometheus", targets.prometheus, PROMETHEUS_MIN, '"2.42" or "2.53.1"')
    yield from _target(ctx, "alertmanager", targets.alertmanager, ALERTMANAGER_MIN, '"0.25" or "0.28.1"')
    yield from _target(ctx, "otelcol", targets.otelcol, OTELCOL_MIN, '"0.117" or "0.144.0"')

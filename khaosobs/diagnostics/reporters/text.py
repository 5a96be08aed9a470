"""pint-style text: `file:line:col: severity[code]: message`, the source line, a caret, the hint."""

from __future__ import annotations

from khaosobs.diagnostics import Diagnostic
from khaosobs.diagnostics.codes import code_info
from khaosobs.diagnostics.reporters._redact import mask_credentials
from khaosobs.spec.sources import SourceFile


def _mask(text: str, start: int, length: int) -> str:
    """Hide most of a leaked secret so the report does not leak it again into CI logs."""
    end = min(len(text), start + length)
    keep = start + min(12, (end - start) // 3)
    return text[:keep] + "*" * max(0, end - keep) + text[end:]


def _secret_spans(diagnostics: list[Diagnostic]) -> dict[tuple[str, int], list[tuple[int, int]]]:
    """Where each leaked secret is, by (file, line): any finding that shows that line masks it, so an
    unknown-key error on `routing_key: …` does not print the key the secret check refused."""
    spans: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for d in diagnostics:
        if d.location is not None and code_info(d.code).sensitive_text:
            spans.setdefault((d.location.file, d.location.line), []).append((d.location.column - 1,
                                                                              d.location.length))
    return spans


def report(diagnostics: list[Diagnostic], sources: dict[str, SourceFile]) -> str:
    blocks: list[str] = []
    secrets = _secret_spans(diagnostics)
    for d in diagnostics:
        loc = d.location
        where = f"{loc.file}:{loc.line}:{loc.column}: " if loc else ""
        lines = [f"{where}{d.severity.value}[{d.code}]: {mask_credentials(d.message)}"]
        source = sources.get(loc.file) if loc else None
        if loc is not None and source is not None:
            text = source.line(loc.line)
            for start, length in secrets.get((loc.file, loc.line), []) if text else []:
                text = _mask(text, start, length)
            text = mask_credentials(text)
            if text:
                shown = text if len(text) <= 200 else text[:200] + "…"
                gutter = str(loc.line)
                pad = " " * len(gutter)
                col = min(loc.column - 1, len(shown))
                length = max(1, min(loc.length, len(shown) - col))
                prefix = "".join(c if c == "\t" else " " for c in shown[:col])
                lines.append(f" {gutter} | {shown}")
                lines.append(f" {pad} | {prefix}{'^' * length}")
        if d.path:
            lines.append(f"  at: {d.path_text}")
        if d.hint:
            lines.append(f"  hint: {mask_credentials(d.hint)}")
        blocks.append("\n".join(lines))
    errors = sum(1 for d in diagnostics if d.severity.value == "error")
    warnings = len(diagnostics) - errors
    blocks.append(f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}")
    return "\n\n".join(blocks[:-1]) + ("\n\n" if len(blocks) > 1 else "") + blocks[-1] + "\n"

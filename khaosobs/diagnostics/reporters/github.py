"""GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=…::message`."""

from __future__ import annotations

from khaosobs.diagnostics import Diagnostic
from khaosobs.diagnostics.reporters._redact import mask_credentials
from khaosobs.spec.sources import SourceFile


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def report(diagnostics: list[Diagnostic], sources: dict[str, SourceFile]) -> str:
    lines: list[str] = []
    for d in diagnostics:
        level = "error" if d.severity.value == "error" else "warning"
        props: list[str] = []
        if d.location is not None:
            props += [f"file={_escape_property(d.location.file)}", f"line={d.location.line}",
                      f"col={d.location.column}"]
        props.append(f"title={_escape_property('khaosobs ' + d.code)}")
        message = mask_credentials(d.message + (f" (hint: {d.hint})" if d.hint else ""))
        lines.append(f"::{level} {','.join(props)}::{_escape_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")

"""Go template text (Prometheus and Alertmanager annotations are Go templates)."""

from __future__ import annotations

_OPEN = "{{"
_OPEN_LITERAL = '{{ "{{" }}'  # an action whose output is the two braces themselves


def go_template_literal(text: str) -> str:
    """Template text that renders exactly `text`: every `{{` becomes an action printing `{{`.

    Only `{{` starts an action in Go's text/template (`}}` outside an action is plain text), and
    splitting from the left leaves no piece ending in `{` before a delimiter, so the result can never
    hold an action of the user's making.
    """
    return _OPEN_LITERAL.join(text.split(_OPEN))

"""Alert fields that become annotations: the one list.

Targets write these annotations from the alert's fields; checks refuse an extra annotation that
repeats one of them.
"""

from __future__ import annotations

# the alert fields written as annotations of the same name, in this order
ANNOTATION_FIELDS = ("summary", "description", "runbook_url")

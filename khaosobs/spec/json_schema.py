"""The spec's JSON Schema, generated from the pydantic models."""

from __future__ import annotations

import json
from typing import Any

from khaosobs.spec.model import Spec

SCHEMA_ID = "https://khaosobs.dev/schema/spec-v1.json"


def spec_schema() -> dict[str, Any]:
    schema = Spec.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "khaosobs spec v1", **schema}


def spec_schema_text() -> str:
    return json.dumps(spec_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

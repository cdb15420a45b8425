"""``taskstatus schema``: a JSON Schema (draft 2020-12) for the status string."""

from __future__ import annotations

import json

from .._status import TaskStatus


def status_schema() -> dict[str, object]:
    """Return the JSON Schema of a status value, with each value's meaning.

    ``enum`` lists the values in declaration order, as pydantic does for a
    field of type TaskStatus; ``oneOf`` repeats them with their descriptions
    in plain JSON Schema, so no vendor extension is needed to read them.
    """
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "TaskStatus",
        "description": (
            "The status of an asynchronous task, or of a long-lived entity "
            "(ACTIVE, ARCHIVED, SUSPENDED). Clients should read values they do "
            "not know as UNKNOWN: newer servers may add statuses."
        ),
        "type": "string",
        "enum": [status.value for status in TaskStatus],
        "oneOf": [
            {"const": status.value, "description": status.description}
            for status in TaskStatus
        ],
    }


def render_schema() -> str:
    """Return the schema as indented JSON."""
    return json.dumps(status_schema(), indent=2)

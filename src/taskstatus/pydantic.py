"""Pydantic v2 field types for task statuses.

Importing this module imports pydantic; ``import taskstatus`` does not, so the
library stays free of dependencies for everyone else.

>>> from pydantic import BaseModel
>>> class Task(BaseModel):
...     status: LenientTaskStatus
>>> Task.model_validate_json('{"status": "REHYDRATING"}').status
<TaskStatus.UNKNOWN: 'UNKNOWN'>
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from ._parse import coerce_status
from ._status import TaskStatus

__all__ = ["LenientTaskStatus"]

LenientTaskStatus = Annotated[TaskStatus, BeforeValidator(coerce_status)]
"""A `TaskStatus` field that reads what a newer server sends instead of failing.

Values go through `coerce_status` before pydantic's enum check, so an unknown
status becomes ``TaskStatus.UNKNOWN`` (logged once) rather than a
``ValidationError``, and ``" in-progress "`` or ``"cancelled"`` are understood.
The field still dumps, and appears in JSON Schema, exactly as `TaskStatus`.
"""

"""Typing tests for taskstatus.pydantic: checked, never executed."""

from __future__ import annotations

from pydantic import BaseModel
from typing_extensions import assert_type

from taskstatus import TaskStatus
from taskstatus.pydantic import LenientTaskStatus


class Task(BaseModel):
    status: LenientTaskStatus


assert_type(Task(status=TaskStatus.PENDING).status, TaskStatus)
lenient: LenientTaskStatus = TaskStatus.FAILED
wrong: LenientTaskStatus = "FAILED"  # type: ignore[assignment]

"""Typing tests for results and summaries: checked, never executed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from typing_extensions import assert_type

from taskstatus import ItemFailure, StatusSummary, TaskResult, TaskStatus, summarize

result = TaskResult([1, 2], [ItemFailure(3, "timed out", "transient")])
assert_type(result, TaskResult[int])
assert_type(result.successful, tuple[int, ...])
assert_type(result.failed, tuple[ItemFailure[int], ...])
assert_type(result.failed[0].item, int)
assert_type(result.failed[0].code, Optional[str])
assert_type(result.failed[0].details, Mapping[str, object])
assert_type(result.success_rate, float)
assert_type(result.status, TaskStatus)
assert_type(result.is_partial, bool)
assert_type(result.to_dict(), dict[str, Any])
assert_type(
    result.failures_by_code(),
    Mapping[Optional[str], tuple[ItemFailure[int], ...]],
)

# The item type flows through from_dict when it is given.
assert_type(TaskResult.from_dict({}, int), TaskResult[int])
assert_type(TaskResult.from_dict({}, str).successful, tuple[str, ...])
assert_type(TaskResult.from_dict({}), TaskResult[Any])

summary = summarize(["COMPLETED", TaskStatus.FAILED])
assert_type(summary, StatusSummary)
assert_type(summary.counts, Mapping[TaskStatus, int])
assert_type(summary.overall, TaskStatus)
assert_type(summary.done, bool)
assert_type(summary.total, int)

# Mistakes the checkers catch.
TaskResult[int]([1], [ItemFailure("x", "boom")])  # type: ignore[arg-type]
ItemFailure("x", error=3)  # type: ignore[arg-type]
result.successful = ()  # type: ignore[misc]
summarize([None])  # type: ignore[list-item]

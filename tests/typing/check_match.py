"""Exhaustive ``match`` over TaskStatus: checked (Python 3.10+), never executed."""

from __future__ import annotations

from typing_extensions import assert_never

from taskstatus import TaskStatus, is_terminal


def label(status: TaskStatus) -> str:  # noqa: PLR0911 - one return per case
    match status:
        case TaskStatus.PENDING | TaskStatus.QUEUED:
            return "waiting"
        case TaskStatus.IN_PROGRESS | TaskStatus.PROCESSING:
            return "running"
        case TaskStatus.COMPLETED:
            return "done"
        case TaskStatus.COMPLETED_WITH_ERRORS:
            return "partly done"
        case TaskStatus.FAILED | TaskStatus.CANCELED:
            return "not done"
        case TaskStatus.INTERRUPTED | TaskStatus.UNKNOWN:
            return "stuck"
        case TaskStatus.SKIPPED | TaskStatus.DRAFT:
            return "other"
        case TaskStatus.ACTIVE | TaskStatus.ARCHIVED | TaskStatus.SUSPENDED:
            return "entity"
        case TaskStatus.DEACTIVATED:
            return "switched off"
        case _:
            assert_never(status)


def terminal_label(status: TaskStatus) -> str:
    # After narrowing, four cases are exhaustive.
    if not is_terminal(status):
        return "not yet"
    match status:
        case TaskStatus.COMPLETED:
            return "done"
        case TaskStatus.COMPLETED_WITH_ERRORS:
            return "partly done"
        case TaskStatus.FAILED:
            return "failed"
        case TaskStatus.CANCELED:
            return "canceled"
        case _:
            assert_never(status)


def the_thirteen_of_0_1(status: TaskStatus) -> str:
    # A match written for 0.1's 13 statuses is no longer exhaustive: the
    # reason the new statuses are a breaking change.
    match status:
        case TaskStatus.PENDING | TaskStatus.IN_PROGRESS | TaskStatus.PROCESSING:
            return "running"
        case (
            TaskStatus.COMPLETED
            | TaskStatus.COMPLETED_WITH_ERRORS
            | TaskStatus.FAILED
            | TaskStatus.CANCELED
        ):
            return "ended"
        case TaskStatus.UNKNOWN | TaskStatus.SKIPPED | TaskStatus.DRAFT:
            return "other"
        case TaskStatus.ACTIVE | TaskStatus.ARCHIVED | TaskStatus.SUSPENDED:
            return "entity"
        case _:
            assert_never(status)  # type: ignore[arg-type]


def missing_case(status: TaskStatus) -> str:
    match status:
        case TaskStatus.PENDING | TaskStatus.IN_PROGRESS | TaskStatus.PROCESSING:
            return "running"
        case _:
            assert_never(status)  # type: ignore[arg-type]

"""Typing tests for the core: checked by mypy and pyright, never executed."""

from __future__ import annotations

from typing import Optional, TypedDict

from typing_extensions import assert_type

import taskstatus
from taskstatus import (
    LIFECYCLE_STATUSES,
    OPERATION_STATUSES,
    POLLABLE_STATUSES,
    TERMINAL_STATUSES,
    LifecycleStatus,
    OperationStatus,
    PollableStatus,
    StatusCategory,
    TaskStatus,
    TaskStatusValue,
    TerminalStatus,
    can_transition,
    check_transition,
    coerce_status,
    is_lifecycle,
    is_operation,
    is_pollable,
    is_terminal,
    parse_status,
)

# The sets are typed with their Literal aliases.
assert_type(TERMINAL_STATUSES, frozenset[TerminalStatus])
assert_type(POLLABLE_STATUSES, frozenset[PollableStatus])
assert_type(LIFECYCLE_STATUSES, frozenset[LifecycleStatus])
assert_type(OPERATION_STATUSES, frozenset[OperationStatus])

# Members, their properties, and the parsers.
assert_type(TaskStatus.PENDING.description, str)
assert_type(TaskStatus.PENDING.category, StatusCategory)
assert_type(parse_status("PENDING"), TaskStatus)
assert_type(coerce_status(None), TaskStatus)
assert_type(can_transition(TaskStatus.PENDING, TaskStatus.FAILED), bool)
assert_type(check_transition(TaskStatus.PENDING, TaskStatus.FAILED), None)


def narrows_terminal(status: TaskStatus) -> None:
    if is_terminal(status):
        assert_type(status, TerminalStatus)


def narrows_pollable(status: TaskStatus) -> None:
    if is_pollable(status):
        assert_type(status, PollableStatus)


def narrows_lifecycle(status: TaskStatus) -> None:
    if is_lifecycle(status):
        assert_type(status, LifecycleStatus)


def narrows_operation(status: TaskStatus) -> None:
    if is_operation(status):
        assert_type(status, OperationStatus)


def narrowed_members_are_accepted_where_the_alias_is_expected(
    status: TaskStatus,
) -> TerminalStatus | None:
    if is_terminal(status):
        return status
    return None


# A Literal member fits its alias; a member outside it does not.
terminal: TerminalStatus = TaskStatus.FAILED
pollable: PollableStatus = TaskStatus.FAILED  # type: ignore[assignment]


class TaskJSON(TypedDict):
    """Raw JSON of a task, typed with the wire strings."""

    id: str
    status: TaskStatusValue


good_json: TaskJSON = {"id": "t1", "status": "COMPLETED"}
bad_json: TaskJSON = {"id": "t1", "status": "DONE"}  # type: ignore[typeddict-item]
assert_type(parse_status(good_json["status"]), TaskStatus)

# The sets are frozen.
TERMINAL_STATUSES.add(TaskStatus.FAILED)  # type: ignore[attr-defined]

# Predicates, parse_status and transitions refuse what is not a status.
is_terminal(42)  # type: ignore[arg-type]
is_pollable("PENDING")  # type: ignore[arg-type]
is_lifecycle(None)  # type: ignore[arg-type]
is_operation(b"DRAFT")  # type: ignore[arg-type]
parse_status(None)  # type: ignore[arg-type]
can_transition("PENDING", TaskStatus.FAILED)  # type: ignore[arg-type]
TaskStatus.PENDING.description = "x"  # type: ignore[misc]

# The lazily loaded names are real names to the checkers; a typo is not.
assert_type(taskstatus.__version__, str)
assert_type(taskstatus.PollPolicy().timeout, Optional[float])
taskstatus.is_terminl  # type: ignore[attr-defined]  # noqa: B018

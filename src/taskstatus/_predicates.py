"""Category checks that type checkers understand (``TypeIs`` narrowing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._parse import invalid_status_error
from ._status import (
    LIFECYCLE_STATUSES,
    OPERATION_STATUSES,
    POLLABLE_STATUSES,
    TERMINAL_STATUSES,
    TaskStatus,
)

if TYPE_CHECKING:
    from typing_extensions import TypeIs

    from ._status import (
        LifecycleStatus,
        OperationStatus,
        PollableStatus,
        TerminalStatus,
    )

# One lookup answers both "is it a status?" and "is it in the set?": a missing
# key means the argument is no status at all, which must never read as False.
_IS_TERMINAL = {status: status in TERMINAL_STATUSES for status in TaskStatus}
_IS_POLLABLE = {status: status in POLLABLE_STATUSES for status in TaskStatus}
_IS_LIFECYCLE = {status: status in LIFECYCLE_STATUSES for status in TaskStatus}
_IS_OPERATION = {status: status in OPERATION_STATUSES for status in TaskStatus}


def is_terminal(status: TaskStatus) -> TypeIs[TerminalStatus]:
    """Return whether the task has finished for good and polling should stop.

    Accepts a member or its exact string value. Raises `ValueError` for an
    unknown string and `TypeError` for anything else, so that a typo can never
    pass for "not terminal".

    >>> is_terminal(TaskStatus.FAILED), is_terminal(TaskStatus.PENDING)
    (True, False)
    """
    try:
        return _IS_TERMINAL[status]
    except (KeyError, TypeError):
        raise invalid_status_error(status) from None


def is_pollable(status: TaskStatus) -> TypeIs[PollableStatus]:
    """Return whether the task is still on its way, so polling it makes sense.

    Validates its argument like `is_terminal`.

    >>> is_pollable(TaskStatus.PROCESSING), is_pollable(TaskStatus.SKIPPED)
    (True, False)
    """
    try:
        return _IS_POLLABLE[status]
    except (KeyError, TypeError):
        raise invalid_status_error(status) from None


def is_lifecycle(status: TaskStatus) -> TypeIs[LifecycleStatus]:
    """Return whether the status describes a long-lived entity.

    Validates its argument like `is_terminal`.

    >>> is_lifecycle(TaskStatus.ARCHIVED), is_lifecycle(TaskStatus.COMPLETED)
    (True, False)
    """
    try:
        return _IS_LIFECYCLE[status]
    except (KeyError, TypeError):
        raise invalid_status_error(status) from None


def is_operation(status: TaskStatus) -> TypeIs[OperationStatus]:
    """Return whether the status describes an asynchronous operation.

    Validates its argument like `is_terminal`.

    >>> is_operation(TaskStatus.DRAFT), is_operation(TaskStatus.ACTIVE)
    (True, False)
    """
    try:
        return _IS_OPERATION[status]
    except (KeyError, TypeError):
        raise invalid_status_error(status) from None

"""The one transition rule: a terminal status is final."""

from __future__ import annotations

from ._errors import InvalidTransitionError
from ._parse import parse_status
from ._predicates import is_terminal
from ._status import TaskStatus


def can_transition(current: TaskStatus, new: TaskStatus) -> bool:
    """Return whether a task in ``current`` may move to ``new``.

    Only a terminal status is final: it may be reported again, but never
    left. Every other move is allowed, because servers differ on the order of
    the in-flight statuses. Both arguments are validated like `parse_status`.

    >>> can_transition(TaskStatus.PENDING, TaskStatus.COMPLETED)
    True
    >>> can_transition(TaskStatus.COMPLETED, TaskStatus.FAILED)
    False
    """
    current, new = parse_status(current), parse_status(new)
    return current is new or not is_terminal(current)


def check_transition(current: TaskStatus, new: TaskStatus) -> None:
    """Raise `InvalidTransitionError` if a task in ``current`` may not move to ``new``.

    >>> check_transition(TaskStatus.CANCELED, TaskStatus.IN_PROGRESS)
    Traceback (most recent call last):
    ...
    taskstatus.InvalidTransitionError: cannot move a task from CANCELED to \
IN_PROGRESS: CANCELED is terminal, so the task can never change again
    """
    if not can_transition(current, new):
        raise InvalidTransitionError(parse_status(current), parse_status(new))

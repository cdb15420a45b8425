"""Transitions: a terminal status is final, and updates merge by precedence."""

from __future__ import annotations

from ._errors import InvalidTransitionError
from ._parse import parse_status
from ._predicates import is_terminal
from ._status import LIFECYCLE_STATUSES, TERMINAL_STATUSES, TaskStatus


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


# How far along an operation is; a status never moves to a lower rank.
# QUEUED is PENDING's sibling. INTERRUPTED ranks with the running statuses:
# an interrupted task may run again, and a running one be interrupted (the
# newer wins at equal rank). SKIPPED is settled, so it outranks them, but a
# terminal status still outranks it: a server may report a skipped task as
# canceled.
_RANK: dict[TaskStatus, int] = {
    TaskStatus.DRAFT: 0,
    TaskStatus.PENDING: 1,
    TaskStatus.QUEUED: 1,
    TaskStatus.IN_PROGRESS: 2,
    TaskStatus.PROCESSING: 2,
    TaskStatus.INTERRUPTED: 2,
    TaskStatus.SKIPPED: 3,
}

# Pairs of different terminal statuses already reported: at most 4 x 3.
_reported_conflicts: set[tuple[TaskStatus, TaskStatus]] = set()


def merge_status(current: TaskStatus | None, incoming: TaskStatus) -> TaskStatus:
    """Return the status a task is in after ``incoming`` arrives in ``current``.

    The one precedence rule for updates that arrive out of order:

    - a terminal status is final: the first one wins, and a later different
      one is ignored (and logged once at WARNING);
    - UNKNOWN never replaces a known status, and any status replaces UNKNOWN;
    - an operation never moves back: DRAFT < PENDING = QUEUED <
      IN_PROGRESS = PROCESSING = INTERRUPTED < SKIPPED < terminal; at equal
      rank the newer wins;
    - lifecycle statuses (ACTIVE, SUSPENDED, ARCHIVED, DEACTIVATED) move
      both ways, so the
      incoming one wins (`TaskBoard` orders them by version).

    Both are validated like `parse_status`; ``current`` may be ``None`` for
    a task not heard of yet.

    Raises:
        ValueError: One is a lifecycle status and the other an operation
            status (other than UNKNOWN): they cannot describe one task.

    >>> merge_status(TaskStatus.COMPLETED, TaskStatus.IN_PROGRESS)
    <TaskStatus.COMPLETED: 'COMPLETED'>
    >>> merge_status(TaskStatus.PROCESSING, TaskStatus.PENDING)
    <TaskStatus.PROCESSING: 'PROCESSING'>
    """
    incoming = parse_status(incoming)
    if current is None:
        return incoming
    return merge_members(parse_status(current), incoming)


def merge_members(current: TaskStatus, incoming: TaskStatus) -> TaskStatus:
    """`merge_status` for two members, already validated (a hot path)."""
    if incoming is TaskStatus.UNKNOWN:
        return current
    if current is TaskStatus.UNKNOWN:
        return incoming
    if (current in LIFECYCLE_STATUSES) is not (incoming in LIFECYCLE_STATUSES):
        msg = (
            f"cannot merge {incoming} into {current}: lifecycle and operation "
            "statuses do not describe the same task"
        )
        raise ValueError(msg)
    if current in TERMINAL_STATUSES:
        if incoming in TERMINAL_STATUSES and incoming is not current:
            _report_conflict(current, incoming)
        return current
    moves_on = (
        incoming in LIFECYCLE_STATUSES
        or incoming in TERMINAL_STATUSES
        or _RANK[incoming] >= _RANK[current]
    )
    return incoming if moves_on else current


def _report_conflict(current: TaskStatus, incoming: TaskStatus) -> None:
    if (current, incoming) in _reported_conflicts:
        return
    _reported_conflicts.add((current, incoming))
    import logging  # noqa: PLC0415 - `import taskstatus` stays free of logging

    logging.getLogger("taskstatus").warning(
        "ignoring %s for a task already %s: the first terminal status is final",
        incoming,
        current,
    )

"""can_transition, check_transition and merge_status."""

from __future__ import annotations

import itertools
import logging
import pickle

import pytest

from taskstatus import (
    LIFECYCLE_STATUSES,
    TERMINAL_STATUSES,
    InvalidTransitionError,
    TaskStatus,
    can_transition,
    check_transition,
    merge_status,
)

PAIRS = list(itertools.product(TaskStatus, repeat=2))


@pytest.mark.parametrize(("current", "new"), PAIRS)
def test_only_leaving_a_terminal_status_is_refused(
    current: TaskStatus, new: TaskStatus
) -> None:
    """can_transition is False exactly when current is terminal and new differs."""
    expected = not (current in TERMINAL_STATUSES and new is not current)
    assert expected is can_transition(current, new)


@pytest.mark.parametrize(("current", "new"), PAIRS)
def test_check_agrees_with_can(current: TaskStatus, new: TaskStatus) -> None:
    """check_transition raises exactly where can_transition says no."""
    if can_transition(current, new):
        check_transition(current, new)  # returns without raising
    else:
        with pytest.raises(InvalidTransitionError):
            check_transition(current, new)


def test_error_names_both_statuses() -> None:
    """The error is a ValueError that names and carries both statuses."""
    with pytest.raises(ValueError, match="from COMPLETED to PENDING") as caught:
        check_transition(TaskStatus.COMPLETED, TaskStatus.PENDING)
    error = caught.value
    assert isinstance(error, InvalidTransitionError)
    assert (TaskStatus.COMPLETED, TaskStatus.PENDING) == (error.current, error.new)
    assert (
        "cannot move a task from COMPLETED to PENDING: COMPLETED is terminal, "
        "so the task can never change again"
    ) == str(error)


def test_error_survives_pickling() -> None:
    """The error pickles (as it must to cross process pools) with its fields."""
    error = InvalidTransitionError(TaskStatus.FAILED, TaskStatus.PENDING)
    copy = pickle.loads(pickle.dumps(error))
    assert (TaskStatus.FAILED, TaskStatus.PENDING) == (copy.current, copy.new)
    assert str(error) == str(copy)


def test_transitions_accept_value_strings() -> None:
    """At run time the value strings work like members."""
    assert can_transition("PENDING", "COMPLETED")  # type: ignore[arg-type]
    assert not can_transition("FAILED", "COMPLETED")  # type: ignore[arg-type]
    with pytest.raises(InvalidTransitionError):
        check_transition("FAILED", "COMPLETED")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "new"), [("DONE", "PENDING"), ("PENDING", "finished")]
)
def test_transitions_reject_unknown_values(current: str, new: str) -> None:
    """An unknown status on either side raises ValueError, not a silent answer."""
    with pytest.raises(ValueError, match="is not a task status"):
        can_transition(current, new)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is not a task status"):
        check_transition(current, new)  # type: ignore[arg-type]


# --- merge_status ---------------------------------------------------------

IN_FLIGHT_ORDER = [
    TaskStatus.DRAFT,
    TaskStatus.PENDING,
    TaskStatus.IN_PROGRESS,
    TaskStatus.SKIPPED,
]
OPERATIONS = [status for status in TaskStatus if status not in LIFECYCLE_STATUSES]


@pytest.mark.parametrize(
    ("current", "incoming", "merged"),
    [
        (None, TaskStatus.PENDING, TaskStatus.PENDING),
        (TaskStatus.PENDING, TaskStatus.IN_PROGRESS, TaskStatus.IN_PROGRESS),
        (TaskStatus.IN_PROGRESS, TaskStatus.PENDING, TaskStatus.IN_PROGRESS),
        (TaskStatus.IN_PROGRESS, TaskStatus.PROCESSING, TaskStatus.PROCESSING),
        (TaskStatus.PROCESSING, TaskStatus.IN_PROGRESS, TaskStatus.IN_PROGRESS),
        (TaskStatus.PENDING, TaskStatus.DRAFT, TaskStatus.PENDING),
        (TaskStatus.PROCESSING, TaskStatus.SKIPPED, TaskStatus.SKIPPED),
        (TaskStatus.SKIPPED, TaskStatus.PENDING, TaskStatus.SKIPPED),
        (TaskStatus.SKIPPED, TaskStatus.CANCELED, TaskStatus.CANCELED),
        (TaskStatus.COMPLETED, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED),
        (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.COMPLETED),
        (TaskStatus.DRAFT, TaskStatus.FAILED, TaskStatus.FAILED),
        (TaskStatus.PENDING, TaskStatus.UNKNOWN, TaskStatus.PENDING),
        (TaskStatus.UNKNOWN, TaskStatus.DRAFT, TaskStatus.DRAFT),
        (TaskStatus.UNKNOWN, TaskStatus.ACTIVE, TaskStatus.ACTIVE),
        (TaskStatus.ARCHIVED, TaskStatus.UNKNOWN, TaskStatus.ARCHIVED),
        (TaskStatus.ACTIVE, TaskStatus.SUSPENDED, TaskStatus.SUSPENDED),
        (TaskStatus.SUSPENDED, TaskStatus.ACTIVE, TaskStatus.ACTIVE),
        (None, TaskStatus.UNKNOWN, TaskStatus.UNKNOWN),
    ],
)
def test_merge_table(
    current: TaskStatus | None, incoming: TaskStatus, merged: TaskStatus
) -> None:
    """The precedence table of docs/statuses.md, row by row."""
    assert merged is merge_status(current, incoming)


@pytest.mark.parametrize(
    ("current", "incoming"), list(itertools.product(OPERATIONS, repeat=2))
)
def test_merge_never_moves_an_operation_back(
    current: TaskStatus, incoming: TaskStatus
) -> None:
    """Terminal stays; UNKNOWN never wins over a known status; ranks only rise."""
    merged = merge_status(current, incoming)
    if current in TERMINAL_STATUSES or incoming is TaskStatus.UNKNOWN:
        assert current is merged
    elif current in IN_FLIGHT_ORDER and incoming in IN_FLIGHT_ORDER:
        rank = IN_FLIGHT_ORDER.index
        assert max(current, incoming, key=rank) is merged
    assert merged in {current, incoming}


@pytest.mark.parametrize(
    ("current", "incoming"),
    [
        (TaskStatus.ACTIVE, TaskStatus.PENDING),
        (TaskStatus.COMPLETED, TaskStatus.ARCHIVED),
    ],
)
def test_merge_refuses_mixed_categories(
    current: TaskStatus, incoming: TaskStatus
) -> None:
    """A lifecycle status and an operation status cannot describe one task."""
    with pytest.raises(ValueError, match="lifecycle and operation statuses"):
        merge_status(current, incoming)


def test_merge_validates_its_arguments() -> None:
    """Strings must be exact values; anything else is refused like parse_status."""
    assert TaskStatus.FAILED is merge_status("PENDING", "FAILED")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'DONE' is not a task status"):
        merge_status(TaskStatus.PENDING, "DONE")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        merge_status(42, TaskStatus.PENDING)  # type: ignore[arg-type]


def test_conflicting_terminal_statuses_are_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A later different terminal status is ignored, and said so once."""
    with caplog.at_level(logging.WARNING, logger="taskstatus"):
        for _ in range(3):
            merge_status(TaskStatus.COMPLETED, TaskStatus.FAILED)
        merge_status(TaskStatus.COMPLETED, TaskStatus.COMPLETED)
    assert [
        "ignoring FAILED for a task already COMPLETED: the first terminal status "
        "is final"
    ] == [record.getMessage() for record in caplog.records]

"""can_transition and check_transition."""

from __future__ import annotations

import itertools
import pickle

import pytest

from taskstatus import (
    TERMINAL_STATUSES,
    InvalidTransitionError,
    TaskStatus,
    can_transition,
    check_transition,
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

"""summarize(): counting and rolling up the statuses of a batch."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskstatus import (
    LIFECYCLE_STATUSES,
    ItemFailure,
    StatusSummary,
    TaskResult,
    TaskStatus,
    summarize,
)

S = TaskStatus


@pytest.mark.parametrize(
    ("statuses", "done", "overall"),
    [
        ([], True, S.COMPLETED),
        ([S.COMPLETED, S.COMPLETED], True, S.COMPLETED),
        ([S.COMPLETED, S.SKIPPED], True, S.COMPLETED),
        ([S.SKIPPED, S.SKIPPED], True, S.COMPLETED),
        ([S.FAILED, S.CANCELED], True, S.FAILED),
        ([S.FAILED, S.SKIPPED], True, S.FAILED),
        ([S.COMPLETED, S.FAILED], True, S.COMPLETED_WITH_ERRORS),
        ([S.COMPLETED, S.CANCELED, S.SKIPPED], True, S.COMPLETED_WITH_ERRORS),
        ([S.COMPLETED_WITH_ERRORS], True, S.COMPLETED_WITH_ERRORS),
        ([S.COMPLETED_WITH_ERRORS, S.FAILED], True, S.COMPLETED_WITH_ERRORS),
        ([S.COMPLETED, S.COMPLETED_WITH_ERRORS], True, S.COMPLETED_WITH_ERRORS),
        ([S.PENDING, S.PENDING], False, S.PENDING),
        ([S.PENDING, S.DRAFT, S.SKIPPED], False, S.PENDING),
        ([S.PENDING, S.IN_PROGRESS], False, S.IN_PROGRESS),
        ([S.PENDING, S.COMPLETED], False, S.IN_PROGRESS),
        ([S.FAILED, S.PROCESSING], False, S.IN_PROGRESS),
        ([S.UNKNOWN, S.COMPLETED], False, S.IN_PROGRESS),
        ([S.UNKNOWN], False, S.IN_PROGRESS),
    ],
)
def test_the_roll_up_rule(
    statuses: list[TaskStatus], done: bool, overall: TaskStatus
) -> None:
    """Each row of the documented table."""
    summary = summarize(statuses)
    assert (done, overall) == (summary.done, summary.overall)


def test_counts_hold_every_member() -> None:
    """Counts has an entry for each of the 13 statuses, zero included."""
    summary = summarize(["COMPLETED", "COMPLETED", "FAILED"])
    assert list(TaskStatus) == list(summary.counts)
    assert 2 == summary.counts[TaskStatus.COMPLETED]
    assert 0 == summary.counts[TaskStatus.ACTIVE]
    assert 3 == summary.total


def test_counts_are_read_only() -> None:
    """The summary cannot be changed through its counts."""
    summary = summarize(["COMPLETED"])
    with pytest.raises(TypeError):
        summary.counts[TaskStatus.FAILED] = 1  # type: ignore[index]


def test_accepts_strings_and_generators() -> None:
    """Value strings work, and any iterable, even a one-shot generator."""
    summary = summarize(s for s in ["PENDING", "COMPLETED"])
    assert (2, TaskStatus.IN_PROGRESS) == (summary.total, summary.overall)


@pytest.mark.parametrize("lifecycle", sorted(LIFECYCLE_STATUSES))
def test_lifecycle_statuses_are_refused(lifecycle: TaskStatus) -> None:
    """A lifecycle status is not a task outcome: ValueError naming its position."""
    with pytest.raises(ValueError, match=rf"statuses\[1\] is {lifecycle}, a lifecycle"):
        summarize([TaskStatus.COMPLETED, lifecycle])


def test_unknown_strings_are_refused_like_parse_status() -> None:
    """A raw string that is not a status raises parse_status's ValueError."""
    with pytest.raises(ValueError, match="'DONE' is not a task status"):
        summarize(["COMPLETED", "DONE"])


def test_non_strings_are_refused() -> None:
    """None or a number raises TypeError."""
    with pytest.raises(TypeError, match="expected a task status string, got None"):
        summarize([None])  # type: ignore[list-item]


def test_summary_is_frozen() -> None:
    """A StatusSummary cannot be changed."""
    summary = summarize([])
    with pytest.raises(AttributeError):
        summary.counts = {}  # type: ignore[misc]
    assert isinstance(summary, StatusSummary)


OUTCOMES = [status for status in TaskStatus if status not in LIFECYCLE_STATUSES]


@given(st.lists(st.sampled_from(OUTCOMES)))
def test_counts_add_up_to_total(statuses: list[TaskStatus]) -> None:
    """The counts sum to the number of statuses given."""
    summary = summarize(statuses)
    assert len(statuses) == summary.total
    assert all(summary.counts[s] == statuses.count(s) for s in TaskStatus)


@given(st.lists(st.booleans()))
def test_batches_roll_up_like_task_results(succeeded: list[bool]) -> None:
    """COMPLETED/FAILED tasks roll up like a TaskResult with the same pattern."""
    statuses = [TaskStatus.COMPLETED if ok else TaskStatus.FAILED for ok in succeeded]
    result = TaskResult(
        [n for n, ok in enumerate(succeeded) if ok],
        [ItemFailure(n, "failed") for n, ok in enumerate(succeeded) if not ok],
    )
    summary = summarize(statuses)
    assert summary.done
    assert result.status is summary.overall

"""summarize(): one status for a batch of tasks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ._parse import parse_status
from ._predicates import is_lifecycle
from ._result import outcome
from ._status import TERMINAL_STATUSES, TaskStatus

# Settled: nothing will change any more. SKIPPED is settled without being an
# outcome: it neither helps nor hurts the batch.
_SETTLED = TERMINAL_STATUSES | {TaskStatus.SKIPPED}
# Not started: waiting, or not even submitted.
_NOT_STARTED = frozenset({TaskStatus.PENDING, TaskStatus.DRAFT, TaskStatus.SKIPPED})


@dataclass(frozen=True)
class StatusSummary:
    """The statuses of a batch of tasks, counted and rolled up into one.

    Only `counts` is stored; `total`, `done` and `overall` are derived from
    it, so they cannot disagree.

    Attributes:
        counts: How many tasks are in each status; every member is present.
    """

    counts: Mapping[TaskStatus, int]

    @property
    def total(self) -> int:
        """How many tasks the batch holds."""
        return sum(self.counts.values())

    @property
    def done(self) -> bool:
        """Whether every task is settled: terminal, or SKIPPED."""
        return all(status in _SETTLED for status, count in self.counts.items() if count)

    @property
    def overall(self) -> TaskStatus:
        """One status for the whole batch; see `summarize` for the rule."""
        present = {status for status, count in self.counts.items() if count}
        if not self.done:
            if present <= _NOT_STARTED:
                return TaskStatus.PENDING
            return TaskStatus.IN_PROGRESS
        if self.counts[TaskStatus.COMPLETED_WITH_ERRORS]:
            return TaskStatus.COMPLETED_WITH_ERRORS
        failed = self.counts[TaskStatus.FAILED] + self.counts[TaskStatus.CANCELED]
        return outcome(self.counts[TaskStatus.COMPLETED], failed)


def summarize(statuses: Iterable[str]) -> StatusSummary:
    """Count the statuses of a batch of tasks and roll them up into one.

    ==========================================  ===========================
    the batch                                   ``overall``
    ==========================================  ===========================
    some task not settled, none started yet      PENDING
    some task not settled, some started          IN_PROGRESS
    settled, every task COMPLETED (or SKIPPED)   COMPLETED
    settled, none COMPLETED even partly          FAILED
    settled, anything else                       COMPLETED_WITH_ERRORS
    ==========================================  ===========================

    Settled means terminal or SKIPPED; not started means PENDING, DRAFT or
    SKIPPED. An empty batch, or one where every task was skipped, is
    COMPLETED: nothing failed.

    Args:
        statuses: One status per task: members or their exact string values.

    Raises:
        ValueError: A lifecycle status (entities are not task outcomes), or
            an unknown string, named as `parse_status` names it.
        TypeError: Something that is not a status string.

    >>> summarize(["COMPLETED", "FAILED", "SKIPPED"]).overall
    <TaskStatus.COMPLETED_WITH_ERRORS: 'COMPLETED_WITH_ERRORS'>
    """
    counts = dict.fromkeys(TaskStatus, 0)
    for index, value in enumerate(statuses):
        status = parse_status(value)
        if is_lifecycle(status):
            msg = (
                f"statuses[{index}] is {status}, a lifecycle status: it describes "
                "an entity, not the outcome of a task"
            )
            raise ValueError(msg)
        counts[status] += 1
    return StatusSummary(MappingProxyType(counts))

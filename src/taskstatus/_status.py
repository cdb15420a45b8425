"""The 16 task statuses, their two categories, and the category sets."""

from __future__ import annotations

from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from typing_extensions import TypeAlias


class StatusCategory(str, Enum):
    """What a status describes: an asynchronous operation or a long-lived entity."""

    OPERATION = "OPERATION"
    """The progress of an asynchronous operation, such as a batch job."""
    LIFECYCLE = "LIFECYCLE"
    """The state of a long-lived entity, such as a bucket or a namespace."""

    # The stdlib changed str() and format() of str-mixin enums in 3.11; pin the
    # wire value so that every supported Python prints the same text.
    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, format_spec: str) -> str:
        return str.__format__(str.__str__(self), format_spec)


class TaskStatus(str, Enum):
    """The status of a task, as it travels on the wire.

    Each member's value is its name, so a member *is* the string a server
    sends: it compares and hashes equal to it, and str(), f-strings and
    json.dumps produce the bare value on every supported Python.
    """

    # In the vendor's declaration order (mixpeek's TaskStatusEnum).
    PENDING = "PENDING"
    QUEUED = "QUEUED"
    IN_PROGRESS = "IN_PROGRESS"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    COMPLETED_WITH_ERRORS = "COMPLETED_WITH_ERRORS"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    INTERRUPTED = "INTERRUPTED"
    UNKNOWN = "UNKNOWN"
    SKIPPED = "SKIPPED"
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    SUSPENDED = "SUSPENDED"
    DEACTIVATED = "DEACTIVATED"

    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, format_spec: str) -> str:
        return str.__format__(str.__str__(self), format_spec)

    @property
    def description(self) -> str:
        """One line on what the status means."""
        return _DESCRIPTIONS[self]

    @property
    def category(self) -> StatusCategory:
        """Whether the status belongs to an operation or to an entity's lifecycle."""
        if self in LIFECYCLE_STATUSES:
            return StatusCategory.LIFECYCLE
        return StatusCategory.OPERATION


_DESCRIPTIONS: MappingProxyType[TaskStatus, str] = MappingProxyType(
    {
        TaskStatus.PENDING: "Waiting in the queue; work has not started.",
        TaskStatus.QUEUED: "Accepted and in line for a worker; work has not started.",
        TaskStatus.IN_PROGRESS: "Running now.",
        TaskStatus.PROCESSING: "Working through its data now (a sibling of "
        "IN_PROGRESS).",
        TaskStatus.COMPLETED: "Finished, and every item succeeded.",
        TaskStatus.COMPLETED_WITH_ERRORS: "Finished, but some items failed: "
        "a partial success.",
        TaskStatus.FAILED: "Stopped by an error before it could finish.",
        TaskStatus.CANCELED: "Stopped on purpose, by a user or by the system.",
        TaskStatus.INTERRUPTED: "Stopped before it finished, neither ended nor "
        "running: waiting will not change it.",
        TaskStatus.UNKNOWN: "The status could not be determined.",
        TaskStatus.SKIPPED: "Deliberately not run.",
        TaskStatus.DRAFT: "Prepared but not submitted yet.",
        TaskStatus.ACTIVE: "The entity is live and in service.",
        TaskStatus.ARCHIVED: "The entity has been archived.",
        TaskStatus.SUSPENDED: "The entity is out of service for now.",
        TaskStatus.DEACTIVATED: "The entity has been switched off.",
    }
)

# The Literal aliases let a type checker know exactly which members a set
# holds, so that the predicates can narrow a TaskStatus to one of them.
TerminalStatus: TypeAlias = Literal[
    TaskStatus.COMPLETED,
    TaskStatus.COMPLETED_WITH_ERRORS,
    TaskStatus.FAILED,
    TaskStatus.CANCELED,
]
PollableStatus: TypeAlias = Literal[
    TaskStatus.PENDING,
    TaskStatus.QUEUED,
    TaskStatus.IN_PROGRESS,
    TaskStatus.PROCESSING,
]
LifecycleStatus: TypeAlias = Literal[
    TaskStatus.ACTIVE,
    TaskStatus.ARCHIVED,
    TaskStatus.SUSPENDED,
    TaskStatus.DEACTIVATED,
]
OperationStatus: TypeAlias = Literal[
    TaskStatus.PENDING,
    TaskStatus.QUEUED,
    TaskStatus.IN_PROGRESS,
    TaskStatus.PROCESSING,
    TaskStatus.COMPLETED,
    TaskStatus.COMPLETED_WITH_ERRORS,
    TaskStatus.FAILED,
    TaskStatus.CANCELED,
    TaskStatus.INTERRUPTED,
    TaskStatus.UNKNOWN,
    TaskStatus.SKIPPED,
    TaskStatus.DRAFT,
]
TaskStatusValue: TypeAlias = Literal[
    "PENDING",
    "QUEUED",
    "IN_PROGRESS",
    "PROCESSING",
    "COMPLETED",
    "COMPLETED_WITH_ERRORS",
    "FAILED",
    "CANCELED",
    "INTERRUPTED",
    "UNKNOWN",
    "SKIPPED",
    "DRAFT",
    "ACTIVE",
    "ARCHIVED",
    "SUSPENDED",
    "DEACTIVATED",
]

TERMINAL_STATUSES: frozenset[TerminalStatus] = frozenset(
    {
        TaskStatus.COMPLETED,
        TaskStatus.COMPLETED_WITH_ERRORS,
        TaskStatus.FAILED,
        TaskStatus.CANCELED,
    }
)
"""Statuses a task never leaves: stop polling when one is reached."""

POLLABLE_STATUSES: frozenset[PollableStatus] = frozenset(
    {
        TaskStatus.PENDING,
        TaskStatus.QUEUED,
        TaskStatus.IN_PROGRESS,
        TaskStatus.PROCESSING,
    }
)
"""Statuses of a task that is still on its way: poll again later."""

LIFECYCLE_STATUSES: frozenset[LifecycleStatus] = frozenset(
    {
        TaskStatus.ACTIVE,
        TaskStatus.ARCHIVED,
        TaskStatus.SUSPENDED,
        TaskStatus.DEACTIVATED,
    }
)
"""Statuses of long-lived entities rather than of operations."""

OPERATION_STATUSES: frozenset[OperationStatus] = frozenset(
    {
        TaskStatus.PENDING,
        TaskStatus.QUEUED,
        TaskStatus.IN_PROGRESS,
        TaskStatus.PROCESSING,
        TaskStatus.COMPLETED,
        TaskStatus.COMPLETED_WITH_ERRORS,
        TaskStatus.FAILED,
        TaskStatus.CANCELED,
        TaskStatus.INTERRUPTED,
        TaskStatus.UNKNOWN,
        TaskStatus.SKIPPED,
        TaskStatus.DRAFT,
    }
)
"""Statuses of asynchronous operations: every status that is not lifecycle."""

SETTLED_STATUSES: frozenset[TaskStatus] = frozenset(
    {*TERMINAL_STATUSES, TaskStatus.SKIPPED}
)
"""Statuses after which a task will not change any more: the terminal ones
and SKIPPED, which is settled without being an outcome (it neither helps
nor hurts a batch). A board's record is settled at one of them."""

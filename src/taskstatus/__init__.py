"""Task statuses for clients of asynchronous APIs.

`TaskStatus` is the vocabulary; the ``*_STATUSES`` sets and the ``is_*``
predicates sort it into categories that type checkers understand;
`parse_status` and `coerce_status` read it off the wire, strictly or
leniently; `can_transition` and `check_transition` guard its one rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._errors import (
    BatchError,
    BatchTimeoutError,
    BoardLockedError,
    InvalidTransitionError,
    PollTimeoutError,
    TaskStatusError,
    UnexpectedStatusError,
)
from ._parse import coerce_status, parse_status
from ._predicates import is_lifecycle, is_operation, is_pollable, is_terminal
from ._status import (
    LIFECYCLE_STATUSES,
    OPERATION_STATUSES,
    POLLABLE_STATUSES,
    SETTLED_STATUSES,
    TERMINAL_STATUSES,
    LifecycleStatus,
    OperationStatus,
    PollableStatus,
    StatusCategory,
    TaskStatus,
    TaskStatusValue,
    TerminalStatus,
)
from ._transition import can_transition, check_transition, merge_status
from ._version import __version__ as __version__

if TYPE_CHECKING:
    from ._board import TaskBoard, TaskRecord
    from ._many import BatchProgress, poll_many, poll_many_async
    from ._policy import BatchOptions, BatchPolicy, PollOptions, PollPolicy
    from ._poll import PollEvent, poll, poll_async
    from ._result import ItemFailure, StatusSummary, TaskResult, summarize
    from ._vocabulary import VOCABULARIES, Vocabulary, vocabulary

__all__ = [
    "LIFECYCLE_STATUSES",
    "OPERATION_STATUSES",
    "POLLABLE_STATUSES",
    "SETTLED_STATUSES",
    "TERMINAL_STATUSES",
    "VOCABULARIES",
    "BatchError",
    "BatchOptions",
    "BatchPolicy",
    "BatchProgress",
    "BatchTimeoutError",
    "BoardLockedError",
    "InvalidTransitionError",
    "ItemFailure",
    "LifecycleStatus",
    "OperationStatus",
    "PollEvent",
    "PollOptions",
    "PollPolicy",
    "PollTimeoutError",
    "PollableStatus",
    "StatusCategory",
    "StatusSummary",
    "TaskBoard",
    "TaskRecord",
    "TaskResult",
    "TaskStatus",
    "TaskStatusError",
    "TaskStatusValue",
    "TerminalStatus",
    "UnexpectedStatusError",
    "Vocabulary",
    "can_transition",
    "check_transition",
    "coerce_status",
    "is_lifecycle",
    "is_operation",
    "is_pollable",
    "is_terminal",
    "merge_status",
    "parse_status",
    "poll",
    "poll_async",
    "poll_many",
    "poll_many_async",
    "summarize",
    "vocabulary",
]

# Polling and results pull in logging, dataclasses and random, and the
# vocabularies read their tables: they load on first use so that
# `import taskstatus` stays cheap.
_LAZY = {
    "BatchOptions": "_policy",
    "BatchPolicy": "_policy",
    "BatchProgress": "_many",
    "ItemFailure": "_result",
    "PollEvent": "_poll",
    "PollOptions": "_policy",
    "PollPolicy": "_policy",
    "StatusSummary": "_result",
    "TaskBoard": "_board",
    "TaskRecord": "_board",
    "TaskResult": "_result",
    "poll": "_poll",
    "poll_async": "_poll",
    "poll_many": "_many",
    "poll_many_async": "_many",
    "summarize": "_result",
    "VOCABULARIES": "_vocabulary",
    "Vocabulary": "_vocabulary",
    "vocabulary": "_vocabulary",
}


# Hidden from type checkers, which would otherwise accept any attribute
# (`taskstatus.is_terminl`): they see the real names imported above.
if not TYPE_CHECKING:  # pragma: no branch

    def __getattr__(name: str) -> object:
        if name in _LAZY:
            from importlib import import_module  # noqa: PLC0415

            value = getattr(import_module(f"taskstatus.{_LAZY[name]}"), name)
            globals()[name] = value  # later lookups skip this function
            return value
        msg = f"module 'taskstatus' has no attribute {name!r}"
        raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

"""Task statuses for clients of asynchronous APIs.

`TaskStatus` is the vocabulary; the ``*_STATUSES`` sets and the ``is_*``
predicates sort it into categories that type checkers understand;
`parse_status` and `coerce_status` read it off the wire, strictly or
leniently; `can_transition` and `check_transition` guard its one rule.
"""

from __future__ import annotations

from ._errors import InvalidTransitionError
from ._parse import coerce_status, parse_status
from ._predicates import is_lifecycle, is_operation, is_pollable, is_terminal
from ._status import (
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
)
from ._transition import can_transition, check_transition

__all__ = [
    "LIFECYCLE_STATUSES",
    "OPERATION_STATUSES",
    "POLLABLE_STATUSES",
    "TERMINAL_STATUSES",
    "InvalidTransitionError",
    "LifecycleStatus",
    "OperationStatus",
    "PollableStatus",
    "StatusCategory",
    "TaskStatus",
    "TaskStatusValue",
    "TerminalStatus",
    "can_transition",
    "check_transition",
    "coerce_status",
    "is_lifecycle",
    "is_operation",
    "is_pollable",
    "is_terminal",
    "parse_status",
]


def __getattr__(name: str) -> str:
    # PEP 562: importlib.metadata is slow to import, and most programs never
    # ask for the version.
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415

        return version("taskstatus")
    msg = f"module 'taskstatus' has no attribute {name!r}"
    raise AttributeError(msg)

"""The command's exit codes: the one table, and the help text made from it."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from .._status import TaskStatus


class ExitCode(enum.IntEnum):
    """Every exit code of ``taskstatus``, with what it means."""

    COMPLETED = 0
    ERROR = 1
    USAGE = 2
    COMPLETED_WITH_ERRORS = 3
    FAILED = 4
    CANCELED = 5
    TIMEOUT = 124
    INTERRUPTED = 130
    BROKEN_PIPE = 141
    TERMINATED = 143

    @property
    def meaning(self) -> str:
        """What the code says, in a few words (the help's epilog)."""
        return _MEANINGS[self]


_MEANINGS: Mapping[ExitCode, str] = MappingProxyType(
    {
        ExitCode.COMPLETED: "COMPLETED",
        ExitCode.ERROR: "any other error",
        ExitCode.USAGE: "usage error",
        ExitCode.COMPLETED_WITH_ERRORS: "COMPLETED_WITH_ERRORS",
        ExitCode.FAILED: "FAILED",
        ExitCode.CANCELED: "CANCELED",
        ExitCode.TIMEOUT: "deadline reached",
        ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
        ExitCode.BROKEN_PIPE: "output closed (broken pipe)",
        ExitCode.TERMINATED: "terminated (SIGTERM)",
    }
)

FOR_STATUS: Mapping[TaskStatus, ExitCode] = MappingProxyType(
    {
        TaskStatus.COMPLETED: ExitCode.COMPLETED,
        TaskStatus.COMPLETED_WITH_ERRORS: ExitCode.COMPLETED_WITH_ERRORS,
        TaskStatus.FAILED: ExitCode.FAILED,
        TaskStatus.CANCELED: ExitCode.CANCELED,
    }
)
"""The exit code of a task that ended at each terminal status."""


def epilog() -> str:
    """The exit codes, two to a line, for the end of ``--help``."""
    cells = [f"{code.value:<5}{code.meaning:<29}" for code in ExitCode]
    pairs = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    lines = ["  " + "".join(pair).rstrip() for pair in pairs]
    return (
        "exit codes of `wait` (for many tasks: the overall status of the batch, "
        "or 1\nif any task ended in an error):\n" + "\n".join(lines) + "\n"
    )

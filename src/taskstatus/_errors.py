"""Exceptions, and the safe, short rendering of bad values in their messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._status import TaskStatus

MAX_SHOWN_VALUE_LENGTH = 80
"""The longest rendering of a bad value that an error message includes."""


def show_value(value: object) -> str:
    """Return ``repr(value)`` cut to at most ``MAX_SHOWN_VALUE_LENGTH`` characters.

    Never raises, so that reporting a bad value cannot itself fail: a hostile
    ``__repr__`` or an integer too long to print falls back to the type name.
    A long string is cut *before* ``repr`` so that a 10 MB body costs nothing.
    """
    limit = MAX_SHOWN_VALUE_LENGTH
    try:
        if isinstance(value, str):
            text = repr(str.__str__(value[:limit]))
            cut = len(value) > limit
        else:
            text = repr(value)
            cut = False
    except Exception:  # noqa: BLE001 - any repr failure gets the fallback below
        return f"<unprintable {type(value).__name__} object>"
    if cut or len(text) > limit:
        return text[: limit - 3] + "..."
    return text


class InvalidTransitionError(ValueError):
    """A task was asked to leave a terminal status.

    Attributes:
        current: The terminal status the task is in.
        new: The status it was asked to move to.
    """

    __module__ = "taskstatus"

    def __init__(self, current: TaskStatus, new: TaskStatus) -> None:
        super().__init__(current, new)
        self.current = current
        self.new = new

    def __str__(self) -> str:
        return (
            f"cannot move a task from {self.current} to {self.new}: "
            f"{self.current} is terminal, so the task can never change again"
        )

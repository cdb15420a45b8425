"""Exceptions, and the safe, short rendering of bad values in their messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from ._status import TaskStatus

MAX_SHOWN_VALUE_LENGTH = 80
"""The longest rendering of a bad value that an error message includes."""

# Ints of more bits have more digits than a message would show anyway.
_LONGEST_SHOWN_INT_BITS = 256


def show_value(value: object) -> str:
    """Return ``repr(value)`` cut to at most ``MAX_SHOWN_VALUE_LENGTH`` characters.

    Never raises, so that reporting a bad value cannot itself fail: a hostile
    ``__repr__`` or an integer too long to print falls back to the type name.
    A long string is cut *before* ``repr`` so that a 10 MB body costs nothing,
    and a huge int is described by its size instead of printed.
    """
    limit = MAX_SHOWN_VALUE_LENGTH
    try:
        if isinstance(value, int) and value.bit_length() > _LONGEST_SHOWN_INT_BITS:
            # Printing a huge int takes quadratic time (and 3.11+ refuses).
            return f"<int of {value.bit_length()} bits>"
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


class TaskStatusError(Exception):
    """The base of every exception of taskstatus's own.

    Each one also keeps the builtin base that says what kind of trouble it
    is (`ValueError`, `TimeoutError`), so ``except TimeoutError`` still
    catches a poll that timed out, and ``except TaskStatusError`` catches
    everything the library raises on its own account.
    """

    __module__ = "taskstatus"


class InvalidTransitionError(TaskStatusError, ValueError):
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


class UnexpectedStatusError(TaskStatusError, ValueError):
    """Polling met a status that it should neither stop at nor poll on.

    Such a status (SKIPPED, DRAFT, a lifecycle status, or anything left out of
    both ``stop_on`` and ``poll_on``) cannot change by waiting, so polling
    stops instead of spinning until the deadline.

    Attributes:
        status: The status that stopped polling.
        result: The result of ``fetch`` that carried it.
        key: The task's key, when many tasks were polled at once; else None.
        word: The server's own word for the status (``"waiting"``), or None.
    """

    __module__ = "taskstatus"

    def __init__(
        self,
        status: TaskStatus,
        result: object,
        key: object = None,
        *,
        word: object = None,
    ) -> None:
        super().__init__(status, result, key)
        self.status = status
        self.result = result
        self.key = key
        self.word = word

    def __str__(self) -> str:
        task = "" if self.key is None else f" of task {show_value(self.key)}"
        word = shown_word(self.word, self.status)
        said = "" if word is None else f" (the server said {word})"
        return (
            f"polling stopped at status {self.status}{said}{task}, which is neither "
            "in stop_on nor in poll_on: waiting cannot change it"
        )


class PollTimeoutError(TaskStatusError, TimeoutError):
    """Polling gave up: the deadline passed or the attempts ran out.

    Attributes:
        last_result: The last result ``fetch`` returned.
        last_status: Its status, still one to poll on.
        attempts: How many times ``fetch`` was called.
        elapsed: Seconds from the first fetch to the last, on the poll's clock.
        reason: What ran out, for example ``"timeout of 900 s"``.
    """

    __module__ = "taskstatus"

    def __init__(
        self,
        last_result: object,
        last_status: TaskStatus,
        attempts: int,
        elapsed: float,
        reason: str,
    ) -> None:
        super().__init__(last_result, last_status, attempts, elapsed, reason)
        self.last_result = last_result
        self.last_status = last_status
        self.attempts = attempts
        self.elapsed = elapsed
        self.reason = reason

    def __str__(self) -> str:
        plural = "" if self.attempts == 1 else "s"
        return (
            f"task still {self.last_status} after {self.attempts} attempt{plural} "
            f"in {self.elapsed:.3g} s: reached the {self.reason}"
        )


class BatchTimeoutError(PollTimeoutError):
    """Polling many tasks gave up: the deadline of the batch passed.

    A `PollTimeoutError` (so a `TimeoutError`) whose ``last_result`` is
    `pending` and whose ``last_status`` is the batch's overall status.

    Attributes:
        done: The results of the tasks done, by key, in the order the keys
            were given.
        pending: The last result of each task still pending by key, or ``None``
            for a task never fetched.
        attempts: How many fetch calls were made.
        elapsed: Seconds from the start to the end, on the poll's clock.
        reason: What ran out, for example ``"timeout of 900 s"``.
    """

    __module__ = "taskstatus"

    def __init__(  # noqa: PLR0917 - pickling passes them all positionally
        self,
        done: Mapping[Any, Any],
        pending: Mapping[Any, Any],
        status: TaskStatus,
        attempts: int,
        elapsed: float,
        reason: str,
    ) -> None:
        super().__init__(pending, status, attempts, elapsed, reason)
        self.args = (done, pending, status, attempts, elapsed, reason)
        self.done = done
        self.pending = pending

    def __str__(self) -> str:
        total = len(self.done) + len(self.pending)
        plural = "" if self.attempts == 1 else "s"
        return (
            f"{len(self.pending)} of {total} tasks still pending after "
            f"{self.attempts} fetch call{plural} in {self.elapsed:.3g} s: "
            f"reached the {self.reason}"
        )


def pending_status(statuses: Iterable[TaskStatus | None]) -> TaskStatus:
    """The one status a batch's timeout reports for the tasks still pending.

    Theirs if they all share it, else IN_PROGRESS: some are on their way.
    A task never heard from (``None``) counts as PENDING: not known to have
    started. `poll_many` and `TaskBoard.wait` both report it this way.
    """
    from ._status import TaskStatus  # noqa: PLC0415 - _status is light

    shared = {TaskStatus.PENDING if status is None else status for status in statuses}
    return shared.pop() if len(shared) == 1 else TaskStatus.IN_PROGRESS


class BatchError(TaskStatusError):
    """An exception ended `poll_many` early; what was done is kept here.

    Raised from the exception of ``fetch``, ``fetch_many``, a callback or
    the board (its ``__cause__``), so that a batch of 10,000 tasks that
    fails at the 9,000th keeps the results of the others. Every answer that
    arrived before the exception is in ``done`` or ``pending``, and, with a
    board, on the board.

    Attributes:
        done: The results of the tasks done, by key, in the order the keys
            were given.
        pending: The last result of each task still pending by key, or ``None``
            for a task never fetched.
    """

    __module__ = "taskstatus"

    def __init__(self, done: Mapping[Any, Any], pending: Mapping[Any, Any]) -> None:
        super().__init__(done, pending)
        self.done = done
        self.pending = pending

    def __str__(self) -> str:
        total = len(self.done) + len(self.pending)
        cause = self.__cause__
        why = "" if cause is None else f": {type(cause).__name__}: {cause}"
        return f"the batch stopped with {len(self.done)} of {total} tasks done{why}"


class BoardLockedError(TaskStatusError, TimeoutError):
    """A board file stayed locked by another process's write for too long.

    Attributes:
        path: The board file.
        waited: The seconds waited for the lock.
    """

    __module__ = "taskstatus"

    def __init__(self, path: str, waited: float) -> None:
        super().__init__(path, waited)
        self.path = path
        self.waited = waited

    def __str__(self) -> str:
        return (
            f"the task board {show_value(self.path)} stayed locked by another "
            f"process for {self.waited:g} s"
        )


def shown_word(word: object, status: TaskStatus) -> str | None:
    """The server's word for ``status``, shown, or None if it says no more.

    None stands for no word, and a word that is the status's own value is
    not worth repeating beside it.
    """
    if word is None or (isinstance(word, str) and str.__eq__(word, status.value)):
        return None
    return show_value(word)

"""The exceptions, and the bounded renderer of bad values in their messages."""

from __future__ import annotations

import pickle

import pytest

import taskstatus
from taskstatus import (
    InvalidTransitionError,
    PollTimeoutError,
    TaskStatus,
    UnexpectedStatusError,
)
from taskstatus._errors import MAX_SHOWN_VALUE_LENGTH, show_value

PUBLIC_EXCEPTIONS = [
    getattr(taskstatus, name)
    for name in taskstatus.__all__
    if isinstance(getattr(taskstatus, name), type)
    and issubclass(getattr(taskstatus, name), Exception)
]


def test_the_public_exceptions_are_found() -> None:
    """The list below covers every exception the package exports."""
    assert {InvalidTransitionError, PollTimeoutError, UnexpectedStatusError} <= set(
        PUBLIC_EXCEPTIONS
    )


@pytest.mark.parametrize("error", PUBLIC_EXCEPTIONS, ids=lambda error: error.__name__)
def test_exceptions_report_the_public_module(error: type[Exception]) -> None:
    """Tracebacks say taskstatus.X, the name users import, not a private module."""
    assert "taskstatus" == error.__module__


def test_poll_timeout_error_pickles_with_its_fields() -> None:
    """A PollTimeoutError crosses process pools whole."""
    error = PollTimeoutError({"id": 1}, TaskStatus.PENDING, 3, 7.5, "timeout of 5 s")
    copy = pickle.loads(pickle.dumps(error))
    assert (
        {"id": 1},
        TaskStatus.PENDING,
        3,
        7.5,
        "timeout of 5 s",
    ) == (copy.last_result, copy.last_status, copy.attempts, copy.elapsed, copy.reason)
    assert str(error) == str(copy)


def test_unexpected_status_error_pickles_with_its_fields() -> None:
    """An UnexpectedStatusError crosses process pools whole."""
    copy = pickle.loads(pickle.dumps(UnexpectedStatusError(TaskStatus.DRAFT, "r")))
    assert (TaskStatus.DRAFT, "r") == (copy.status, copy.result)


def test_show_value_keeps_a_repr_of_exactly_the_limit() -> None:
    """A rendering of exactly MAX_SHOWN_VALUE_LENGTH characters is kept whole."""
    value = "x" * (MAX_SHOWN_VALUE_LENGTH - 2)  # the quotes make up the rest
    assert repr(value) == show_value(value)
    assert MAX_SHOWN_VALUE_LENGTH == len(show_value(value))


def test_show_value_cuts_long_reprs() -> None:
    """A longer rendering is cut to the limit, ending in an ellipsis."""
    shown = show_value(list(range(100)))
    assert MAX_SHOWN_VALUE_LENGTH == len(shown)
    assert shown.endswith("...")
    long_text = show_value("y" * 10_000_000)
    assert MAX_SHOWN_VALUE_LENGTH == len(long_text)
    assert long_text.startswith("'yyy")


def test_show_value_survives_a_failing_repr() -> None:
    """An object whose __repr__ raises is named by its type."""

    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError

    assert "<unprintable Hostile object>" == show_value(Hostile())


def test_show_value_describes_huge_ints_by_size() -> None:
    """Printing a huge int is slow (and refused on 3.11+): its size is shown."""
    assert "<int of 1329 bits>" == show_value(10**400)
    assert repr(2**256 - 1) == show_value(2**256 - 1)  # 78 digits: shown whole
    assert "<int of 257 bits>" == show_value(2**256)


def test_show_value_escapes_control_characters() -> None:
    """The repr keeps a bad value on one line."""
    assert r"'a\nb\x1b'" == show_value("a\nb\x1b")


def test_every_exception_of_the_library_is_a_task_status_error() -> None:
    """Except TaskStatusError catches them all; each keeps its builtin base."""
    import taskstatus

    errors = {
        name: getattr(taskstatus, name)
        for name in taskstatus.__all__
        if isinstance(getattr(taskstatus, name), type)
        and issubclass(getattr(taskstatus, name), BaseException)
    }
    assert {
        "BatchError",
        "BatchTimeoutError",
        "BoardLockedError",
        "InvalidTransitionError",
        "PollTimeoutError",
        "TaskStatusError",
        "UnexpectedStatusError",
    } == set(errors)
    assert all(
        issubclass(error, taskstatus.TaskStatusError) for error in errors.values()
    )
    builtin = {
        "BatchError": Exception,
        "BatchTimeoutError": TimeoutError,
        "BoardLockedError": TimeoutError,
        "InvalidTransitionError": ValueError,
        "PollTimeoutError": TimeoutError,
        "TaskStatusError": Exception,
        "UnexpectedStatusError": ValueError,
    }
    assert all(issubclass(errors[name], base) for name, base in builtin.items())

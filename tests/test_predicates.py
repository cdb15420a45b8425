"""is_terminal, is_pollable, is_lifecycle and is_operation."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskstatus import (
    LIFECYCLE_STATUSES,
    OPERATION_STATUSES,
    POLLABLE_STATUSES,
    TERMINAL_STATUSES,
    TaskStatus,
    is_lifecycle,
    is_operation,
    is_pollable,
    is_terminal,
)

PREDICATES: list[tuple[Callable[[TaskStatus], bool], frozenset[TaskStatus]]] = [
    (is_terminal, TERMINAL_STATUSES),
    (is_pollable, POLLABLE_STATUSES),
    (is_lifecycle, LIFECYCLE_STATUSES),
    (is_operation, OPERATION_STATUSES),
]
PREDICATE_IDS = ["terminal", "pollable", "lifecycle", "operation"]
ALL = list(TaskStatus)


class GeneratedStatus(str, Enum):
    """What an OpenAPI generator emits for the same schema."""

    FAILED = "FAILED"
    DRAFT = "DRAFT"


class PlainEnum(Enum):
    """An enum that is not a str-Enum: its members are not statuses."""

    FAILED = "FAILED"


@pytest.mark.parametrize(("predicate", "members"), PREDICATES, ids=PREDICATE_IDS)
@pytest.mark.parametrize("status", ALL)
def test_predicate_agrees_with_its_set(
    predicate: Callable[[TaskStatus], bool],
    members: frozenset[TaskStatus],
    status: TaskStatus,
) -> None:
    """Each predicate is True exactly for the members of its set."""
    assert (status in members) is predicate(status)


@pytest.mark.parametrize(("predicate", "members"), PREDICATES, ids=PREDICATE_IDS)
@pytest.mark.parametrize("status", ALL)
def test_predicate_accepts_the_value_string(
    predicate: Callable[[TaskStatus], bool],
    members: frozenset[TaskStatus],
    status: TaskStatus,
) -> None:
    """At run time, the exact value string gives the same answer as the member."""
    assert (status in members) is predicate(status.value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("predicate", "members"), PREDICATES, ids=PREDICATE_IDS)
def test_predicate_accepts_a_generated_enum_member(
    predicate: Callable[[TaskStatus], bool], members: frozenset[TaskStatus]
) -> None:
    """A member of another str-Enum with the same value counts as that status."""
    for other in GeneratedStatus:
        assert (other.value in members) is predicate(other)  # type: ignore[arg-type]


@pytest.mark.parametrize("predicate", [p for p, _ in PREDICATES], ids=PREDICATE_IDS)
@pytest.mark.parametrize("text", ["COMPLETE", "completed", "", "CANCELLED"])
def test_predicate_rejects_unknown_strings(
    predicate: Callable[[TaskStatus], bool], text: str
) -> None:
    """A typo raises ValueError naming it instead of reading as False."""
    with pytest.raises(ValueError, match=f"^{text!r} is not a task status"):
        predicate(text)  # type: ignore[arg-type]


@pytest.mark.parametrize("predicate", [p for p, _ in PREDICATES], ids=PREDICATE_IDS)
@pytest.mark.parametrize(
    "value", [None, 3, 1.5, b"FAILED", ["FAILED"], {"FAILED"}, PlainEnum.FAILED]
)
def test_predicate_rejects_non_strings(
    predicate: Callable[[TaskStatus], bool], value: object
) -> None:
    """None, numbers, unhashable and non-str objects raise a clear TypeError."""
    with pytest.raises(TypeError, match=r"^expected a task status string, got "):
        predicate(value)  # type: ignore[arg-type]


@given(st.text())
def test_predicates_on_any_text(text: str) -> None:
    """For any text, a predicate answers only for real values and raises otherwise."""
    if text in {status.value for status in ALL}:
        assert (text in TERMINAL_STATUSES) is is_terminal(text)  # type: ignore[arg-type]
    else:
        with pytest.raises(ValueError, match="is not a task status"):
            is_terminal(text)  # type: ignore[arg-type]

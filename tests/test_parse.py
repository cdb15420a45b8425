# pyright: reportPrivateUsage=false
"""parse_status (strict) and coerce_status (lenient)."""

from __future__ import annotations

import logging
import math
from enum import Enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskstatus import TaskStatus, _parse, coerce_status, parse_status
from taskstatus._parse import MAX_REMEMBERED_UNKNOWN_VALUES

ALL = list(TaskStatus)


class GeneratedStatus(str, Enum):
    """What an OpenAPI generator emits for the same schema."""

    COMPLETED = "COMPLETED"
    PENDING = "PENDING"


class Unhashable:
    """An object that cannot be a dict key."""

    __hash__ = None  # type: ignore[assignment]


class Hostile:
    """An object whose every dunder raises."""

    def __hash__(self) -> int:
        raise RuntimeError("no hash for you")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no eq for you")

    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


# --- parse_status ---------------------------------------------------------


@pytest.mark.parametrize("status", ALL)
def test_parse_accepts_exact_values(status: TaskStatus) -> None:
    """Every exact value string parses to its member."""
    assert status is parse_status(status.value)


@pytest.mark.parametrize("status", ALL)
def test_parse_accepts_members(status: TaskStatus) -> None:
    """A member parses to itself."""
    assert status is parse_status(status)


def test_parse_accepts_members_of_a_generated_enum() -> None:
    """A member of another str-Enum with the same value parses to ours."""
    assert TaskStatus.COMPLETED is parse_status(GeneratedStatus.COMPLETED)


@pytest.mark.parametrize("text", ["completed", " PENDING", "CANCELLED", "", "NOPE"])
def test_parse_rejects_anything_but_exact_values(text: str) -> None:
    """Strict parsing forgives nothing: case, spaces and aliases all raise."""
    with pytest.raises(ValueError, match="is not a task status"):
        parse_status(text)


def test_parse_error_names_the_value_and_lists_the_valid_ones() -> None:
    """The message quotes the bad value and lists all 13 values in order."""
    with pytest.raises(ValueError, match="is not a task status") as caught:
        parse_status("DONE")
    expected = "'DONE' is not a task status; expected one of: " + ", ".join(
        status.value for status in ALL
    )
    assert expected == str(caught.value)


def test_parse_error_points_to_the_lenient_reading() -> None:
    """A sloppy spelling of a real value gets a hint towards coerce_status."""
    with pytest.raises(ValueError, match="is not a task status") as caught:
        parse_status("in-progress")
    assert str(caught.value).endswith("(coerce_status() would read it as IN_PROGRESS)")


def test_parse_error_for_a_huge_string_stays_short() -> None:
    """A 10 MB string is shown cut to 80 characters, not copied whole."""
    with pytest.raises(ValueError, match="is not a task status") as caught:
        parse_status("x" * 10_000_000)
    shown = str(caught.value).split(" is not a task status")[0]
    assert "'" + "x" * 76 + "..." == shown
    assert len(shown) == 80


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(None, "NoneType"), (42, "int"), (b"PENDING", "bytes"), (("PENDING",), "tuple")],
)
def test_parse_rejects_non_strings_with_type_error(
    value: object, type_name: str
) -> None:
    """Non-strings, hashable or not, raise TypeError naming value and type."""
    with pytest.raises(TypeError) as caught:
        parse_status(value)  # type: ignore[arg-type]
    assert f"expected a task status string, got {value!r} of type {type_name}" == str(
        caught.value
    )


def test_parse_rejects_unhashable_values_with_type_error() -> None:
    """An unhashable value gets Python's own TypeError, naming its type."""
    with pytest.raises(TypeError, match=r"^unhashable type: 'list'$"):
        parse_status(["PENDING"])  # type: ignore[arg-type]


@given(st.text())
def test_parse_returns_a_member_or_raises_value_error(text: str) -> None:
    """For any text, parse_status returns a member or raises ValueError."""
    try:
        result = parse_status(text)
    except ValueError as error:
        assert "is not a task status" in str(error)  # noqa: PT017
        assert text not in {status.value for status in ALL}
    else:
        assert type(result) is TaskStatus
        assert text == result.value


# --- coerce_status --------------------------------------------------------


@pytest.mark.parametrize("status", ALL)
def test_coerce_keeps_exact_values_and_members(status: TaskStatus) -> None:
    """Exact values and members map to themselves."""
    assert status is coerce_status(status.value)
    assert status is coerce_status(status)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" in-progress ", TaskStatus.IN_PROGRESS),
        ("Completed", TaskStatus.COMPLETED),
        ("completed with errors", TaskStatus.COMPLETED_WITH_ERRORS),
        ("Completed-With_Errors", TaskStatus.COMPLETED_WITH_ERRORS),
        ("\tpending\n", TaskStatus.PENDING),
        ("CANCELLED", TaskStatus.CANCELED),
        ("cancelled", TaskStatus.CANCELED),
        ("canceled", TaskStatus.CANCELED),
    ],
)
def test_coerce_normalises_sloppy_spellings(text: str, expected: TaskStatus) -> None:
    """Case, surrounding space, '-' or ' ' for '_', and CANCELLED are forgiven."""
    assert expected is coerce_status(text)


def test_coerce_maps_generated_enum_members() -> None:
    """A member of another str-Enum with the same value maps to ours."""
    assert TaskStatus.PENDING is coerce_status(GeneratedStatus.PENDING)


@pytest.mark.parametrize(
    "value",
    [
        "REHYDRATING",
        "",
        "in  progress",
        "ın_progress",  # noqa: RUF001 - a dotless i upper-cases to I: only ASCII is normalised
        None,
        42,
        math.nan,
        b"PENDING",
        ["PENDING"],
        {"status": "PENDING"},
        Unhashable(),
        Hostile(),
        "x" * 10_000_000,
        10**5000,
    ],
    ids=lambda value: type(value).__name__,
)
def test_coerce_reads_anything_else_as_unknown(value: object) -> None:
    """Unknown strings and non-strings, even hostile ones, become UNKNOWN."""
    assert TaskStatus.UNKNOWN is coerce_status(value)


def test_coerce_warns_once_per_distinct_value(caplog: pytest.LogCaptureFixture) -> None:
    """Each distinct unknown value is logged once at WARNING on 'taskstatus'."""
    with caplog.at_level(logging.WARNING, logger="taskstatus"):
        for value in ["REHYDRATING", "REHYDRATING", None, "REHYDRATING", None]:
            coerce_status(value)
    assert [
        (
            "taskstatus",
            logging.WARNING,
            "unrecognised task status 'REHYDRATING'; reading it as UNKNOWN",
        ),
        (
            "taskstatus",
            logging.WARNING,
            "unrecognised task status None; reading it as UNKNOWN",
        ),
    ] == caplog.record_tuples


def test_coerce_does_not_warn_for_known_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Exact and sloppy-but-known values log nothing."""
    with caplog.at_level(logging.DEBUG, logger="taskstatus"):
        coerce_status("PENDING")
        coerce_status("cancelled")
    assert [] == caplog.records


def test_coerce_memory_is_bounded(caplog: pytest.LogCaptureFixture) -> None:
    """Many distinct unknown values never grow the memory past its bound."""
    with caplog.at_level(logging.WARNING, logger="taskstatus"):
        for number in range(MAX_REMEMBERED_UNKNOWN_VALUES * 3):
            coerce_status(f"NEW_STATUS_{number}")
    assert MAX_REMEMBERED_UNKNOWN_VALUES == len(_parse._warned_values)
    assert MAX_REMEMBERED_UNKNOWN_VALUES * 3 == len(caplog.records)
    # The oldest were forgotten first: the newest are still remembered.
    assert f"'NEW_STATUS_{MAX_REMEMBERED_UNKNOWN_VALUES * 3 - 1}'" in (
        _parse._warned_values
    )
    assert "'NEW_STATUS_0'" not in _parse._warned_values


def test_coerce_remembers_exactly_its_bound(caplog: pytest.LogCaptureFixture) -> None:
    """256 values are all remembered; the 257th pushes out the first."""
    assert 256 == MAX_REMEMBERED_UNKNOWN_VALUES  # as docs/parsing.md says
    with caplog.at_level(logging.WARNING, logger="taskstatus"):
        for number in range(MAX_REMEMBERED_UNKNOWN_VALUES):
            coerce_status(f"NEW_{number}")
        coerce_status("NEW_0")
        assert MAX_REMEMBERED_UNKNOWN_VALUES == len(caplog.records)  # no repeat
        coerce_status("NEW_LAST")
        coerce_status("NEW_0")
    assert MAX_REMEMBERED_UNKNOWN_VALUES + 2 == len(caplog.records)


def test_coerce_remembers_short_renderings_only() -> None:
    """A 10 MB unknown string is remembered as an 80-character rendering."""
    coerce_status("y" * 10_000_000)
    assert [80] == [len(key) for key in _parse._warned_values]


@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(),
        st.binary(),
        st.sampled_from(ALL),
        st.lists(st.text()),
        st.dictionaries(st.text(), st.text()),
        st.builds(Unhashable),
        st.builds(Hostile),
    )
)
def test_coerce_never_raises(value: object) -> None:
    """For any object at all, coerce_status returns a member."""
    assert type(coerce_status(value)) is TaskStatus


@given(st.sampled_from(ALL), st.sampled_from(["", " ", "\t", "\n "]), st.booleans())
def test_coerce_undoes_sloppiness(
    status: TaskStatus, padding: str, lower: bool
) -> None:
    """Any member, padded, in lower case and with '-' for '_', maps back."""
    text = status.value.replace("_", "-")
    text = padding + (text.lower() if lower else text) + padding
    assert status is coerce_status(text)

"""TaskResult and ItemFailure: derived fields, JSON form, validation."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskstatus import ItemFailure, TaskResult, TaskStatus
from taskstatus._result import RATE_TOLERANCE

# --- ItemFailure ----------------------------------------------------------


def test_item_failure_defaults() -> None:
    """Code defaults to None and details to an empty read-only mapping."""
    failure = ItemFailure("doc-7", "not a PDF")
    assert (None, {}) == (failure.code, dict(failure.details))


def test_item_failure_details_are_a_read_only_copy() -> None:
    """The details cannot be changed, through the failure or the caller's dict."""
    given_details: dict[str, object] = {"page": 3}
    failure = ItemFailure("doc-7", "bad page", "permanent", given_details)
    given_details["page"] = 4
    assert {"page": 3} == failure.details
    with pytest.raises(TypeError):
        failure.details["page"] = 5  # type: ignore[index]


def test_item_failure_is_frozen_and_hashable() -> None:
    """Failures cannot be changed, and hash (details aside) like values."""
    failure = ItemFailure("a", "boom", "transient", {"try": 1})
    with pytest.raises(AttributeError):
        failure.error = "other"  # type: ignore[misc]
    assert hash(failure) == hash(ItemFailure("a", "boom", "transient", {"try": 1}))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("a", 42), "error must be a string, got 42"),
        (("a", "boom", 500), "code must be a string or None, got 500"),
        (("a", "boom", None, ["x"]), r"details must be a mapping, got \['x'\]"),
        (("a", "boom", None, {1: "x"}), "details keys must be strings, got 1"),
    ],
)
def test_item_failure_checks_its_fields(
    arguments: tuple[Any, ...], message: str
) -> None:
    """A wrongly typed field is refused with its name and value."""
    with pytest.raises(TypeError, match=message):
        ItemFailure(*arguments)


# --- TaskResult: derived fields -------------------------------------------


def test_lists_are_stored_as_tuples() -> None:
    """Lists (or any iterables) given to the constructor are kept as tuples."""
    result = TaskResult([1, 2], [ItemFailure(3, "x")])
    assert ((1, 2), (ItemFailure(3, "x"),)) == (result.successful, result.failed)
    assert TaskResult(n for n in [1, 2]).successful == (1, 2)


def test_partial_success() -> None:
    """Some succeeded and some failed: COMPLETED_WITH_ERRORS, with the counts."""
    result = TaskResult(["a", "b", "c"], [ItemFailure("d", "timeout")])
    assert (4, 3, 1) == (result.total, result.success_count, result.failure_count)
    assert 75.0 == result.success_rate
    assert TaskStatus.COMPLETED_WITH_ERRORS is result.status
    assert result.is_partial


def test_full_success() -> None:
    """Nothing failed: COMPLETED at 100 %."""
    result = TaskResult(["a"])
    assert (TaskStatus.COMPLETED, 100.0, False) == (
        result.status,
        result.success_rate,
        result.is_partial,
    )


def test_full_failure() -> None:
    """Everything failed: FAILED at 0 %."""
    result = TaskResult([], [ItemFailure("a", "x"), ItemFailure("b", "y")])
    assert (TaskStatus.FAILED, 0.0, False) == (
        result.status,
        result.success_rate,
        result.is_partial,
    )


def test_no_items() -> None:
    """An empty result is COMPLETED at 100 %: nothing failed."""
    result = TaskResult[str]()
    assert (0, 100.0, TaskStatus.COMPLETED) == (
        result.total,
        result.success_rate,
        result.status,
    )


def test_failed_entries_must_be_item_failures() -> None:
    """A plain value among the failures is refused with its index."""
    with pytest.raises(TypeError, match=r"failed\[1\] must be an ItemFailure, got 'b'"):
        TaskResult[str]([], [ItemFailure("a", "x"), "b"])  # type: ignore[list-item]


def test_result_is_frozen() -> None:
    """Fields cannot be reassigned."""
    result = TaskResult([1])
    with pytest.raises(AttributeError):
        result.successful = ()  # type: ignore[misc]


def test_failures_by_code_groups_in_first_seen_order() -> None:
    """Failures are grouped by code, None included, in order of appearance."""
    a = ItemFailure("a", "timeout", "transient")
    b = ItemFailure("b", "corrupt", "permanent")
    c = ItemFailure("c", "rate limited", "transient")
    d = ItemFailure("d", "???")
    groups = TaskResult([], [a, b, c, d]).failures_by_code()
    assert {"transient": (a, c), "permanent": (b,), None: (d,)} == groups
    assert ["transient", "permanent", None] == list(groups)


# --- JSON form ------------------------------------------------------------


def test_to_dict_is_plain_json_data() -> None:
    """to_dict gives the documented JSON shape, with status as a plain string."""
    result = TaskResult(
        ["a", "b"], [ItemFailure("c", "timed out", "transient", {"after_s": 30})]
    )
    assert {
        "status": "COMPLETED_WITH_ERRORS",
        "success_rate": 100 * 2 / 3,
        "successful_items": ["a", "b"],
        "failed_items": [
            {
                "item": "c",
                "error": "timed out",
                "code": "transient",
                "details": {"after_s": 30},
            }
        ],
    } == result.to_dict()
    assert type(result.to_dict()["status"]) is str


def test_from_dict_reads_back_what_to_dict_wrote() -> None:
    """from_dict(r.to_dict()) == r."""
    result = TaskResult([1, 2], [ItemFailure(3, "x", "permanent", {"k": [1]})])
    assert result == TaskResult.from_dict(json.loads(json.dumps(result.to_dict())))


def test_from_dict_without_status_and_rate() -> None:
    """Status and success_rate are optional; unknown keys are ignored."""
    data = {"successful_items": [1], "failed_items": [], "server_version": 7}
    assert TaskResult([1]) == TaskResult.from_dict(data)


def test_from_dict_with_an_item_type() -> None:
    """With item_type, every item must be an instance of it."""
    data = {"successful_items": [1, 2], "failed_items": [{"item": 3, "error": "x"}]}
    assert TaskResult([1, 2], [ItemFailure(3, "x")]) == TaskResult.from_dict(data, int)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "task result: expected an object, got []"),
        ({"failed_items": []}, "successful_items: missing"),
        ({"successful_items": []}, "failed_items: missing"),
        (
            {"successful_items": {}, "failed_items": []},
            "successful_items: expected a list, got {}",
        ),
        (
            {"successful_items": [], "failed_items": ["x"]},
            "failed_items[0]: expected an object, got 'x'",
        ),
        (
            {"successful_items": [], "failed_items": [{"error": "x"}]},
            "failed_items[0].item: missing",
        ),
        (
            {
                "successful_items": [],
                "failed_items": [{"item": 1, "error": "x"}] * 3
                + [{"item": 4, "error": 42}],
            },
            "failed_items[3].error: expected a string, got 42",
        ),
        (
            {"successful_items": [], "failed_items": [{"item": 1}]},
            "failed_items[0].error: expected a string, got nothing (missing)",
        ),
        (
            {
                "successful_items": [],
                "failed_items": [{"item": 1, "error": "x", "code": 5}],
            },
            "failed_items[0].code: expected a string or null, got 5",
        ),
        (
            {
                "successful_items": [],
                "failed_items": [{"item": 1, "error": "x", "details": [1]}],
            },
            "failed_items[0].details: expected an object with string keys, got [1]",
        ),
        (
            {"successful_items": [1], "failed_items": [], "success_rate": 50},
            "success_rate: states 50 but the items give 100.00",
        ),
        (
            {"successful_items": [1], "failed_items": [], "success_rate": "100"},
            "success_rate: expected a finite number, got '100'",
        ),
        (
            {"successful_items": [1], "failed_items": [], "success_rate": True},
            "success_rate: expected a finite number, got True",
        ),
        (
            {"successful_items": [1], "failed_items": [], "status": "FAILED"},
            "status: states FAILED but the items give COMPLETED",
        ),
        (
            {"successful_items": [1], "failed_items": [], "status": "DONE"},
            "status: 'DONE' is not a task status",
        ),
        (
            {"successful_items": [1], "failed_items": [], "status": ["COMPLETED"]},
            "status: expected a string, got ['COMPLETED']",
        ),
    ],
)
def test_from_dict_names_the_bad_part(data: object, message: str) -> None:
    """Each kind of bad input raises ValueError starting with the path to it."""
    with pytest.raises(ValueError) as caught:  # noqa: PT011 - message checked below
        TaskResult.from_dict(data)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("item_type", "items", "message"),
    [
        (int, [1, "2"], "successful_items[1]: expected int, got '2'"),
        (int, [True], "successful_items[0]: expected int, got True"),
        (str, [1], "successful_items[0]: expected str, got 1"),
    ],
)
def test_from_dict_checks_the_item_type(
    item_type: type[Any], items: list[object], message: str
) -> None:
    """Items that are not of item_type are named by their path."""
    with pytest.raises(ValueError) as caught:  # noqa: PT011 - message checked below
        TaskResult.from_dict({"successful_items": items, "failed_items": []}, item_type)
    assert message == str(caught.value)


def test_from_dict_float_items_accept_ints() -> None:
    """JSON has one number type: item_type=float takes 1 as well as 1.5."""
    data = {"successful_items": [1, 1.5], "failed_items": []}
    assert (1, 1.5) == TaskResult.from_dict(data, float).successful


def test_stated_rate_within_tolerance_is_accepted() -> None:
    """A rate rounded by the server (66.67 for 2 of 3) is not a contradiction."""
    data = {
        "successful_items": ["a", "b"],
        "failed_items": [{"item": "c", "error": "x"}],
        "success_rate": 66.67,
        "status": "COMPLETED_WITH_ERRORS",
    }
    assert 2 == TaskResult.from_dict(data).success_count
    data["success_rate"] = 66.67 + RATE_TOLERANCE
    with pytest.raises(ValueError, match="success_rate: states"):
        TaskResult.from_dict(data)


def test_tolerance_boundaries() -> None:
    """A rate off by exactly RATE_TOLERANCE (0.01) passes; half a point does not."""
    assert 0.01 == RATE_TOLERANCE  # as docs/results.md says
    data = {
        "successful_items": ["a"],
        "failed_items": [{"item": "b", "error": "x"}],
        "success_rate": 50 + RATE_TOLERANCE,
    }
    assert 50.0 == TaskResult.from_dict(data).success_rate
    data["success_rate"] = 50.5
    with pytest.raises(ValueError, match=r"success_rate: states 50.5 but the items"):
        TaskResult.from_dict(data)


def test_a_rate_too_large_for_a_float_is_refused() -> None:
    """A huge integer rate is bad data (ValueError), not an OverflowError."""
    data: dict[str, object] = {
        "successful_items": [],
        "failed_items": [],
        "success_rate": 10**400,
    }
    with pytest.raises(ValueError, match="expected a finite number, got <int of"):
        TaskResult.from_dict(data)


# --- properties -----------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.text()
failures = st.builds(
    ItemFailure,
    item=json_scalars,
    error=st.text(),
    code=st.none() | st.sampled_from(["transient", "permanent"]),
    details=st.dictionaries(st.text(), json_scalars, max_size=3),
)
results = st.builds(
    TaskResult,
    successful=st.lists(json_scalars, max_size=20),
    failed=st.lists(failures, max_size=20),
)


@given(results)
def test_rate_is_a_percentage(result: TaskResult[object]) -> None:
    """The success rate always lies in [0, 100]."""
    assert 0.0 <= result.success_rate <= 100.0


@given(results)
def test_status_agrees_with_the_counts(result: TaskResult[object]) -> None:
    """COMPLETED iff nothing failed; FAILED iff items failed and none succeeded."""
    expected = (
        TaskStatus.COMPLETED
        if result.failure_count == 0
        else TaskStatus.FAILED
        if result.success_count == 0
        else TaskStatus.COMPLETED_WITH_ERRORS
    )
    assert expected is result.status
    assert result.total == result.success_count + result.failure_count


@given(results)
def test_json_round_trip(result: TaskResult[object]) -> None:
    """to_dict → json.dumps → json.loads → from_dict gives an equal result."""
    assert result == TaskResult.from_dict(json.loads(json.dumps(result.to_dict())))


json_data = st.recursive(
    json_scalars | st.floats(allow_nan=False),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)
keys = st.sampled_from(
    ["successful_items", "failed_items", "status", "success_rate", "item", "error"]
)
shaped = st.fixed_dictionaries(
    {},
    optional={
        "successful_items": st.lists(json_data, max_size=4),
        "failed_items": st.lists(
            st.dictionaries(
                st.sampled_from(["item", "error", "code", "details"]), json_data
            ),
            max_size=4,
        ),
        "status": st.sampled_from([*TaskStatus, "DONE"]) | json_data,
        "success_rate": st.floats() | json_data,
    },
)


@given(json_data | shaped | st.dictionaries(keys, json_data))
def test_from_dict_raises_only_value_error(data: object) -> None:
    """On arbitrary JSON-like data, from_dict returns a result or raises ValueError."""
    try:
        result = TaskResult.from_dict(data)
    except ValueError:
        return
    assert math.isfinite(result.success_rate)

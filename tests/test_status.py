"""TaskStatus, StatusCategory and the category sets."""

from __future__ import annotations

import copy
import json
import pickle
from typing import get_args

import pytest

from taskstatus import (
    LIFECYCLE_STATUSES,
    OPERATION_STATUSES,
    POLLABLE_STATUSES,
    TERMINAL_STATUSES,
    StatusCategory,
    TaskStatus,
    TaskStatusValue,
)

# The vendor's current TaskStatusEnum, in its declaration order (the spec;
# the vendor check of .ci/run compares it with the mixpeek SDK itself).
SPEC_ORDER = [
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

ALL = list(TaskStatus)


def test_members_follow_the_spec_in_order() -> None:
    """The enum has the spec's 16 values, in the vendor's declaration order."""
    assert SPEC_ORDER == [status.value for status in TaskStatus]


@pytest.mark.parametrize("status", ALL)
def test_value_equals_name(status: TaskStatus) -> None:
    """Every value is the member's name: the wire format is the name."""
    assert status.name == status.value


@pytest.mark.parametrize("status", ALL)
def test_text_conversions_give_the_bare_value(status: TaskStatus) -> None:
    """str, format, f-strings and %-formatting print the value on every Python."""
    value = status.value
    assert value == str(status)
    assert value == format(status)
    assert value == f"{status}"
    assert value == "%s" % status  # noqa: UP031 - %-formatting is what is tested
    assert value == "{}".format(status)  # noqa: UP032 - str.format is tested too
    assert type(str(status)) is str


def test_format_spec_applies_to_the_value() -> None:
    """A format spec pads and aligns the value like any string."""
    assert "PENDING   |" == f"{TaskStatus.PENDING:<10}|"
    assert "   FAILED" == format(TaskStatus.FAILED, ">9")


@pytest.mark.parametrize("status", ALL)
def test_repr_is_the_enum_repr(status: TaskStatus) -> None:
    """The repr keeps the standard enum form, so debugging output shows the type."""
    assert f"<TaskStatus.{status.name}: '{status.value}'>" == repr(status)


@pytest.mark.parametrize("status", ALL)
def test_member_equals_and_hashes_like_its_value(status: TaskStatus) -> None:
    """A member compares equal to its string and hashes like it."""
    assert status == status.value
    assert hash(status.value) == hash(status)
    assert {status.value: 1}[status] == 1


def test_json_dumps_writes_plain_strings() -> None:
    """The stdlib json module writes members as their plain strings."""
    assert '"PENDING"' == json.dumps(TaskStatus.PENDING)
    data = {"status": TaskStatus.FAILED, "all": [TaskStatus.DRAFT]}
    assert '{"status": "FAILED", "all": ["DRAFT"]}' == json.dumps(data)


@pytest.mark.parametrize("status", ALL)
def test_pickle_and_copy_keep_identity(status: TaskStatus) -> None:
    """pickle, copy and deepcopy return the very same member."""
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(status, protocol)) is status
    assert copy.copy(status) is status
    assert copy.deepcopy(status) is status


def test_constructor_stays_strict() -> None:
    """TaskStatus(value) keeps the stdlib behaviour: unknown values raise."""
    assert TaskStatus("FAILED") is TaskStatus.FAILED
    with pytest.raises(ValueError, match="'failed' is not a valid TaskStatus"):
        TaskStatus("failed")


@pytest.mark.parametrize("status", ALL)
def test_every_status_has_a_one_line_description(status: TaskStatus) -> None:
    """Each description is a single non-empty sentence."""
    description = status.description
    assert description.strip() == description
    assert "\n" not in description
    assert description.endswith(".")


def test_descriptions_are_distinct() -> None:
    """No two statuses share a description."""
    assert len(ALL) == len({status.description for status in ALL})


def test_category_follows_the_lifecycle_set() -> None:
    """ACTIVE, ARCHIVED, SUSPENDED, DEACTIVATED are lifecycle; the rest operation."""
    lifecycle = {s for s in ALL if s.category is StatusCategory.LIFECYCLE}
    operation = {s for s in ALL if s.category is StatusCategory.OPERATION}
    assert {"ACTIVE", "ARCHIVED", "SUSPENDED", "DEACTIVATED"} == lifecycle
    assert set(OPERATION_STATUSES) == operation


def test_status_category_prints_its_value() -> None:
    """StatusCategory is a str-Enum that prints as its bare value too."""
    assert ["OPERATION", "LIFECYCLE"] == [str(c) for c in StatusCategory]
    assert "LIFECYCLE" == f"{StatusCategory.LIFECYCLE}"
    assert ">OPERATION" == f"{StatusCategory.OPERATION:>>10}"
    assert "OPERATION" == StatusCategory.OPERATION


def test_the_sets_are_real_frozensets_of_members() -> None:
    """Each category set is a frozenset holding TaskStatus members only."""
    for group in (
        TERMINAL_STATUSES,
        POLLABLE_STATUSES,
        LIFECYCLE_STATUSES,
        OPERATION_STATUSES,
    ):
        assert type(group) is frozenset
        assert all(type(status) is TaskStatus for status in group)


def test_sets_match_the_spec() -> None:
    """Terminal and pollable statuses are exactly those of the spec."""
    assert {"COMPLETED", "COMPLETED_WITH_ERRORS", "FAILED", "CANCELED"} == set(
        TERMINAL_STATUSES
    )
    assert {"PENDING", "QUEUED", "IN_PROGRESS", "PROCESSING"} == set(POLLABLE_STATUSES)
    assert {"ACTIVE", "ARCHIVED", "SUSPENDED", "DEACTIVATED"} == set(LIFECYCLE_STATUSES)


def test_interrupted_is_an_operation_that_waiting_cannot_change() -> None:
    """The vendor lists INTERRUPTED in neither the terminal nor the pollable set."""
    assert TaskStatus.INTERRUPTED in OPERATION_STATUSES
    assert TaskStatus.INTERRUPTED not in TERMINAL_STATUSES
    assert TaskStatus.INTERRUPTED not in POLLABLE_STATUSES


def test_lifecycle_and_operation_partition_all_statuses() -> None:
    """Lifecycle and operation are disjoint and together hold all 16."""
    # Widened to frozenset[TaskStatus]: older typeshed types isdisjoint() with
    # the set's own item type, and these Literal item types do not overlap.
    lifecycle: frozenset[TaskStatus] = LIFECYCLE_STATUSES
    assert lifecycle.isdisjoint(OPERATION_STATUSES)
    assert set(TaskStatus) == LIFECYCLE_STATUSES | OPERATION_STATUSES


def test_terminal_and_pollable_are_disjoint_operation_subsets() -> None:
    """Terminal and pollable never overlap and are both operation statuses."""
    terminal: frozenset[TaskStatus] = TERMINAL_STATUSES
    assert terminal.isdisjoint(POLLABLE_STATUSES)
    assert TERMINAL_STATUSES < OPERATION_STATUSES
    assert POLLABLE_STATUSES < OPERATION_STATUSES


def test_the_value_literal_holds_exactly_the_sixteen_values() -> None:
    """TaskStatusValue, the Literal for raw JSON, lists every value in order."""
    assert tuple(SPEC_ORDER) == get_args(TaskStatusValue)

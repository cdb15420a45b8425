"""Outcomes: the items of a task that succeeded and failed, and a batch summed up."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar, cast, overload

from ._checks import check_instance, finite_float
from ._errors import show_value
from ._parse import parse_status
from ._predicates import is_lifecycle
from ._status import SETTLED_STATUSES, TaskStatus

T = TypeVar("T")
U = TypeVar("U")

RATE_TOLERANCE = 0.01
"""How far, in percentage points, a stated success_rate may be from the one
the item lists give before from_dict() calls it a contradiction."""


def _read_only(name: str, details: object) -> Mapping[str, object]:
    if not isinstance(details, Mapping):
        msg = f"{name} must be a mapping, got {show_value(details)}"
        raise TypeError(msg)
    copy = dict(cast("Mapping[object, object]", details))
    for key in copy:
        if not isinstance(key, str):
            msg = f"{name} keys must be strings, got {show_value(key)}"
            raise TypeError(msg)
    return MappingProxyType(cast("dict[str, object]", copy))


_NO_DETAILS: Mapping[str, object] = MappingProxyType({})


@dataclass(frozen=True)
class ItemFailure(Generic[T]):
    """One item that failed, with what went wrong.

    Attributes:
        item: The item, or its id.
        error: A message for people.
        code: A class of error for programs, such as ``"transient"`` or
            ``"permanent"``; ``None`` when the server gives none.
        details: Anything else the server said, read-only.
    """

    item: T
    error: str
    code: str | None = None
    details: Mapping[str, object] = field(
        default_factory=lambda: _NO_DETAILS, hash=False
    )

    def __post_init__(self) -> None:
        check_instance("error", self.error, str, "a string")
        check_instance("code", self.code, (str, type(None)), "a string or None")
        # A private copy behind a read-only view: the caller's dict may change.
        object.__setattr__(self, "details", _read_only("details", self.details))

    def to_dict(self) -> dict[str, Any]:
        """Return the failure as plain JSON data."""
        return {
            "item": self.item,
            "error": self.error,
            "code": self.code,
            "details": dict(self.details),
        }


@dataclass(frozen=True, init=False)
class TaskResult(Generic[T]):
    """What a finished task did to its items: which succeeded, which failed.

    Everything else is derived from the two tuples, so it can never disagree
    with them: `total`, `success_count`, `failure_count`, `success_rate`,
    `status` and `is_partial`.

    >>> result = TaskResult(["a", "b", "c"], [ItemFailure("d", "timed out")])
    >>> result.status, result.success_rate, result.is_partial
    (<TaskStatus.COMPLETED_WITH_ERRORS: 'COMPLETED_WITH_ERRORS'>, 75.0, True)
    """

    successful: tuple[T, ...]
    failed: tuple[ItemFailure[T], ...]

    def __init__(
        self, successful: Iterable[T] = (), failed: Iterable[ItemFailure[T]] = ()
    ) -> None:
        failures = tuple(failed)
        for index, failure in enumerate(failures):
            check_instance(f"failed[{index}]", failure, ItemFailure, "an ItemFailure")
        object.__setattr__(self, "successful", tuple(successful))
        object.__setattr__(self, "failed", failures)

    @property
    def success_count(self) -> int:
        """How many items succeeded."""
        return len(self.successful)

    @property
    def failure_count(self) -> int:
        """How many items failed."""
        return len(self.failed)

    @property
    def total(self) -> int:
        """How many items the task handled."""
        return len(self.successful) + len(self.failed)

    @property
    def success_rate(self) -> float:
        """The percentage of items that succeeded, from 0 to 100; 100 with no items."""
        return _rate(self.success_count, self.total)

    @property
    def status(self) -> TaskStatus:
        """COMPLETED, COMPLETED_WITH_ERRORS or FAILED, from the counts."""
        return outcome(self.success_count, self.failure_count)

    @property
    def is_partial(self) -> bool:
        """Whether some items succeeded and some failed."""
        return self.status is TaskStatus.COMPLETED_WITH_ERRORS

    def failures_by_code(self) -> Mapping[str | None, tuple[ItemFailure[T], ...]]:
        """Group the failures by `ItemFailure.code`, in order of first appearance."""
        groups: dict[str | None, list[ItemFailure[T]]] = {}
        for failure in self.failed:
            groups.setdefault(failure.code, []).append(failure)
        return MappingProxyType({code: tuple(group) for code, group in groups.items()})

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON data, the form `from_dict` reads.

        The items themselves are included as they are: they must be JSON data
        for ``json.dumps`` to accept the whole.
        """
        return {
            "status": self.status.value,
            "success_rate": self.success_rate,
            "successful_items": list(self.successful),
            "failed_items": [failure.to_dict() for failure in self.failed],
        }

    @overload
    @classmethod
    def from_dict(cls, data: object) -> TaskResult[Any]: ...

    @overload
    @classmethod
    def from_dict(cls, data: object, item_type: type[U]) -> TaskResult[U]: ...

    @classmethod
    def from_dict(
        cls, data: object, item_type: type[Any] | None = None
    ) -> TaskResult[Any]:
        """Read a result from JSON data in the form `to_dict` writes.

        ``successful_items`` and ``failed_items`` are required; ``status``
        and ``success_rate`` are optional, but when present they must agree
        with the items (rates within `RATE_TOLERANCE` points). Other keys are
        ignored, so that a newer server's additions do no harm. With
        ``item_type``, every item must be an instance of it.

        Raises:
            ValueError: Whatever is wrong, with the path to the bad part, such
                as ``failed_items[3].error: expected a string, got 42``.
        """
        return _Reader(item_type).result(data)


class _Reader:
    """Reads TaskResult JSON, naming the path of whatever is wrong."""

    def __init__(self, item_type: type[Any] | None) -> None:
        self._item_type = item_type

    def result(self, data: object) -> TaskResult[Any]:
        body = _mapping("task result", data)
        successful = [
            self._item(f"successful_items[{index}]", item)
            for index, item in enumerate(_list(body, "successful_items"))
        ]
        failed = [
            self._failure(f"failed_items[{index}]", entry)
            for index, entry in enumerate(_list(body, "failed_items"))
        ]
        result = TaskResult(successful, failed)
        _check_stated(body, result)
        return result

    def _item(self, path: str, item: object) -> object:
        expected = self._item_type
        if expected is not None and not _is_instance(item, expected):
            msg = f"{path}: expected {expected.__name__}, got {show_value(item)}"
            raise ValueError(msg)
        return item

    def _failure(self, path: str, entry: object) -> ItemFailure[Any]:
        failure = _mapping(path, entry)
        if "item" not in failure:
            msg = f"{path}.item: missing"
            raise ValueError(msg)
        error = failure.get("error")
        if not isinstance(error, str):
            shown = show_value(error) if "error" in failure else "nothing (missing)"
            msg = f"{path}.error: expected a string, got {shown}"
            raise ValueError(msg)
        code = failure.get("code")
        if code is not None and not isinstance(code, str):
            msg = f"{path}.code: expected a string or null, got {show_value(code)}"
            raise ValueError(msg)
        details = failure.get("details", {})
        try:
            read_only = _read_only("details", details)
        except TypeError:
            shown = show_value(details)
            msg = f"{path}.details: expected an object with string keys, got {shown}"
            raise ValueError(msg) from None
        return ItemFailure(
            self._item(f"{path}.item", failure["item"]), error, code, read_only
        )


def _mapping(path: str, value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        msg = f"{path}: expected an object, got {show_value(value)}"
        raise ValueError(msg)
    return cast("Mapping[str, object]", value)


def _list(body: Mapping[str, object], key: str) -> list[object]:
    if key not in body:
        msg = f"{key}: missing"
        raise ValueError(msg)
    value = body[key]
    if not isinstance(value, list):
        msg = f"{key}: expected a list, got {show_value(value)}"
        raise ValueError(msg)
    return cast("list[object]", value)


def _is_instance(value: object, expected: type[Any]) -> bool:
    # JSON has one number type: an int is a fine float, but true is no number.
    if isinstance(value, bool) and expected in (int, float):
        return False
    if expected is float:
        return isinstance(value, (int, float))
    return isinstance(value, expected)


def _check_stated(body: Mapping[str, object], result: TaskResult[Any]) -> None:
    if "success_rate" in body:
        stated = finite_float(body["success_rate"])
        if stated is None:
            shown = show_value(body["success_rate"])
            msg = f"success_rate: expected a finite number, got {shown}"
            raise ValueError(msg)
        if abs(stated - result.success_rate) > RATE_TOLERANCE:
            msg = (
                f"success_rate: states {stated:g} but the items give "
                f"{result.success_rate:.2f}"
            )
            raise ValueError(msg)
    if "status" in body:
        stated_value = body["status"]
        if not isinstance(stated_value, str):
            msg = f"status: expected a string, got {show_value(stated_value)}"
            raise ValueError(msg)
        try:
            stated_status = parse_status(stated_value)
        except ValueError as error:
            msg = f"status: {error}"
            raise ValueError(msg) from None
        if stated_status is not result.status:
            msg = f"status: states {stated_status} but the items give {result.status}"
            raise ValueError(msg)


def _rate(successes: int, total: int) -> float:
    return 100.0 if total == 0 else 100.0 * successes / total


def outcome(successes: int, failures: int) -> TaskStatus:
    """The status of a whole made of parts that succeeded or failed."""
    if failures == 0:
        return TaskStatus.COMPLETED
    if successes == 0:
        return TaskStatus.FAILED
    return TaskStatus.COMPLETED_WITH_ERRORS


# Not started: waiting, or not even submitted.
_NOT_STARTED = frozenset({TaskStatus.PENDING, TaskStatus.DRAFT, TaskStatus.SKIPPED})


@dataclass(frozen=True)
class StatusSummary:
    """The statuses of a batch of tasks, counted and rolled up into one.

    Only `counts` is stored; `total`, `done` and `overall` are derived from
    it, so they cannot disagree.

    Attributes:
        counts: How many tasks are in each status; every member is present.
    """

    counts: Mapping[TaskStatus, int]

    @property
    def total(self) -> int:
        """How many tasks the batch holds."""
        return sum(self.counts.values())

    @property
    def done(self) -> bool:
        """Whether every task is settled: terminal, or SKIPPED."""
        return all(
            status in SETTLED_STATUSES for status, count in self.counts.items() if count
        )

    @property
    def overall(self) -> TaskStatus:
        """One status for the whole batch; see `summarize` for the rule."""
        present = {status for status, count in self.counts.items() if count}
        if not self.done:
            if present <= _NOT_STARTED:
                return TaskStatus.PENDING
            return TaskStatus.IN_PROGRESS
        if self.counts[TaskStatus.COMPLETED_WITH_ERRORS]:
            return TaskStatus.COMPLETED_WITH_ERRORS
        failed = self.counts[TaskStatus.FAILED] + self.counts[TaskStatus.CANCELED]
        return outcome(self.counts[TaskStatus.COMPLETED], failed)


def summarize(statuses: Iterable[str]) -> StatusSummary:
    """Count the statuses of a batch of tasks and roll them up into one.

    ==========================================  ===========================
    the batch                                   ``overall``
    ==========================================  ===========================
    some task not settled, none started yet      PENDING
    some task not settled, some started          IN_PROGRESS
    settled, every task COMPLETED (or SKIPPED)   COMPLETED
    settled, none COMPLETED even partly          FAILED
    settled, anything else                       COMPLETED_WITH_ERRORS
    ==========================================  ===========================

    Settled means terminal or SKIPPED; not started means PENDING, DRAFT or
    SKIPPED. An empty batch, or one where every task was skipped, is
    COMPLETED: nothing failed.

    Args:
        statuses: One status per task: members or their exact string values.

    Raises:
        ValueError: A lifecycle status (entities are not task outcomes), or
            an unknown string, named as `parse_status` names it.
        TypeError: Something that is not a status string.

    >>> summarize(["COMPLETED", "FAILED", "SKIPPED"]).overall
    <TaskStatus.COMPLETED_WITH_ERRORS: 'COMPLETED_WITH_ERRORS'>
    """
    counts = dict.fromkeys(TaskStatus, 0)
    for index, value in enumerate(statuses):
        status = parse_status(value)
        if is_lifecycle(status):
            msg = (
                f"statuses[{index}] is {status}, a lifecycle status: it describes "
                "an entity, not the outcome of a task"
            )
            raise ValueError(msg)
        counts[status] += 1
    return StatusSummary(MappingProxyType(counts))

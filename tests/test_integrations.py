"""TaskStatus inside pydantic, msgspec, orjson, json, SQLAlchemy and generated SDKs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from enum import Enum
from typing import TypedDict, cast

import msgspec
import orjson
import pydantic
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from helpers import run_python
from taskstatus import (
    TERMINAL_STATUSES,
    TaskStatus,
    TaskStatusValue,
    coerce_status,
    is_lifecycle,
    is_operation,
    is_pollable,
    is_terminal,
    parse_status,
)
from taskstatus._cli._schema import status_schema
from taskstatus.pydantic import LenientTaskStatus

ALL = list(TaskStatus)


def test_import_taskstatus_loads_none_of_these_libraries() -> None:
    """The integrations stay optional: `import taskstatus` imports none of them."""
    code = (
        "import sys, taskstatus\n"
        "print(sorted(m for m in ['pydantic', 'msgspec', 'orjson', 'sqlalchemy']"
        " if m in sys.modules))"
    )
    assert "[]" == run_python(code).strip()


# --- pydantic -------------------------------------------------------------


class StrictTask(pydantic.BaseModel):
    """A model with a plain TaskStatus field."""

    status: TaskStatus


class LenientTask(pydantic.BaseModel):
    """A model with the lenient field type."""

    status: LenientTaskStatus


@pytest.mark.parametrize("status", ALL)
def test_pydantic_round_trips_plain_strings(status: TaskStatus) -> None:
    """Each value validates from JSON and dumps back as the plain string."""
    task = StrictTask.model_validate_json(json.dumps({"status": status.value}))
    assert status is task.status
    assert f'{{"status":"{status.value}"}}' == task.model_dump_json()
    dumped = task.model_dump(mode="json")["status"]
    assert (status.value, str) == (dumped, type(dumped))


def test_pydantic_strict_field_refuses_unknown_values() -> None:
    """A plain TaskStatus field fails on a status it does not know."""
    with pytest.raises(pydantic.ValidationError, match="REHYDRATING"):
        StrictTask.model_validate_json('{"status": "REHYDRATING"}')


def test_pydantic_lenient_field_reads_unknown_as_unknown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The lenient field maps a newer server's status to UNKNOWN, and warns once."""
    with caplog.at_level(logging.WARNING, logger="taskstatus"):
        for _ in range(3):
            task = LenientTask.model_validate_json('{"status": "REHYDRATING"}')
            assert TaskStatus.UNKNOWN is task.status
    assert 1 == len(caplog.records)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("in-progress", TaskStatus.IN_PROGRESS),
        ("CANCELLED", TaskStatus.CANCELED),
        (None, TaskStatus.UNKNOWN),
        (7, TaskStatus.UNKNOWN),
    ],
)
def test_pydantic_lenient_field_is_coerce_status(
    raw: object, expected: TaskStatus
) -> None:
    """The lenient field forgives what coerce_status forgives, in any input."""
    assert expected is LenientTask.model_validate({"status": raw}).status


def test_pydantic_lenient_field_dumps_and_describes_like_the_strict_one() -> None:
    """Dumps and JSON Schema of the lenient field equal the strict field's."""
    task = LenientTask(status=TaskStatus.FAILED)
    assert '{"status":"FAILED"}' == task.model_dump_json()
    strict, lenient = StrictTask.model_json_schema(), LenientTask.model_json_schema()
    assert strict["$defs"] == lenient["$defs"]
    assert strict["properties"] == lenient["properties"]


def test_pydantic_schema_agrees_with_the_command() -> None:
    """The enum pydantic generates is the one `taskstatus schema` prints."""
    generated = StrictTask.model_json_schema()["$defs"]["TaskStatus"]
    assert status_schema()["enum"] == generated["enum"]
    assert "string" == generated["type"]


# --- msgspec --------------------------------------------------------------


class Job(msgspec.Struct):
    """A msgspec struct with a TaskStatus field."""

    status: TaskStatus


class JobResponse(msgspec.Struct):
    """The lenient recipe: keep the wire string, read it with coerce_status."""

    raw_status: str = msgspec.field(name="status")

    @property
    def status(self) -> TaskStatus:
        """The status, read leniently."""
        return coerce_status(self.raw_status)


@pytest.mark.parametrize("status", ALL)
def test_msgspec_json_and_msgpack_use_plain_strings(status: TaskStatus) -> None:
    """Each member encodes as its string in JSON and MessagePack, and decodes back."""
    encoded = msgspec.json.encode(Job(status))
    assert f'{{"status":"{status.value}"}}'.encode() == encoded
    assert status is msgspec.json.decode(encoded, type=Job).status
    packed = msgspec.msgpack.encode(Job(status))
    assert {"status": status.value} == msgspec.msgpack.decode(packed)
    assert status is msgspec.msgpack.decode(packed, type=Job).status


def test_msgspec_strict_field_refuses_unknown_values() -> None:
    """Msgspec validates enums itself: an unknown value is an error."""
    with pytest.raises(msgspec.ValidationError, match="Invalid enum value"):
        msgspec.json.decode(b'{"status":"REHYDRATING"}', type=Job)


def test_msgspec_lenient_recipe_keeps_the_wire_value() -> None:
    """The recipe reads UNKNOWN and writes the server's value back unchanged."""
    job = msgspec.json.decode(b'{"status":"REHYDRATING"}', type=JobResponse)
    assert TaskStatus.UNKNOWN is job.status
    assert b'{"status":"REHYDRATING"}' == msgspec.json.encode(job)
    known = msgspec.msgpack.decode(
        msgspec.msgpack.encode({"status": "FAILED"}), type=JobResponse
    )
    assert TaskStatus.FAILED is known.status


# --- orjson and json ------------------------------------------------------

PAYLOAD = {
    "status": TaskStatus.PENDING,
    "all": ALL,
    "nested": {"last": TaskStatus.CANCELED},
}
EXPECTED_PAYLOAD = {
    "status": "PENDING",
    "all": [status.value for status in ALL],
    "nested": {"last": "CANCELED"},
}


def test_json_and_orjson_write_plain_strings() -> None:
    """Both write members, and lists and dicts of them, as plain strings."""
    assert EXPECTED_PAYLOAD == json.loads(json.dumps(PAYLOAD))
    assert EXPECTED_PAYLOAD == orjson.loads(orjson.dumps(PAYLOAD))
    assert b'"COMPLETED"' == orjson.dumps(TaskStatus.COMPLETED)


def test_members_as_dict_keys() -> None:
    """Json writes member keys as strings; orjson needs OPT_NON_STR_KEYS."""
    counts = {status: index for index, status in enumerate(ALL)}
    expected = {status.value: index for index, status in enumerate(ALL)}
    assert expected == json.loads(json.dumps(counts))
    with pytest.raises(orjson.JSONEncodeError, match="Dict key must be str"):
        orjson.dumps(counts)
    assert expected == orjson.loads(
        orjson.dumps(counts, option=orjson.OPT_NON_STR_KEYS)
    )


class TaskJSON(TypedDict):
    """Raw task JSON, typed with the wire strings."""

    id: str
    status: TaskStatusValue


@pytest.mark.parametrize("status", ALL)
def test_typed_dict_reads_back_with_parse_status(status: TaskStatus) -> None:
    """A TypedDict of raw JSON gives its status to parse_status."""
    raw: TaskJSON = orjson.loads(orjson.dumps({"id": "t", "status": status}))
    assert status is parse_status(raw["status"])


# --- SQLAlchemy -----------------------------------------------------------


class StatusColumn(sa.types.TypeDecorator[TaskStatus]):
    """The recipe: a TaskStatus stored as its value string."""

    impl = sa.String(32)
    cache_ok = True

    def process_bind_param(
        self, value: TaskStatus | None, dialect: Dialect
    ) -> str | None:
        """Write the exact value; refuse anything that is not a status."""
        return None if value is None else parse_status(value).value

    def process_result_value(
        self, value: str | None, dialect: Dialect
    ) -> TaskStatus | None:
        """Read leniently: a newer application's status reads as UNKNOWN."""
        return None if value is None else coerce_status(value)


class Base(DeclarativeBase):
    """The declarative base of the test tables."""


class Import(Base):
    """A table with a status column."""

    __tablename__ = "imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[TaskStatus] = mapped_column(StatusColumn())


@pytest.fixture
def engine() -> Iterator[sa.Engine]:
    """An in-memory SQLite database with the imports table, closed afterwards."""
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()  # Python 3.13 warns about sqlite connections left open


def test_sqlalchemy_stores_value_strings_and_reads_members(engine: sa.Engine) -> None:
    """Every member is stored as its value string and read back as the member."""
    with Session(engine) as session:
        session.add_all([Import(id=n, status=status) for n, status in enumerate(ALL)])
        session.commit()
        raw = session.execute(sa.text("SELECT status FROM imports ORDER BY id")).all()
        loaded = session.scalars(sa.select(Import).order_by(Import.id)).all()
    assert [(status.value,) for status in ALL] == [tuple(row) for row in raw]
    assert ALL == [row.status for row in loaded]
    assert all(type(row.status) is TaskStatus for row in loaded)


def test_sqlalchemy_column_is_a_plain_varchar(engine: sa.Engine) -> None:
    """The column is VARCHAR(32): no native enum for a new status to break."""
    [column] = [
        c for c in sa.inspect(engine).get_columns("imports") if c["name"] == "status"
    ]
    assert "VARCHAR(32)" == str(column["type"])


def test_sqlalchemy_filters_with_the_category_sets(engine: sa.Engine) -> None:
    """`in_(TERMINAL_STATUSES)` selects exactly the terminal rows."""
    with Session(engine) as session:
        session.add_all([Import(id=n, status=status) for n, status in enumerate(ALL)])
        session.commit()
        query = sa.select(Import.status).where(Import.status.in_(TERMINAL_STATUSES))
        found = set(session.scalars(query).all())
    assert set(TERMINAL_STATUSES) == found


def test_sqlalchemy_reads_unknown_values_leniently(engine: sa.Engine) -> None:
    """A row with a status this version does not know reads as UNKNOWN."""
    with Session(engine) as session:
        session.execute(sa.text("INSERT INTO imports VALUES (1, 'REHYDRATING')"))
        assert TaskStatus.UNKNOWN is session.get_one(Import, 1).status


def test_sqlalchemy_refuses_to_write_a_typo(engine: sa.Engine) -> None:
    """Writing something that is not a status fails before reaching the database."""
    with Session(engine) as session:
        session.add(Import(id=1, status=cast("TaskStatus", "DONE")))
        with pytest.raises(StatementError, match="'DONE' is not a task status"):
            session.commit()


# --- generated SDK enums --------------------------------------------------


class GeneratedStatus(str, Enum):
    """What an OpenAPI generator writes for the same schema."""

    PENDING = "PENDING"
    QUEUED = "QUEUED"
    IN_PROGRESS = "IN_PROGRESS"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    COMPLETED_WITH_ERRORS = "COMPLETED_WITH_ERRORS"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    INTERRUPTED = "INTERRUPTED"
    UNKNOWN = "UNKNOWN"
    SKIPPED = "SKIPPED"
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    SUSPENDED = "SUSPENDED"
    DEACTIVATED = "DEACTIVATED"


@pytest.mark.parametrize(
    ("generated", "status"), list(zip(GeneratedStatus, ALL)), ids=[s.value for s in ALL]
)
def test_generated_members_work_everywhere(
    generated: GeneratedStatus, status: TaskStatus
) -> None:
    """Another str-Enum's member equals ours, hashes alike, and works everywhere."""
    other: object = generated  # mypy --strict calls two enum types non-overlapping
    assert status == other
    assert hash(status) == hash(generated)
    assert status is parse_status(generated)
    assert status is coerce_status(generated)
    for predicate in (is_terminal, is_pollable, is_lifecycle, is_operation):
        assert predicate(status) is predicate(generated)  # type: ignore[arg-type]

"""TaskBoard: the merged state of many tasks, in memory or in one SQLite file.

Updates arrive from anywhere (webhooks, polls, replays) and in any order;
the board merges each into the record of its task with `merge_status` and
versions, so that a task never goes backwards. The durable board keeps the
records in one SQLite file that survives a crash and that several processes
may share.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Generator, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    NamedTuple,
    Optional,
    Protocol,
    TypeVar,
    Union,
    cast,
)

from ._errors import BatchTimeoutError, show_value
from ._parse import coerce_status
from ._policy import Deadline
from ._result import SETTLED_STATUSES, StatusSummary
from ._status import TERMINAL_STATUSES, TaskStatus
from ._transition import merge_members

if TYPE_CHECKING:
    from typing_extensions import TypeAlias

K = TypeVar("K", bound=Hashable)

Version: TypeAlias = Union[int, float]

BOARD_FORMAT = 1
"""The version of the board file's format, kept in ``PRAGMA user_version``."""

BOARD_APPLICATION_ID = 0x54534231  # "TSB1"
"""What ``PRAGMA application_id`` holds in every board file."""

FILE_CHECK_INTERVAL = 0.1
"""Seconds between two looks at a board file for other processes' updates,
while `TaskBoard.wait` waits."""

BUSY_TIMEOUT = 30.0
"""Seconds an update waits for another process's transaction to end."""


class TaskRecord(NamedTuple):
    """What a board knows of one task (an immutable named tuple).

    Attributes:
        status: The merged status; UNKNOWN for a task added but not heard of.
        result: The result that came with the status that is kept.
        version: The sender's sequence number or timestamp of that update,
            or ``None`` if it gave none.
        updated: When the record last changed, in seconds since the epoch.
    """

    status: TaskStatus
    result: Any = None
    version: Optional[Version] = None  # noqa: UP045 - NamedTuple reads it on 3.9
    updated: float = 0.0

    @property
    def settled(self) -> bool:
        """Whether the task is done: terminal, or SKIPPED."""
        return self.status in SETTLED_STATUSES


# tuple.__new__ skips the Python-level __new__ of a NamedTuple: records are
# made on every update, and this halves what making one costs.
_new_record = cast(
    "Callable[[type[TaskRecord], tuple[object, ...]], TaskRecord]",
    tuple.__new__,  # pyright: ignore[reportUnknownMemberType]
)


def merged_record(  # noqa: PLR0911 - one exit per rule, in the docs' order
    current: TaskRecord | None,
    status: TaskStatus,
    result: object,
    version: Version | None,
    now: float,
) -> TaskRecord | None:
    """Return the record after an update, or ``None`` if the update changes nothing.

    An update older than the record (by version) is stale and ignored,
    except a terminal status, which is final whatever its version. The
    status then merges by `merge_status`; if the incoming status loses, the
    update is ignored whole (its result too). An UNKNOWN update only ever
    creates a record: it says nothing about a task already known.

    Raises:
        ValueError: Lifecycle and operation statuses mixed for one task.
    """
    if current is None:
        return _new_record(TaskRecord, (status, result, version, now))
    known = current.status
    if status is TaskStatus.UNKNOWN:
        return None  # says nothing about the task
    stale = (
        version is not None
        and current.version is not None
        and version < current.version
        and known is not TaskStatus.UNKNOWN
    )
    if stale:
        if status is not known:
            merged = merge_members(known, status)  # refuses mixed categories
            if status in TERMINAL_STATUSES and merged is status:
                # Terminal is final whatever its version; the newer version stays.
                return _new_record(TaskRecord, (status, result, current.version, now))
        return None
    # A status merged into itself is itself: the common repeated report.
    if status is not known and merge_members(known, status) is not status:
        return None
    if version is None:
        version = current.version
    if status is known and version == current.version and result == current.result:
        return None
    return _new_record(TaskRecord, (status, result, version, now))


class TaskBoard(Generic[K]):
    """The state of many tasks, merged from updates that arrive in any order.

    ``TaskBoard()`` keeps the records in memory: any hashable key, any
    result. ``TaskBoard.open(path)`` keeps them in one SQLite file: string
    keys, JSON results, every update committed before `update` returns.
    Either is safe to share between threads (a webhook handler and a polling
    loop) and with asyncio (`wait_async`); `poll_many` takes one as
    ``board=``.

    >>> board = TaskBoard()
    >>> board.update("job-1", "COMPLETED", {"rows": 10})
    True
    >>> board.update("job-1", "IN_PROGRESS")  # a late, older report
    False
    >>> board.get("job-1").status
    <TaskStatus.COMPLETED: 'COMPLETED'>
    """

    def __init__(self) -> None:
        self._store: _Store[K] = _MemoryStore()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._watchers: set[Callable[[], object]] = set()
        self._waiting = 0  # threads in wait(): only then is notifying worth it

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> TaskBoard[str]:
        """Open (or create) a durable board in the SQLite file at ``path``.

        Raises:
            ValueError: The file is not a task board, or was written in a
                newer format than this version reads.
        """
        board: TaskBoard[str] = TaskBoard()
        board._store = _SQLiteStore(os.fspath(path))
        return board

    def close(self) -> None:
        """Close the board's file, if it has one."""
        with self._lock:
            self._store.close()

    def __enter__(self) -> TaskBoard[K]:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def add(self, keys: Iterable[K]) -> None:
        """Register tasks that are not on the board yet, as UNKNOWN."""
        listed = list(keys)
        self.check_keys(listed)
        self._change(
            dict.fromkeys(listed, (TaskStatus.UNKNOWN, None, None)), only_new=True
        )

    def update(
        self,
        key: K,
        status: TaskStatus | str,
        result: object = None,
        *,
        version: Version | None = None,
    ) -> bool:
        """Merge one update into the record of ``key``; return whether it changed.

        ``status`` is a member or a string (read with `coerce_status`). A key
        not on the board yet is added.

        Raises:
            ValueError: Lifecycle and operation statuses mixed for one task,
                or (durable board) a result that is not JSON data.
            TypeError: A bad version, or (durable board) a key that is not a
                string.
        """
        if not isinstance(status, TaskStatus):
            status = coerce_status(status)
        if version is not None:
            _check_version(version)
        # acquire/release rather than `with`: on 3.12 the with statement costs
        # more than the rest of an update that changes nothing.
        self._lock.acquire()
        try:
            changed = self._store.put(key, status, result, version, time.time())
            if changed and (self._waiting or self._watchers):
                self._wake()
        finally:
            self._lock.release()
        return changed

    def get(self, key: K) -> TaskRecord | None:
        """Return the record of ``key``, or ``None`` if it is not on the board."""
        with self._lock:
            return self._store.get([key]).get(key)

    def records(self, keys: Iterable[K] | None = None) -> dict[K, TaskRecord]:
        """Return the records of ``keys`` (default: all) that are on the board."""
        with self._lock:
            if keys is None:
                return dict(self._store.all())
            return self._store.get(list(keys))

    def pending(self) -> list[K]:
        """Return the keys of the tasks not settled, in the order they came."""
        with self._lock:
            return self._store.keys(settled=False)

    def settled(self) -> list[K]:
        """Return the keys of the settled tasks (terminal or SKIPPED)."""
        with self._lock:
            return self._store.keys(settled=True)

    def summary(self) -> StatusSummary:
        """Count the tasks of the board by status, and roll them up into one."""
        counts = dict.fromkeys(TaskStatus, 0)
        with self._lock:
            counts.update(self._store.counts())
        return StatusSummary(MappingProxyType(counts))

    def wait(
        self, keys: Iterable[K] | None = None, *, timeout: float | None = None
    ) -> dict[K, TaskRecord]:
        """Block until the tasks of ``keys`` (default: all on the board) settle.

        Wakes when an update settles them, in this process or, for a durable
        board, in another one (checked every `FILE_CHECK_INTERVAL` seconds).

        Returns:
            The records by key, in the order of ``keys``.

        Raises:
            BatchTimeoutError: ``timeout`` seconds passed first; ``done`` and
                ``pending`` hold the records (``None`` for a key never seen).
        """
        deadline = Deadline(_timeout(timeout), time.monotonic)
        wanted = self._wanted(keys)
        with self._changed:
            while True:
                records = self._finished(wanted, deadline)
                if records is not None:
                    return records
                pause = FILE_CHECK_INTERVAL if self._store.shared else None
                self._waiting += 1
                try:
                    self._changed.wait(
                        deadline.cap(pause) if pause else deadline.remaining()
                    )
                finally:
                    self._waiting -= 1

    async def wait_async(
        self, keys: Iterable[K] | None = None, *, timeout: float | None = None
    ) -> dict[K, TaskRecord]:
        """Await until the tasks of ``keys`` settle: `wait` for asyncio."""
        import asyncio  # noqa: PLC0415 - synchronous users never pay for it

        deadline = Deadline(_timeout(timeout), time.monotonic)
        wanted = self._wanted(keys)
        loop = asyncio.get_running_loop()
        changed = asyncio.Event()

        def wake() -> None:
            loop.call_soon_threadsafe(changed.set)

        with self._lock:
            self._watchers.add(wake)
        try:
            while True:
                changed.clear()
                with self._lock:
                    records = self._finished(wanted, deadline)
                if records is not None:
                    return records
                pause = FILE_CHECK_INTERVAL if self._store.shared else None
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(
                        changed.wait(),
                        deadline.cap(pause) if pause else deadline.remaining(),
                    )
        finally:
            with self._lock:
                self._watchers.discard(wake)

    # --- for poll_many ----------------------------------------------------

    def merge(
        self, updates: Mapping[K, tuple[TaskStatus, object]]
    ) -> dict[K, TaskRecord]:
        """Merge many updates in one transaction; return every key's record."""
        return self._change(
            {key: (status, result, None) for key, (status, result) in updates.items()},
            keep_all=True,
        )

    def check_keys(self, keys: Iterable[K]) -> None:
        """Raise TypeError if the board cannot hold one of ``keys``."""
        for key in keys:
            self._store.check(key, None)

    # --- inside -----------------------------------------------------------

    def _change(
        self,
        updates: Mapping[K, tuple[TaskStatus, object, Version | None]],
        *,
        only_new: bool = False,
        keep_all: bool = False,
    ) -> dict[K, TaskRecord]:
        """Apply updates in one transaction; return the changed records.

        With ``keep_all``, every record of the updated keys is returned.
        """
        for key, (_, result, version) in updates.items():
            self._store.check(key, result)
            _check_version(version)
        stamp = time.time()
        with self._lock:
            with self._store.transaction(list(updates)) as records:
                changed: dict[K, TaskRecord] = {}
                for key, (status, result, version) in updates.items():
                    current = records.get(key)
                    if only_new and current is not None:
                        continue
                    new = merged_record(current, status, result, version, stamp)
                    if new is not None:
                        records[key] = changed[key] = new
                kept = dict(records) if keep_all else changed
            if changed:
                self._wake()
        return kept

    def _wake(self) -> None:
        """Tell the waiters that records changed; the lock is held."""
        if self._waiting:
            self._changed.notify_all()
        for wake in list(self._watchers):
            wake()

    def _wanted(self, keys: Iterable[K] | None) -> list[K]:
        if keys is None:
            return list(self.records())
        wanted = list(keys)
        self.check_keys(wanted)
        return wanted

    def _finished(
        self, wanted: list[K], deadline: Deadline
    ) -> dict[K, TaskRecord] | None:
        """Return the records if every wanted task settled; raise at the deadline."""
        records = self._store.get(wanted)
        if all(key in records and records[key].settled for key in wanted):
            return {key: records[key] for key in wanted}
        if deadline.reached():
            done = {
                k: records[k] for k in wanted if k in records and records[k].settled
            }
            pending = {k: records.get(k) for k in wanted if k not in done}
            statuses = {r.status if r else TaskStatus.UNKNOWN for r in pending.values()}
            status = statuses.pop() if len(statuses) == 1 else TaskStatus.IN_PROGRESS
            raise BatchTimeoutError(
                done,
                pending,
                status,
                0,
                deadline.elapsed(),
                f"timeout of {deadline.timeout:g} s",
            )
        return None


def _timeout(timeout: object) -> float | None:
    from ._checks import positive_number  # noqa: PLC0415

    return None if timeout is None else positive_number("timeout", timeout)


def _check_version(version: object) -> None:
    if version is None:
        return
    if isinstance(version, bool) or not isinstance(version, (int, float)):
        msg = f"version must be an int or a float, got {show_value(version)}"
        raise TypeError(msg)
    if isinstance(version, float) and not math.isfinite(version):
        msg = f"version must be finite, got {version}"
        raise ValueError(msg)


class _Store(Protocol[K]):
    """Where a board keeps its records; the board holds its lock around it."""

    shared: bool
    """Whether other processes may change the records (a file)."""

    def check(self, key: object, result: object) -> None:
        """Raise TypeError if ``key``, ValueError if ``result``, cannot be stored."""
        ...

    def get(self, keys: list[K]) -> dict[K, TaskRecord]:
        """Return the records of those ``keys`` that exist."""
        ...

    def all(self) -> Iterator[tuple[K, TaskRecord]]:
        """Yield every record, in the order the keys came."""
        ...

    def transaction(
        self, keys: list[K]
    ) -> contextlib.AbstractContextManager[dict[K, TaskRecord]]:
        """Give the records of ``keys`` to change; store the changes on exit."""
        ...

    def put(
        self,
        key: K,
        status: TaskStatus,
        result: object,
        version: Version | None,
        now: float,
    ) -> bool:
        """Check and merge one update (`merged_record`); return whether it changed.

        Raises:
            TypeError: A key the store cannot hold.
            ValueError: A result the store cannot hold.
        """
        ...

    def keys(self, *, settled: bool) -> list[K]:
        """Return the keys of the settled tasks, or of the others, in order."""
        ...

    def counts(self) -> dict[TaskStatus, int]:
        """Return how many tasks are in each status present."""
        ...

    def close(self) -> None:
        """Release what the store holds."""
        ...


class _MemoryStore(Generic[K]):
    """Records in a dict: any hashable key, any result."""

    shared = False

    def __init__(self) -> None:
        self._records: dict[K, TaskRecord] = {}

    def check(self, key: object, result: object) -> None:
        """Any hashable key will do, and any result."""
        try:
            hash(key)
        except TypeError:
            raise _unhashable(key) from None

    def close(self) -> None:
        """Nothing to release."""

    def get(self, keys: list[K]) -> dict[K, TaskRecord]:
        records = self._records
        return {key: records[key] for key in keys if key in records}

    def all(self) -> Iterator[tuple[K, TaskRecord]]:
        return iter(list(self._records.items()))

    def put(
        self,
        key: K,
        status: TaskStatus,
        result: object,
        version: Version | None,
        now: float,
    ) -> bool:
        try:
            current = self._records.get(key)
        except TypeError:  # unhashable: checked here, where it costs nothing
            raise _unhashable(key) from None
        new = merged_record(current, status, result, version, now)
        if new is None:
            return False
        self._records[key] = new
        return True

    def keys(self, *, settled: bool) -> list[K]:
        return [
            key
            for key, record in self._records.items()
            if (record.status in SETTLED_STATUSES) is settled
        ]

    def counts(self) -> dict[TaskStatus, int]:
        counts: dict[TaskStatus, int] = {}
        for record in self._records.values():
            counts[record.status] = counts.get(record.status, 0) + 1
        return counts

    @contextmanager
    def transaction(self, keys: list[K]) -> Generator[dict[K, TaskRecord], None, None]:
        records = self.get(keys)
        yield records
        self._records.update(records)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    result TEXT NOT NULL,
    version,
    updated REAL NOT NULL
)
"""


class _SQLiteStore:
    """Records in one SQLite file: WAL mode, one transaction per change."""

    shared = True

    def __init__(self, path: str) -> None:
        self._path = path
        try:
            self._db = sqlite3.connect(
                path,
                timeout=BUSY_TIMEOUT,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as error:
            msg = f"cannot open the task board {show_value(path)}: {error}"
            raise ValueError(msg) from None
        try:
            self._prepare()
        except sqlite3.DatabaseError as error:
            self._db.close()
            msg = f"{show_value(path)} is not a task board file: {error}"
            raise ValueError(msg) from None
        except ValueError:
            self._db.close()
            raise

    def _prepare(self) -> None:
        db = self._db
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        format_version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if tables and application_id != BOARD_APPLICATION_ID:
            msg = f"{show_value(self._path)} is an SQLite file, but not a task board"
            raise ValueError(msg)
        if format_version > BOARD_FORMAT:
            msg = (
                f"{show_value(self._path)} is a task board of format "
                f"{format_version}, written by a newer taskstatus; this version "
                f"reads format {BOARD_FORMAT}"
            )
            raise ValueError(msg)
        db.execute("PRAGMA journal_mode=WAL")
        # In WAL mode, NORMAL makes every commit durable against a crash of
        # the process (the WAL is written before commit returns); only a
        # power cut may lose the last commits.
        db.execute("PRAGMA synchronous=NORMAL")
        if not tables:
            with self._write():
                db.execute(_SCHEMA)
                db.execute(f"PRAGMA application_id={BOARD_APPLICATION_ID}")
                db.execute(f"PRAGMA user_version={BOARD_FORMAT}")

    @contextmanager
    def _write(self) -> Generator[None, None, None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def check(self, key: object, result: object) -> None:
        """Keys must be strings; results are checked as they are written."""
        if not isinstance(key, str):
            msg = f"keys of a durable board must be strings, got {show_value(key)}"
            raise TypeError(msg)

    def get(self, keys: list[str]) -> dict[str, TaskRecord]:
        found: dict[str, TaskRecord] = {}
        for start in range(0, len(keys), 500):  # SQLite limits parameters
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                "SELECT key, status, result, version, updated FROM tasks "
                f"WHERE key IN ({marks})",
                chunk,
            )
            found.update((row[0], _record(row)) for row in rows)
        return {key: found[key] for key in keys if key in found}

    def all(self) -> Iterator[tuple[str, TaskRecord]]:
        rows = self._db.execute(
            "SELECT key, status, result, version, updated FROM tasks ORDER BY rowid"
        ).fetchall()
        return ((row[0], _record(row)) for row in rows)

    @contextmanager
    def transaction(
        self, keys: list[str]
    ) -> Generator[dict[str, TaskRecord], None, None]:
        with self._write():
            records = self.get(keys)
            before = dict(records)
            yield records
            self._db.executemany(
                "INSERT INTO tasks (key, status, result, version, updated) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                "status = excluded.status, result = excluded.result, "
                "version = excluded.version, updated = excluded.updated",
                [
                    (
                        key,
                        _VALUES[record.status],
                        _json(key, record.result),
                        record.version,
                        record.updated,
                    )
                    for key, record in records.items()
                    if before.get(key) is not record
                ],
            )

    def put(
        self,
        key: str,
        status: TaskStatus,
        result: object,
        version: Version | None,
        now: float,
    ) -> bool:
        self.check(key, result)
        with self.transaction([key]) as records:
            new = merged_record(records.get(key), status, result, version, now)
            if new is not None:
                records[key] = new
        return new is not None

    def keys(self, *, settled: bool) -> list[str]:
        marks = ",".join("?" * len(SETTLED_STATUSES))
        operator = "IN" if settled else "NOT IN"
        rows = self._db.execute(
            f"SELECT key FROM tasks WHERE status {operator} ({marks}) ORDER BY rowid",
            [status.value for status in SETTLED_STATUSES],
        )
        return [row[0] for row in rows]

    def counts(self) -> dict[TaskStatus, int]:
        rows = self._db.execute("SELECT status, count(*) FROM tasks GROUP BY status")
        counts: dict[TaskStatus, int] = {}
        for status, count in rows:
            counts[coerce_status(status)] = counts.get(coerce_status(status), 0) + count
        return counts

    def close(self) -> None:
        self._db.close()


def _unhashable(key: object) -> TypeError:
    return TypeError(f"task keys must be hashable, got {show_value(key)}")


_VALUES = {status: status.value for status in TaskStatus}


def _json(key: str, result: object) -> str:
    """Return a result as JSON text; a ValueError (rolling back) if it is none."""
    try:
        # The default arguments: json.dumps then reuses one cached encoder.
        return json.dumps(result)
    except (TypeError, ValueError, RecursionError):
        msg = (
            f"the result for {show_value(key)} must be JSON data to go on a "
            f"durable board, got {show_value(result)}"
        )
        raise ValueError(msg) from None


def _record(row: tuple[Any, ...]) -> TaskRecord:
    _, status, result, version, updated = row
    return TaskRecord(coerce_status(status), json.loads(result), version, updated)

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

from ._checks import finite_number
from ._errors import (
    BatchTimeoutError,
    BoardLockedError,
    pending_status,
    show_value,
)
from ._parse import coerce_status, parse_status
from ._policy import Deadline
from ._result import StatusSummary
from ._status import SETTLED_STATUSES, TERMINAL_STATUSES, TaskStatus
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

LOCK_TIMEOUT = 30.0
"""Seconds a write waits, by default, for another process's write to end
before it raises `BoardLockedError`."""

MAX_RESULT_DEPTH = 256
"""The deepest nesting of lists and dicts a board takes in a result."""

_LONGEST_INT = 10**4000
"""Ints in results stay below this: Python 3.11+ refuses to read back JSON
numbers of more than 4,300 digits."""

_VERSION_RANGE = (-(2**63), 2**63 - 1)
"""What SQLite's 64-bit integers hold: the int versions a board takes."""


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
        self._start(_MemoryStore())

    def _start(self, store: _Store[K]) -> None:
        """Set the board up on ``store``: what both constructors share."""
        self._store = store
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._watchers: set[Callable[[], object]] = set()
        self._waiting = 0  # threads in wait(): only then is notifying worth it
        # Reads of the memory store share the lock of writes; a file store
        # guards its own reader, so that reads never wait behind a write
        # that waits for another process.
        self._reads: contextlib.AbstractContextManager[object] = (
            contextlib.nullcontext() if store.shared else self._lock
        )

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        read_only: bool = False,
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> TaskBoard[str]:
        """Open (or create) a durable board in the SQLite file at ``path``.

        A new file is created readable and writable by its owner only
        (0600): results and keys may be private. The file is checked before
        this returns, so that a board that cannot be used fails here and
        not in the middle of a batch.

        Args:
            path: The board file.
            read_only: Only read the file: never create it, never write to
                it (nor lock it), and accept a file in a folder that cannot
                be written. Updates are then refused.
            lock_timeout: Seconds a write waits for another process's
                write to end before it raises `BoardLockedError`.

        Raises:
            ValueError: The file is not a task board, is damaged, cannot be
                written (without ``read_only``), or was written in a newer
                format than this version reads.
            BoardLockedError: Another process kept the file locked for
                ``lock_timeout`` seconds while it was being set up.
        """
        from ._checks import check_flag, positive_number  # noqa: PLC0415

        check_flag("read_only", read_only)
        timeout = positive_number("lock_timeout", lock_timeout)
        store = _SQLiteStore(os.fspath(path), read_only, timeout)
        board = cast("TaskBoard[str]", TaskBoard.__new__(TaskBoard))
        board._start(store)
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
        """Register tasks that are not on the board yet, as UNKNOWN.

        A task on the board already is left as it is: an UNKNOWN update only
        ever creates a record (`merged_record`).
        """
        listed = list(keys)
        self.check_keys(listed)
        self._change(dict.fromkeys(listed, (TaskStatus.UNKNOWN, None)))

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

        Both boards take the same results: JSON data that reads back equal
        (dicts with string keys, lists, strings, finite numbers, booleans,
        ``None``), so that code tried on a board in memory works on a file.

        Raises:
            ValueError: Lifecycle and operation statuses mixed for one task,
                a result that is not such JSON data, or a version outside
                the 64-bit integers; (durable board) a file that cannot be
                written.
            TypeError: A version that is not a number, or (durable board) a
                key that is not a string.
            BoardLockedError: (durable board) Another process kept the file
                locked for the board's ``lock_timeout``.
        """
        if not isinstance(status, TaskStatus):
            status = coerce_status(status)
        if version is not None:
            _check_version(version)
        if result is not None:
            check_result(key, result)
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
        with self._reads:
            return self._store.get([key]).get(key)

    def records(self, keys: Iterable[K] | None = None) -> dict[K, TaskRecord]:
        """Return the records of ``keys`` (default: all) that are on the board."""
        with self._reads:
            if keys is None:
                return dict(self._store.all())
            return self._store.get(list(keys))

    def pending(self) -> list[K]:
        """Return the keys of the tasks not settled, in the order they came."""
        with self._reads:
            return self._store.keys(settled=False)

    def settled(self) -> list[K]:
        """Return the keys of the settled tasks (terminal or SKIPPED)."""
        with self._reads:
            return self._store.keys(settled=True)

    def summary(self) -> StatusSummary:
        """Count the tasks of the board by status, and roll them up into one."""
        counts = dict.fromkeys(TaskStatus, 0)
        with self._reads:
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
        return self._change(updates)

    def check_keys(self, keys: Iterable[K]) -> None:
        """Raise TypeError if the board cannot hold one of ``keys``."""
        for key in keys:
            self._store.check(key)

    # --- inside -----------------------------------------------------------

    def _change(
        self, updates: Mapping[K, tuple[TaskStatus, object]]
    ) -> dict[K, TaskRecord]:
        """Apply updates (without versions) in one transaction.

        Returns:
            The record of every updated key after the transaction.
        """
        for key, (_, result) in updates.items():
            self._store.check(key)
            if result is not None:
                check_result(key, result)
        stamp = time.time()
        with self._lock:
            with self._store.transaction(list(updates)) as records:
                changed = False
                for key, (status, result) in updates.items():
                    new = merged_record(records.get(key), status, result, None, stamp)
                    if new is not None:
                        records[key] = new
                        changed = True
                kept = dict(records)
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
            status = pending_status(
                None if r is None else r.status for r in pending.values()
            )
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
    finite_number("version", version)  # no bool, no NaN, no infinity
    low, high = _VERSION_RANGE
    if isinstance(version, int) and not low <= version <= high:
        msg = f"version must be a 64-bit integer, got {show_value(version)}"
        raise ValueError(msg)


def check_result(key: object, result: object) -> None:
    """Raise ValueError unless ``result`` is JSON data that reads back equal.

    That is: dicts with string keys, lists, strings, finite floats, ints of
    fewer than 4,000 digits, booleans and ``None``, nested at most
    `MAX_RESULT_DEPTH` deep. A tuple is refused, since it would come back as
    a list.
    """
    stack: list[tuple[object, int]] = [(result, 1)]
    while stack:
        value, depth = stack.pop()
        problem = _problem(value, depth, stack)
        if problem is not None:
            msg = (
                f"the result for {show_value(key)} must be JSON data that reads "
                f"back equal; it holds {problem}"
            )
            raise ValueError(msg)


def _problem(  # noqa: PLR0911 - one return per kind of value
    value: object, depth: int, stack: list[tuple[object, int]]
) -> str | None:
    """Say what makes ``value`` no JSON that reads back; push its children.

    One return per case, no `continue`: 3.9's coverage cannot see a
    `continue` at the end of a branch.
    """
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, int):
        big = not -_LONGEST_INT < value < _LONGEST_INT
        return "an int of more than 4,000 digits" if big else None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value!r}, which JSON cannot hold"
    if depth > MAX_RESULT_DEPTH:
        return f"nesting deeper than {MAX_RESULT_DEPTH} levels"
    if isinstance(value, list):
        items = cast("list[object]", value)
        stack.extend((item, depth + 1) for item in items)
        return None
    if isinstance(value, dict):
        mapping = cast("dict[object, object]", value)
        odd = next((name for name in mapping if not isinstance(name, str)), None)
        if odd is not None:
            return f"the key {show_value(odd)}, which is not a string"
        stack.extend((item, depth + 1) for item in mapping.values())
        return None
    if isinstance(value, tuple):
        return "a tuple, which would read back as a list"
    return f"{show_value(value)}, which is not JSON data"


class _Store(Protocol[K]):
    """Where a board keeps its records; the board holds its lock around it."""

    shared: bool
    """Whether other processes may change the records (a file)."""

    def check(self, key: object) -> None:
        """Raise TypeError if ``key`` cannot be stored."""
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

    def check(self, key: object) -> None:
        """Any hashable key will do."""
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
    """Records in one SQLite file: WAL mode, one transaction per change.

    Two connections: writes go through one, under the board's lock, and
    reads through the other, under a lock of their own, so that a read
    never waits behind a write that waits for another process.
    """

    shared = True

    def __init__(self, path: str, read_only: bool, lock_timeout: float) -> None:
        self._path = path
        self._lock_timeout = lock_timeout
        self._read_lock = threading.Lock()
        self._closed = False
        self._db: sqlite3.Connection | None = None
        try:
            if read_only:
                self._reader = _connect_read_only(path, lock_timeout)
            else:
                self._db = _connect(path, lock_timeout)
                self._reader = _connect(path, lock_timeout)
        except (OSError, sqlite3.Error) as error:
            self.close()
            raise self._error(error) from None
        try:
            self._prepare()
        except BaseException:
            self.close()
            raise

    def _prepare(self) -> None:
        """Check the file (making it a board if it is new and writable)."""
        try:
            if self._db is not None:
                _set_wal(self._db, self._lock_timeout)
                with self._write() as db:
                    self._check_format(db, create=True)
                    # Writing the header proves the file can be written.
                    db.execute(f"PRAGMA user_version={BOARD_FORMAT}")
            else:
                with self._read_lock:
                    self._check_format(self._reader, create=False)
            with self._read_lock:
                problem = self._reader.execute("PRAGMA quick_check(1)").fetchone()[0]
        except sqlite3.Error as error:
            raise self._error(error) from None
        if problem != "ok":
            raise self._damaged(safe_message(problem))

    def _check_format(self, db: sqlite3.Connection, *, create: bool) -> None:
        shown = show_value(self._path)
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        format_version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if not tables and create:
            db.execute(_SCHEMA)
            db.execute(f"PRAGMA application_id={BOARD_APPLICATION_ID}")
            return
        if application_id != BOARD_APPLICATION_ID:
            what = "an SQLite file, but not" if tables else "not yet"
            msg = f"{shown} is {what} a task board"
            raise ValueError(msg)
        if format_version > BOARD_FORMAT:
            msg = (
                f"{shown} is a task board of format {format_version}, written by "
                f"a newer taskstatus; this version reads format {BOARD_FORMAT}"
            )
            raise ValueError(msg)
        try:
            db.execute(f"SELECT {_COLUMNS} FROM tasks LIMIT 0")
        except sqlite3.OperationalError:
            msg = f"{shown} has the id of a task board, but not its tasks table"
            raise ValueError(msg) from None

    @contextmanager
    def _write(self) -> Generator[sqlite3.Connection, None, None]:
        """One write transaction: committed, or rolled back whatever stops it.

        BEGIN is inside the ``try``: an interrupt (Ctrl-C) landing just after
        it still rolls back. A transaction that an interrupt left open even
        so (in the middle of a rollback) is rolled back by the next write.
        """
        db = self._db
        self._check_open()
        if db is None:
            msg = f"the task board {show_value(self._path)} was opened read-only"
            raise ValueError(msg)
        try:
            if db.in_transaction:
                db.execute("ROLLBACK")
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException as error:
            if db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):
                raise self._error(error) from None
            raise

    def _check_open(self) -> None:
        if self._closed:
            msg = f"the task board {show_value(self._path)} is closed"
            raise ValueError(msg)

    def _error(self, error: BaseException) -> Exception:
        """The library's error for an sqlite3 (or OS) error on the file."""
        text = str(error)
        shown = show_value(self._path)
        if "locked" in text or "busy" in text:
            return BoardLockedError(self._path, self._lock_timeout)
        if "readonly" in text or isinstance(error, PermissionError):
            return ValueError(f"cannot write the task board {shown}: it is read-only")
        if isinstance(error, OSError):
            reason = error.strerror or text
            return ValueError(f"cannot open the task board {shown}: {reason}")
        if "not a database" in text or "unable to open" in text:
            return ValueError(f"{shown} is not a task board file: {text}")
        return self._damaged(text)

    def _damaged(self, detail: str) -> ValueError:
        return ValueError(
            f"the task board {show_value(self._path)} is damaged: {detail}"
        )

    def check(self, key: object) -> None:
        """Keys must be strings."""
        if not isinstance(key, str):
            msg = f"keys of a durable board must be strings, got {show_value(key)}"
            raise TypeError(msg)

    def _select(self, db: sqlite3.Connection, keys: list[str]) -> dict[str, TaskRecord]:
        found: dict[str, TaskRecord] = {}
        for start in range(0, len(keys), _MOST_PARAMETERS):
            chunk = keys[start : start + _MOST_PARAMETERS]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM tasks WHERE key IN ({marks})", chunk
            )
            found.update(self._records(rows))
        return {key: found[key] for key in keys if key in found}

    def _records(self, rows: Iterable[tuple[Any, ...]]) -> list[tuple[str, TaskRecord]]:
        """Read rows back into records; a row that cannot be read is damage."""
        records: list[tuple[str, TaskRecord]] = []
        for key, status, result, version, updated in rows:
            try:
                records.append((key, _record(key, status, result, version, updated)))
            except ValueError as error:
                raise self._damaged(str(error)) from None
        return records

    def _read(self, query: str, parameters: Iterable[object] = ()) -> list[Any]:
        """Run a read on the reader connection; sqlite3 errors become ours."""
        self._check_open()
        with self._read_lock:
            try:
                return self._reader.execute(query, tuple(parameters)).fetchall()
            except sqlite3.Error as error:
                raise self._error(error) from None

    def get(self, keys: list[str]) -> dict[str, TaskRecord]:
        self._check_open()
        with self._read_lock:
            try:
                return self._select(self._reader, keys)
            except sqlite3.Error as error:
                raise self._error(error) from None

    def all(self) -> Iterator[tuple[str, TaskRecord]]:
        rows = self._read(f"SELECT {_COLUMNS} FROM tasks ORDER BY rowid")
        return iter(self._records(rows))

    @contextmanager
    def transaction(
        self, keys: list[str]
    ) -> Generator[dict[str, TaskRecord], None, None]:
        with self._write() as db:
            records = self._select(db, keys)
            before = dict(records)
            yield records
            db.executemany(
                f"INSERT INTO tasks ({_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                "status = excluded.status, result = excluded.result, "
                "version = excluded.version, updated = excluded.updated",
                [
                    (
                        key,
                        _VALUES[record.status],
                        json.dumps(record.result, allow_nan=False),
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
        self.check(key)
        with self.transaction([key]) as records:
            new = merged_record(records.get(key), status, result, version, now)
            if new is not None:
                records[key] = new
        return new is not None

    def keys(self, *, settled: bool) -> list[str]:
        marks = ",".join("?" * len(SETTLED_STATUSES))
        operator = "IN" if settled else "NOT IN"
        rows = self._read(
            f"SELECT key FROM tasks WHERE status {operator} ({marks}) ORDER BY rowid",
            [status.value for status in SETTLED_STATUSES],
        )
        return [row[0] for row in rows]

    def counts(self) -> dict[TaskStatus, int]:
        rows = self._read("SELECT status, count(*) FROM tasks GROUP BY status")
        counts: dict[TaskStatus, int] = {}
        for value, count in rows:
            try:
                status = _stored_status(value)
            except ValueError as error:
                raise self._damaged(str(error)) from None
            counts[status] = counts.get(status, 0) + count
        return counts

    def close(self) -> None:
        # Closing rolls back a transaction an interrupt left open.
        self._closed = True
        for db in (self._db, getattr(self, "_reader", None)):
            if db is not None:
                db.close()


_COLUMNS = "key, status, result, version, updated"

_MOST_PARAMETERS = 500
"""Keys asked for in one SELECT: older SQLite builds allow 999 parameters."""


def _connect(path: str, lock_timeout: float) -> sqlite3.Connection:
    """Open ``path`` for reading and writing, creating it 0600 if it is new."""
    # Created here, not by SQLite, which would make it 0644: readable by all.
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    return sqlite3.connect(
        path, timeout=lock_timeout, isolation_level=None, check_same_thread=False
    )


def _connect_read_only(path: str, lock_timeout: float) -> sqlite3.Connection:
    """Open ``path`` for reading only; it must exist, and nothing is written.

    A board with no WAL file beside it was closed cleanly and has no writer
    at work, so it is read as an immutable file: SQLite then creates no
    WAL and shared-memory files beside it, and a folder that cannot be
    written is no obstacle. With a WAL file, a writer may be at work, and
    the file is read as SQLite reads a WAL database, its commits included.
    """
    from pathlib import Path  # noqa: PLC0415

    location = Path(path).absolute()
    if not location.is_file():
        raise FileNotFoundError(2, "No such file", path)
    quiet = not location.with_name(location.name + "-wal").exists()
    uri = f"{location.as_uri()}?mode=ro" + ("&immutable=1" if quiet else "")
    return sqlite3.connect(
        uri,
        uri=True,
        timeout=lock_timeout,
        isolation_level=None,
        check_same_thread=False,
    )


def _set_wal(db: sqlite3.Connection, lock_timeout: float) -> None:
    """Switch the file to WAL mode, waiting for other openers that hold it.

    Changing the journal mode of a new file needs it alone for an instant,
    and SQLite may answer "locked" at once, without waiting, when several
    processes open one new file together: so this waits itself.
    """
    deadline = time.monotonic() + lock_timeout
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)
            continue
        # In WAL mode, NORMAL makes every commit durable against a crash of
        # the process (the WAL is written before commit returns); only a
        # power cut may lose the last commits.
        db.execute("PRAGMA synchronous=NORMAL")
        return


def _unhashable(key: object) -> TypeError:
    return TypeError(f"task keys must be hashable, got {show_value(key)}")


_VALUES = {status: status.value for status in TaskStatus}


def safe_message(text: object) -> str:
    """SQLite's own words, cut short."""
    return show_value(str(text))


def _stored_status(value: object) -> TaskStatus:
    if not isinstance(value, str):
        msg = f"a status of {show_value(value)}"
        raise ValueError(msg)
    return parse_status(value)


def _record(
    key: object, status: object, result: object, version: object, updated: object
) -> TaskRecord:
    """Check and read one row; raise ValueError naming what is wrong."""
    if not isinstance(key, str):
        msg = f"a key of {show_value(key)}"
        raise ValueError(msg)
    try:
        member = _stored_status(status)
        if not isinstance(result, str):
            raise ValueError(f"a result of {show_value(result)}")
        value = json.loads(result)
        _check_version(version)
        if isinstance(updated, bool) or not isinstance(updated, (int, float)):
            raise ValueError(f"a time of {show_value(updated)}")
    except (TypeError, ValueError, RecursionError) as error:
        msg = f"the record of {show_value(key)} holds {error}"
        raise ValueError(msg) from None
    return _new_record(
        TaskRecord, (member, value, cast("Version | None", version), updated)
    )

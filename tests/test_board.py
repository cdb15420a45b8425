"""TaskBoard: merged records in memory and in SQLite, waiting, and poll_many."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import (
    board_id_without_table,
    damaged_board,
    lock_held,
    not_a_board,
    without_coverage_env,
)
from taskstatus import (
    BatchError,
    BatchTimeoutError,
    BoardLockedError,
    TaskBoard,
    TaskRecord,
    TaskStatus,
    poll_many,
    poll_many_async,
)
from taskstatus._board import (
    BOARD_FORMAT,
    LOCK_TIMEOUT,
    MAX_RESULT_DEPTH,
    _set_wal,  # pyright: ignore[reportPrivateUsage]
)
from taskstatus._errors import pending_status
from taskstatus.testing import FakeClock


@pytest.fixture(params=["memory", "file"])
def board(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TaskBoard[str]]:
    """A board in memory, and one in a SQLite file: the same behaviour."""
    if request.param == "memory":
        yield TaskBoard()
        return
    with TaskBoard.open(tmp_path / "jobs.db") as durable:
        yield durable


# --- merging updates ------------------------------------------------------


def test_update_creates_and_merges(board: TaskBoard[str]) -> None:
    """A new key is created; a later report moves it on; True when it changed."""
    assert board.update("a", "PENDING")
    assert board.update("a", TaskStatus.PROCESSING, {"done": 3})
    record = board.get("a")
    assert record is not None
    assert (TaskStatus.PROCESSING, {"done": 3}, None) == (
        record.status,
        record.result,
        record.version,
    )
    assert time.time() - record.updated < 60
    assert board.get("nope") is None


def test_an_update_that_changes_nothing_is_false(board: TaskBoard[str]) -> None:
    """Same status, version and result: False, and the record is untouched."""
    board.update("a", "PENDING", {"n": 1}, version=2)
    before = board.get("a")
    assert not board.update("a", "PENDING", {"n": 1}, version=2)
    assert before == board.get("a")
    assert board.update("a", "PENDING", {"n": 2}, version=2)  # a new result


def test_a_terminal_status_is_final(board: TaskBoard[str]) -> None:
    """After COMPLETED, neither a late IN_PROGRESS nor a FAILED changes it."""
    board.update("a", "COMPLETED", {"rows": 10})
    assert not board.update("a", "IN_PROGRESS", {"rows": 1})
    assert not board.update("a", "FAILED")
    assert TaskRecord(TaskStatus.COMPLETED, {"rows": 10}) == _without_time(board, "a")


def test_stale_versions_are_ignored(board: TaskBoard[str]) -> None:
    """An update older than the record is stale; a newer one is taken."""
    board.update("a", "IN_PROGRESS", {"p": 50}, version=5)
    assert not board.update("a", "IN_PROGRESS", {"p": 10}, version=3)
    assert board.update("a", "IN_PROGRESS", {"p": 60}, version=6)
    assert {"p": 60} == _without_time(board, "a").result


def test_a_terminal_status_wins_whatever_its_version(board: TaskBoard[str]) -> None:
    """A terminal status arriving with an old version is still final."""
    board.update("a", "PROCESSING", version=10)
    assert board.update("a", "FAILED", version=1)
    assert TaskStatus.FAILED == _without_time(board, "a").status


def test_operations_never_move_back_even_with_newer_versions(
    board: TaskBoard[str],
) -> None:
    """PENDING with a newer version does not undo PROCESSING."""
    board.update("a", "PROCESSING", version=1)
    assert not board.update("a", "PENDING", version=2)
    assert TaskStatus.PROCESSING == _without_time(board, "a").status


def test_unknown_never_overwrites(board: TaskBoard[str]) -> None:
    """A status nobody knows (read as UNKNOWN) leaves the record as it is."""
    board.update("a", "PENDING")
    assert not board.update("a", "REHYDRATING")  # coerce_status: UNKNOWN
    assert TaskStatus.PENDING == _without_time(board, "a").status


def test_lifecycle_statuses_follow_versions(board: TaskBoard[str]) -> None:
    """Lifecycle statuses move both ways, ordered by version, else by arrival."""
    board.update("bucket", "ACTIVE", version=1)
    board.update("bucket", "SUSPENDED", version=3)
    assert not board.update("bucket", "ACTIVE", version=2)  # stale
    assert board.update("bucket", "ACTIVE", version=4)
    assert board.update("bucket", "ARCHIVED")  # no version: arrival order
    assert TaskStatus.ARCHIVED == _without_time(board, "bucket").status


def test_mixing_lifecycle_and_operation_is_refused(board: TaskBoard[str]) -> None:
    """One key cannot be a bucket and a job."""
    board.update("a", "ACTIVE")
    with pytest.raises(ValueError, match="lifecycle and operation"):
        board.update("a", "PENDING")
    with pytest.raises(ValueError, match="lifecycle and operation"):
        board.update("a", "PENDING", version=-1)  # even when stale


def test_add_registers_unknown_tasks_once(board: TaskBoard[str]) -> None:
    """add() puts new keys on the board as UNKNOWN and leaves known ones alone."""
    board.update("a", "PENDING")
    board.add(["a", "b", "c"])
    assert [TaskStatus.PENDING, TaskStatus.UNKNOWN, TaskStatus.UNKNOWN] == [
        _without_time(board, key).status for key in "abc"
    ]
    assert board.update("b", "DRAFT")  # anything replaces UNKNOWN


def test_pending_settled_and_summary(board: TaskBoard[str]) -> None:
    """pending() is every key not settled, DRAFT included; order of arrival."""
    for key, status in [
        ("a", "DRAFT"),
        ("b", "COMPLETED"),
        ("c", "PENDING"),
        ("d", "SKIPPED"),
        ("e", "FAILED"),
    ]:
        board.update(key, status)
    assert ["a", "c"] == board.pending()
    assert ["b", "d", "e"] == board.settled()
    summary = board.summary()
    assert (5, TaskStatus.IN_PROGRESS) == (summary.total, summary.overall)
    assert 1 == summary.counts[TaskStatus.DRAFT]


@pytest.mark.parametrize(
    ("version", "error"),
    [("1", TypeError), (True, TypeError), (float("nan"), ValueError)],
)
def test_bad_versions_are_refused(
    board: TaskBoard[str], version: object, error: type[Exception]
) -> None:
    """Versions are ints or finite floats."""
    with pytest.raises(error, match="version must be"):
        board.update("a", "PENDING", version=version)  # type: ignore[arg-type]


def _without_time(board: TaskBoard[Any], key: object) -> TaskRecord:
    record = board.get(key)
    assert record is not None
    return TaskRecord(record.status, record.result, record.version)


# --- for any arrival order ------------------------------------------------

LIFE = [
    TaskStatus.DRAFT,
    TaskStatus.PENDING,
    TaskStatus.PENDING,
    TaskStatus.IN_PROGRESS,
    TaskStatus.PROCESSING,
    TaskStatus.IN_PROGRESS,
]


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[TaskStatus, int]]:
    """A plausible task life: in-flight steps, maybe one terminal end, versioned.

    Unreadable reports (UNKNOWN) are mixed in anywhere.
    """
    steps = draw(st.lists(st.sampled_from(LIFE), min_size=1, max_size=8))
    steps.sort(key=LIFE.index)  # a real task only moves forward
    end = draw(st.none() | st.sampled_from(sorted(TERMINAL)))
    if end is not None:
        steps.append(end)
    noise = draw(st.lists(st.integers(0, len(steps)), max_size=3))
    for position in sorted(noise, reverse=True):
        steps.insert(position, TaskStatus.UNKNOWN)
    return [(status, version) for version, status in enumerate(steps)]


TERMINAL = {
    TaskStatus.COMPLETED,
    TaskStatus.COMPLETED_WITH_ERRORS,
    TaskStatus.FAILED,
    TaskStatus.CANCELED,
}


@settings(max_examples=300)
@given(history=histories(), arrival=st.randoms(use_true_random=False))
def test_any_arrival_order_gives_the_in_order_result(
    history: list[tuple[TaskStatus, int]], arrival: random.Random
) -> None:
    """Shuffled, versioned updates merge to what the updates in order give.

    On the way, a terminal status once reached is never left, and UNKNOWN
    never overwrites a record.
    """
    in_order, shuffled = TaskBoard[str](), TaskBoard[str]()
    for status, version in history:
        in_order.update("t", status, {"v": version}, version=version)
    updates = list(history)
    arrival.shuffle(updates)
    for status, version in updates:
        before = shuffled.get("t")
        shuffled.update("t", status, {"v": version}, version=version)
        after = shuffled.get("t")
        assert after is not None
        if before is not None and before.status in TERMINAL:
            assert before.status is after.status
        if before is not None and status is TaskStatus.UNKNOWN:
            assert before == after
    assert _without_time(in_order, "t") == _without_time(shuffled, "t")


# --- the durable board ----------------------------------------------------


def test_the_file_keeps_every_update(tmp_path: Path) -> None:
    """Closed and opened again, the board holds what was written, in order."""
    path = tmp_path / "jobs.db"
    with TaskBoard.open(path) as board:
        board.update("a", "COMPLETED", {"rows": [1, 2]}, version=7)
        board.update("b", "PENDING")
    with TaskBoard.open(str(path)) as board:
        assert ["a", "b"] == list(board.records())
        assert TaskRecord(TaskStatus.COMPLETED, {"rows": [1, 2]}, 7) == _without_time(
            board, "a"
        )


def test_the_file_is_a_versioned_sqlite_database_in_wal_mode(tmp_path: Path) -> None:
    """The documented format: application_id, user_version, WAL, one table."""
    path = tmp_path / "jobs.db"
    TaskBoard.open(path).close()
    with closing(sqlite3.connect(path)) as db:
        assert [0x54534231, BOARD_FORMAT, "wal"] == [
            db.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("application_id", "user_version", "journal_mode")
        ]
        columns = [row[1] for row in db.execute("PRAGMA table_info(tasks)")]
    assert ["key", "status", "result", "version", "updated"] == columns


def test_a_newer_format_is_refused(tmp_path: Path) -> None:
    """A board written by a newer taskstatus is never misread."""
    path = tmp_path / "jobs.db"
    TaskBoard.open(path).close()
    with closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA user_version={BOARD_FORMAT + 1}")
        db.commit()
    with pytest.raises(ValueError, match="format 2, written by a newer taskstatus"):
        TaskBoard.open(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not a database at all, just text" * 10, "is not a task board file")],
)
def test_a_file_that_is_no_board_is_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    """Opening something else fails with one clear error, and changes nothing."""
    path = tmp_path / "other.db"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        TaskBoard.open(path)
    assert content == path.read_bytes()


def test_another_sqlite_database_is_refused(tmp_path: Path) -> None:
    """An SQLite file of some other program is not taken for a board."""
    path = tmp_path / "other.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE things (x)")
        db.commit()
    with pytest.raises(ValueError, match="an SQLite file, but not a task board"):
        TaskBoard.open(path)


def test_a_board_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    """A path that cannot be created is a ValueError, not sqlite3's error."""
    with pytest.raises(ValueError, match="cannot open the task board"):
        TaskBoard.open(tmp_path / "no" / "such" / "folder" / "jobs.db")


_PENDING = (TaskStatus.PENDING, None)


def test_durable_keys_are_strings_and_results_json(tmp_path: Path) -> None:
    """The file holds string keys and JSON results; others are refused."""
    with TaskBoard.open(tmp_path / "jobs.db") as board:
        with pytest.raises(TypeError, match="keys of a durable board must be strings"):
            board.update(7, "PENDING")  # type: ignore[arg-type]
        mixed: dict[Any, tuple[TaskStatus, None]] = {"a": _PENDING, 7: _PENDING}
        with pytest.raises(TypeError, match="keys of a durable board must be strings"):
            board.merge(mixed)
        with pytest.raises(ValueError, match="must be JSON data"):
            board.update("a", "PENDING", {1, 2})
        assert board.get("a") is None  # nothing half-written


def test_memory_board_takes_any_hashable_key() -> None:
    """In memory, keys are any hashables; results are JSON data, as on a file."""
    board: TaskBoard[tuple[str, int]] = TaskBoard()
    result = {"rows": [1, 2]}
    board.update(("job", 1), "COMPLETED", result)
    assert result is _without_time(board, ("job", 1)).result
    with pytest.raises(ValueError, match="<object object at"):
        board.update(("job", 2), "COMPLETED", object())
    with pytest.raises(TypeError, match="task keys must be hashable"):
        board.update(["job"], "PENDING")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="task keys must be hashable"):
        board.add([["job"]])  # type: ignore[list-item]


def test_another_process_sees_committed_updates(tmp_path: Path) -> None:
    """A board open here sees what another process committed, at its next read."""
    path = tmp_path / "jobs.db"
    with TaskBoard.open(path) as board:
        board.add(["a"])
        run_child(f"b = TaskBoard.open({str(path)!r}); b.update('a', 'FAILED')")
        assert TaskStatus.FAILED == _without_time(board, "a").status


def run_child(code: str) -> subprocess.CompletedProcess[str]:
    """Run Python code that has TaskBoard imported, in a child process."""
    return subprocess.run(
        [sys.executable, "-c", f"from taskstatus import TaskBoard\n{code}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=without_coverage_env(),
    )


CRASHING_WRITER = """
import sys
from taskstatus import TaskBoard
board = TaskBoard.open(sys.argv[1])
for number in range(100_000):
    status = "PROCESSING" if number < 3000 else "COMPLETED"
    board.update(f"task-{number % 3000}", status, {"n": number}, version=number)
    print(number, flush=True)  # acknowledged: update() has returned
"""


@pytest.mark.parametrize("delay", [0.05, 0.2, 0.4])
def test_updates_survive_sigkill(tmp_path: Path, delay: float) -> None:
    """Every update acknowledged before SIGKILL is there; the file is intact."""
    path = tmp_path / "jobs.db"
    writer = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env=without_coverage_env(),
    )
    assert writer.stdout is not None
    first = writer.stdout.readline()  # the board file exists and works
    time.sleep(delay)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)
    acknowledged = [int(first), *(int(line) for line in writer.stdout.read().split())]
    writer.stdout.close()
    last = acknowledged[-1]
    with closing(sqlite3.connect(path)) as db:
        assert "ok" == db.execute("PRAGMA integrity_check").fetchone()[0]
    with TaskBoard.open(path) as board:
        records = board.records()
        for number in acknowledged:
            record = records[f"task-{number % 3000}"]
            assert record.version is not None
            assert record.version >= number
    assert last >= 0


# --- waiting --------------------------------------------------------------


def test_wait_wakes_when_the_tasks_settle(board: TaskBoard[str]) -> None:
    """A webhook thread settles the tasks; wait() returns their records."""
    board.add(["a", "b"])

    def webhook() -> None:
        time.sleep(0.05)
        board.update("a", "COMPLETED")
        board.update("b", "FAILED", {"why": "x"})

    thread = threading.Thread(target=webhook)
    thread.start()
    start = time.monotonic()
    records = board.wait(timeout=60)
    # Woken: a waiter left sleeping would wake only at its 60 s timeout.
    assert time.monotonic() - start < 30
    thread.join()
    assert ["a", "b"] == list(records)
    assert [TaskStatus.COMPLETED, TaskStatus.FAILED] == [
        r.status for r in records.values()
    ]


def test_wait_times_out_with_done_and_pending(board: TaskBoard[str]) -> None:
    """A timeout raises BatchTimeoutError with the records, settled or not."""
    board.update("a", "COMPLETED")
    board.update("b", "PENDING")
    with pytest.raises(BatchTimeoutError) as caught:
        board.wait(["a", "b", "never-seen"], timeout=0.05)
    assert ["a"] == list(caught.value.done)
    assert None is caught.value.pending["never-seen"]
    assert TaskStatus.PENDING == caught.value.pending["b"].status
    assert 0.05 <= caught.value.elapsed < 30


def test_wait_async_wakes_on_updates_from_a_thread(board: TaskBoard[str]) -> None:
    """An asyncio task waiting on the board wakes when a thread settles it."""
    board.add(["a"])

    async def scenario() -> dict[str, TaskRecord]:
        threading.Timer(0.05, board.update, ("a", "CANCELED")).start()
        return await board.wait_async(timeout=60)

    start = time.monotonic()
    assert TaskStatus.CANCELED == asyncio.run(scenario())["a"].status
    assert time.monotonic() - start < 30  # woken, not at the 60 s timeout


def test_wait_async_times_out(board: TaskBoard[str]) -> None:
    """wait_async respects its timeout like wait."""
    board.add(["a"])
    with pytest.raises(BatchTimeoutError):
        asyncio.run(board.wait_async(["a"], timeout=0.05))


def test_wait_sees_another_process(tmp_path: Path) -> None:
    """A durable board's wait wakes for updates committed by another process."""
    path = tmp_path / "jobs.db"
    with TaskBoard.open(path) as board:
        board.add(["a"])
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import time\nfrom taskstatus import TaskBoard\ntime.sleep(0.2)\n"
                f"TaskBoard.open({str(path)!r}).update('a', 'COMPLETED')",
            ],
            env=without_coverage_env(),
        )
        start = time.monotonic()
        records = board.wait(timeout=60)
        # Seen by a look at the file, not at the 60 s timeout.
        assert time.monotonic() - start < 30
        child.wait(timeout=20)
    assert TaskStatus.COMPLETED == records["a"].status


def test_wait_checks_its_timeout() -> None:
    """A bad timeout is refused before waiting."""
    with pytest.raises(ValueError, match="timeout must be greater than 0"):
        TaskBoard[str]().wait(timeout=0)


# --- poll_many with a board -----------------------------------------------


class Service:
    """Tasks on a FakeClock that end at given times; fetches are counted."""

    def __init__(self, ends: dict[str, float]) -> None:
        self.clock = FakeClock()
        self.ends = ends
        self.fetched: list[str] = []

    def fetch(self, key: str) -> dict[str, str]:
        """A poll of one task."""
        self.fetched.append(key)
        done = self.clock.monotonic() >= self.ends[key]
        return {"status": "COMPLETED" if done else "PENDING"}

    def run(
        self,
        board: TaskBoard[str],
        fetch: Callable[[str], dict[str, str]] | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """poll_many over the tasks with the board (and another fetch, if given)."""
        result: dict[str, Any] = poll_many(
            list(self.ends),
            fetch=fetch or self.fetch,
            board=board,
            jitter=False,
            sleep=self.clock.sleep,
            clock=self.clock.monotonic,
            **options,
        )
        return result


def test_a_board_record_is_done_if_settled_or_in_stop_on(
    board: TaskBoard[str],
) -> None:
    """SKIPPED is settled but not in stop_on; PROCESSING is in this stop_on only."""
    board.update("skipped", "SKIPPED", {"status": "SKIPPED"})
    board.update("processing", "PROCESSING", {"status": "PROCESSING"})
    board.update("pending", "PENDING", {"status": "PENDING"})
    tasks = {"skipped": 0.0, "processing": 0.0, "pending": 0.0, "new": 0.0}
    service = Service(tasks)
    result = service.run(
        board,
        stop_on={TaskStatus.COMPLETED, TaskStatus.PROCESSING},
        poll_on={TaskStatus.PENDING, TaskStatus.QUEUED, TaskStatus.IN_PROGRESS},
    )
    assert ["pending", "new"] == service.fetched
    assert {"status": "SKIPPED"} == result["skipped"]
    assert {"status": "PROCESSING"} == result["processing"]


def test_settled_tasks_on_the_board_are_not_polled(board: TaskBoard[str]) -> None:
    """What the board holds as settled is returned without a request."""
    board.update("a", "COMPLETED", {"status": "COMPLETED", "from": "webhook"})
    service = Service({"a": 0.0, "b": 0.0})
    result = service.run(board)
    assert ["b"] == service.fetched
    assert {"status": "COMPLETED", "from": "webhook"} == result["a"]


def test_every_result_is_merged_into_the_board(board: TaskBoard[str]) -> None:
    """Each poll lands on the board; the end state is there."""
    service = Service({"a": 3.0})
    service.run(board)
    assert [TaskStatus.COMPLETED] == [r.status for r in board.records().values()]


def test_a_webhook_settles_a_task_between_polls(board: TaskBoard[str]) -> None:
    """A task settled by a webhook meanwhile is not polled at its next turn."""
    service = Service({"a": 100.0, "b": 3.0})

    def webhook_after_first_poll(key: str, _: object) -> None:
        board.update("a", "FAILED", {"status": "FAILED"})

    original = service.fetch

    def fetch(key: str) -> dict[str, str]:
        answer = original(key)
        if key == "b":
            webhook_after_first_poll(key, answer)
        return answer

    result = service.run(board, fetch)
    assert ["a", "b", "b", "b"] == service.fetched
    assert {"status": "FAILED"} == result["a"]


def test_a_late_poll_loses_to_the_board(board: TaskBoard[str]) -> None:
    """A poll answered by a lagging replica cannot undo a webhook's COMPLETED."""
    board.update("a", "COMPLETED", {"status": "COMPLETED"})
    board.update("b", "PENDING")
    service = Service({"b": 100.0})

    def lagging(key: str) -> dict[str, str]:
        board.update("b", "COMPLETED", {"status": "COMPLETED", "via": "webhook"})
        return {"status": "IN_PROGRESS"}

    assert {"b": {"status": "COMPLETED", "via": "webhook"}} == service.run(
        board, lagging
    )


def test_results_before_an_exception_are_on_the_board(board: TaskBoard[str]) -> None:
    """When poll_many stops on an error, what it fetched is already kept."""
    answers = {"a": {"status": "IN_PROGRESS"}, "b": {"status": "SKIPPED"}}
    clock = FakeClock()
    with pytest.raises(BatchError, match="SKIPPED"):
        poll_many(
            ["a", "b"],
            fetch_many=lambda keys: {key: answers[key] for key in keys},
            board=board,
            sleep=clock.sleep,
            clock=clock.monotonic,
        )
    assert {"a": TaskStatus.IN_PROGRESS, "b": TaskStatus.SKIPPED} == {
        key: record.status for key, record in board.records().items()
    }


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({"no status": True}, TypeError),
        ({"status": "COMPLETED", "rate": float("nan")}, ValueError),
    ],
    ids=["no status", "not JSON"],
)
def test_one_bad_answer_keeps_the_good_ones_of_its_call(
    board: TaskBoard[str], bad: object, error: type[Exception]
) -> None:
    """fetch_many answers three; the good two are on the board, the bad raises."""
    clock = FakeClock()
    answers = {"a": {"status": "COMPLETED"}, "b": bad, "c": {"status": "FAILED"}}
    with pytest.raises(BatchError) as caught:
        poll_many(
            ["a", "b", "c"],
            fetch_many=lambda keys: answers,
            board=board,
            sleep=clock.sleep,
            clock=clock.monotonic,
        )
    assert isinstance(caught.value.__cause__, error)
    assert {"a": TaskStatus.COMPLETED, "c": TaskStatus.FAILED} == {
        key: record.status for key, record in board.records().items()
    }


def test_async_answers_of_the_same_step_as_an_error_are_on_the_board(
    board: TaskBoard[str],
) -> None:
    """One fetch raises while the others have answered: they are merged."""
    clock = FakeClock()

    async def fetch(key: str) -> dict[str, str]:
        if key == "bad":
            raise ConnectionError(key)
        return {"status": "COMPLETED"}

    with pytest.raises(BatchError):
        asyncio.run(
            poll_many_async(
                ["a", "bad", "c"],
                fetch=fetch,
                board=board,
                sleep=clock.asleep,
                clock=clock.monotonic,
            )
        )
    assert ["a", "c"] == board.settled()


def _cancelled_by_a_fetch(
    board: TaskBoard[str],
    keys: list[str],
    answer: Callable[[str, Callable[[], object]], Awaitable[dict[str, str]]],
) -> None:
    """Run poll_many_async on ``board``; ``answer(key, cancel)`` may cancel it."""
    clock = FakeClock()

    async def scenario() -> None:
        async def fetch(key: str) -> dict[str, str]:
            return await answer(key, batch.cancel)

        batch = asyncio.ensure_future(
            poll_many_async(
                keys,
                fetch=fetch,
                board=board,
                sleep=clock.asleep,
                clock=clock.monotonic,
            )
        )
        with pytest.raises(asyncio.CancelledError):
            await batch

    asyncio.run(scenario())


def test_async_an_answer_just_before_a_cancel_is_on_the_board(
    board: TaskBoard[str],
) -> None:
    """The batch is cancelled as a fetch answers: the answer is kept."""

    async def answer(key: str, cancel: Callable[[], object]) -> dict[str, str]:
        if key == "slow":
            await asyncio.Event().wait()
        cancel()  # lands before the loop records this answer
        return {"status": "COMPLETED"}

    _cancelled_by_a_fetch(board, ["slow", "quick"], answer)
    assert ["quick"] == board.settled()


def test_async_a_failure_just_before_a_cancel_is_not_on_the_board(
    board: TaskBoard[str],
) -> None:
    """Cancelled as one fetch fails and one answers: only the answer is kept."""

    async def answer(key: str, cancel: Callable[[], object]) -> dict[str, str]:
        if key == "bad":
            cancel()
            raise ConnectionError(key)
        return {"status": "COMPLETED"}

    _cancelled_by_a_fetch(board, ["good", "bad"], answer)
    assert {"good": TaskStatus.COMPLETED} == {
        key: record.status for key, record in board.records().items()
    }


def test_resume_after_a_crash_polls_only_the_unsettled(tmp_path: Path) -> None:
    """A new run with the reopened board asks only about unsettled tasks."""
    path = tmp_path / "jobs.db"
    service = Service({"quick": 0.0, "slow": 50.0})
    with TaskBoard.open(path) as board, pytest.raises(BatchTimeoutError):
        service.run(board, timeout=5)
    service.fetched.clear()
    with TaskBoard.open(path) as board:
        result = service.run(board)
    assert {"slow"} == set(service.fetched)
    assert ["quick", "slow"] == list(result)


def test_durable_board_needs_string_keys_before_any_fetch(tmp_path: Path) -> None:
    """poll_many with a durable board refuses other keys before fetching."""
    with TaskBoard.open(tmp_path / "jobs.db") as board, pytest.raises(TypeError):
        poll_many([1, 2], fetch=str, board=board)  # type: ignore[misc]


def test_poll_many_async_with_a_board(board: TaskBoard[str]) -> None:
    """The asyncio form keeps the board too."""
    board.update("a", "COMPLETED", {"status": "COMPLETED"})
    fetched: list[str] = []

    async def fetch(key: str) -> dict[str, str]:
        fetched.append(key)
        return {"status": "FAILED"}

    result = asyncio.run(poll_many_async(["a", "b"], fetch=fetch, board=board))
    assert (["b"], TaskStatus.FAILED) == (fetched, _without_time(board, "b").status)
    assert {"status": "COMPLETED"} == result["a"]


# --- two processes on one file --------------------------------------------

WEBHOOK_RECEIVER = """
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from taskstatus import TaskBoard

board = TaskBoard.open(sys.argv[1])

class Webhook(BaseHTTPRequestHandler):
    def do_POST(self):
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        board.update(event["id"], event["status"], event, version=event["seq"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", 0), Webhook)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def test_webhooks_and_polling_share_one_file(tmp_path: Path) -> None:
    """A webhook receiver in one process, poll_many in another, one board."""
    import urllib.request

    path = tmp_path / "jobs.db"
    TaskBoard.open(path).close()
    receiver = subprocess.Popen(
        [sys.executable, "-c", WEBHOOK_RECEIVER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env=without_coverage_env(),
    )
    try:
        assert receiver.stdout is not None
        port = int(receiver.stdout.readline())
        fetched: list[str] = []

        def send_webhook(task_id: str) -> None:
            event = {"id": task_id, "status": "COMPLETED", "seq": 9}
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/hook",
                data=json.dumps(event).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10):
                pass

        def fetch(task_id: str) -> dict[str, str]:
            fetched.append(task_id)
            if task_id == "t1" and fetched.count("t1") == 1:
                send_webhook("t2")  # t2 finishes while t1 is being polled
            return {"status": "PENDING" if fetched.count(task_id) < 3 else "COMPLETED"}

        with TaskBoard.open(path) as board:
            result = poll_many(
                ["t2", "t1"], fetch=fetch, board=board, initial_delay=0.01, jitter=False
            )
        assert 1 == fetched.count("t2")  # polled once, before the webhook
        assert {"id": "t2", "status": "COMPLETED", "seq": 9} == result["t2"]
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
        if receiver.stdout is not None:
            receiver.stdout.close()


# --- the board takes only what it can give back ---------------------------

RESULTS = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=5)
    | st.just(10**4000),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner)
        | st.dictionaries(st.text(max_size=3) | st.integers(), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=200)
@given(result=RESULTS)
def test_both_boards_take_the_same_results_and_give_them_back(result: object) -> None:
    """A result either board takes, the other takes; the file gives it back equal.

    What neither can give back (NaN, a tuple, a non-string key, a huge int)
    both refuse with a ValueError naming the key.
    """
    with tempfile.TemporaryDirectory() as folder:
        durable = TaskBoard.open(Path(folder, "jobs.db"))
        memory: TaskBoard[str] = TaskBoard()
        with durable:
            outcomes: list[str] = []
            for board in (memory, durable):
                try:
                    assert board.update("job", "COMPLETED", result)
                except ValueError as error:
                    outcomes.append(str(error))
                else:
                    outcomes.append("taken")
                    # The same update again changes nothing, on both.
                    assert not board.update("job", "COMPLETED", result)
            assert outcomes[0] == outcomes[1]
            if outcomes[0] == "taken":
                assert result == _without_time(durable, "job").result
            else:
                assert outcomes[0].startswith("the result for 'job' must be JSON")


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ({1: "a", "1": "b"}, "the key 1, which is not a string"),
        ([float("nan")], "nan, which JSON cannot hold"),
        ({"rate": float("inf")}, "inf, which JSON cannot hold"),
        ((1, 2), "a tuple, which would read back as a list"),
        ({"n": 10**4000}, "an int of more than 4,000 digits"),
        ([{1, 2}], "{1, 2}, which is not JSON data"),
    ],
)
def test_results_that_cannot_come_back_are_refused(
    board: TaskBoard[str], result: object, problem: str
) -> None:
    """The error names the key and what is wrong; nothing is written."""
    with pytest.raises(ValueError, match="the result for 'a' must be JSON data") as e:
        board.update("a", "COMPLETED", result)
    assert str(e.value).endswith(f"it holds {problem}")
    with pytest.raises(ValueError, match="must be JSON data"):
        board.merge({"a": (TaskStatus.COMPLETED, result)})
    assert board.get("a") is None


def test_results_nested_deeper_than_the_bound_are_refused(
    board: TaskBoard[str],
) -> None:
    """MAX_RESULT_DEPTH levels are taken; one more is refused."""
    deepest: object = "leaf"
    for _ in range(MAX_RESULT_DEPTH):
        deepest = [deepest]
    assert board.update("a", "COMPLETED", deepest)
    with pytest.raises(ValueError, match=f"nesting deeper than {MAX_RESULT_DEPTH}"):
        board.update("b", "COMPLETED", [deepest])


@pytest.mark.parametrize("version", [2**63, -(2**63) - 1])
def test_versions_outside_64_bits_are_refused(
    board: TaskBoard[str], version: int
) -> None:
    """Both boards refuse what SQLite's integers cannot hold, naming the value."""
    with pytest.raises(ValueError, match="version must be a 64-bit integer, got"):
        board.update("a", "PENDING", version=version)


@pytest.mark.parametrize("version", [2**63 - 1, -(2**63)])
def test_versions_at_the_64_bit_bounds_are_kept(
    board: TaskBoard[str], version: int
) -> None:
    """The largest and smallest 64-bit integers are stored and read back."""
    board.update("a", "PENDING", version=version)
    assert version == _without_time(board, "a").version


# --- the board file in the real world -------------------------------------


class Interrupting:
    """An sqlite3 connection that raises KeyboardInterrupt at one statement.

    ``after``: just after the statement ran (an interrupt at the boundary
    that follows it), else just before it.
    """

    def __init__(self, db: sqlite3.Connection, at: int, *, after: bool) -> None:
        self._db = db
        self._at = at
        self._after = after
        self.statements = 0

    @property
    def in_transaction(self) -> bool:
        """Whether the real connection has a transaction open."""
        return self._db.in_transaction

    def execute(self, *arguments: Any) -> Any:
        """Run one statement, interrupted if it is the chosen one."""
        return self._step(self._db.execute, arguments)

    def executemany(self, *arguments: Any) -> Any:
        """Run one statement for many rows, interrupted if it is the chosen one."""
        return self._step(self._db.executemany, arguments)

    def close(self) -> None:
        """Close the real connection."""
        self._db.close()

    def _step(self, run: Callable[..., Any], arguments: tuple[Any, ...]) -> Any:
        self.statements += 1
        chosen = self.statements == self._at
        if chosen and not self._after:
            raise KeyboardInterrupt
        outcome = run(*arguments)
        if chosen and self._after:
            raise KeyboardInterrupt
        return outcome


def _writes(board: TaskBoard[str], how: str) -> None:
    if how == "update":
        board.update("a", "COMPLETED", {"n": 1})
    else:
        board.merge(
            {"a": (TaskStatus.COMPLETED, {"n": 1}), "b": (TaskStatus.PENDING, None)}
        )


def _another_process_can_write(path: Path) -> None:
    with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # raises 'database is locked' if held
        other.execute("ROLLBACK")


@pytest.mark.parametrize("how", ["update", "merge"])
def test_an_interrupt_at_any_statement_leaves_the_board_usable(
    tmp_path: Path, how: str
) -> None:
    """Ctrl-C before or after any statement of a write: rolled back or committed.

    The file's write lock is never kept, and the board takes the next update.
    """
    path = tmp_path / "jobs.db"
    with TaskBoard.open(path) as board:
        store: Any = board._store  # pyright: ignore[reportPrivateUsage]
        real = store._db
        counting = Interrupting(real, 0, after=False)
        store._db = counting
        _writes(board, how)
        statements = counting.statements
        assert statements >= 3  # BEGIN, the reads and writes, COMMIT
        for at in range(1, statements + 1):
            for after in (False, True):
                board.update("a", "PENDING")  # a fresh start for each case
                store._db = Interrupting(real, at, after=after)
                with pytest.raises(KeyboardInterrupt):
                    _writes(board, how)
                assert not real.in_transaction, (at, after)
                _another_process_can_write(path)
                store._db = real
                board.update("z", "PENDING", version=at)
                assert at == _without_time(board, "z").version
                real.execute("DELETE FROM tasks")


def test_a_transaction_an_interrupt_left_open_is_rolled_back_by_the_next(
    tmp_path: Path,
) -> None:
    """Even an interrupt in the middle of the rollback cannot wedge the board."""
    path = tmp_path / "jobs.db"
    with TaskBoard.open(path) as board:
        store: Any = board._store  # pyright: ignore[reportPrivateUsage]
        store._db.execute("BEGIN IMMEDIATE")  # as if ROLLBACK never ran
        assert board.update("a", "COMPLETED")
        _another_process_can_write(path)
        assert TaskStatus.COMPLETED == _without_time(board, "a").status


def test_a_lock_held_by_another_process_ends_in_a_clear_error(tmp_path: Path) -> None:
    """A write gives up after lock_timeout, naming the file; nothing is kept."""
    path = tmp_path / "jobs.db"
    with TaskBoard.open(path, lock_timeout=0.2) as board:
        board.update("a", "PENDING")
        with lock_held(path):
            with pytest.raises(BoardLockedError) as error:
                board.update("a", "COMPLETED")
            assert isinstance(error.value, TimeoutError)
            assert (str(path), 0.2) == (error.value.path, error.value.waited)
            assert str(error.value) == (
                f"the task board {str(path)!r} stayed locked by another process "
                "for 0.2 s"
            )
            # Reads do not wait for the other process's writer.
            assert TaskStatus.PENDING == _without_time(board, "a").status
        assert board.update("a", "COMPLETED")  # usable once the lock is gone


def test_reads_do_not_wait_behind_a_write_waiting_for_a_lock(tmp_path: Path) -> None:
    """While one thread's update waits for another process, get() answers."""
    path = tmp_path / "jobs.db"
    with TaskBoard.open(path) as board:
        board.update("a", "PENDING")
        with lock_held(path):
            writer = threading.Thread(target=board.update, args=("a", "COMPLETED"))
            writer.start()
            lock = board._lock  # pyright: ignore[reportPrivateUsage]
            while not lock.locked():  # the writer is in its lock wait
                time.sleep(0.01)
            assert TaskStatus.PENDING == _without_time(board, "a").status
            assert ["a"] == board.pending()
            assert writer.is_alive()  # still waiting: the read did not
        writer.join(timeout=30)
        assert TaskStatus.COMPLETED == _without_time(board, "a").status


def test_a_lock_held_at_open_ends_in_a_clear_error(tmp_path: Path) -> None:
    """Opening for writing checks the lock too, within lock_timeout."""
    path = tmp_path / "jobs.db"
    TaskBoard.open(path).close()
    with lock_held(path), pytest.raises(BoardLockedError):
        TaskBoard.open(path, lock_timeout=0.1)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"lock_timeout": 0}, ValueError, "lock_timeout must be"),
        ({"lock_timeout": "1"}, TypeError, "lock_timeout must be"),
        ({"read_only": 1}, TypeError, "read_only must be True or False"),
    ],
)
def test_open_checks_its_options(
    tmp_path: Path, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    """Bad options are refused before the file is touched."""
    with pytest.raises(error, match=message):
        TaskBoard.open(tmp_path / "jobs.db", **options)
    assert not (tmp_path / "jobs.db").exists()


OPENER = """
import sys
from taskstatus import TaskBoard
sys.stdin.readline()  # the barrier: every opener starts at once
with TaskBoard.open(sys.argv[1]) as board:
    board.update(sys.argv[2], "COMPLETED")
print("ok", flush=True)
"""


@pytest.mark.parametrize("attempt", range(3))
def test_processes_opening_one_new_file_at_once_all_succeed(
    tmp_path: Path, attempt: int
) -> None:
    """Eight processes create one new board together: none is refused."""
    path = tmp_path / f"new-{attempt}.db"
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, str(path), f"task-{number}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=without_coverage_env(),
        )
        for number in range(8)
    ]
    outputs = [opener.communicate("go\n", timeout=60) for opener in openers]
    assert [("ok\n", "")] * 8 == outputs
    with TaskBoard.open(path) as board:
        assert 8 == board.summary().counts[TaskStatus.COMPLETED]


def test_a_new_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """Results may be private: a new board file is created 0600."""
    path = tmp_path / "jobs.db"
    with TaskBoard.open(path) as board:
        board.update("a", "PENDING")
        assert 0o600 == stat.S_IMODE(path.stat().st_mode)
        assert 0o600 == stat.S_IMODE(Path(f"{path}-wal").stat().st_mode)


def test_an_existing_file_keeps_its_permissions(tmp_path: Path) -> None:
    """The owner's choice for an existing file stands."""
    path = tmp_path / "jobs.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    TaskBoard.open(path).close()
    assert 0o640 == stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("read_only", [False, True])
def test_a_damaged_file_is_refused_at_open(tmp_path: Path, read_only: bool) -> None:
    """A file whose header is intact but one page is not: refused, named."""
    path = tmp_path / "jobs.db"
    damaged_board(path)
    with pytest.raises(ValueError, match=r"the task board '.*jobs.db' is damaged"):
        TaskBoard.open(path, read_only=read_only)


def _board_with_row(path: Path, row: tuple[object, ...]) -> None:
    TaskBoard.open(path).close()
    with closing(sqlite3.connect(path)) as db:
        db.execute("INSERT INTO tasks VALUES (?, ?, ?, ?, ?)", row)
        db.commit()


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (("a", "COMPLETED", "{not json", None, 0.0), "the record of 'a' holds"),
        ((b"a", "COMPLETED", "null", None, 0.0), "a key of b'a'"),
        (("a", "COMPLETED", "1" * 5000, None, 0.0), "the record of 'a' holds"),
        (("a", "DONE-ISH", "null", None, 0.0), "'DONE-ISH' is not a task status"),
        (("a", "COMPLETED", "null", "7", 0.0), "version must be"),
        (("a", "COMPLETED", "null", None, "noon"), "a time of 'noon'"),
        (("a", "COMPLETED", b"7", None, 0.0), "a result of b'7'"),
    ],
)
def test_a_row_that_cannot_be_read_is_damage_named(
    tmp_path: Path, row: tuple[object, ...], problem: str
) -> None:
    """Reading such a row is a ValueError naming the file and the record."""
    path = tmp_path / "jobs.db"
    _board_with_row(path, row)
    with (
        TaskBoard.open(path, read_only=True) as board,
        pytest.raises(ValueError, match="is damaged: ") as error,
    ):
        board.records()
    assert problem in str(error.value)


def test_a_status_that_cannot_be_read_is_damage_in_the_counts(tmp_path: Path) -> None:
    """summary() reads every status strictly too."""
    path = tmp_path / "jobs.db"
    _board_with_row(path, ("a", b"DONE", "null", None, 0.0))
    with (
        TaskBoard.open(path, read_only=True) as board,
        pytest.raises(ValueError, match="is damaged: a status of b'DONE'"),
    ):
        board.summary()


def test_a_file_with_the_id_but_no_table_is_refused(tmp_path: Path) -> None:
    """The board's application id alone does not make a board."""
    path = tmp_path / "jobs.db"
    board_id_without_table(path)
    for read_only in (False, True):
        with pytest.raises(ValueError, match="has the id of a task board, but not"):
            TaskBoard.open(path, read_only=read_only)


@pytest.mark.parametrize(
    "make", ["empty", "other database"], ids=["empty file", "other database"]
)
def test_read_only_never_writes(tmp_path: Path, make: str) -> None:
    """read_only creates nothing, changes nothing, and says what the file is."""
    path = tmp_path / "jobs.db"
    message = not_a_board(path, make)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    with pytest.raises(ValueError, match=message):
        TaskBoard.open(path, read_only=True)
    assert before == (path.read_bytes(), path.stat().st_mtime_ns)
    assert [path] == list(tmp_path.iterdir())


def test_read_only_reads_a_board_and_refuses_updates(tmp_path: Path) -> None:
    """A closed board is read without a file created beside it; updates fail."""
    path = tmp_path / "jobs.db"
    with TaskBoard.open(path) as board:
        board.update("a", "COMPLETED", {"n": 1})
    before = path.read_bytes()
    with TaskBoard.open(path, read_only=True) as board:
        assert {"n": 1} == _without_time(board, "a").result
        with pytest.raises(ValueError, match="was opened read-only"):
            board.update("a", "FAILED")
    assert before == path.read_bytes()
    assert [path] == list(tmp_path.iterdir())


def test_read_only_sees_a_writer_at_work(tmp_path: Path) -> None:
    """With another connection writing, read_only sees its commits."""
    path = tmp_path / "jobs.db"
    with TaskBoard.open(path) as writer:
        writer.update("a", "PENDING")
        with TaskBoard.open(path, read_only=True) as reader:
            writer.update("a", "COMPLETED")
            assert TaskStatus.COMPLETED == _without_time(reader, "a").status


def test_read_only_needs_the_file(tmp_path: Path) -> None:
    """A missing file is not created."""
    with pytest.raises(ValueError, match=r"cannot open the task board .*No such file"):
        TaskBoard.open(tmp_path / "jobs.db", read_only=True)
    assert [] == list(tmp_path.iterdir())


class LockedAtFirst:
    """A connection whose journal-mode switch meets another opener N times.

    SQLite answers "locked" at once, without waiting, when two processes
    switch one new file to WAL together: this replays that answer.
    """

    def __init__(self, db: sqlite3.Connection, times: int) -> None:
        self._db = db
        self.left = times

    def execute(self, statement: str) -> Any:
        """Refuse the WAL switch while ``left`` says so."""
        if "journal_mode" in statement and self.left:
            self.left -= 1
            raise sqlite3.OperationalError("database is locked")
        return self._db.execute(statement)


def test_the_wal_switch_waits_for_other_openers(tmp_path: Path) -> None:
    """Refused twice, the switch is tried again and succeeds."""
    with closing(sqlite3.connect(tmp_path / "new.db")) as db:
        racing = LockedAtFirst(db, 2)
        _set_wal(racing, 10)  # type: ignore[arg-type]
        assert 0 == racing.left
        assert "wal" == db.execute("PRAGMA journal_mode").fetchone()[0]


def test_the_wal_switch_gives_up_at_the_lock_timeout(tmp_path: Path) -> None:
    """Refused for ever, it raises once lock_timeout has passed."""
    with closing(sqlite3.connect(tmp_path / "new.db")) as db:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            _set_wal(LockedAtFirst(db, 10**9), 0.05)  # type: ignore[arg-type]
        # Any other error is not waited on.
        with pytest.raises(sqlite3.OperationalError, match="syntax"):
            _set_wal(BrokenPragma(db), 10)  # type: ignore[arg-type]


class BrokenPragma:
    """A connection whose every statement is an SQL error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def execute(self, statement: str) -> Any:
        """Run a statement SQLite cannot parse."""
        return self._db.execute("PRAGMA (")


def test_a_table_dropped_under_a_reader_is_damage_named(tmp_path: Path) -> None:
    """Another program breaks the file after it was opened: a clear ValueError."""
    path = tmp_path / "jobs.db"
    with TaskBoard.open(path) as board, TaskBoard.open(path, read_only=True) as reader:
        board.update("a", "PENDING")
        with closing(sqlite3.connect(path)) as other:
            other.execute("DROP TABLE tasks")
            other.commit()
        with pytest.raises(ValueError, match="is damaged: no such table: tasks"):
            reader.get("a")
        with pytest.raises(ValueError, match="is damaged: no such table: tasks"):
            reader.pending()


def test_a_damaged_schema_is_refused_at_open(tmp_path: Path) -> None:
    """A file whose table of tables is broken is named as damaged."""
    path = tmp_path / "jobs.db"
    TaskBoard.open(path).close()
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA writable_schema=ON")
        db.execute("UPDATE sqlite_master SET sql = 'CREATE TABLE tasks (' ")
        db.commit()
    with pytest.raises(ValueError, match="is damaged: malformed database schema"):
        TaskBoard.open(path)


# --- pins: closing, waking, bounds ----------------------------------------


def test_a_closed_board_file_refuses_use_and_lets_go_of_the_file(
    tmp_path: Path,
) -> None:
    """After close (or with), use is a clear error; the file can be replaced."""
    path = tmp_path / "jobs.db"
    with TaskBoard.open(path) as board:
        board.update("a", "PENDING")
    for use in (lambda: board.update("a", "DONE"), board.pending, board.records):
        with pytest.raises(ValueError, match=r"the task board .* is closed"):
            use()
    path.unlink()
    Path(f"{path}-wal").unlink(missing_ok=True)
    with TaskBoard.open(path) as fresh:  # a new file, not the old one
        assert {} == fresh.records()


def test_every_connection_of_a_board_file_is_closed(tmp_path: Path) -> None:
    """close() releases both connections: writes and reads."""
    board = TaskBoard.open(tmp_path / "jobs.db")
    store: Any = board._store  # pyright: ignore[reportPrivateUsage]
    board.close()
    for db in (store._db, store._reader):
        with pytest.raises(sqlite3.ProgrammingError):
            db.execute("SELECT 1")


def test_the_file_commits_with_synchronous_normal(tmp_path: Path) -> None:
    """The documented durability: WAL with synchronous=NORMAL (1)."""
    with TaskBoard.open(tmp_path / "jobs.db") as board:
        store: Any = board._store  # pyright: ignore[reportPrivateUsage]
        assert 1 == store._db.execute("PRAGMA synchronous").fetchone()[0]
        assert LOCK_TIMEOUT == store._lock_timeout == 30


def test_reads_of_more_keys_than_one_query_holds(board: TaskBoard[str]) -> None:
    """A read of 1,201 keys spans three queries and keeps the keys' order."""
    keys = [f"t{n}" for n in range(1201)]
    board.add(keys)
    board.update("t1200", "COMPLETED")
    records = board.records(reversed(keys))
    assert list(reversed(keys)) == list(records)
    assert TaskStatus.COMPLETED == records["t1200"].status


def test_merge_returns_the_record_of_every_key_it_was_given(
    board: TaskBoard[str],
) -> None:
    """Changed or not, each key of the merge comes back with its record."""
    board.update("a", "COMPLETED")
    kept = board.merge(
        {"a": (TaskStatus.IN_PROGRESS, None), "b": (TaskStatus.PENDING, None)}
    )
    assert {"a": TaskStatus.COMPLETED, "b": TaskStatus.PENDING} == {
        key: record.status for key, record in kept.items()
    }


def test_a_late_terminal_keeps_the_newer_version(board: TaskBoard[str]) -> None:
    """A terminal status with an older version is taken; the version stays."""
    board.update("a", "PROCESSING", version=9)
    assert board.update("a", "FAILED", {"why": "x"}, version=3)
    assert TaskRecord(TaskStatus.FAILED, {"why": "x"}, 9) == _without_time(board, "a")


def test_add_never_changes_a_known_task(board: TaskBoard[str]) -> None:
    """add() of a key already on the board leaves its record alone."""
    board.update("a", "PROCESSING", {"n": 1}, version=2)
    board.add(["a", "b"])
    assert TaskRecord(TaskStatus.PROCESSING, {"n": 1}, 2) == _without_time(board, "a")
    assert TaskStatus.UNKNOWN == _without_time(board, "b").status


def test_wait_and_poll_many_report_a_task_never_heard_from_alike(
    board: TaskBoard[str],
) -> None:
    """A key with no record counts as PENDING, as a task poll_many never fetched."""
    board.update("t0", "PENDING")
    with pytest.raises(BatchTimeoutError) as caught:
        board.wait(["t0", "t1"], timeout=0.01)
    assert (TaskStatus.PENDING, {"t1": None}) == (
        caught.value.last_status,
        {k: v for k, v in caught.value.pending.items() if v is None},
    )
    assert TaskStatus.PENDING is pending_status([TaskStatus.PENDING, None])
    assert TaskStatus.IN_PROGRESS is pending_status([TaskStatus.QUEUED, None])


@pytest.mark.parametrize(
    ("statuses", "shared"),
    [
        (["PENDING", "PENDING"], TaskStatus.PENDING),
        (["PENDING", "PROCESSING"], TaskStatus.IN_PROGRESS),
    ],
)
def test_wait_names_the_status_the_unsettled_share(
    board: TaskBoard[str], statuses: list[str], shared: TaskStatus
) -> None:
    """At the timeout, the pending tasks' one status, or IN_PROGRESS for a mix."""
    for number, status in enumerate(statuses):
        board.update(f"t{number}", status)
    with pytest.raises(BatchTimeoutError) as caught:
        board.wait(timeout=0.01)
    assert shared == caught.value.last_status


class CountingCondition:
    """A threading.Condition that counts its notify_all calls."""

    def __init__(self, real: threading.Condition) -> None:
        self._real = real
        self.notified = 0

    def notify_all(self) -> None:
        """Count, then notify."""
        self.notified += 1
        self._real.notify_all()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_an_update_with_no_waiter_notifies_nobody() -> None:
    """Waking costs nothing while nobody waits."""
    board: TaskBoard[str] = TaskBoard()
    counting = CountingCondition(board._changed)  # pyright: ignore[reportPrivateUsage]
    board._changed = counting  # type: ignore[assignment]
    board.update("a", "PENDING")
    board.merge({"a": (TaskStatus.COMPLETED, None)})
    assert 0 == counting.notified


def test_a_waiter_that_returned_is_not_notified_again() -> None:
    """Once wait() returns, updates notify nobody: the waiters are counted."""
    board: TaskBoard[str] = TaskBoard()
    board.update("a", "IN_PROGRESS")
    waiter = threading.Thread(target=board.wait, args=(["a"],), daemon=True)
    waiter.start()
    started = time.monotonic()
    while not board._waiting and time.monotonic() - started < 30:  # pyright: ignore[reportPrivateUsage]
        time.sleep(0.001)  # until the waiter waits: no verdict on speed
    board.update("a", "COMPLETED")
    waiter.join(30)
    assert not waiter.is_alive()
    counting = CountingCondition(board._changed)  # pyright: ignore[reportPrivateUsage]
    board._changed = counting  # type: ignore[assignment]
    board.update("b", "PENDING")
    assert 0 == counting.notified


def test_an_update_that_changes_nothing_wakes_nobody(board: TaskBoard[str]) -> None:
    """Waiters are woken by changes only: a repeated or losing report is none."""
    wakes: list[None] = []
    board._watchers.add(lambda: wakes.append(None))  # pyright: ignore[reportPrivateUsage]
    assert board.update("a", "IN_PROGRESS")
    assert 1 == len(wakes)
    assert not board.update("a", "IN_PROGRESS")  # the same report again
    assert not board.update("a", "PENDING")  # loses to IN_PROGRESS
    board.add(["a"])  # known already
    assert 1 == len(wakes)
    assert board.update("a", "COMPLETED")
    assert 2 == len(wakes)
    board.merge({"a": (TaskStatus.FAILED, None)})  # terminal already: no change
    assert 2 == len(wakes)
    board.merge({"a": (TaskStatus.FAILED, None), "b": (TaskStatus.PENDING, None)})
    assert 3 == len(wakes)


def test_wait_async_looks_again_once_a_change() -> None:
    """Each change wakes an async waiter once; it looks, and sleeps again."""
    board: TaskBoard[str] = TaskBoard()
    board.update("a", "PENDING")
    looks: list[object] = []
    finished = board._finished  # pyright: ignore[reportPrivateUsage]

    def looking(*args: Any) -> Any:
        looks.append(None)
        return finished(*args)

    board._finished = looking  # type: ignore[method-assign, assignment]

    async def scenario() -> dict[str, TaskRecord]:
        waiting = asyncio.ensure_future(board.wait_async(["a"], timeout=30))
        for _ in range(10):  # turns of the loop, not time: the waiter waits
            await asyncio.sleep(0)
        board.update("b", "PENDING")  # a change, but not the one awaited
        for _ in range(10):
            await asyncio.sleep(0)
        board.update("a", "COMPLETED")
        return await waiting

    assert TaskStatus.COMPLETED == asyncio.run(scenario())["a"].status
    assert 3 == len(looks)  # at the start, after "b", after "a"


def test_waiting_for_a_key_the_board_cannot_hold_is_refused(tmp_path: Path) -> None:
    """A durable board names a key that is not a string, in wait and wait_async."""
    with TaskBoard.open(tmp_path / "jobs.db") as board:
        with pytest.raises(TypeError, match="keys of a durable board must be strings"):
            board.wait([7], timeout=5)  # type: ignore[list-item]
        with pytest.raises(TypeError, match="keys of a durable board must be strings"):
            asyncio.run(board.wait_async([7], timeout=5))  # type: ignore[list-item]


def test_no_watcher_is_left_after_wait_async(board: TaskBoard[str]) -> None:
    """Returned, timed out or cancelled: wait_async unregisters its watcher."""
    board.update("a", "COMPLETED")
    asyncio.run(board.wait_async(["a"]))
    board.update("b", "PENDING")
    with pytest.raises(BatchTimeoutError):
        asyncio.run(board.wait_async(["b"], timeout=0.01))

    async def cancelled() -> None:
        waiting = asyncio.ensure_future(board.wait_async(["b"]))
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(cancelled())
    assert set() == board._watchers  # pyright: ignore[reportPrivateUsage]

"""TaskBoard: merged records in memory and in SQLite, waiting, and poll_many."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import without_coverage_env
from taskstatus import (
    BatchTimeoutError,
    TaskBoard,
    TaskRecord,
    TaskStatus,
    poll_many,
    poll_many_async,
)
from taskstatus._board import BOARD_FORMAT
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


def test_durable_keys_are_strings_and_results_json(tmp_path: Path) -> None:
    """The file holds string keys and JSON results; others are refused."""
    with TaskBoard.open(tmp_path / "jobs.db") as board:
        with pytest.raises(TypeError, match="keys of a durable board must be strings"):
            board.update(7, "PENDING")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="must be JSON data"):
            board.update("a", "PENDING", {1, 2})
        assert board.get("a") is None  # nothing half-written


def test_memory_board_takes_any_hashable_key_and_result() -> None:
    """In memory, keys are any hashables and results any objects."""
    board: TaskBoard[tuple[str, int]] = TaskBoard()
    result = object()
    board.update(("job", 1), "COMPLETED", result)
    assert result is _without_time(board, ("job", 1)).result
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
    records = board.wait(timeout=10)
    assert time.monotonic() - start < 2  # woken, not timed out
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
    assert 0.05 <= caught.value.elapsed < 5


def test_wait_async_wakes_on_updates_from_a_thread(board: TaskBoard[str]) -> None:
    """An asyncio task waiting on the board wakes when a thread settles it."""
    board.add(["a"])

    async def scenario() -> dict[str, TaskRecord]:
        threading.Timer(0.05, board.update, ("a", "CANCELED")).start()
        return await board.wait_async(timeout=10)

    start = time.monotonic()
    assert TaskStatus.CANCELED == asyncio.run(scenario())["a"].status
    assert time.monotonic() - start < 2  # woken, not timed out


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
        records = board.wait(timeout=20)
        assert time.monotonic() - start < 10  # seen by a look at the file
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
    with pytest.raises(Exception, match="SKIPPED"):
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

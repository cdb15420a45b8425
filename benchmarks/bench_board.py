"""TaskBoard's costs, as ratios measured in one run on the running interpreter.

Run it with ``python benchmarks/bench_board.py``. Each line prints the
measured figure next to its target; the exit status is 1 if any target is
missed. The board files live in a temporary folder, removed at the end.
"""

from __future__ import annotations

import gc
import json
import math
import platform
import sqlite3
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Mapping
from pathlib import Path

from taskstatus import TaskBoard, TaskRecord, TaskStatus, merge_status, poll_many
from taskstatus.testing import FakeClock

KEYS = [f"job-{number}" for number in range(1000)]
TASKS = 10_000
BATCH = 100


def best_microseconds(
    statements: list[Callable[[], object]], calls: int
) -> list[float]:
    """Time each statement in turn, best of several repeats, in µs per call."""
    best = [math.inf] * len(statements)
    for _ in range(7):
        for index, statement in enumerate(statements):
            gc.collect()
            seconds = timeit.timeit(statement, number=1)
            best[index] = min(best[index], seconds / calls * 1e6)
    return best


# What a board sees of one task: polls repeating a status, a webhook running
# ahead of them, a late poll, and the result at the end.
LIFE = [
    (TaskStatus.PENDING, None),
    (TaskStatus.PENDING, None),
    (TaskStatus.IN_PROGRESS, None),
    (TaskStatus.PROCESSING, None),
    (TaskStatus.IN_PROGRESS, None),
    (TaskStatus.COMPLETED, {"rows": 10}),
    (TaskStatus.PROCESSING, None),
]
UPDATES = [(key, status, result) for status, result in LIFE for key in KEYS]


def update_against_dict() -> tuple[float, float]:
    """board.update against a dict assignment of merge_status, per update."""

    def with_board() -> None:
        board: TaskBoard[str] = TaskBoard()
        for key, status, result in UPDATES:
            board.update(key, status, result)

    def with_dict() -> None:
        plain: dict[str, TaskStatus] = {}
        for key, status, _ in UPDATES:
            plain[key] = merge_status(plain.get(key), status)

    board_cost, dict_cost = best_microseconds([with_board, with_dict], len(UPDATES))
    return board_cost, dict_cost


class TimedBoard(TaskBoard[str]):
    """A durable board that times each batch merge against raw SQL, in turn.

    Right after the board writes a batch, the same rows go to a bare table
    with ``executemany`` in one transaction, so that both see the same disk
    and the same load.
    """

    spent = 0.0
    raw_spent = 0.0
    raw: sqlite3.Connection

    def merge(
        self, updates: Mapping[str, tuple[TaskStatus, object]]
    ) -> dict[str, TaskRecord]:
        """Merge, and count the time; then write the rows raw, and count that."""
        start = time.perf_counter()
        merged = super().merge(updates)
        middle = time.perf_counter()
        self.raw.execute("BEGIN IMMEDIATE")
        self.raw.executemany(
            "INSERT INTO tasks VALUES (?, ?, ?, NULL, ?)",
            [
                (key, status.value, json.dumps(result), middle)
                for key, (status, result) in updates.items()
            ],
        )
        self.raw.execute("COMMIT")
        self.raw_spent += time.perf_counter() - middle
        self.spent += middle - start
        return merged


def batch_writes(folder: Path) -> tuple[float, float]:
    """poll_many's batch writes to a board file against raw executemany."""
    board = TimedBoard()
    board._store = TaskBoard.open(folder / "batches.db")._store  # pyright: ignore[reportPrivateUsage]
    board.raw = sqlite3.connect(folder / "raw.db", isolation_level=None)
    board.raw.execute("PRAGMA journal_mode=WAL")
    board.raw.execute("PRAGMA synchronous=NORMAL")
    board.raw.execute(
        "CREATE TABLE tasks (key TEXT PRIMARY KEY, status TEXT NOT NULL, "
        "result TEXT NOT NULL, version, updated REAL NOT NULL)"
    )
    clock = FakeClock()
    results: dict[str, object] = {
        f"job-{number}": {"status": "COMPLETED", "rows": 10} for number in range(TASKS)
    }

    def list_jobs(keys: list[str]) -> dict[str, object]:
        return {key: results[key] for key in keys}

    poll_many(
        list(results),
        fetch_many=list_jobs,
        max_batch=BATCH,
        board=board,
        sleep=clock.sleep,
        clock=clock.monotonic,
    )
    board.close()
    board.raw.close()
    return board.spent, board.raw_spent


def open_large_board(folder: Path) -> float:
    """Seconds to open a board file of 100,000 tasks and read its state."""
    path = folder / "large.db"
    with TaskBoard.open(path) as board:
        for first in range(0, 100_000, 5000):
            board.merge(
                {
                    f"task-{number}": (
                        TaskStatus.COMPLETED if number % 4 else TaskStatus.PROCESSING,
                        {"n": number},
                    )
                    for number in range(first, first + 5000)
                }
            )
    start = time.perf_counter()
    with TaskBoard.open(path) as board:
        pending = board.pending()
        summary = board.summary()
    took = time.perf_counter() - start
    assert (len(pending), summary.total) == (25_000, 100_000)
    return took


def report(name: str, value: float, target: str, ok: bool) -> bool:
    """Print one line of results."""
    print(f"{name:<58} {value:>10.3f}   target {target:<8} {'ok' if ok else 'MISSED'}")
    return ok


def main() -> int:
    """Measure everything; return 1 if a target is missed."""
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    ok = True
    board_cost, dict_cost = update_against_dict()
    print(
        f"per update: board {board_cost:.2f} µs, dict + merge_status {dict_cost:.2f} µs"
    )
    ratio = board_cost / dict_cost
    ok &= report(
        "board.update / (dict[key] = merge_status(...))", ratio, "<= 3", ratio <= 3
    )
    with tempfile.TemporaryDirectory() as folder:
        spent, raw = batch_writes(Path(folder))
        print(
            f"{TASKS:,} results in batches of {BATCH}: board {spent * 1e3:.1f} ms, "
            f"raw executemany {raw * 1e3:.1f} ms"
        )
        ok &= report(
            "poll_many's batch writes / raw executemany",
            spent / raw,
            "<= 2",
            spent / raw <= 2,
        )
        took = open_large_board(Path(folder))
        ok &= report(
            "open 100,000 tasks, read pending and summary (s)", took, "< 1", took < 1
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Typing tests for many tasks and boards: checked by mypy and pyright, not run."""

from __future__ import annotations

from typing import Optional

from typing_extensions import assert_type

from taskstatus import (
    BatchPolicy,
    BatchProgress,
    BatchTimeoutError,
    TaskBoard,
    TaskRecord,
    TaskStatus,
    merge_status,
    poll_many,
    poll_many_async,
)


def get_job(job_id: int) -> dict[str, str]:
    return {"id": str(job_id), "status": "PENDING"}


def list_jobs(job_ids: list[int]) -> dict[int, dict[str, str]]:
    return {job_id: get_job(job_id) for job_id in job_ids}


async def aget_job(job_id: int) -> dict[str, str]:
    return get_job(job_id)


async def alist_jobs(job_ids: list[int]) -> dict[int, dict[str, str]]:
    return list_jobs(job_ids)


def on_progress(progress: BatchProgress) -> None:
    assert_type(progress.total, int)
    assert_type(progress.counts[TaskStatus.PENDING], int)


# The key type comes from the keys, the result type from fetch or fetch_many.
assert_type(poll_many([1, 2], fetch=get_job), dict[int, dict[str, str]])
assert_type(poll_many([1, 2], fetch_many=list_jobs), dict[int, dict[str, str]])
assert_type(
    poll_many(["a"], fetch=lambda key: key.upper(), on_progress=on_progress),
    dict[str, str],
)
poll_many([1], fetch=get_job, on_done=lambda key, job: print(key + 1, job["id"]))
poll_many([1], fetch=get_job, policy=BatchPolicy(rate=5), max_batch=10)


async def waits() -> None:
    assert_type(
        await poll_many_async([1], fetch=aget_job, max_in_flight=4),
        dict[int, dict[str, str]],
    )
    assert_type(
        await poll_many_async([1], fetch_many=alist_jobs), dict[int, dict[str, str]]
    )
    await poll_many_async([1], fetch=get_job)  # type: ignore[arg-type]


try:
    poll_many([1], fetch=get_job)
except BatchTimeoutError as timed_out:
    assert_type(timed_out.attempts, int)

# Mistakes the checkers catch.
poll_many([1], fetch=get_job, rate="fast")  # type: ignore[arg-type]
poll_many([1], fetch=get_job, max_batch=None)  # type: ignore[arg-type]
poll_many(["a"], fetch=get_job)  # type: ignore[arg-type]
poll_many([[1]], fetch=get_job)  # type: ignore[type-var,arg-type]


# A board keeps the key type; a board file holds string keys.
memory_board: TaskBoard[int] = TaskBoard()
assert_type(memory_board.get(1), Optional[TaskRecord])
assert_type(memory_board.pending(), list[int])
assert_type(TaskBoard.open("jobs.db"), TaskBoard[str])
assert_type(memory_board.update(1, "PENDING", version=3), bool)
poll_many([1, 2], fetch=get_job, board=memory_board)
poll_many(["a"], fetch=lambda key: key, board=memory_board)  # type: ignore[misc]
memory_board.update(1, TaskStatus.PENDING, version="3")  # type: ignore[arg-type]
assert_type(merge_status(None, TaskStatus.PENDING), TaskStatus)

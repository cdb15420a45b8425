"""Typing tests for polling: checked by mypy and pyright, never executed."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Optional

from typing_extensions import Unpack, assert_type

from taskstatus import (
    PollEvent,
    PollOptions,
    PollPolicy,
    PollTimeoutError,
    TaskStatus,
    UnexpectedStatusError,
    poll,
    poll_async,
)
from taskstatus.testing import FakeClock


@dataclass
class Job:
    id: str
    status: TaskStatus
    wait: float | None


def fetch_job() -> Job:
    return Job("j", TaskStatus.PENDING, None)


async def fetch_body() -> dict[str, str]:
    return {"status": "PENDING"}


def on_poll(event: PollEvent[Job]) -> None:
    assert_type(event.result, Job)
    assert_type(event.attempt, int)
    assert_type(event.status, TaskStatus)
    assert_type(event.remaining, Optional[float])


# The result type of fetch flows through to the return type and callbacks.
assert_type(poll(fetch_job), Job)
assert_type(poll(fetch_job, retry_after=lambda job: job.wait, on_poll=on_poll), Job)
assert_type(poll(fetch_job, get_status=lambda job: job.status), Job)
assert_type(poll(lambda: "PENDING"), str)


async def waits() -> None:
    assert_type(await poll_async(fetch_body), dict[str, str])
    body = await poll_async(fetch_body, get_status=lambda body: body["status"])
    assert_type(body, dict[str, str])


clock = FakeClock()
assert_type(clock.sleeps, list[float])
assert_type(clock.monotonic(), float)
poll(fetch_job, sleep=clock.sleep, clock=clock.monotonic)


async def waits_on_a_fake_clock() -> None:
    await poll_async(fetch_body, sleep=clock.asleep, clock=clock.monotonic)
    await poll_async(fetch_job)  # type: ignore[arg-type]
    await poll_async(fetch_body, sleep=clock.sleep)  # type: ignore[arg-type]


try:
    poll(fetch_job)
except PollTimeoutError as timed_out:
    assert_type(timed_out.attempts, int)
    assert_type(timed_out.elapsed, float)
    assert_type(timed_out.last_status, TaskStatus)
except UnexpectedStatusError as unexpected:
    assert_type(unexpected.status, TaskStatus)

# Mistakes the checkers catch.
poll(fetch_job, timeout="60")  # type: ignore[arg-type]
poll(fetch=fetch_job)  # type: ignore[call-arg]
poll(fetch_job, on_poll=lambda event: event.result.nope)  # type: ignore[attr-defined]
poll(fetch_job, jitter=None)  # type: ignore[arg-type]
poll(fetch_job, timout=5)  # type: ignore[call-arg]
poll(fetch_job, policy={"timeout": 5})  # type: ignore[arg-type]

# A policy is shared as an object; keywords beside it override its fields.
policy = PollPolicy(timeout=60, jitter=False)
assert_type(poll(fetch_job, policy=policy, initial_delay=0.5), Job)
assert_type(policy.stop_on, AbstractSet[TaskStatus])
policy.timeout = 5  # type: ignore[misc]


# Wrappers pass the same options on, fully typed.
def wait_for_job(**options: Unpack[PollOptions]) -> Job:
    return poll(fetch_job, **options)


wait_for_job(timeout=None, max_delay=10)
wait_for_job(max_dealy=10)  # type: ignore[call-arg]


def vocabulary_option() -> None:
    from taskstatus import PollPolicy, vocabulary

    poll(lambda: {"status": "SUCCESS"}, vocabulary="celery")
    poll(lambda: {"status": "SUCCESS"}, vocabulary=vocabulary("celery"))
    PollPolicy(vocabulary=None)
    poll(lambda: {"status": "SUCCESS"}, vocabulary=7)  # type: ignore[arg-type]


def event_word(event: PollEvent[dict[str, str]]) -> None:
    assert_type(event.word, object)


def unexpected_word(error: UnexpectedStatusError) -> None:
    assert_type(error.word, object)

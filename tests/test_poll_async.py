"""poll_async() on a real asyncio event loop."""

from __future__ import annotations

import asyncio
import sys

import pytest

from taskstatus import PollEvent, PollTimeoutError, UnexpectedStatusError, poll_async
from taskstatus.testing import FakeClock


class AsyncTask:
    """A fake asynchronous endpoint that yields to the loop on every fetch."""

    def __init__(self, statuses: list[str]) -> None:
        self.statuses = statuses
        self.fetches = 0

    async def fetch(self) -> dict[str, str]:
        """Return the next status in a JSON-like body."""
        await asyncio.sleep(0)
        status = self.statuses[min(self.fetches, len(self.statuses) - 1)]
        self.fetches += 1
        return {"status": status}


def test_same_schedule_as_poll() -> None:
    """poll_async sleeps 1, 2, 4, … exactly like poll, and returns the result."""
    clock, task = FakeClock(), AsyncTask(["PENDING"] * 6 + ["COMPLETED"])
    result = asyncio.run(
        poll_async(task.fetch, jitter=False, sleep=clock.asleep, clock=clock.monotonic)
    )
    assert {"status": "COMPLETED"} == result
    assert [1, 2, 4, 8, 16, 30] == clock.sleeps


def test_deadline_events_and_errors_match_poll() -> None:
    """The deadline, events and errors come from the same loop as poll's."""
    clock, task = FakeClock(), AsyncTask(["PENDING"])
    events: list[PollEvent[dict[str, str]]] = []
    with pytest.raises(PollTimeoutError) as caught:
        asyncio.run(
            poll_async(
                task.fetch,
                jitter=False,
                timeout=6,
                on_poll=events.append,
                sleep=clock.asleep,
                clock=clock.monotonic,
            )
        )
    assert [1, 2, 3] == clock.sleeps
    assert (4, 6.0) == (caught.value.attempts, caught.value.elapsed)
    assert [1, 2, 3] == [event.attempt for event in events]


def test_unexpected_status_raises() -> None:
    """A status that polling cannot change raises, as with poll."""
    clock, task = FakeClock(), AsyncTask(["DRAFT"])
    with pytest.raises(UnexpectedStatusError):
        asyncio.run(poll_async(task.fetch, sleep=clock.asleep, clock=clock.monotonic))


def test_real_asyncio_sleep_by_default() -> None:
    """With the default sleep, poll_async really waits on the event loop."""
    task = AsyncTask(["PENDING", "PENDING", "COMPLETED"])

    async def main() -> tuple[dict[str, str], float]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        result = await poll_async(task.fetch, initial_delay=0.02, jitter=False)
        return result, loop.time() - start

    result, elapsed = asyncio.run(main())
    assert {"status": "COMPLETED"} == result
    assert 0.06 <= elapsed < 1.0  # slept 0.02 then 0.04


def test_wait_for_cancels_cleanly() -> None:
    """Under asyncio.wait_for the poll is cancelled and no task is left pending."""
    task = AsyncTask(["PENDING"])

    async def main() -> set[asyncio.Task[object]]:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(poll_async(task.fetch, initial_delay=5), 0.05)
        return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}

    assert set() == asyncio.run(main())
    assert 1 == task.fetches


def test_asyncio_timeout_cancels_cleanly() -> None:
    """Under asyncio.timeout the poll is cancelled with TimeoutError."""
    task = AsyncTask(["PENDING"])

    async def main() -> None:
        if sys.version_info >= (3, 11):  # the checkers read this test too
            async with asyncio.timeout(0.05):
                await poll_async(task.fetch, initial_delay=5)
        else:  # asyncio.timeout is new in 3.11: wait_for is its older spelling
            await asyncio.wait_for(poll_async(task.fetch, initial_delay=5), 0.05)

    with pytest.raises((TimeoutError, asyncio.TimeoutError)):
        asyncio.run(main())


def test_cancel_propagates_cancelled_error() -> None:
    """task.cancel() during the sleep raises CancelledError out of the poll."""
    task = AsyncTask(["PENDING"])

    async def main() -> None:
        polling = asyncio.ensure_future(poll_async(task.fetch, initial_delay=5))
        while task.fetches == 0:
            await asyncio.sleep(0)
        polling.cancel()
        with pytest.raises(asyncio.CancelledError):
            await polling
        assert polling.cancelled()

    asyncio.run(main())


def test_concurrent_async_polls_keep_their_own_schedules() -> None:
    """Several polls in one loop, each with its own clock, do not interfere."""

    async def one(length: int) -> list[float]:
        clock, task = FakeClock(), AsyncTask(["PENDING"] * length + ["COMPLETED"])
        await poll_async(
            task.fetch, jitter=False, sleep=clock.asleep, clock=clock.monotonic
        )
        return clock.sleeps

    async def main() -> list[list[float]]:
        return list(await asyncio.gather(*(one(n) for n in range(1, 6))))

    expected = [1, 2, 4, 8, 16]
    assert [expected[:n] for n in range(1, 6)] == asyncio.run(main())


def test_bad_arguments_fail_before_the_first_fetch() -> None:
    """Argument checks are shared with poll and run before any await."""
    task = AsyncTask(["COMPLETED"])
    with pytest.raises(ValueError, match="timeout must be greater than 0"):
        asyncio.run(poll_async(task.fetch, timeout=0))
    assert 0 == task.fetches

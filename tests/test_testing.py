"""taskstatus.testing.FakeClock."""

from __future__ import annotations

import asyncio
import math

import pytest

from taskstatus.testing import FakeClock


def test_time_moves_only_when_sleeping() -> None:
    """monotonic() stands still until sleep() advances it, at once."""
    clock = FakeClock(start=100.0)
    assert 100.0 == clock.monotonic()
    clock.sleep(2.5)
    clock.sleep(0)
    assert 102.5 == clock.monotonic()
    assert [2.5, 0.0] == clock.sleeps


def test_advance_moves_time_without_recording_a_sleep() -> None:
    """advance() stands for time spent elsewhere: no entry in sleeps."""
    clock = FakeClock()
    clock.advance(3)
    assert (3.0, []) == (clock.monotonic(), clock.sleeps)


def test_asleep_advances_and_yields_to_the_loop() -> None:
    """asleep() advances virtual time and lets other tasks run meanwhile."""
    clock = FakeClock()
    ran: list[str] = []

    async def other() -> None:
        ran.append("other")

    async def main() -> None:
        task = asyncio.ensure_future(other())
        await clock.asleep(5)
        ran.append("after sleep")
        await task

    asyncio.run(main())
    assert ["other", "after sleep"] == ran
    assert ([5.0], 5.0) == (clock.sleeps, clock.monotonic())


def test_asleep_is_a_cancellation_point() -> None:
    """A task cancelled while in asleep() gets CancelledError, like asyncio.sleep."""
    clock = FakeClock()

    async def main() -> None:
        task = asyncio.ensure_future(clock.asleep(1))
        await asyncio.sleep(0)  # let the task start its sleep
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


@pytest.mark.parametrize("seconds", [-1, math.nan, math.inf])
def test_bad_sleeps_are_refused(seconds: float) -> None:
    """A negative, NaN or infinite sleep is an error naming it."""
    clock = FakeClock()
    with pytest.raises(ValueError, match="seconds must be"):
        clock.sleep(seconds)
    with pytest.raises(ValueError, match="seconds must be"):
        clock.advance(seconds)


def test_bad_start_is_refused() -> None:
    """The start must be a finite number."""
    with pytest.raises(TypeError, match="start must be a number, got '0'"):
        FakeClock(start="0")  # type: ignore[arg-type]


def test_repr_shows_time_and_sleep_count() -> None:
    """The repr tells where the clock is and how many sleeps it saw."""
    clock = FakeClock()
    clock.sleep(1)
    assert "FakeClock(now=1.0, sleeps=1)" == repr(clock)

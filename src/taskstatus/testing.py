"""Helpers for testing code that polls: a clock whose time passes instantly.

>>> from taskstatus import poll
>>> from taskstatus.testing import FakeClock
>>> clock = FakeClock()
>>> statuses = iter(["PENDING", "PROCESSING", "PROCESSING", "COMPLETED"])
>>> poll(lambda: next(statuses), jitter=False,
...      sleep=clock.sleep, clock=clock.monotonic)
'COMPLETED'
>>> clock.sleeps, clock.monotonic()
([1.0, 2.0, 4.0], 7.0)
"""

from __future__ import annotations

import asyncio

from ._checks import finite_number, number_at_least

__all__ = ["FakeClock"]


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it.

    Pass ``clock.monotonic`` as the ``clock`` and ``clock.sleep`` (or, for
    `poll_async`, ``clock.asleep``) as the ``sleep`` of a poll: a schedule of
    fifteen minutes then runs in microseconds, and ``clock.sleeps`` records
    every delay that was asked for.

    Each instance keeps its own time, so tests running in parallel threads or
    tasks do not disturb each other.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = finite_number("start", start)
        self.sleeps: list[float] = []
        """Every delay passed to `sleep` or `asleep`, in order."""

    def __repr__(self) -> str:
        return f"FakeClock(now={self._now!r}, sleeps={len(self.sleeps)})"

    def monotonic(self) -> float:
        """Return the current virtual time, in seconds."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward without recording a sleep (another actor's delay)."""
        self._now += number_at_least("seconds", seconds, 0.0, "0")

    def sleep(self, seconds: float) -> None:
        """Record the delay and move time forward by it, at once."""
        seconds = number_at_least("seconds", seconds, 0.0, "0")
        self.sleeps.append(seconds)
        self._now += seconds

    async def asleep(self, seconds: float) -> None:
        """Like `sleep`, for asyncio: also yields once to the event loop.

        Yielding keeps the sleep a point where the task can be cancelled, as
        a real `asyncio.sleep` is.
        """
        self.sleep(seconds)
        await asyncio.sleep(0)

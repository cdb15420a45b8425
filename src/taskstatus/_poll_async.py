"""poll_async(): poll() for asyncio, sharing its loop of decisions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from collections.abc import Set as AbstractSet
from typing import Callable, TypeVar

from ._backoff import Backoff
from ._poll import DEFAULT_POLL_ON, PollEvent, PollLoop, settings
from ._status import TERMINAL_STATUSES, TaskStatus

T = TypeVar("T")


async def poll_async(
    fetch: Callable[[], Awaitable[T]],
    /,
    *,
    get_status: Callable[[T], object] | None = None,
    stop_on: AbstractSet[TaskStatus] = TERMINAL_STATUSES,
    poll_on: AbstractSet[TaskStatus] = DEFAULT_POLL_ON,
    initial_delay: float = 1.0,
    max_delay: float = 30.0,
    multiplier: float = 2.0,
    jitter: bool = True,
    timeout: float | None = 900.0,
    max_attempts: int | None = None,
    retry_after: Callable[[T], float | None] | None = None,
    on_poll: Callable[[PollEvent[T]], object] | None = None,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Await ``fetch()`` until the task reaches a status in ``stop_on``.

    The same as `poll`, argument for argument, except that ``fetch`` returns
    an awaitable and ``sleep`` is awaited (by default `asyncio.sleep`). The
    callbacks stay plain functions. Cancellation (``task.cancel()``,
    `asyncio.wait_for`, `asyncio.timeout`) interrupts the sleep or the fetch
    and propagates; no task is left behind.
    """
    loop = PollLoop(
        settings(
            fetch=fetch,
            get_status=get_status,
            stop_on=stop_on,
            poll_on=poll_on,
            backoff=Backoff(initial_delay, max_delay, multiplier, jitter),
            timeout=timeout,
            max_attempts=max_attempts,
            retry_after=retry_after,
            on_poll=on_poll,
            sleep=sleep,
            clock=clock,
        )
    )
    while True:
        result = await fetch()
        delay = loop.next_delay(result)
        if delay is None:
            return result
        await sleep(delay)

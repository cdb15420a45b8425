"""poll(): follow a task until it ends, with backoff, a deadline and server hints.

The loop's decisions live in `PollLoop`, which does no I/O: it is told each
fetched result and answers how long to sleep. `poll` and `poll_async` only
fetch and sleep around it, so the two cannot drift apart.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Callable, Generic, TypeVar, cast

from ._backoff import Backoff
from ._checks import check_callable, positive_number
from ._errors import PollTimeoutError, UnexpectedStatusError, show_value
from ._parse import coerce_status, parse_status
from ._status import POLLABLE_STATUSES, TERMINAL_STATUSES, TaskStatus

T = TypeVar("T")

_logger = logging.getLogger("taskstatus")

DEFAULT_POLL_ON: frozenset[TaskStatus] = POLLABLE_STATUSES | {TaskStatus.UNKNOWN}
"""Poll while the task is pending, running, or in a status this library does
not know yet (a newer server's): the deadline bounds the wait."""

_MISSING = object()

DEADLINE_SLACK = 1e-3
"""Seconds before the deadline that count as reaching it. A sleep cut to end
at the deadline may wake a hair early (float rounding, a coarse event-loop
clock); without this slack the loop would sleep a microsecond and fetch again."""


@dataclass(frozen=True)
class PollEvent(Generic[T]):
    """What ``on_poll`` is told before each sleep.

    Attributes:
        attempt: How many times ``fetch`` has been called, from 1.
        status: The status of the latest result.
        result: The latest result itself.
        elapsed: Seconds since the first fetch, on the poll's clock.
        next_delay: Seconds the loop is about to sleep.
        remaining: Seconds left before the deadline, or ``None`` without one.
    """

    attempt: int
    status: TaskStatus
    result: T
    elapsed: float
    next_delay: float
    remaining: float | None


def default_get_status(result: object) -> object:
    """Find the status in a result: itself, its ``.status``, or its ``["status"]``."""
    if isinstance(result, str):
        return result
    found = getattr(result, "status", _MISSING)
    if found is _MISSING:
        found = _status_item(result)
    if found is not _MISSING:
        return found
    msg = (
        f"cannot find a status in {show_value(result)}: expected a TaskStatus, "
        'a string, an object with .status or a mapping with a "status" key; '
        "pass get_status= to say where it is"
    )
    raise TypeError(msg)


def _status_item(result: object) -> object:
    if isinstance(result, Mapping):
        mapping = cast("Mapping[object, object]", result)
        return mapping.get("status", _MISSING)
    return _MISSING


def _status_set(name: str, statuses: object) -> frozenset[TaskStatus]:
    if isinstance(statuses, str) or not isinstance(statuses, AbstractSet):
        msg = f"{name} must be a set of statuses, got {show_value(statuses)}"
        raise TypeError(msg)
    items: AbstractSet[object] = statuses  # pyright: ignore[reportUnknownVariableType]
    return frozenset(parse_status(status) for status in items)  # type: ignore[arg-type]


def _attempt_limit(value: object) -> int | None:
    if value is None or (
        isinstance(value, int) and not isinstance(value, bool) and value >= 1
    ):
        return value
    msg = f"max_attempts must be an int of at least 1, or None, got {value!r}"
    raise ValueError(msg)


@dataclass(frozen=True)
class PollSettings(Generic[T]):
    """Every argument of poll() but fetch and sleep, checked by `settings`."""

    get_status: Callable[[T], object] | None
    stop_on: frozenset[TaskStatus]
    poll_on: frozenset[TaskStatus]
    backoff: Backoff
    timeout: float | None
    max_attempts: int | None
    retry_after: Callable[[T], float | None] | None
    on_poll: Callable[[PollEvent[T]], object] | None
    clock: Callable[[], float]


class PollLoop(Generic[T]):
    """The decisions of one poll, with no I/O: feed it results, sleep as told."""

    def __init__(self, settings: PollSettings[T]) -> None:
        self._settings = settings
        self._delays: Iterator[float] = settings.backoff.delays()
        self._start = settings.clock()
        self._attempts = 0

    def next_delay(self, result: T) -> float | None:
        """Return how long to sleep before fetching again, or ``None`` to stop.

        Raises:
            UnexpectedStatusError: The status is in neither stop_on nor poll_on.
            PollTimeoutError: The deadline or the attempt limit is reached.
        """
        settings = self._settings
        self._attempts += 1
        get_status = settings.get_status or default_get_status
        status = coerce_status(get_status(result))
        if status in settings.stop_on:
            return None
        if status not in settings.poll_on:
            raise UnexpectedStatusError(status, result)
        elapsed = settings.clock() - self._start
        remaining = None if settings.timeout is None else settings.timeout - elapsed
        self._give_up_if_done(result, status, elapsed, remaining)
        delay = next(self._delays)
        if settings.retry_after is not None:
            delay = _hinted_delay(settings.retry_after(result), delay)
        if remaining is not None:
            delay = min(delay, remaining)
        event = PollEvent(self._attempts, status, result, elapsed, delay, remaining)
        _logger.debug(
            "poll attempt %d: %s after %.3f s; next poll in %.3f s",
            self._attempts,
            status,
            elapsed,
            delay,
        )
        if settings.on_poll is not None:
            settings.on_poll(event)
        return delay

    def _give_up_if_done(
        self, result: T, status: TaskStatus, elapsed: float, remaining: float | None
    ) -> None:
        settings = self._settings
        if remaining is not None and remaining <= DEADLINE_SLACK:
            reason = f"timeout of {settings.timeout:g} s"
        elif settings.max_attempts is not None and (
            self._attempts >= settings.max_attempts
        ):
            reason = f"limit of {settings.max_attempts} attempts"
        else:
            return
        raise PollTimeoutError(result, status, self._attempts, elapsed, reason)


def _hinted_delay(hint: object, backoff_delay: float) -> float:
    """Return a usable hint (positive, finite seconds), else the backoff delay."""
    if isinstance(hint, bool) or not isinstance(hint, (int, float)):
        return backoff_delay
    return float(hint) if math.isfinite(hint) and hint > 0 else backoff_delay


def poll(
    fetch: Callable[[], T],
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
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call ``fetch`` until the task it reports reaches a status in ``stop_on``.

    ``fetch`` is called at once. A result whose status is in ``stop_on``
    (by default, terminal) is returned as it is: a FAILED task is a result,
    not an exception. A status in ``poll_on`` (by default pending, running or
    UNKNOWN) means sleep and fetch again. Any other status raises
    `UnexpectedStatusError`, because waiting cannot change it.

    Between fetches the delay starts at ``initial_delay`` and is multiplied
    by ``multiplier`` up to ``max_delay``; with ``jitter`` each delay is drawn
    between ``initial_delay`` and that value. A positive number of seconds
    from ``retry_after(result)`` replaces the delay for that sleep.

    Args:
        fetch: Returns the task's current state; called with no arguments.
        get_status: Gives the status of a result. By default: the result
            itself if it is a string, else its ``.status``, else its
            ``["status"]``. Strings are read with `coerce_status`.
        stop_on: Statuses that end the loop and return the result.
        poll_on: Statuses that keep the loop going.
        initial_delay: First delay, and the least delay, in seconds.
        max_delay: Largest backoff delay, in seconds.
        multiplier: Growth of the delay from one poll to the next.
        jitter: Draw each delay at random (default) or use it exactly.
        timeout: Seconds before giving up, on ``clock``; ``None`` waits
            forever. The last sleep is cut short so that one final fetch
            happens at the deadline.
        max_attempts: Most calls of ``fetch``; ``None`` for no limit.
        retry_after: Reads a server hint, in seconds, from each result that
            keeps the loop going; ``None``, zero, negative, NaN and infinite
            answers are ignored.
        on_poll: Called with a `PollEvent` before each sleep.
        sleep: Sleeps for the given seconds.
        clock: Monotonic clock, in seconds.

    Returns:
        The first result whose status is in ``stop_on``.

    Raises:
        UnexpectedStatusError: A status in neither ``stop_on`` nor ``poll_on``.
        PollTimeoutError: The deadline or ``max_attempts`` was reached.
        ValueError: A bad argument, before the first fetch.
        TypeError: A bad argument, before the first fetch.
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
        result = fetch()
        delay = loop.next_delay(result)
        if delay is None:
            return result
        sleep(delay)


def settings(
    *,
    fetch: object,
    get_status: Callable[[T], object] | None,
    stop_on: AbstractSet[TaskStatus],
    poll_on: AbstractSet[TaskStatus],
    backoff: Backoff,
    timeout: float | None,
    max_attempts: int | None,
    retry_after: Callable[[T], float | None] | None,
    on_poll: Callable[[PollEvent[T]], object] | None,
    sleep: object,
    clock: Callable[[], float],
) -> PollSettings[T]:
    """Check the arguments of poll() or poll_async(); return them as settings.

    Every check runs before the first fetch, so a bad argument never costs a
    request, and each error names the argument and the value it got.
    """
    check_callable("fetch", fetch)
    check_callable("sleep", sleep)
    check_callable("clock", clock)
    for name, callback in (
        ("get_status", get_status),
        ("retry_after", retry_after),
        ("on_poll", on_poll),
    ):
        check_callable(name, callback, optional=True)
    stop_set = _status_set("stop_on", stop_on)
    poll_set = _status_set("poll_on", poll_on)
    if stop_set & poll_set:
        names = ", ".join(sorted(stop_set & poll_set))
        msg = f"stop_on and poll_on must not share statuses, both hold: {names}"
        raise ValueError(msg)
    return PollSettings(
        get_status=get_status,
        stop_on=stop_set,
        poll_on=poll_set,
        backoff=backoff,
        timeout=None if timeout is None else positive_number("timeout", timeout),
        max_attempts=_attempt_limit(max_attempts),
        retry_after=retry_after,
        on_poll=on_poll,
        clock=clock,
    )

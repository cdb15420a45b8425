"""Following one task until it ends: poll() and poll_async().

The decisions live in `PollLoop`, which does no I/O: the functions only
fetch and sleep around it, so the synchronous and the asyncio forms cannot
drift apart. Their tuning options are those of `PollPolicy`. How a result
is read (`status_reader`) and when a status ends the wait (`ends_wait`) are
here too, for `taskstatus._many`, which polls many tasks at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Generic, TypeVar, cast

from ._checks import check_callable, check_count
from ._errors import (
    PollTimeoutError,
    UnexpectedStatusError,
    show_value,
)
from ._parse import coerce_status
from ._policy import (
    Deadline,
    PollPolicy,
    delay_before_next,
)
from ._status import TaskStatus

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._policy import PollOptions
    from ._vocabulary import Vocabulary

T = TypeVar("T")

_logger = logging.getLogger("taskstatus")

_MISSING = object()


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
        word: The server's own word the status was read from (``"running"``),
            as it came, or ``None`` where there was none.
    """

    attempt: int
    status: TaskStatus
    result: T
    elapsed: float
    next_delay: float
    remaining: float | None
    word: object = None


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


def status_reader(
    get_status: Callable[[T], object] | None, policy: PollPolicy
) -> Callable[[T], tuple[TaskStatus, object]]:
    """The one way a poll reads a result: its status, and the server's word.

    An explicit ``get_status`` finds the word, read with the policy's
    vocabulary if it has one (else `coerce_status`); without it, the
    vocabulary reads the whole result (`Vocabulary.read`), or the word is
    found as `default_get_status` says and coerced.
    """
    vocabulary = cast("Vocabulary | None", policy.vocabulary)
    if vocabulary is None:
        find = get_status or default_get_status
        return lambda result: _coerced(coerce_status, find(result))
    if get_status is None:
        return vocabulary.read
    return lambda result: _coerced(vocabulary.coerce, get_status(result))


def _coerced(
    coerce: Callable[[object], TaskStatus], word: object
) -> tuple[TaskStatus, object]:
    return coerce(word), word


def _status_item(result: object) -> object:
    if isinstance(result, Mapping):
        mapping = cast("Mapping[object, object]", result)
        return mapping.get("status", _MISSING)
    return _MISSING


@dataclass(frozen=True)
class PollSettings(Generic[T]):
    """What one poll needs besides fetch and sleep, checked by `poll_settings`."""

    policy: PollPolicy
    read_status: Callable[[T], tuple[TaskStatus, object]]
    max_attempts: int | None
    retry_after: Callable[[T], object] | None
    on_poll: Callable[[PollEvent[T]], object] | None
    clock: Callable[[], float]


class PollLoop(Generic[T]):
    """The decisions of one poll, with no I/O: feed it results, sleep as told."""

    def __init__(self, settings: PollSettings[T]) -> None:
        self._settings = settings
        self._delays: Iterator[float] = settings.policy.delays()
        self._deadline = Deadline(settings.policy.timeout, settings.clock)
        self._attempts = 0

    def next_delay(self, result: T) -> float | None:
        """Return how long to sleep before fetching again, or ``None`` to stop.

        Raises:
            UnexpectedStatusError: The status is in neither stop_on nor poll_on.
            PollTimeoutError: The deadline or the attempt limit is reached.
        """
        settings = self._settings
        self._attempts += 1
        status, word = settings.read_status(result)
        if ends_wait(settings.policy, status, result, word=word):
            return None
        elapsed = self._deadline.elapsed()
        self._give_up_if_done(result, status, elapsed)
        hint = None if settings.retry_after is None else settings.retry_after(result)
        delay = delay_before_next(next(self._delays), hint, self._deadline)
        event = PollEvent(
            self._attempts,
            status,
            result,
            elapsed,
            delay,
            self._deadline.remaining(),
            word,
        )
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

    def _give_up_if_done(self, result: T, status: TaskStatus, elapsed: float) -> None:
        settings = self._settings
        if self._deadline.reached():
            reason = f"timeout of {settings.policy.timeout:g} s"
        elif settings.max_attempts is not None and (
            self._attempts >= settings.max_attempts
        ):
            reason = f"limit of {settings.max_attempts} attempts"
        else:
            return
        raise PollTimeoutError(result, status, self._attempts, elapsed, reason)


def ends_wait(
    policy: PollPolicy,
    status: TaskStatus,
    result: object,
    key: object = None,
    *,
    word: object = None,
) -> bool:
    """Return whether ``status`` ends the wait (True) or keeps it going (False).

    Raises:
        UnexpectedStatusError: The status is in neither stop_on nor poll_on.
    """
    if status in policy.stop_on:
        return True
    if status not in policy.poll_on:
        raise UnexpectedStatusError(status, result, key, word=word)
    return False


def poll(
    fetch: Callable[[], T],
    /,
    *,
    get_status: Callable[[T], object] | None = None,
    max_attempts: int | None = None,
    retry_after: Callable[[T], float | None] | None = None,
    on_poll: Callable[[PollEvent[T]], object] | None = None,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    policy: PollPolicy | None = None,
    **options: Unpack[PollOptions],
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
        max_attempts: Most calls of ``fetch``; ``None`` for no limit.
        retry_after: Reads a server hint, in seconds, from each result that
            keeps the loop going; ``None``, zero, negative, NaN, infinite and
            absurdly long answers (see `usable_hint`) are ignored.
        on_poll: Called with a `PollEvent` before each sleep.
        sleep: Sleeps for the given seconds.
        clock: Monotonic clock, in seconds.
        policy: A `PollPolicy` to start from; the keywords below override it.
        **options: The fields of `PollPolicy`: ``stop_on``, ``poll_on``,
            ``initial_delay`` (1 s), ``max_delay`` (30 s), ``multiplier``
            (2), ``jitter`` (True) and ``timeout`` (900 s; ``None`` waits
            for ever).

    Returns:
        The first result whose status is in ``stop_on``.

    Raises:
        UnexpectedStatusError: A status in neither ``stop_on`` nor ``poll_on``.
        PollTimeoutError: The deadline or ``max_attempts`` was reached.
        ValueError: A bad argument, before the first fetch.
        TypeError: A bad argument, before the first fetch.
    """
    loop = PollLoop(
        poll_settings(
            fetch=fetch,
            get_status=get_status,
            max_attempts=max_attempts,
            retry_after=retry_after,
            on_poll=on_poll,
            sleep=sleep,
            clock=clock,
            policy=PollPolicy.of(policy, options),
        )
    )
    while True:
        result = fetch()
        delay = loop.next_delay(result)
        if delay is None:
            return result
        sleep(delay)


async def poll_async(
    fetch: Callable[[], Awaitable[T]],
    /,
    *,
    get_status: Callable[[T], object] | None = None,
    max_attempts: int | None = None,
    retry_after: Callable[[T], float | None] | None = None,
    on_poll: Callable[[PollEvent[T]], object] | None = None,
    sleep: Callable[[float], Awaitable[object]] | None = None,
    clock: Callable[[], float] = time.monotonic,
    policy: PollPolicy | None = None,
    **options: Unpack[PollOptions],
) -> T:
    """Await ``fetch()`` until the task reaches a status in ``stop_on``.

    The same as `poll`, argument for argument, except that ``fetch`` returns
    an awaitable and ``sleep`` is awaited (``None``, the default, means
    `asyncio.sleep`). The callbacks stay plain functions. Cancellation
    (``task.cancel()``, `asyncio.wait_for`, `asyncio.timeout`) interrupts the
    sleep or the fetch and propagates; no task is left behind.
    """
    if sleep is None:
        # Imported here: synchronous users never pay for asyncio.
        import asyncio  # noqa: PLC0415

        sleep = asyncio.sleep
    loop = PollLoop(
        poll_settings(
            fetch=fetch,
            get_status=get_status,
            max_attempts=max_attempts,
            retry_after=retry_after,
            on_poll=on_poll,
            sleep=sleep,
            clock=clock,
            policy=PollPolicy.of(policy, options),
        )
    )
    while True:
        result = await fetch()
        delay = loop.next_delay(result)
        if delay is None:
            return result
        await sleep(delay)


def poll_settings(
    *,
    fetch: object,
    get_status: Callable[[T], object] | None,
    max_attempts: int | None,
    retry_after: Callable[[T], object] | None,
    on_poll: Callable[[PollEvent[T]], object] | None,
    sleep: object,
    clock: Callable[[], float],
    policy: PollPolicy,
) -> PollSettings[T]:
    """Check the arguments of poll() or poll_async(); return them as settings.

    Every check runs before the first fetch, so a bad argument never costs a
    request, and each error names the argument and the value it got.
    """
    check_callables(fetch=fetch, sleep=sleep, clock=clock)
    check_callables(
        optional=True, get_status=get_status, retry_after=retry_after, on_poll=on_poll
    )
    return PollSettings(
        policy=policy,
        read_status=status_reader(get_status, policy),
        max_attempts=_attempt_limit(max_attempts),
        retry_after=retry_after,
        on_poll=on_poll,
        clock=clock,
    )


def check_callables(*, optional: bool = False, **callables: object) -> None:
    """Raise TypeError, naming the first argument that is not callable."""
    for name, value in callables.items():
        check_callable(name, value, optional=optional)


def _attempt_limit(value: object) -> int | None:
    # The check of every count (max_batch, max_in_flight): TypeError for a
    # value of the wrong type, ValueError for one below 1.
    return None if value is None else check_count("max_attempts", value)

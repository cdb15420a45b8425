"""The polling policy: every option's name, default, check and meaning, in one place.

`PollPolicy` owns the options that `poll`, `poll_async`, `poll_many`,
`poll_many_async` and the command share; `PollOptions` spells the same names
for the type checkers, so that each entry point takes them as keyword
arguments. `Deadline` and `delay_before_next` are the one rule for deadlines
and server hints.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Callable, Optional, TypedDict, TypeVar, Union

from ._checks import (
    check_count,
    check_flag,
    finite_float,
    number_at_least,
    positive_number,
)
from ._errors import show_value
from ._parse import parse_status
from ._status import POLLABLE_STATUSES, TERMINAL_STATUSES, TaskStatus

if TYPE_CHECKING:
    from ._vocabulary import Vocabulary

LONGEST_SLEEP: float = threading.TIMEOUT_MAX
"""The longest single sleep the platform can make, in seconds (about 292 years
on 64-bit systems). Longer delays are refused; longer server hints ignored."""

DEADLINE_SLACK = 1e-3
"""Seconds before the deadline that count as reaching it. A sleep cut to end
at the deadline may wake a hair early (float rounding, a coarse event-loop
clock); without this slack the loop would sleep a microsecond and fetch again."""

DEADLINE_GRACE = 0.5
"""Seconds past the deadline that the last round of polls gets to answer:
`poll_many` starts no new fetch after it, `poll_many_async` cancels the
fetches still in flight then, and the command gives a request at the
deadline at least this long."""

DEFAULT_POLL_ON: frozenset[TaskStatus] = POLLABLE_STATUSES | {TaskStatus.UNKNOWN}
"""Poll while the task is pending, running, or in a status this library does
not know yet (a newer server's): the deadline bounds the wait."""


P = TypeVar("P", bound="PollPolicy")


class PollOptions(TypedDict, total=False):
    """The tuning keywords of every polling function: the fields of `PollPolicy`."""

    stop_on: AbstractSet[TaskStatus]
    poll_on: AbstractSet[TaskStatus]
    initial_delay: float
    max_delay: float
    multiplier: float
    jitter: bool
    # Optional[...], not "| None": TypedDict evaluates its annotations on 3.9.
    timeout: Optional[float]  # noqa: UP045
    vocabulary: Optional[Union[Vocabulary, str]]  # noqa: UP007, UP045


@dataclass(frozen=True)
class PollPolicy:
    """How to poll: which statuses end a wait, the delays, and the deadline.

    Every polling function takes these fields as keyword arguments, and
    also a whole policy as ``policy=``, whose fields the keywords override.
    All checks run when the policy is made, before any request.

    Attributes:
        stop_on: Statuses that end the wait and return the result (by
            default the terminal ones).
        poll_on: Statuses that keep the wait going (by default PENDING,
            IN_PROGRESS, PROCESSING, and UNKNOWN for a newer server's
            statuses). A status in neither set raises `UnexpectedStatusError`.
        initial_delay: The first delay and the shortest gap between two
            polls of a task, in seconds.
        max_delay: The longest backoff delay, in seconds.
        multiplier: The growth of the delay from one poll to the next.
        jitter: Draw each delay at random between ``initial_delay`` and the
            capped exponential value (the default), or use that value exactly.
        timeout: Seconds before giving up, on the poll's clock; ``None``
            waits for ever. The last sleep is cut short so that one final
            poll happens at the deadline.
        vocabulary: The words of the API being polled: a `Vocabulary`, or
            the name of a built-in one (kept as the `Vocabulary`). Each
            result is then read with its `Vocabulary.status_of`, or, with
            an explicit ``get_status``, that field with its
            `Vocabulary.coerce`. ``None`` (the default) reads this library's
            own words with `coerce_status`.

    >>> PollPolicy(timeout=60).timeout
    60.0
    >>> PollPolicy(vocabulary="celery").vocabulary
    <Vocabulary 'celery': 9 words>
    """

    stop_on: AbstractSet[TaskStatus] = TERMINAL_STATUSES
    poll_on: AbstractSet[TaskStatus] = DEFAULT_POLL_ON
    initial_delay: float = 1.0
    max_delay: float = 30.0
    multiplier: float = 2.0
    jitter: bool = True
    timeout: float | None = 900.0
    vocabulary: Vocabulary | str | None = None

    def __post_init__(self) -> None:
        stop_on = _status_set("stop_on", self.stop_on)
        poll_on = _status_set("poll_on", self.poll_on)
        if stop_on & poll_on:
            names = ", ".join(sorted(stop_on & poll_on))
            msg = f"stop_on and poll_on must not share statuses, both hold: {names}"
            raise ValueError(msg)
        initial_delay = _sleep_length("initial_delay", self.initial_delay, 0.0)
        max_delay = _sleep_length("max_delay", self.max_delay, initial_delay)
        multiplier = number_at_least("multiplier", self.multiplier, 1.0, "1")
        check_flag("jitter", self.jitter)
        timeout = self.timeout
        if timeout is not None:
            timeout = positive_number("timeout", timeout)
        # Store the checked, normalised values: floats and frozensets.
        for name, value in (
            ("vocabulary", _vocabulary(self.vocabulary)),
            ("stop_on", stop_on),
            ("poll_on", poll_on),
            ("initial_delay", initial_delay),
            ("max_delay", max_delay),
            ("multiplier", multiplier),
            ("timeout", timeout),
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def of(cls: type[P], policy: object, options: Mapping[str, Any]) -> P:
        """Return ``policy`` (or the defaults) with ``options`` replacing its fields.

        A plain `PollPolicy` given where a `BatchPolicy` is wanted keeps its
        fields and gets the batch defaults.

        Raises:
            TypeError: ``policy`` is not a PollPolicy, or an option is unknown
                or of the wrong type.
            ValueError: An option has a bad value.
        """
        if policy is None:
            return cls(**options)
        if not isinstance(policy, PollPolicy):
            msg = f"policy must be a PollPolicy or None, got {show_value(policy)}"
            raise TypeError(msg)
        if not isinstance(policy, cls):
            inherited = {
                field.name: getattr(policy, field.name) for field in fields(policy)
            }
            return cls(**{**inherited, **options})
        return replace(policy, **options) if options else policy

    def delays(self) -> Iterator[float]:
        """Yield the delays before the second, third, … poll of a task, forever.

        The exponential value is capped at every step, so it never overflows
        and each step costs the same after thousands of polls.
        """
        ceiling = self.initial_delay
        while True:
            yield self.draw(ceiling)
            ceiling = self.next_ceiling(ceiling)

    def draw(self, ceiling: float) -> float:
        """Return one delay for a step whose capped exponential value is ``ceiling``.

        With jitter, drawn uniformly between ``initial_delay`` and ``ceiling``;
        without, ``ceiling`` itself.
        """
        if not self.jitter:
            return ceiling
        floor = self.initial_delay
        # What random.uniform() computes, without its call; rounding may take
        # it one ulp past its bounds, so clamp it back.
        drawn = floor + (ceiling - floor) * random.random()
        return min(max(drawn, floor), ceiling)

    def next_ceiling(self, ceiling: float) -> float:
        """Return the capped exponential value of the step after ``ceiling``'s."""
        return min(ceiling * self.multiplier, self.max_delay)


def _vocabulary(value: object) -> Vocabulary | None:
    """A vocabulary, a built-in's name (looked up), or None; anything else raises."""
    if value is None:
        return None
    # Imported only when asked for: the built-in tables load on first use.
    from ._vocabulary import Vocabulary, vocabulary  # noqa: PLC0415

    if isinstance(value, str):
        return vocabulary(value)
    if not isinstance(value, Vocabulary):
        msg = (
            "vocabulary must be a Vocabulary, a built-in's name or None, "
            f"got {show_value(value)}"
        )
        raise TypeError(msg)
    return value


def _status_set(name: str, statuses: object) -> frozenset[TaskStatus]:
    if isinstance(statuses, str) or not isinstance(statuses, AbstractSet):
        msg = f"{name} must be a set of statuses, got {show_value(statuses)}"
        raise TypeError(msg)
    items: AbstractSet[object] = statuses  # pyright: ignore[reportUnknownVariableType]
    return frozenset(parse_status(status) for status in items)  # type: ignore[arg-type]


def _sleep_length(name: str, value: object, minimum: float) -> float:
    """Check a delay: above zero, at least ``minimum``, at most `LONGEST_SLEEP`."""
    number = positive_number(name, value)
    if number < minimum:
        msg = f"{name} must be at least initial_delay ({minimum:g}), got {number:g}"
        raise ValueError(msg)
    if number > LONGEST_SLEEP:
        msg = f"{name} must be at most {LONGEST_SLEEP:.0f} seconds, got {number:g}"
        raise ValueError(msg)
    return number


class BatchOptions(PollOptions, total=False):
    """The tuning keywords of `poll_many`: those of `PollOptions`, and the limits."""

    max_batch: int
    # Optional[...], not "| None": TypedDict evaluates its annotations on 3.9.
    rate: Optional[float]  # noqa: UP045


@dataclass(frozen=True)
class BatchPolicy(PollPolicy):
    """A `PollPolicy` for many tasks at once, with the limits of the batch.

    Each task follows the schedule of the policy on its own; ``timeout`` is
    one deadline for the whole batch.

    Attributes:
        max_batch: The most tasks one ``fetch_many`` call asks about.
        rate: The most fetch calls per second across the whole batch:
            consecutive calls start at least ``1 / rate`` seconds apart.
            ``None`` sets no limit beyond the schedules of the tasks.
    """

    max_batch: int = 100
    rate: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_count("max_batch", self.max_batch)
        if self.rate is not None:
            object.__setattr__(self, "rate", positive_number("rate", self.rate))


DEFAULT_POLICY = PollPolicy()
"""The policy every polling function starts from."""


class Deadline:
    """The end of a wait on a given clock; a timeout of ``None`` never ends."""

    __slots__ = ("_clock", "start", "timeout")

    def __init__(self, timeout: float | None, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.timeout = timeout
        self.start = clock()

    def elapsed(self, now: float | None = None) -> float:
        """Seconds since the wait started (at ``now``, if given)."""
        return (self._clock() if now is None else now) - self.start

    def remaining(self, now: float | None = None) -> float | None:
        """Seconds left (at ``now``, if given), or ``None`` without a deadline."""
        if self.timeout is None:
            return None
        return self.timeout - self.elapsed(now)

    def reached(self, now: float | None = None) -> bool:
        """Whether the deadline has come (by ``now``), within `DEADLINE_SLACK`."""
        remaining = self.remaining(now)
        return remaining is not None and remaining <= DEADLINE_SLACK

    def cap(self, delay: float, now: float | None = None) -> float:
        """Cut ``delay`` so that it ends at the deadline at the latest."""
        remaining = self.remaining(now)
        return delay if remaining is None else max(0.0, min(delay, remaining))


def usable_hint(hint: object) -> float | None:
    """Return a server's wait hint as seconds, or ``None`` if it is no use.

    A usable hint is a number (not a bool) above zero and at most
    `LONGEST_SLEEP`: zero, negative, NaN, infinite and absurdly large hints,
    and anything that is not a number, fall back to the backoff delay.
    """
    seconds = finite_float(hint)
    if seconds is None or not 0 < seconds <= LONGEST_SLEEP:
        return None
    return seconds


def delay_before_next(backoff_delay: float, hint: object, deadline: Deadline) -> float:
    """Return the next sleep: a usable hint or the backoff delay, cut at the deadline.

    The one rule for server hints and deadlines, shared by every poll and by
    the command's retries.
    """
    seconds = usable_hint(hint)
    return deadline.cap(backoff_delay if seconds is None else seconds)

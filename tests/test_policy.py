"""The polling policy: options, checks, the backoff schedule, deadlines and hints."""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskstatus import (
    POLLABLE_STATUSES,
    TERMINAL_STATUSES,
    PollPolicy,
    TaskStatus,
)
from taskstatus._policy import (
    DEADLINE_SLACK,
    DEFAULT_POLICY,
    LONGEST_SLEEP,
    Deadline,
    delay_before_next,
    usable_hint,
)
from taskstatus.testing import FakeClock

# --- defaults -------------------------------------------------------------


def test_defaults_follow_the_model() -> None:
    """1 s to 30 s, doubling, jittered, 15 minutes, terminal stops, pollable polls."""
    policy = PollPolicy()
    assert (1.0, 30.0, 2.0, True, 900.0) == (
        policy.initial_delay,
        policy.max_delay,
        policy.multiplier,
        policy.jitter,
        policy.timeout,
    )
    assert TERMINAL_STATUSES == policy.stop_on
    assert POLLABLE_STATUSES | {TaskStatus.UNKNOWN} == policy.poll_on


def test_policy_is_frozen() -> None:
    """A policy cannot be changed after it is made: share it freely."""
    policy = PollPolicy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.timeout = 5  # type: ignore[misc]


def test_values_are_stored_normalised() -> None:
    """Ints become floats and sets become frozensets of members."""
    policy = PollPolicy(initial_delay=2, timeout=60, stop_on={"FAILED"})  # type: ignore[arg-type]
    assert (2.0, 60.0) == (policy.initial_delay, policy.timeout)
    assert frozenset({TaskStatus.FAILED}) == policy.stop_on
    assert isinstance(policy.initial_delay, float)
    assert isinstance(policy.stop_on, frozenset)


def test_of_starts_from_the_defaults_or_a_given_policy() -> None:
    """Options override the policy they start from; no options, no copy."""
    assert DEFAULT_POLICY == PollPolicy.of(None, {})
    base = PollPolicy(timeout=60, jitter=False)
    assert base is PollPolicy.of(base, {})
    assert PollPolicy(timeout=5, jitter=False) == PollPolicy.of(base, {"timeout": 5})
    assert PollPolicy(max_delay=5) == PollPolicy.of(None, {"max_delay": 5})


def test_of_refuses_what_is_not_a_policy() -> None:
    """policy= must be a PollPolicy."""
    with pytest.raises(TypeError, match="policy must be a PollPolicy or None, got 60"):
        PollPolicy.of(60, {})


# --- checks ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"timeout": 0}, ValueError, "timeout must be greater than 0, got 0"),
        ({"timeout": -5}, ValueError, "timeout must be greater than 0, got -5"),
        ({"timeout": math.nan}, ValueError, "timeout must be a finite number"),
        ({"timeout": math.inf}, ValueError, "timeout must be a finite number"),
        ({"timeout": 10**400}, ValueError, "timeout must be a finite number"),
        ({"timeout": "60"}, TypeError, "timeout must be a number, got '60' of type"),
        ({"initial_delay": 0}, ValueError, "initial_delay must be greater than 0"),
        ({"initial_delay": -1}, ValueError, "initial_delay must be greater than 0"),
        ({"initial_delay": math.inf}, ValueError, "initial_delay must be a finite"),
        ({"initial_delay": 1e300}, ValueError, "initial_delay must be at most 922"),
        ({"max_delay": math.inf}, ValueError, "max_delay must be a finite"),
        ({"max_delay": 1e300}, ValueError, "max_delay must be at most 9223372036 s"),
        ({"max_delay": 10**400}, ValueError, "max_delay must be a finite number"),
        (
            {"max_delay": 0.5},
            ValueError,
            r"max_delay must be at least initial_delay \(1\), got 0.5",
        ),
        ({"multiplier": 0.9}, ValueError, "multiplier must be at least 1, got 0.9"),
        ({"multiplier": math.nan}, ValueError, "multiplier must be a finite"),
        ({"initial_delay": "1"}, TypeError, "initial_delay must be a number"),
        ({"jitter": 1}, TypeError, "jitter must be True or False, got 1"),
        ({"jitter": "yes"}, TypeError, "jitter must be True or False"),
        ({"stop_on": "COMPLETED"}, TypeError, "stop_on must be a set of statuses"),
        ({"stop_on": ["FAILED"]}, TypeError, "stop_on must be a set of statuses"),
        ({"poll_on": ("PENDING",)}, TypeError, "poll_on must be a set of statuses"),
        ({"poll_on": {"RUNNING"}}, ValueError, "'RUNNING' is not a task status"),
        ({"vocabulary": "celeri"}, ValueError, "did you mean celery"),
        (
            {"vocabulary": {"done": "COMPLETED"}},
            TypeError,
            "vocabulary must be a Vocabulary, a built-in's name or None, got",
        ),
        (
            {"stop_on": {TaskStatus.PENDING, TaskStatus.PROCESSING}},
            ValueError,
            "stop_on and poll_on must not share statuses, both hold: "
            "PENDING, PROCESSING$",
        ),
    ],
)
def test_bad_options_are_refused(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    """Each bad option gets an error naming it and the value."""
    with pytest.raises(error, match=message):
        PollPolicy(**options)


def test_the_longest_sleep_is_allowed() -> None:
    """A delay of exactly LONGEST_SLEEP is accepted; it is the platform's limit."""
    policy = PollPolicy(initial_delay=LONGEST_SLEEP, max_delay=LONGEST_SLEEP)
    assert LONGEST_SLEEP == policy.max_delay


def test_messages_stay_short_for_huge_values() -> None:
    """A megabyte string or a huge int is not repeated whole in the message."""
    with pytest.raises(TypeError) as huge_string:
        PollPolicy(timeout="9" * 1_000_000)  # type: ignore[arg-type]
    with pytest.raises(TypeError) as huge_set:
        PollPolicy(stop_on=["x" * 1_000_000])  # type: ignore[arg-type]
    for caught in (huge_string, huge_set):
        assert len(str(caught.value)) < 200


# --- the schedule ---------------------------------------------------------


def test_default_schedule_without_jitter() -> None:
    """The defaults give 1, 2, 4, 8, 16, then 30 for ever."""
    delays = PollPolicy(jitter=False).delays()
    assert [1, 2, 4, 8, 16, 30, 30, 30] == list(itertools.islice(delays, 8))


def test_no_overflow_after_many_attempts() -> None:
    """Thousands of steps with a huge multiplier stay finite and capped."""
    policy = PollPolicy(initial_delay=1, max_delay=5, multiplier=1e300, jitter=False)
    tail = list(itertools.islice(policy.delays(), 10_000))[-3:]
    assert [5.0, 5.0, 5.0] == tail


@given(
    initial=st.floats(min_value=1e-3, max_value=100),
    spread=st.floats(min_value=1, max_value=100),
    multiplier=st.floats(min_value=1, max_value=10),
    count=st.integers(min_value=1, max_value=60),
)
def test_jittered_delays_stay_between_floor_and_capped_value(
    initial: float, spread: float, multiplier: float, count: int
) -> None:
    """Each jittered delay lies between initial_delay and the capped exponential."""
    maximum = initial * spread
    options: dict[str, Any] = {
        "initial_delay": initial,
        "max_delay": maximum,
        "multiplier": multiplier,
    }
    plain = PollPolicy(**options, jitter=False).delays()
    jittered = PollPolicy(**options, jitter=True).delays()
    for ceiling, delay in itertools.islice(zip(plain, jittered), count):
        assert initial <= delay <= ceiling <= maximum


def test_jitter_spreads_delays() -> None:
    """With jitter (the default), late delays are not all the same value."""
    delays = PollPolicy(initial_delay=1, max_delay=30).delays()
    assert len(set(itertools.islice(delays, 50))) > 1


# --- deadlines and hints --------------------------------------------------


def test_deadline_measures_from_its_creation() -> None:
    """Elapsed and remaining are read on the given clock."""
    clock = FakeClock(100)
    deadline = Deadline(10, clock.monotonic)
    clock.advance(4)
    assert (4, 6) == (deadline.elapsed(), deadline.remaining())
    assert 6 == deadline.cap(30)
    assert 2 == deadline.cap(2)


def test_deadline_is_reached_within_the_slack() -> None:
    """The deadline counts as reached DEADLINE_SLACK early, not a moment before."""
    early, late = FakeClock(), FakeClock()
    before, within = Deadline(10, early.monotonic), Deadline(10, late.monotonic)
    early.advance(10 - 2 * DEADLINE_SLACK)
    late.advance(10 - DEADLINE_SLACK)
    assert (False, True) == (before.reached(), within.reached())


def test_deadline_never_cuts_below_zero() -> None:
    """Past the deadline a delay is cut to zero, never negative."""
    clock = FakeClock()
    deadline = Deadline(1, clock.monotonic)
    clock.advance(5)
    assert 0 == deadline.cap(3)


def test_no_deadline() -> None:
    """A timeout of None is never reached and cuts nothing."""
    clock = FakeClock()
    deadline = Deadline(None, clock.monotonic)
    clock.advance(1e12)
    assert (None, False, 1e9) == (
        deadline.remaining(),
        deadline.reached(),
        deadline.cap(1e9),
    )


@pytest.mark.parametrize(
    ("hint", "seconds"),
    [
        (5, 5.0),
        (0.25, 0.25),
        (LONGEST_SLEEP, LONGEST_SLEEP),
        (None, None),
        (0, None),
        (-3, None),
        (math.nan, None),
        (math.inf, None),
        (-math.inf, None),
        (True, None),
        ("5", None),
        (LONGEST_SLEEP * 2, None),
        (10**400, None),
    ],
)
def test_usable_hint(hint: object, seconds: float | None) -> None:
    """Only positive, finite numbers the platform can sleep are usable."""
    assert seconds == usable_hint(hint)


def test_delay_before_next_prefers_the_hint_and_respects_the_deadline() -> None:
    """A usable hint replaces the backoff delay; the deadline cuts either."""
    clock = FakeClock()
    deadline = Deadline(20, clock.monotonic)
    assert 5 == delay_before_next(2, 5, deadline)
    assert 2 == delay_before_next(2, 0, deadline)
    assert 20 == delay_before_next(2, 1e9, deadline)
    assert 20 == delay_before_next(60, None, deadline)

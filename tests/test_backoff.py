"""The delay schedule shared by poll(), poll_async() and the CLI."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskstatus._backoff import Backoff


def test_default_schedule_without_jitter() -> None:
    """The defaults give 1, 2, 4, 8, 16, then 30 for ever."""
    delays = Backoff(jitter=False).delays()
    assert [1, 2, 4, 8, 16, 30, 30, 30] == list(itertools.islice(delays, 8))


def test_no_overflow_after_many_attempts() -> None:
    """Thousands of steps with a huge multiplier stay finite and capped."""
    delays = Backoff(initial_delay=1, max_delay=5, multiplier=1e300, jitter=False)
    tail = list(itertools.islice(delays.delays(), 10_000))[-3:]
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
    plain = Backoff(initial, maximum, multiplier, jitter=False).delays()
    jittered = Backoff(initial, maximum, multiplier, jitter=True).delays()
    for ceiling, delay in itertools.islice(zip(plain, jittered), count):
        assert initial <= delay <= ceiling <= maximum


def test_jitter_spreads_delays() -> None:
    """With jitter, late delays are not all the same value."""
    delays = Backoff(initial_delay=1, max_delay=30).delays()
    assert len(set(itertools.islice(delays, 50))) > 1


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"initial_delay": 0}, ValueError, "initial_delay must be greater than 0"),
        ({"initial_delay": -1}, ValueError, "initial_delay must be greater than 0"),
        ({"initial_delay": math.nan}, ValueError, "initial_delay must be a finite"),
        ({"max_delay": math.inf}, ValueError, "max_delay must be a finite"),
        ({"max_delay": 0.5}, ValueError, r"max_delay must be at least initial_delay"),
        ({"multiplier": 0.5}, ValueError, "multiplier must be at least 1"),
        ({"initial_delay": "1"}, TypeError, "initial_delay must be a number"),
        ({"jitter": 1}, TypeError, "jitter must be True or False, got 1"),
    ],
)
def test_bad_parameters_are_refused(
    arguments: dict[str, object], error: type[Exception], message: str
) -> None:
    """Each bad parameter gets an error naming it and the value."""
    with pytest.raises(error, match=message):
        Backoff(**arguments)  # type: ignore[arg-type]

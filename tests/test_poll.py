"""poll(): schedules, deadlines, hints, events, errors and argument checks."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskstatus import (
    POLLABLE_STATUSES,
    TERMINAL_STATUSES,
    PollEvent,
    PollPolicy,
    PollTimeoutError,
    TaskStatus,
    UnexpectedStatusError,
    poll,
    vocabulary,
)
from taskstatus._policy import DEADLINE_SLACK, LONGEST_SLEEP
from taskstatus.testing import FakeClock


class Task:
    """A fake task endpoint: each fetch returns the next status of a script."""

    def __init__(self, statuses: Iterable[str]) -> None:
        self.statuses = list(statuses)
        self.fetches = 0

    def fetch(self) -> str:
        """Return the next status; repeat the last one when the script ends."""
        status = self.statuses[min(self.fetches, len(self.statuses) - 1)]
        self.fetches += 1
        return status


def run(task: Task, clock: FakeClock, **options: Any) -> str:
    """Poll the fake task on the fake clock."""
    result: str = poll(task.fetch, sleep=clock.sleep, clock=clock.monotonic, **options)
    return result


def always(hint: object) -> Callable[[str], Any]:
    """A retry_after callback that answers the same hint for every result."""
    return lambda _: hint


# --- stopping and continuing ----------------------------------------------


def test_returns_at_once_when_already_terminal() -> None:
    """A terminal first result is returned with no sleep."""
    clock, task = FakeClock(), Task(["COMPLETED"])
    assert "COMPLETED" == run(task, clock)
    assert ([], 1) == (clock.sleeps, task.fetches)


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATUSES))
def test_terminal_results_are_returned_not_raised(terminal: TaskStatus) -> None:
    """FAILED and CANCELED are results like COMPLETED: poll returns them."""
    clock, task = FakeClock(), Task(["PENDING", terminal.value])
    assert terminal == run(task, clock, jitter=False)


def test_exact_schedule_without_jitter() -> None:
    """With the defaults and no jitter the sleeps are 1, 2, 4, 8, 16, 30, 30."""
    clock, task = FakeClock(), Task(["PENDING"] * 7 + ["COMPLETED"])
    run(task, clock, jitter=False)
    assert [1, 2, 4, 8, 16, 30, 30] == clock.sleeps
    assert 8 == task.fetches


def test_custom_schedule() -> None:
    """initial_delay, multiplier and max_delay shape the schedule."""
    clock, task = FakeClock(), Task(["PENDING"] * 5 + ["FAILED"])
    run(task, clock, jitter=False, initial_delay=0.5, multiplier=3, max_delay=5)
    assert [0.5, 1.5, 4.5, 5, 5] == clock.sleeps


def test_unknown_statuses_keep_polling_by_default() -> None:
    """A status from a newer server reads as UNKNOWN and the loop goes on."""
    clock, task = FakeClock(), Task(["REHYDRATING", "in progress", "Completed"])
    assert "Completed" == run(task, clock, jitter=False)
    assert [1, 2] == clock.sleeps


@pytest.mark.parametrize(
    "status", ["SKIPPED", "DRAFT", "ACTIVE", "ARCHIVED", "SUSPENDED"]
)
def test_statuses_polling_cannot_change_raise(status: str) -> None:
    """A status in neither set raises UnexpectedStatusError with status and result."""
    clock, task = FakeClock(), Task(["PENDING", status])
    with pytest.raises(UnexpectedStatusError) as caught:
        run(task, clock)
    error = caught.value
    assert (TaskStatus(status), status) == (error.status, error.result)
    assert isinstance(error, ValueError)
    assert (
        f"polling stopped at status {status}, which is neither in stop_on nor "
        "in poll_on: waiting cannot change it"
    ) == str(error)
    assert 2 == task.fetches


def test_custom_stop_on_and_poll_on() -> None:
    """Callers choose which statuses stop and which continue."""
    clock, task = FakeClock(), Task(["DRAFT", "DRAFT", "ACTIVE"])
    result = run(task, clock, stop_on={TaskStatus.ACTIVE}, poll_on={TaskStatus.DRAFT})
    assert ("ACTIVE", 3) == (result, task.fetches)


def test_unknown_can_be_made_an_error() -> None:
    """Leaving UNKNOWN out of poll_on makes a newer server's status an error."""
    clock, task = FakeClock(), Task(["REHYDRATING"])
    with pytest.raises(UnexpectedStatusError) as caught:
        run(task, clock, poll_on=POLLABLE_STATUSES)
    assert TaskStatus.UNKNOWN is caught.value.status


# --- get_status -----------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """A result object with a .status attribute."""

    id: str
    status: str


def test_status_from_an_attribute() -> None:
    """By default the status of an object is its .status attribute."""
    clock = FakeClock()
    jobs = iter([Job("a", "PENDING"), Job("a", "COMPLETED")])
    result = poll(lambda: next(jobs), sleep=clock.sleep, clock=clock.monotonic)
    assert Job("a", "COMPLETED") == result


def test_status_from_a_mapping() -> None:
    """By default the status of a mapping is its "status" item."""
    clock = FakeClock()
    bodies = iter([{"status": "PENDING"}, {"status": "FAILED", "error": "boom"}])
    result = poll(lambda: next(bodies), sleep=clock.sleep, clock=clock.monotonic)
    assert {"status": "FAILED", "error": "boom"} == result


def test_status_from_members() -> None:
    """A fetch may return TaskStatus members themselves."""
    clock = FakeClock()
    statuses = iter([TaskStatus.PENDING, TaskStatus.CANCELED])
    result = poll(lambda: next(statuses), sleep=clock.sleep, clock=clock.monotonic)
    assert TaskStatus.CANCELED is result


def test_custom_get_status() -> None:
    """get_status says where the status is."""
    clock = FakeClock()
    bodies = iter([{"state": {"phase": "PENDING"}}, {"state": {"phase": "COMPLETED"}}])
    result = poll(
        lambda: next(bodies),
        get_status=lambda body: body["state"]["phase"],
        sleep=clock.sleep,
        clock=clock.monotonic,
    )
    assert {"state": {"phase": "COMPLETED"}} == result


@pytest.mark.parametrize("result", [42, None, {"state": "PENDING"}, [1, 2]])
def test_results_without_a_status_are_a_clear_error(result: object) -> None:
    """A result with no findable status raises TypeError telling how to fix it."""
    clock = FakeClock()
    with pytest.raises(TypeError, match=r"cannot find a status in .*pass get_status="):
        poll(lambda: result, sleep=clock.sleep, clock=clock.monotonic)


def test_status_attribute_of_none_reads_as_unknown() -> None:
    """A present but empty status goes through coerce_status: UNKNOWN, polled."""
    clock = FakeClock()
    jobs = iter([Job("a", None), Job("a", "COMPLETED")])  # type: ignore[arg-type]
    assert (
        "COMPLETED"
        == poll(lambda: next(jobs), sleep=clock.sleep, clock=clock.monotonic).status
    )


# --- deadlines and attempt limits -----------------------------------------


def test_last_sleep_is_cut_to_fetch_once_at_the_deadline() -> None:
    """With timeout=10 the sleeps are 1, 2, 4, then 3, and a fetch at t=10 fails."""
    clock, task = FakeClock(), Task(["PENDING"])
    with pytest.raises(PollTimeoutError) as caught:
        run(task, clock, jitter=False, timeout=10)
    assert [1, 2, 4, 3] == clock.sleeps
    assert 10 == clock.monotonic()
    error = caught.value
    assert (5, 10.0) == (error.attempts, error.elapsed)
    assert ("PENDING", TaskStatus.PENDING) == (error.last_result, error.last_status)
    assert isinstance(error, TimeoutError)
    assert (
        "task still PENDING after 5 attempts in 10 s: reached the timeout of 10 s"
    ) == str(error)


def test_default_timeout_is_fifteen_minutes() -> None:
    """Without arguments the loop gives up after 900 s, fetching at the deadline."""
    clock, task = FakeClock(), Task(["IN_PROGRESS"])
    with pytest.raises(PollTimeoutError):
        run(task, clock, jitter=False)
    assert 900 == clock.monotonic() == sum(clock.sleeps)
    assert 35 == task.fetches  # at 0, 1, 3, 7, 15, 31, 61, 91, ... 871, then 900


def test_the_deadline_wins_over_a_late_success() -> None:
    """A task that would complete after the deadline is never fetched again."""
    clock, task = FakeClock(), Task(["PENDING"] * 10 + ["COMPLETED"])
    with pytest.raises(PollTimeoutError):
        run(task, clock, jitter=False, timeout=5)
    assert 5 == clock.monotonic()


def test_a_result_at_the_deadline_still_counts() -> None:
    """The final fetch at the deadline may still find the task finished."""
    clock, task = FakeClock(), Task(["PENDING", "PENDING", "PENDING", "COMPLETED"])
    assert "COMPLETED" == run(task, clock, jitter=False, timeout=5)
    assert [1, 2, 2] == clock.sleeps


def test_no_timeout_waits_as_long_as_it_takes() -> None:
    """timeout=None polls past 15 minutes until the task ends."""
    clock, task = FakeClock(), Task(["PENDING"] * 100 + ["COMPLETED"])
    assert "COMPLETED" == run(task, clock, jitter=False, timeout=None)
    assert clock.monotonic() > 900


def test_max_attempts_caps_the_fetches() -> None:
    """max_attempts=3 fetches three times, sleeps twice, then gives up."""
    clock, task = FakeClock(), Task(["PENDING"])
    with pytest.raises(PollTimeoutError) as caught:
        run(task, clock, jitter=False, max_attempts=3)
    assert (3, [1, 2]) == (task.fetches, clock.sleeps)
    assert str(caught.value).endswith("reached the limit of 3 attempts")


def test_one_attempt_means_a_single_fetch() -> None:
    """max_attempts=1 never sleeps."""
    clock, task = FakeClock(), Task(["PENDING"])
    with pytest.raises(PollTimeoutError, match="after 1 attempt in 0 s"):
        run(task, clock, max_attempts=1)
    assert [] == clock.sleeps


def test_slow_fetches_count_against_the_deadline() -> None:
    """Time spent inside fetch is part of the elapsed time."""
    clock = FakeClock()

    def slow_fetch() -> str:
        clock.advance(4)
        return "PENDING"

    with pytest.raises(PollTimeoutError) as caught:
        poll(
            slow_fetch,
            jitter=False,
            timeout=10,
            sleep=clock.sleep,
            clock=clock.monotonic,
        )
    # fetch ends at 4 (sleep 1), 9 (sleep 1: one second left), 14: past.
    assert [1, 1] == clock.sleeps
    assert 14 == caught.value.elapsed


# --- server hints ---------------------------------------------------------


def test_hints_replace_the_backoff_delay() -> None:
    """A positive retry_after answer is the delay for that sleep, on every result."""
    clock, task = FakeClock(), Task(["PENDING"] * 4 + ["COMPLETED"])
    hints = iter([5, 0.25, None, 60])

    def hint(_: str) -> float | None:
        return next(hints)

    run(task, clock, jitter=False, retry_after=hint)
    # The backoff keeps counting underneath: 4 is its third delay.
    assert [5, 0.25, 4, 60] == clock.sleeps


@pytest.mark.parametrize("hint", [None, 0, -3, math.nan, math.inf, -math.inf, True])
def test_useless_hints_are_ignored(hint: object) -> None:
    """None, zero, negatives, NaN, infinities (and booleans) leave the backoff."""
    clock, task = FakeClock(), Task(["PENDING"] * 3 + ["COMPLETED"])
    run(task, clock, jitter=False, retry_after=always(hint))
    assert [1, 2, 4] == clock.sleeps


def test_hints_are_clamped_by_the_deadline() -> None:
    """A hint longer than the time left is cut to fetch at the deadline."""
    clock, task = FakeClock(), Task(["PENDING"])
    with pytest.raises(PollTimeoutError):
        run(task, clock, timeout=20, retry_after=always(120))
    assert [20] == clock.sleeps


def test_hints_are_read_from_each_result() -> None:
    """retry_after is called with every result that keeps the loop going."""
    clock, task = FakeClock(), Task(["PENDING", "PROCESSING", "COMPLETED"])
    seen: list[str] = []

    def hint(result: str) -> float:
        seen.append(result)
        return 0.1

    run(task, clock, retry_after=hint)
    assert ["PENDING", "PROCESSING"] == seen


# --- progress events and logging ------------------------------------------


def test_on_poll_gets_an_event_before_each_sleep() -> None:
    """Each event tells attempt, status, result, elapsed, next delay and remaining."""
    clock, task = FakeClock(), Task(["PENDING", "REHYDRATING", "COMPLETED"])
    events: list[PollEvent[str]] = []
    run(task, clock, jitter=False, timeout=60, on_poll=events.append)
    assert [
        PollEvent(1, TaskStatus.PENDING, "PENDING", 0.0, 1.0, 60.0, "PENDING"),
        PollEvent(2, TaskStatus.UNKNOWN, "REHYDRATING", 1.0, 2.0, 59.0, "REHYDRATING"),
    ] == events


def test_events_without_a_deadline_have_no_remaining() -> None:
    """The remaining field is None when timeout is None."""
    clock, task = FakeClock(), Task(["PENDING", "COMPLETED"])
    events: list[PollEvent[str]] = []
    run(task, clock, timeout=None, on_poll=events.append)
    assert [None] == [event.remaining for event in events]


def test_events_are_frozen() -> None:
    """A PollEvent cannot be changed by a callback."""
    event = PollEvent(1, TaskStatus.PENDING, "x", 0.0, 1.0, None)
    with pytest.raises(AttributeError):
        event.attempt = 2  # type: ignore[misc]


def test_each_poll_is_logged_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    """Every sleep is announced at DEBUG on the 'taskstatus' logger."""
    clock, task = FakeClock(), Task(["PENDING", "COMPLETED"])
    with caplog.at_level(logging.DEBUG, logger="taskstatus"):
        run(task, clock, jitter=False)
    assert [
        (
            "taskstatus",
            logging.DEBUG,
            "poll attempt 1: PENDING after 0.000 s; next poll in 1.000 s",
        )
    ] == caplog.record_tuples


# --- errors from the caller's code ----------------------------------------


class Boom(Exception):
    """An error raised by user code."""


def test_fetch_errors_propagate_unchanged() -> None:
    """An exception from fetch is not retried, wrapped or swallowed."""
    clock = FakeClock()
    error = Boom("connection reset")

    def fetch() -> str:
        raise error

    with pytest.raises(Boom) as caught:
        poll(fetch, sleep=clock.sleep, clock=clock.monotonic)
    assert error is caught.value


@pytest.mark.parametrize("callback", ["get_status", "retry_after", "on_poll"])
def test_callback_errors_propagate_unchanged(callback: str) -> None:
    """An exception from a callback stops the loop as it is."""
    clock, task = FakeClock(), Task(["PENDING", "COMPLETED"])

    def broken(_: object) -> None:
        raise Boom(callback)

    with pytest.raises(Boom, match=callback):
        run(task, clock, **{callback: broken})


def test_keyboard_interrupt_is_not_swallowed() -> None:
    """Ctrl-C during a sleep ends the poll at once."""
    task = Task(["PENDING"])

    def sleep(_: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        poll(task.fetch, sleep=sleep)
    assert 1 == task.fetches


# --- argument checks ------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"timeout": 0}, ValueError, "timeout must be greater than 0, got 0"),
        ({"policy": {"timeout": 5}}, TypeError, "policy must be a PollPolicy or None"),
        ({"max_attempts": 0}, ValueError, "max_attempts must be at least 1, got 0"),
        ({"max_attempts": 2.5}, TypeError, "max_attempts must be an int, got 2.5"),
        ({"max_attempts": True}, TypeError, "max_attempts must be an int, got True"),
        ({"max_attempts": "3"}, TypeError, "max_attempts must be an int, got '3'"),
        ({"get_status": "status"}, TypeError, "get_status must be callable or None"),
        ({"retry_after": 5}, TypeError, "retry_after must be callable or None"),
        ({"on_poll": print, "sleep": None}, TypeError, "sleep must be callable, got"),
        ({"clock": 0.0}, TypeError, "clock must be callable, got 0.0"),
    ],
)
def test_bad_arguments_fail_before_the_first_fetch(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    """Each bad argument raises, naming it, and fetch is never called."""
    task = Task(["COMPLETED"])
    with pytest.raises(error, match=message):
        poll(task.fetch, **options)
    assert 0 == task.fetches


def test_a_policy_is_used_and_keywords_override_it() -> None:
    """policy= gives the options; a keyword beside it wins for that option."""
    clock, task = FakeClock(), Task(["PENDING"] * 3 + ["COMPLETED"])
    policy = PollPolicy(initial_delay=3, multiplier=3, max_delay=100, jitter=False)
    run(task, clock, policy=policy, multiplier=2)
    assert [3, 6, 12] == clock.sleeps


def test_poll_jitters_by_default() -> None:
    """Without jitter=False the sleeps are drawn, not the exact schedule."""
    clock, task = FakeClock(), Task(["PENDING"] * 30 + ["COMPLETED"])
    run(task, clock, initial_delay=1, max_delay=1000, timeout=None)
    assert 1 == clock.sleeps[0]  # the first ceiling is the floor itself
    assert [1, 2, 4, 8, 16] != clock.sleeps[:5]
    assert all(delay >= 1 for delay in clock.sleeps)


def test_a_deadline_of_the_slack_stops_after_one_attempt() -> None:
    """timeout=DEADLINE_SLACK counts as reached at once: one fetch, no sleep."""
    clock, task = FakeClock(), Task(["PENDING"])
    with pytest.raises(PollTimeoutError) as caught:
        run(task, clock, timeout=DEADLINE_SLACK)
    assert (1, []) == (caught.value.attempts, clock.sleeps)


def test_a_huge_hint_without_a_deadline_is_ignored() -> None:
    """With timeout=None a hint longer than the platform can sleep is no use."""
    clock, task = FakeClock(), Task(["PENDING", "COMPLETED"])
    run(task, clock, timeout=None, jitter=False, retry_after=always(1e300))
    assert [1] == clock.sleeps


def test_fetch_must_be_callable() -> None:
    """A non-callable fetch is refused with its name."""
    with pytest.raises(TypeError, match="fetch must be callable, got 'http://x'"):
        poll("http://x")  # type: ignore[arg-type]


def test_fetch_is_positional_only_and_tuning_keyword_only() -> None:
    """poll(fetch=…) and positional tuning are refused: the API can grow safely."""
    untyped_poll: Any = poll  # the checkers refuse these calls, as they should
    with pytest.raises(TypeError):
        untyped_poll(fetch=lambda: "COMPLETED")
    with pytest.raises(TypeError):
        untyped_poll(lambda: "COMPLETED", None)


# --- concurrency ----------------------------------------------------------


def test_concurrent_polls_do_not_interfere() -> None:
    """Polls in threads, each with its own clock, keep their own schedules."""
    outcomes: dict[int, list[float]] = {}

    def worker(length: int) -> None:
        clock, task = FakeClock(), Task(["PENDING"] * length + ["COMPLETED"])
        run(task, clock, jitter=False)
        outcomes[length] = clock.sleeps

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = [1, 2, 4, 8, 16, 30, 30, 30]
    assert {n: expected[:n] for n in range(1, 9)} == outcomes


# --- properties -----------------------------------------------------------

POLLABLE = sorted(POLLABLE_STATUSES | {TaskStatus.UNKNOWN})
TERMINAL = sorted(TERMINAL_STATUSES)


@settings(max_examples=200)
@given(
    initial=st.floats(min_value=0.01, max_value=10),
    spread=st.floats(min_value=1, max_value=50),
    multiplier=st.floats(min_value=1, max_value=5),
    jitter=st.booleans(),
    timeout=st.none() | st.floats(min_value=0.01, max_value=2000),
    pending=st.lists(st.sampled_from(POLLABLE), max_size=40),
    final=st.sampled_from(TERMINAL),
    hints=st.lists(st.none() | st.floats(allow_nan=True, allow_infinity=True)),
)
def test_schedule_properties(  # noqa: PLR0917 - one argument per strategy
    initial: float,
    spread: float,
    multiplier: float,
    jitter: bool,
    timeout: float | None,
    pending: list[TaskStatus],
    final: TaskStatus,
    hints: list[float | None],
) -> None:
    """Delays stay in bounds or follow hints, the deadline holds, fetches add up."""
    clock = FakeClock()
    script = [*pending, final]
    task = Task(script)
    hint_of = dict(enumerate(hints))
    events: list[PollEvent[str]] = []
    maximum = initial * spread

    def hint_for_latest(_: str) -> float | None:
        return hint_of.get(task.fetches - 1)

    try:
        result = run(
            task,
            clock,
            initial_delay=initial,
            max_delay=maximum,
            multiplier=multiplier,
            jitter=jitter,
            timeout=timeout,
            retry_after=hint_for_latest,
            on_poll=events.append,
        )
    except PollTimeoutError as error:
        assert timeout is not None
        assert error.attempts == task.fetches < len(script)  # noqa: PT017
        assert abs(timeout - clock.monotonic()) <= 1e-3
    else:
        assert result is final  # returned unchanged
        assert len(script) == task.fetches  # one fetch per status consumed
    assert len(clock.sleeps) == task.fetches - 1 == len(events)
    for event, delay in zip(events, clock.sleeps):
        hint = hint_of.get(event.attempt - 1)
        usable = hint is not None and 0 < hint <= LONGEST_SLEEP
        expected_cap = event.remaining if event.remaining is not None else math.inf
        if usable:
            assert min(hint, expected_cap) == delay  # type: ignore[type-var]
        else:
            assert delay <= min(maximum, expected_cap)
            assert delay >= initial or delay == expected_cap
    if timeout is not None:
        assert sum(clock.sleeps) <= timeout + 1e-9


# --- another API's words ---------------------------------------------------


def test_a_vocabulary_reads_another_apis_words() -> None:
    """vocabulary="celery": STARTED is polled, SUCCESS ends the wait."""
    clock = FakeClock()
    replies = iter([{"state": "x", "status": "STARTED"}, {"status": "SUCCESS"}])
    seen: list[TaskStatus] = []
    result = poll(
        lambda: next(replies),
        vocabulary="celery",
        on_poll=lambda event: seen.append(event.status),
        sleep=clock.sleep,
        clock=clock.monotonic,
    )
    assert ({"status": "SUCCESS"}, [TaskStatus.IN_PROGRESS]) == (result, seen)


def test_a_vocabulary_reads_several_fields() -> None:
    """A completed OpenAI batch with failed requests ends as a partial success."""
    clock = FakeClock()
    done = {"status": "completed", "request_counts": {"failed": 1, "total": 2}}
    ended: list[TaskStatus] = []
    replies = iter([{"status": "finalizing"}, done])
    assert done == poll(
        lambda: next(replies),
        vocabulary=vocabulary("openai-batch"),
        on_poll=lambda event: ended.append(event.status),
        sleep=clock.sleep,
        clock=clock.monotonic,
    )
    assert [TaskStatus.PROCESSING] == ended


def test_an_explicit_get_status_still_wins_over_the_vocabulary() -> None:
    """get_status finds the word; the vocabulary translates it."""
    clock = FakeClock()
    replies = iter([{"job": {"state": "RETRY"}}, {"job": {"state": "FAILURE"}}])
    result = poll(
        lambda: next(replies),
        vocabulary="celery",
        get_status=lambda reply: reply["job"]["state"],
        sleep=clock.sleep,
        clock=clock.monotonic,
    )
    assert {"job": {"state": "FAILURE"}} == result


def test_an_unmapped_word_is_polled_until_the_deadline() -> None:
    """Fail closed: a word the vocabulary does not know never ends the wait."""
    clock = FakeClock()
    with pytest.raises(PollTimeoutError) as caught:
        poll(
            lambda: {"status": "SUCEEDED"},
            vocabulary="azure-lro",
            timeout=10,
            sleep=clock.sleep,
            clock=clock.monotonic,
        )
    assert TaskStatus.UNKNOWN is caught.value.last_status

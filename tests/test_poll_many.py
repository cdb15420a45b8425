"""poll_many() and poll_many_async(): exact schedules on a FakeClock, properties."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import status_batch
from taskstatus import (
    SETTLED_STATUSES,
    BatchError,
    BatchPolicy,
    BatchProgress,
    BatchTimeoutError,
    PollPolicy,
    PollTimeoutError,
    TaskStatus,
    UnexpectedStatusError,
    poll_many,
    poll_many_async,
    vocabulary,
)
from taskstatus._many import Call
from taskstatus._policy import DEADLINE_GRACE
from taskstatus.testing import FakeClock

E = TypeVar("E", bound=BaseException)


class Tasks:
    """Simulated tasks on a FakeClock: each is PENDING until its end time.

    Every fetch call is logged as (time, keys asked), so that tests can check
    the whole schedule; ``final`` gives the status each task ends in.
    """

    def __init__(
        self, ends: Mapping[str, float], final: Mapping[str, str] | None = None
    ) -> None:
        self.clock = FakeClock()
        self.ends = dict(ends)
        self.final = dict(final or {})
        self.calls: list[tuple[float, list[str]]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    def status(self, key: str) -> str:
        """The task's status now."""
        if self.clock.monotonic() < self.ends[key]:
            return "PENDING"
        return self.final.get(key, "COMPLETED")

    def fetch(self, key: str) -> str:
        """One task per call."""
        self.calls.append((self.clock.monotonic(), [key]))
        return self.status(key)

    def fetch_many(self, keys: list[str]) -> dict[str, str]:
        """Many tasks per call."""
        self.calls.append((self.clock.monotonic(), list(keys)))
        return {key: self.status(key) for key in keys}

    async def afetch(self, key: str) -> str:
        """One task per call, yielding to the loop as real I/O would."""
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0)
        self.in_flight -= 1
        return self.fetch(key)

    async def afetch_many(self, keys: list[str]) -> dict[str, str]:
        """Many tasks per call, yielding to the loop."""
        await asyncio.sleep(0)
        return self.fetch_many(keys)

    def run(self, **options: Any) -> dict[str, str]:
        """poll_many over the tasks on the fake clock, without jitter."""
        options.setdefault("jitter", False)
        if "fetch_many" not in options:
            options.setdefault("fetch", self.fetch)
        result: dict[str, str] = poll_many(
            list(self.ends),
            sleep=self.clock.sleep,
            clock=self.clock.monotonic,
            **options,
        )
        return result

    def run_async(self, **options: Any) -> dict[str, str]:
        """poll_many_async over the tasks on the fake clock, without jitter."""
        options.setdefault("jitter", False)
        if "fetch_many" not in options:
            options.setdefault("fetch", self.afetch)
        result: dict[str, str] = asyncio.run(
            poll_many_async(
                list(self.ends),
                sleep=self.clock.asleep,
                clock=self.clock.monotonic,
                **options,
            )
        )
        return result

    def polls_of(self, key: str) -> list[float]:
        """When the task was asked about."""
        return [time for time, keys in self.calls if key in keys]


# --- schedules ------------------------------------------------------------


def test_each_task_follows_its_own_schedule() -> None:
    """First poll at once, then 1, 2, 4, … after each poll, task by task."""
    tasks = Tasks({"a": 2.5, "b": 0.0, "c": 6.0})
    assert {"a": "COMPLETED", "b": "COMPLETED", "c": "COMPLETED"} == tasks.run()
    assert [0, 1, 3] == tasks.polls_of("a")
    assert [0] == tasks.polls_of("b")
    assert [0, 1, 3, 7] == tasks.polls_of("c")
    assert [1, 1, 2, 2, 4] == tasks.clock.sleeps[:5] or tasks.clock.sleeps


def test_results_come_in_the_order_of_the_keys() -> None:
    """Whatever order tasks settle in, the result follows the keys."""
    tasks = Tasks({"slow": 7.0, "fast": 0.0, "middle": 3.0})
    assert ["slow", "fast", "middle"] == list(tasks.run())


def test_on_done_streams_in_settling_order() -> None:
    """on_done is called as each task settles, with its key and result."""
    tasks = Tasks({"slow": 7.0, "fast": 0.0, "middle": 3.0})
    settled: list[tuple[str, str]] = []

    def on_done(key: str, result: str) -> None:
        settled.append((key, result))

    tasks.run(on_done=on_done)
    assert [
        ("fast", "COMPLETED"),
        ("middle", "COMPLETED"),
        ("slow", "COMPLETED"),
    ] == settled


def test_rate_spaces_the_calls() -> None:
    """With rate=2, calls start half a second apart, even when all are due."""
    tasks = Tasks({"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.0})
    tasks.run(rate=2)
    assert [0, 0.5, 1.0, 1.5] == [time for time, _ in tasks.calls]


def test_batches_take_the_earliest_due_first() -> None:
    """fetch_many asks about up to max_batch tasks a call, in due order."""
    tasks = Tasks({"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.0, "e": 0.0})
    tasks.run(fetch_many=tasks.fetch_many, max_batch=2)
    assert [(0, ["a", "b"]), (0, ["c", "d"]), (0, ["e"])] == tasks.calls


def test_tasks_due_soon_ride_along() -> None:
    """A task due within initial_delay joins a call that has room."""
    tasks = Tasks({"a": 1.0, "b": 1.5})
    tasks.clock.advance(0)
    tasks.run(fetch_many=tasks.fetch_many, max_batch=10, initial_delay=1)
    # Both first polled at 0; both due at 1: one call. b is pending at 1,
    # due again at 3: alone.
    assert [(0, ["a", "b"]), (1, ["a", "b"]), (3, ["b"])] == tasks.calls


def test_riding_along_never_breaks_the_floor() -> None:
    """A task polled less than initial_delay ago waits, even with room."""
    tasks = Tasks({"a": 10.0, "b": 10.0})
    policy = BatchPolicy(initial_delay=2, jitter=False, max_batch=10)
    tasks.run(fetch_many=tasks.fetch_many, policy=policy)
    for key in "ab":
        polls = tasks.polls_of(key)
        assert all(later - earlier >= 2 for earlier, later in zip(polls, polls[1:]))


def test_missing_keys_are_polled_again() -> None:
    """A key left out of a fetch_many answer is UNKNOWN for that poll."""
    clock = FakeClock()
    answers = iter([{"a": "COMPLETED"}, {"b": "COMPLETED", "zzz": "FAILED"}])
    calls: list[list[str]] = []

    def fetch_many(keys: list[str]) -> dict[str, str]:
        calls.append(keys)
        return next(answers)

    result = poll_many(
        ["a", "b"],
        fetch_many=fetch_many,
        jitter=False,
        sleep=clock.sleep,
        clock=clock.monotonic,
    )
    assert {"a": "COMPLETED", "b": "COMPLETED"} == result  # zzz ignored
    assert [["a", "b"], ["b"]] == calls
    assert [1.0] == clock.sleeps


def test_missing_keys_obey_poll_on() -> None:
    """Without UNKNOWN in poll_on, a missing key is an unexpected status."""
    clock = FakeClock()
    with pytest.raises(BatchError) as caught:
        poll_many(
            ["a"],
            fetch_many=lambda keys: {},
            poll_on={TaskStatus.PENDING},
            sleep=clock.sleep,
            clock=clock.monotonic,
        )
    error = cause_of(caught.value, UnexpectedStatusError)
    assert (TaskStatus.UNKNOWN, "a") == (error.status, error.key)


def test_progress_after_each_call() -> None:
    """on_progress tells total, done, counts, calls and time."""
    tasks = Tasks({"a": 0.0, "b": 5.0}, final={"a": "FAILED"})
    events: list[BatchProgress] = []
    tasks.run(on_progress=events.append, timeout=60)
    first, last = events[0], events[-1]
    assert (2, 1, {TaskStatus.FAILED: 1}, 1, 0.0, 60.0) == (
        first.total,
        first.done,
        dict(first.counts),
        first.calls,
        first.elapsed,
        first.remaining,
    )
    assert (2, {TaskStatus.FAILED: 1, TaskStatus.COMPLETED: 1}) == (
        last.done,
        dict(last.counts),
    )
    assert len(tasks.calls) == last.calls


def test_progress_settled_is_done_deprecated() -> None:
    """The old name still reads `done`, with a DeprecationWarning."""
    progress = BatchProgress(3, 2, {}, 4, 1.0, None)
    with pytest.warns(DeprecationWarning, match=r"use BatchProgress\.done"):
        assert 2 == progress.settled


def test_done_is_the_stop_on_of_the_batch_not_settled() -> None:
    """With a stop_on of its own, a batch is done with tasks that have not settled."""
    tasks = Tasks({"a": 1.0}, final={"a": "PROCESSING"})
    events: list[BatchProgress] = []
    result = tasks.run(
        on_progress=events.append,
        stop_on={TaskStatus.PROCESSING},
        poll_on={TaskStatus.PENDING},
    )
    assert "PROCESSING" == result["a"]
    assert TaskStatus.PROCESSING not in SETTLED_STATUSES
    assert 1 == events[-1].done


def test_no_calls_and_empty_result_for_no_keys() -> None:
    """An empty batch returns {} at once, fetching nothing."""
    tasks = Tasks({})
    assert {} == tasks.run()
    assert [] == tasks.calls


# --- the deadline ---------------------------------------------------------


def test_deadline_is_one_for_the_whole_batch() -> None:
    """timeout=10 ends the batch at 10 s, with done and pending, not per task."""
    tasks = Tasks({"quick": 2.0, "slow": 100.0, "slower": 200.0})
    with pytest.raises(BatchTimeoutError) as caught:
        tasks.run(timeout=10)
    error = caught.value
    assert {"quick": "COMPLETED"} == error.done
    assert {"slow": "PENDING", "slower": "PENDING"} == error.pending
    assert 10 == tasks.clock.monotonic()  # nothing slept past the deadline
    assert 10 == error.elapsed
    assert len(tasks.calls) == error.attempts
    # The last round: every pending task polled once more, at the deadline.
    assert [10, 10] == [time for time, _ in tasks.calls[-2:]]
    assert isinstance(error, PollTimeoutError)
    assert isinstance(error, TimeoutError)
    assert TaskStatus.PENDING == error.last_status
    assert "2 of 3 tasks still pending after 13 fetch calls in 10 s" in str(error)


def test_the_last_round_respects_the_rate() -> None:
    """With a rate, the round at the deadline is what the rate allows at once."""
    tasks = Tasks({"a": 100.0, "b": 100.0, "c": 100.0})
    with pytest.raises(BatchTimeoutError):
        tasks.run(timeout=5, rate=1)
    at_deadline = [keys for time, keys in tasks.calls if time == 5]
    assert 1 == len(at_deadline)


def test_a_task_settling_in_the_last_round_counts() -> None:
    """The final round at the deadline can still finish the batch."""
    tasks = Tasks({"a": 0.0, "b": 9.5})
    assert {"a": "COMPLETED", "b": "COMPLETED"} == tasks.run(timeout=9.5)
    assert [0, 1, 3, 7, 9.5] == tasks.polls_of("b")


def test_never_fetched_tasks_are_pending_as_none() -> None:
    """A task the rate never reached is in pending with None."""
    tasks = Tasks({"a": 100.0, "b": 100.0})
    with pytest.raises(BatchTimeoutError) as caught:
        tasks.run(timeout=0.5, rate=1)
    assert {"a": "PENDING", "b": None} == caught.value.pending
    assert TaskStatus.PENDING == caught.value.last_status  # never fetched: PENDING


def test_batch_timeout_error_pickles() -> None:
    """The error crosses process pools with its fields."""
    error = BatchTimeoutError({"a": 1}, {"b": None}, TaskStatus.PENDING, 3, 9.0, "x")
    copy = pickle.loads(pickle.dumps(error))
    assert ({"a": 1}, {"b": None}, 3, 9.0) == (
        copy.done,
        copy.pending,
        copy.attempts,
        copy.elapsed,
    )
    assert str(error) == str(copy)


# --- errors and arguments -------------------------------------------------


def test_unexpected_status_names_its_key() -> None:
    """A status polling cannot change raises, naming the task's key."""
    tasks = Tasks({"a": 0.0, "b": 0.0}, final={"b": "SKIPPED"})
    with pytest.raises(BatchError) as caught:
        tasks.run()
    error = cause_of(caught.value, UnexpectedStatusError)
    assert ("b", TaskStatus.SKIPPED, "SKIPPED") == (
        error.key,
        error.status,
        error.result,
    )
    assert "status SKIPPED of task 'b'" in str(error)
    assert {"a": "COMPLETED"} == caught.value.done


def test_fetch_errors_end_the_batch_as_its_cause() -> None:
    """An exception from fetch stops the batch; the BatchError chains it."""
    clock = FakeClock()

    def fetch(key: str) -> str:
        raise ConnectionError(key)

    with pytest.raises(BatchError) as caught:
        poll_many(["a"], fetch=fetch, sleep=clock.sleep, clock=clock.monotonic)
    assert "a" == str(cause_of(caught.value, ConnectionError))
    assert ({}, {"a": None}) == (caught.value.done, caught.value.pending)
    assert str(caught.value) == (
        "the batch stopped with 0 of 1 tasks done: ConnectionError: a"
    )


def cause_of(error: BatchError, expected: type[E]) -> E:
    """The exception a BatchError was raised from, checked to be ``expected``."""
    assert isinstance(error.__cause__, expected)
    return error.__cause__


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({}, TypeError, "give exactly one of fetch .* and fetch_many"),
        (
            {"fetch": str, "fetch_many": dict},
            TypeError,
            "give exactly one of fetch",
        ),
        ({"fetch": "url"}, TypeError, "fetch must be callable or None"),
        ({"fetch": str, "keys": ["a", "b", "a"]}, ValueError, "got 'a' twice"),
        (
            {"fetch": str, "keys": [["a"]]},
            TypeError,
            r"keys must be hashable, got \['a'\]",
        ),
        ({"fetch": str, "keys": "abc"}, TypeError, "not a string"),
        ({"fetch": str, "max_batch": 0}, ValueError, "max_batch must be at least 1"),
        ({"fetch": str, "max_batch": 2.5}, TypeError, "max_batch must be an int"),
        ({"fetch": str, "rate": 0}, ValueError, "rate must be greater than 0"),
        ({"fetch": str, "timeout": -1}, ValueError, "timeout must be greater than 0"),
        ({"fetch": str, "on_done": 1}, TypeError, "on_done must be callable or None"),
        ({"fetch": str, "sleep": None}, TypeError, "sleep must be callable"),
    ],
)
def test_bad_arguments_fail_before_any_fetch(
    arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    """Each bad argument raises, naming it, before a request is made."""
    keys = arguments.pop("keys", ["a", "b"])
    with pytest.raises(error, match=message):
        poll_many(keys, **arguments)


def test_fetch_many_must_answer_a_mapping() -> None:
    """An answer that is not a mapping is a TypeError naming it."""
    clock = FakeClock()
    with pytest.raises(BatchError) as caught:
        poll_many(
            ["a"],
            fetch_many=lambda keys: ["COMPLETED"],  # type: ignore[arg-type,return-value]
            sleep=clock.sleep,
            clock=clock.monotonic,
        )
    error = cause_of(caught.value, TypeError)
    assert str(error).startswith("fetch_many must return a mapping")


def test_a_poll_policy_gets_the_batch_defaults() -> None:
    """policy= may be a plain PollPolicy: its fields, and the batch limits."""
    assert BatchPolicy(timeout=5, max_batch=100, rate=None) == BatchPolicy.of(
        PollPolicy(timeout=5), {}
    )
    assert BatchPolicy(timeout=5, rate=3) == BatchPolicy.of(
        PollPolicy(timeout=5), {"rate": 3}
    )


# --- asyncio --------------------------------------------------------------


def test_async_schedule_matches_the_sync_one() -> None:
    """With one fetch at a time, poll_many_async makes the calls poll_many does."""
    ends = {"a": 2.5, "b": 0.0, "c": 6.0}
    sync, concurrent = Tasks(ends), Tasks(ends)
    assert sync.run(rate=4) == concurrent.run_async(rate=4, max_in_flight=1)
    assert sync.calls == concurrent.calls


def test_async_runs_fetches_concurrently_up_to_the_limit() -> None:
    """Up to max_in_flight fetches are awaited at once, never more."""
    tasks = Tasks({f"t{n}": float(n % 5) for n in range(20)})
    tasks.run_async(max_in_flight=3)
    assert 3 == tasks.most_in_flight
    assert 20 == len({key for _, keys in tasks.calls for key in keys})


def test_async_fetch_many_batches() -> None:
    """poll_many_async batches with fetch_many as poll_many does."""
    ends = {"a": 0.0, "b": 0.0, "c": 3.0}
    sync, concurrent = Tasks(ends), Tasks(ends)
    sync.run(fetch_many=sync.fetch_many, max_batch=2)
    concurrent.run_async(fetch_many=concurrent.afetch_many, max_batch=2)
    assert sync.calls == concurrent.calls


def test_async_deadline() -> None:
    """The batch deadline holds for poll_many_async too."""
    tasks = Tasks({"a": 100.0})
    with pytest.raises(BatchTimeoutError) as caught:
        tasks.run_async(timeout=4)
    assert (4, {"a": "PENDING"}) == (tasks.clock.monotonic(), caught.value.pending)


def test_async_with_the_default_sleep_waits_for_real() -> None:
    """Without a sleep, poll_many_async waits on the event loop."""

    async def fetch(key: str) -> str:
        return "COMPLETED" if asyncio.get_running_loop().time() >= done else "PENDING"

    async def main() -> dict[str, str]:
        return await poll_many_async(
            ["a", "b"], fetch=fetch, initial_delay=0.02, jitter=False
        )

    done = 0.0

    async def scenario() -> dict[str, str]:
        nonlocal done
        done = asyncio.get_running_loop().time() + 0.03
        return await main()

    assert {"a": "COMPLETED", "b": "COMPLETED"} == asyncio.run(scenario())


def test_async_waits_for_slow_fetches_and_due_tasks_together() -> None:
    """A slow fetch in flight does not hold back a task that falls due.

    The slow fetch answers only once the quick task was polled three times:
    were the quick polls held back behind it, the batch would time out.
    """
    clock = FakeClock()
    polls: dict[str, int] = {"slow": 0, "quick": 0}

    async def main() -> dict[str, str]:
        quick_done = asyncio.Event()  # made in the loop: 3.9 binds it there

        async def fetch(key: str) -> str:
            polls[key] += 1
            if key == "slow":
                await quick_done.wait()
                return "COMPLETED"
            if polls[key] == 3:
                quick_done.set()
                return "COMPLETED"
            return "PENDING"

        return await poll_many_async(
            ["slow", "quick"],
            fetch=fetch,
            initial_delay=0.01,
            max_delay=0.01,
            jitter=False,
            timeout=60,
            sleep=clock.asleep,
            clock=clock.monotonic,
        )

    result = asyncio.run(main())
    assert {"slow": "COMPLETED", "quick": "COMPLETED"} == result
    assert {"slow": 1, "quick": 3} == polls


def test_async_one_in_flight_waits_for_it() -> None:
    """With max_in_flight=1 a slow fetch is awaited before the next call."""
    order: list[str] = []

    async def fetch(key: str) -> str:
        order.append(f"start {key}")
        await asyncio.sleep(0.01)
        order.append(f"end {key}")
        return "COMPLETED"

    asyncio.run(poll_many_async(["a", "b"], fetch=fetch, max_in_flight=1))
    assert ["start a", "end a", "start b", "end b"] == order


@pytest.mark.parametrize("timeout", [30.0, None])
def test_async_in_real_time_waits_without_a_sleeper_task(
    timeout: float | None,
) -> None:
    """With the real clock, waiting is the loop's own timer: no task of its own.

    Whatever the machine's speed, the tasks alive are the batch's and the
    fetches in flight, and none is left after it returns.
    """
    sleepers: list[int] = []  # tasks that do nothing but sleep, seen by a fetch

    async def fetch(key: str) -> str:
        await asyncio.sleep(0.01)
        names = [
            getattr(task.get_coro(), "__qualname__", "") for task in asyncio.all_tasks()
        ]
        sleepers.append(names.count("sleep"))
        return "COMPLETED"

    async def scenario() -> tuple[dict[str, str], set[asyncio.Task[Any]]]:
        result = await poll_many_async(
            ["a", "b", "c"], fetch=fetch, max_in_flight=2, rate=100, timeout=timeout
        )
        return result, asyncio.all_tasks() - {asyncio.current_task()}

    result, left = asyncio.run(scenario())
    assert {"a": "COMPLETED", "b": "COMPLETED", "c": "COMPLETED"} == result
    assert set() == left
    assert [0, 0, 0] == sleepers


def test_async_no_keys() -> None:
    """An empty batch returns {} at once."""

    async def fetch(key: str) -> str:
        raise AssertionError

    assert {} == asyncio.run(poll_many_async([], fetch=fetch))


def test_async_cancellation_leaves_no_task_behind() -> None:
    """Cancelling the batch cancels the fetches in flight, and waits for them."""
    started: list[str] = []
    cancelled: list[str] = []

    async def fetch(key: str) -> str:
        started.append(key)
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(key)
            raise
        return "COMPLETED"

    async def scenario() -> set[asyncio.Task[Any]]:
        batch = asyncio.ensure_future(
            poll_many_async(["a", "b", "c"], fetch=fetch, max_in_flight=2)
        )
        while len(started) < 2:
            await asyncio.sleep(0)
        batch.cancel()
        with pytest.raises(asyncio.CancelledError):
            await batch
        return asyncio.all_tasks() - {asyncio.current_task()}

    assert set() == asyncio.run(scenario())
    assert ["a", "b"] == sorted(cancelled)


def test_async_fetch_errors_cancel_the_others() -> None:
    """An exception from one fetch propagates; the fetches in flight end."""
    cancelled: list[str] = []

    async def fetch(key: str) -> str:
        if key == "bad":
            raise ConnectionError(key)
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(key)
            raise
        return "COMPLETED"

    with pytest.raises(BatchError) as caught:
        asyncio.run(poll_many_async(["good", "bad"], fetch=fetch))
    assert "bad" == str(cause_of(caught.value, ConnectionError))
    assert ["good"] == cancelled


def test_async_an_on_done_error_waits_for_the_answers_beside_it() -> None:
    """Answers that came in together are all recorded before the error ends it."""
    seen: list[str] = []

    async def fetch(_key: str) -> str:
        await asyncio.sleep(0)  # both answers arrive in one turn of the loop
        return "COMPLETED"

    def on_done(key: str, _result: str) -> None:
        seen.append(key)
        if key == "a":
            raise LookupError(key)

    with pytest.raises(BatchError) as caught:
        asyncio.run(
            poll_many_async(["a", "b"], fetch=fetch, on_done=on_done, max_in_flight=2)
        )
    assert "a" == str(cause_of(caught.value, LookupError))
    assert (["a", "b"], ["a", "b"]) == (seen, list(caught.value.done))


class Steps:
    """A `Batch` on a clock set by hand: calls taken and answered at given times."""

    def __init__(self, keys: list[str], *, many: bool = True, **policy: Any) -> None:
        self.now = 0.0
        options = BatchPolicy(jitter=False, **policy)
        self.batch = status_batch(keys, options, lambda: self.now, many=many)

    def step(self, when: float) -> Call[str] | float | None:
        """What the batch says to do at ``when``."""
        self.now = when
        return self.batch.next_step()

    def call(self, when: float) -> Call[str]:
        """The call the batch plans at ``when`` (there must be one)."""
        step = self.step(when)
        assert isinstance(step, Call), step
        return step

    def answer(self, call: Call[str], when: float, **statuses: str) -> None:
        """Record, at ``when``, each task's status (PENDING unless named)."""
        self.now = when
        answers = {key: statuses.get(key, "PENDING") for key in call.keys}
        self.batch.record(call.keys, answers, call.started)


def test_the_rate_is_spaced_from_when_a_late_call_really_starts() -> None:
    """A call taken late counts from then: the next one waits the spacing."""
    steps = Steps(["a", "b", "c"], many=False, rate=1)
    first = steps.call(0.0)
    assert (["a"], 0.0) == (first.keys, first.started)
    second = steps.call(5.0)  # the caller comes back late: b is long due
    assert (["b"], 5.0) == (second.keys, second.started)
    assert 1.0 == steps.step(5.0)  # c: a second after b, not after a


@pytest.mark.parametrize(
    ("answered", "polled", "rides"),
    [(0.0, 0.0, True), (0.5, 0.0, False), (0.0, 0.5, False)],
)
def test_a_task_rides_along_within_initial_delay_if_rested_as_long(
    answered: float, polled: float, rides: bool
) -> None:
    """At the bounds: due exactly initial_delay later, rested exactly as long."""
    steps = Steps(["a", "b", "c"], initial_delay=2, max_delay=2, max_batch=2)
    first = steps.call(0.0)
    second = steps.call(polled)
    assert (["a", "b"], ["c"]) == (first.keys, second.keys)
    steps.answer(first, 0.0, b="COMPLETED")  # a is due at 2
    steps.answer(second, 2.0 + answered)  # c is due at 4 (or 4.5)
    # At 2, c is due within initial_delay (exactly 2 s counts) and has
    # rested as long since its poll (exactly 2 s counts): it rides along.
    assert (["a", "c"] if rides else ["a"]) == steps.call(2.0).keys


def test_the_last_round_asks_the_tasks_rested_and_not_in_flight() -> None:
    """At the deadline: rested exactly initial_delay counts; in flight does not."""
    steps = Steps(
        ["a", "b", "c"], initial_delay=2, max_delay=2, max_batch=1, timeout=10
    )
    for _ in range(3):
        steps.answer(steps.call(0.0), 0.0)  # each due at 2
    steps.answer(steps.call(8.0), 8.0)  # a: polled at 8
    steps.answer(steps.call(8.5), 8.5)  # b: polled at 8.5
    in_flight = steps.call(8.5)  # c: polled long ago, now in flight
    assert ["c"] == in_flight.keys
    assert ["a"] == steps.call(10.0).keys  # a rested 2 s: the last round
    assert steps.step(10.0) is None  # nothing else: b rested 1.5 s only


def test_no_last_round_call_starts_when_its_grace_is_over() -> None:
    """At deadline + DEADLINE_GRACE exactly, the round's remaining calls are off."""
    steps = Steps(["a", "b"], initial_delay=1, max_delay=1, max_batch=1, timeout=10)
    for _ in range(2):
        steps.answer(steps.call(0.0), 0.0)
    assert ["a"] == steps.call(10.0).keys  # the last round: a, then b
    assert steps.step(10.0 + DEADLINE_GRACE) is None  # b is not asked: a is out


def test_with_a_rate_the_last_round_waits_for_no_one() -> None:
    """At the deadline, a call the rate does not allow yet is not made at all."""
    steps = Steps(
        ["a", "b"], initial_delay=1, max_delay=1, max_batch=1, rate=1, timeout=10
    )
    steps.answer(steps.call(0.0), 0.0)  # a
    steps.answer(steps.call(1.0), 1.0)  # b, a second later
    steps.answer(steps.call(9.5), 9.5)  # a again, late
    with pytest.raises(BatchTimeoutError):  # b would be 0.5 s after a
        steps.step(10.0)


def test_async_max_in_flight_is_checked() -> None:
    """max_in_flight must be an int of at least 1, before any fetch."""

    async def fetch(key: str) -> str:
        raise AssertionError

    with pytest.raises(ValueError, match="max_in_flight must be at least 1"):
        asyncio.run(poll_many_async(["a"], fetch=fetch, max_in_flight=0))


# --- for all batches ------------------------------------------------------


@settings(max_examples=150)
@given(
    ends=st.lists(st.floats(min_value=0, max_value=300), min_size=1, max_size=30),
    rate=st.none() | st.floats(min_value=0.5, max_value=50),
    max_batch=st.integers(min_value=1, max_value=8),
    many=st.booleans(),
    jitter=st.booleans(),
    initial=st.floats(min_value=0.1, max_value=5),
)
def test_batch_properties(  # noqa: PLR0917 - one argument per strategy
    ends: list[float],
    rate: float | None,
    max_batch: int,
    many: bool,
    jitter: bool,
    initial: float,
) -> None:
    """Every task settles once; the rate, the floor and settling are respected."""
    tasks = Tasks({f"t{n}": end for n, end in enumerate(ends)})
    settled: list[str] = []

    def on_done(key: str, _result: str) -> None:
        settled.append(key)

    options: dict[str, Any] = {"fetch_many": tasks.fetch_many} if many else {}
    result = tasks.run(
        rate=rate,
        max_batch=max_batch,
        jitter=jitter,
        initial_delay=initial,
        max_delay=max(initial, 30),
        timeout=None,
        on_done=on_done,
        **options,
    )
    assert sorted(settled) == sorted(tasks.ends) == sorted(result)
    starts = [time for time, _ in tasks.calls]
    if rate is not None:
        assert all(b - a >= 1 / rate - 1e-9 for a, b in zip(starts, starts[1:]))
    for key, end in tasks.ends.items():
        polls = tasks.polls_of(key)
        assert all(b - a >= initial - 1e-9 for a, b in zip(polls, polls[1:]))
        assert polls[-1] >= end  # settled by its last poll, never polled after
        assert all(poll < end for poll in polls[:-1])
    assert all(len(keys) <= (max_batch if many else 1) for _, keys in tasks.calls)


# --- the deadline holds whatever the fetches do ---------------------------


def test_the_last_round_of_slow_fetches_overruns_by_about_one_fetch() -> None:
    """Each fetch takes 0.6 s: the round at the deadline stops after its grace.

    Without the grace, all eight tasks would be fetched one after another
    in the last round, 4.8 s past a 1 s deadline.
    """
    clock = FakeClock()
    calls: list[float] = []

    def fetch(key: str) -> str:
        calls.append(clock.monotonic())
        clock.advance(0.6)
        return "PENDING"

    with pytest.raises(BatchTimeoutError) as caught:
        poll_many(
            [f"t{n}" for n in range(8)],
            fetch=fetch,
            timeout=1,
            sleep=clock.sleep,
            clock=clock.monotonic,
        )
    assert [0, 0.6, 1.2] == [round(time, 6) for time in calls]
    assert 1.8 == round(clock.monotonic(), 6)  # deadline + grace + one fetch
    assert 3 == caught.value.attempts
    assert 5 == sum(result is None for result in caught.value.pending.values())


def _never_answering(
    started: list[str], cancelled: list[str]
) -> Callable[[str], Awaitable[str]]:
    async def fetch(key: str) -> str:
        started.append(key)
        try:
            await asyncio.Event().wait()  # no answer, ever
        except asyncio.CancelledError:
            cancelled.append(key)
            raise
        raise AssertionError  # pragma: no cover - never reached

    return fetch


def test_async_fetches_that_never_answer_are_cancelled_at_the_grace() -> None:
    """timeout=0.5 with fetches that hang: BatchTimeoutError at 0.5 s + grace.

    No fetch is started past the deadline by a busy batch, and none is left
    running.
    """
    clock = FakeClock()
    started: list[str] = []
    cancelled: list[str] = []

    async def scenario() -> set[asyncio.Task[Any]]:
        with pytest.raises(BatchTimeoutError) as caught:
            await poll_many_async(
                ["a", "b", "c", "d"],
                fetch=_never_answering(started, cancelled),
                max_in_flight=2,
                timeout=0.5,
                sleep=clock.asleep,
                clock=clock.monotonic,
            )
        assert {"a": None, "b": None, "c": None, "d": None} == caught.value.pending
        assert (2, 0.5 + DEADLINE_GRACE) == (
            caught.value.attempts,
            caught.value.elapsed,
        )
        return asyncio.all_tasks() - {asyncio.current_task()}

    assert set() == asyncio.run(scenario())
    assert (["a", "b"], ["a", "b"]) == (started, sorted(cancelled))
    assert 0.5 + DEADLINE_GRACE == clock.monotonic()


def test_async_a_fetch_answering_within_the_grace_is_kept() -> None:
    """A fetch in flight at the deadline that answers before the grace counts."""
    clock = FakeClock()

    async def fetch(key: str) -> str:
        while clock.monotonic() < 1.2:  # answers at 1.2 s: past the deadline
            await asyncio.sleep(0)
        return "COMPLETED"

    result = asyncio.run(
        poll_many_async(
            ["a"], fetch=fetch, timeout=1, sleep=clock.asleep, clock=clock.monotonic
        )
    )
    assert {"a": "COMPLETED"} == result


def test_async_the_fetch_without_a_deadline_is_awaited() -> None:
    """With timeout=None nothing is cancelled: a slow fetch is waited for."""
    clock = FakeClock()

    async def main() -> dict[str, str]:
        release = asyncio.Event()  # made in the loop: 3.9 binds it there

        async def fetch(key: str) -> str:
            if key == "slow":
                await release.wait()
                await asyncio.sleep(0.01)  # real I/O: the batch waits on it
            else:
                clock.advance(3600)
                release.set()
            return "COMPLETED"

        return await poll_many_async(
            ["slow", "quick"],
            fetch=fetch,
            timeout=None,
            sleep=clock.asleep,
            clock=clock.monotonic,
        )

    result = asyncio.run(main())
    assert {"slow": "COMPLETED", "quick": "COMPLETED"} == result


# --- nothing fetched is lost ----------------------------------------------


def test_results_done_before_a_fetch_error_are_kept() -> None:
    """A batch of ten that fails at the eighth task keeps the seven."""
    clock = FakeClock()

    def fetch(key: int) -> str:
        if key == 7:
            raise ConnectionError("reset")
        return "COMPLETED"

    with pytest.raises(BatchError) as caught:
        poll_many(range(10), fetch=fetch, sleep=clock.sleep, clock=clock.monotonic)
    assert dict.fromkeys(range(7), "COMPLETED") == caught.value.done
    assert dict.fromkeys(range(7, 10)) == caught.value.pending
    assert "7 of 10 tasks done: ConnectionError: reset" in str(caught.value)


@pytest.mark.parametrize("callback", ["on_done", "on_progress"])
def test_results_done_before_a_callback_error_are_kept(callback: str) -> None:
    """An exception from on_done or on_progress keeps what was done."""
    clock = FakeClock()
    seen: list[object] = []

    def fail_on_second(*arguments: object) -> None:
        seen.append(arguments)
        if len(seen) == 2:
            raise RuntimeError(callback)

    with pytest.raises(BatchError) as caught:
        poll_many(
            ["a", "b", "c"],
            fetch=lambda key: "COMPLETED",
            sleep=clock.sleep,
            clock=clock.monotonic,
            **{callback: fail_on_second},  # type: ignore[arg-type]
        )
    assert callback == str(cause_of(caught.value, RuntimeError))
    assert {"a": "COMPLETED", "b": "COMPLETED"} == caught.value.done
    assert {"c": None} == caught.value.pending


def test_fetch_many_keeps_the_good_answers_of_a_bad_call() -> None:
    """One answer without a status: the others of the same call are taken."""
    clock = FakeClock()
    with pytest.raises(BatchError) as caught:
        poll_many(
            ["a", "b", "c"],
            fetch_many=lambda keys: {"a": "COMPLETED", "b": 42, "c": "FAILED"},
            sleep=clock.sleep,
            clock=clock.monotonic,
        )
    assert "cannot find a status in 42" in str(cause_of(caught.value, TypeError))
    assert {"a": "COMPLETED", "c": "FAILED"} == caught.value.done
    assert {"b": None} == caught.value.pending


def test_async_answers_of_the_same_step_as_an_error_are_kept() -> None:
    """One fetch raises while two others have answered: those two count."""
    clock = FakeClock()

    async def fetch(key: str) -> str:
        if key == "bad":
            raise ConnectionError(key)
        return "COMPLETED"

    with pytest.raises(BatchError) as caught:
        asyncio.run(
            poll_many_async(
                ["good", "bad", "also good"],
                fetch=fetch,
                sleep=clock.asleep,
                clock=clock.monotonic,
            )
        )
    assert {"good": "COMPLETED", "also good": "COMPLETED"} == caught.value.done


def test_batch_error_pickles() -> None:
    """The error crosses process pools with its fields."""
    error = BatchError({"a": 1}, {"b": None})
    copy = pickle.loads(pickle.dumps(error))
    assert ({"a": 1}, {"b": None}) == (copy.done, copy.pending)
    assert "the batch stopped with 1 of 2 tasks done" == str(copy)


def test_async_a_fetch_that_cancels_itself_cancels_the_batch() -> None:
    """A fetch raising CancelledError is not an answer: the batch is cancelled."""
    clock = FakeClock()

    async def fetch(key: str) -> str:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(
            poll_many_async(
                ["a"], fetch=fetch, sleep=clock.asleep, clock=clock.monotonic
            )
        )


def test_poll_many_reads_each_result_with_the_vocabulary() -> None:
    """A batch of GitHub runs: a completed run with a failure is FAILED."""
    clock = FakeClock()
    runs = {
        "ok": [{"status": "queued"}, {"status": "completed", "conclusion": "success"}],
        "bad": [{"status": "completed", "conclusion": "failure"}],
    }
    settled: dict[str, TaskStatus] = {}
    poll_many(
        list(runs),
        fetch=lambda key: runs[key].pop(0),
        vocabulary="github-actions",
        on_done=lambda key, run: settled.update(
            {key: vocabulary("github-actions").status_of(run)}
        ),
        sleep=clock.sleep,
        clock=clock.monotonic,
    )
    assert {"bad": TaskStatus.FAILED, "ok": TaskStatus.COMPLETED} == settled

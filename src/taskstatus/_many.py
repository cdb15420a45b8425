"""Polling many tasks at once: one deadline, one request budget, a board.

`poll_many` and `poll_many_async` drive `Batch`, which decides without I/O
which tasks to ask about next and when; the single-task pieces they share
(how a result is read, when a status ends the wait) are in `taskstatus._poll`.
"""

from __future__ import annotations

import contextlib
import heapq
import math
import time
import warnings
from collections.abc import Awaitable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Generic, TypeVar, cast

from ._checks import check_count
from ._errors import (
    BatchError,
    BatchTimeoutError,
    pending_status,
    show_value,
)
from ._policy import (
    DEADLINE_GRACE,
    BatchPolicy,
    Deadline,
    PollPolicy,
)
from ._poll import T, check_callables, ends_wait, status_reader
from ._status import TaskStatus

if TYPE_CHECKING:
    import asyncio

    from typing_extensions import Unpack

    from ._board import TaskBoard, TaskRecord
    from ._policy import BatchOptions

K = TypeVar("K", bound=Hashable)

TIME_EPSILON = 1e-9
"""Seconds of float rounding below which a planned start counts as now."""

SETTLE_YIELDS = 8
"""How many times poll_many_async yields to the event loop before it sleeps,
so that fetches already started, which finish without real I/O, are recorded
first: with a virtual clock, a sleep moves time at once."""


@dataclass(frozen=True)
class BatchProgress:
    """What ``on_progress`` of `poll_many` is told after each fetch call.

    Attributes:
        total: How many tasks the batch holds.
        done: How many of them the batch is done with: they reached a
            status in ``stop_on``, or the board holds them as settled.
        counts: The latest status of every task fetched so far, counted
            (tasks never fetched yet are not in it).
        calls: How many fetch calls were made so far.
        elapsed: Seconds since the batch started, on its clock.
        remaining: Seconds left before the deadline, or ``None`` without one.
    """

    total: int
    done: int
    counts: Mapping[TaskStatus, int]
    calls: int
    elapsed: float
    remaining: float | None

    @property
    def settled(self) -> int:
        """Deprecated: read `done`; "settled" means `SETTLED_STATUSES`."""
        warnings.warn(
            "BatchProgress.settled is deprecated; use BatchProgress.done",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.done


_Outcome = tuple[TaskStatus, object, object]
"""What one call says of one task: its status, its result, the server's word."""


@dataclass(frozen=True)
class Call(Generic[K]):
    """One fetch call the batch plans: which keys, and the start planned."""

    keys: list[K]
    started: float


class _Task:
    """The bookkeeping of one task not done yet: a few floats, no generator."""

    __slots__ = ("ceiling", "due", "key", "last_poll", "place", "result", "status")

    def __init__(self, key: Hashable, place: int, ceiling: float, due: float) -> None:
        self.key = key
        self.place = place  # in the order of the keys: breaks ties in the heap
        self.ceiling = ceiling  # the capped exponential value of the next delay
        self.due = due  # when the next poll is planned; inf while in flight
        self.last_poll = -math.inf  # when the last fetch call for it started
        self.result: object = None
        self.status: TaskStatus | None = None


class Batch(Generic[K, T]):
    """The decisions of poll_many, with no I/O: which keys to fetch, when.

    `next_step` answers keys to fetch now or seconds to wait; `record` takes
    the answers of a call. `poll_many` and `poll_many_async` only fetch and
    sleep around it, as `poll` does around `PollLoop`.
    """

    def __init__(
        self,
        keys: list[K],
        policy: BatchPolicy,
        *,
        many: bool,
        read_status: Callable[[T], tuple[TaskStatus, object]],
        on_done: Callable[[K, T], object] | None,
        on_progress: Callable[[BatchProgress], object] | None,
        clock: Callable[[], float],
        board: TaskBoard[K] | None = None,
    ) -> None:
        self._policy = policy
        self._board = board
        self._limit = policy.max_batch if many else 1
        self._many = many
        self._spacing = 0.0 if policy.rate is None else 1 / policy.rate
        self._read_status = read_status
        self._on_done = on_done
        self._on_progress = on_progress
        self._clock = clock
        self._keys = keys
        self._deadline = Deadline(policy.timeout, clock)
        start = self._deadline.start
        self._done: dict[K, T] = {}
        self._counts = dict.fromkeys(TaskStatus, 0)
        known = self._done_on_board(keys)
        self._tasks = {
            key: _Task(key, place, policy.initial_delay, start)
            for place, key in enumerate(keys)
            if key not in known
        }
        # (due, place, task): the place breaks ties in the order of keys, so
        # neither keys nor tasks are ever compared; it is one int object per
        # task, made once. Already a heap: all are due now.
        self._heap = [(start, task.place, task) for task in self._tasks.values()]
        self._calls = 0
        self._in_flight = 0
        self._last_start = -math.inf
        self._last_round: list[K] | None = None
        for key, record in known.items():
            self._mark_done(key, record.status, cast("T", record.result))

    @property
    def finished(self) -> bool:
        """Whether the batch is done with every task."""
        return not self._tasks

    def next_step(self) -> Call[K] | float | None:
        """Return the fetch call to make now, the seconds to wait, or ``None``.

        ``None`` means: nothing can start before a fetch in flight reports.
        A `Call` carries what its ``record`` needs: the keys, and the start
        it was planned for.

        Raises:
            BatchTimeoutError: The deadline passed and its last round is over.
        """
        now = self._clock()
        if self._last_round is None and not self._deadline.reached(now):
            if not self._heap:
                return None
            due = self._heap[0][0]  # every task waiting has one entry in the heap
            start = max(due, self._last_start + self._spacing)
            if start - now > TIME_EPSILON:
                return self._deadline.cap(start - now, now)
            keys = self._due_keys(now) if self._many else self._next_key()
            keys = self._not_done_meanwhile(keys)
            if not keys:  # a webhook was quicker: plan again
                return 0.0
            return self._take(keys, max(now, start))
        if self._last_round is None:
            self._last_round = self._due_at_the_deadline(now)
        return self._last_round_step(now)

    def record(self, keys: list[K], answers: Mapping[K, T], started: float) -> None:
        """Take the answers of one fetch call that asked about ``keys``.

        Every good answer is taken (and merged into the board) before the
        first bad one raises: a status that cannot be found, a result the
        board cannot hold, a status polling cannot change, or an exception
        from ``on_done`` or ``on_progress``.

        Raises:
            UnexpectedStatusError: A status in neither stop_on nor poll_on,
                naming its key.
        """
        self._in_flight -= 1
        now = self._clock()
        policy = self._policy
        tasks = self._tasks
        counts = self._counts
        errors: list[Exception] = []
        if self._board is not None:
            outcomes = self._merge(keys, answers, errors)
        else:
            outcomes = {}
            for key in keys:
                try:
                    outcomes[key] = self._outcome(tasks[key], key, answers)
                except Exception as error:  # noqa: BLE001 - raised below
                    errors.append(error)
        for key, (status, result, word) in outcomes.items():
            task = tasks[key]
            task.last_poll = started
            task.result = result
            try:
                if ends_wait(policy, status, result, key, word=word):
                    self._mark_done(key, status, cast("T", result))
                    continue
            except Exception as error:  # noqa: BLE001 - raised below
                errors.append(error)
                continue
            if task.status is not None:
                counts[task.status] -= 1
            counts[status] += 1
            task.status = status
            if self._last_round is None:
                task.due = now + policy.draw(task.ceiling)
                task.ceiling = policy.next_ceiling(task.ceiling)
                heapq.heappush(self._heap, (task.due, task.place, task))
        if errors:
            raise errors[0]
        if self._on_progress is not None:
            self._on_progress(
                BatchProgress(
                    len(self._keys),
                    len(self._done),
                    MappingProxyType(
                        {status: n for status, n in self._counts.items() if n}
                    ),
                    self._calls,
                    self._deadline.elapsed(now),
                    self._deadline.remaining(now),
                )
            )

    def results(self) -> dict[K, T]:
        """Return the results of the tasks done, by key, in the order of the keys."""
        return {key: self._done[key] for key in self._keys}

    def _outcome(self, task: _Task, key: K, answers: Mapping[K, T]) -> _Outcome:
        """The status, result and server's word a call's answers give for a task."""
        if key in answers:
            answer = answers[key]
            status, word = self._read_status(answer)
            return status, answer, word
        # Left out of the answers: as good as UNKNOWN.
        return TaskStatus.UNKNOWN, task.result, None

    def _merge(
        self, keys: list[K], answers: Mapping[K, T], errors: list[Exception]
    ) -> dict[K, _Outcome]:
        """Merge a call's good answers into the board; return what it holds.

        They are on the board before anything can raise, and what the board
        knows (a webhook's terminal status) wins over a late poll. A bad
        answer is left out and its error added to ``errors``.
        """
        from ._board import check_result  # noqa: PLC0415 - loaded with the board

        board = cast("TaskBoard[K]", self._board)
        tasks = self._tasks
        updates: dict[K, tuple[TaskStatus, object]] = {}
        words: dict[K, object] = {}
        for key in keys:
            try:
                status, result, words[key] = self._outcome(tasks[key], key, answers)
                check_result(key, result)
            except Exception as error:  # noqa: BLE001 - raised by record()
                errors.append(error)
                continue
            updates[key] = (status, result)
        merged = board.merge(updates)
        # The server's word goes with the status it gave, not the board's.
        return {
            key: (
                merged[key].status,
                merged[key].result,
                words[key] if merged[key].status is status else None,
            )
            for key, (status, _) in updates.items()
        }

    def _mark_done(self, key: K, status: TaskStatus, result: T) -> None:
        task = self._tasks.pop(key, None)
        if task is not None and task.status is not None:
            self._counts[task.status] -= 1
        self._counts[status] += 1
        self._done[key] = result
        if self._on_done is not None:
            self._on_done(key, result)

    def _done_on_board(self, keys: list[K]) -> dict[K, TaskRecord]:
        """The records the board holds of tasks done already: settled, or in stop_on."""
        if self._board is None:
            return {}
        self._board.check_keys(keys)
        stop_on = self._policy.stop_on
        return {
            key: record
            for key, record in self._board.records(keys).items()
            if record.settled or record.status in stop_on
        }

    def _not_done_meanwhile(self, keys: list[K]) -> list[K]:
        """Mark done the keys the board has seen settle since; return the others."""
        done = self._done_on_board(keys)
        for key, record in done.items():
            self._mark_done(key, record.status, cast("T", record.result))
        return [key for key in keys if key not in done] if done else keys

    def _next_key(self) -> list[K]:
        """Pop the key of the task due first."""
        task = heapq.heappop(self._heap)[2]
        task.due = math.inf
        return [cast("K", task.key)]

    def _due_keys(self, now: float) -> list[K]:
        """Pop the keys of a fetch_many call: those due, earliest first.

        Tasks due within ``initial_delay`` ride along, when they have rested
        as long since their last poll.
        """
        floor = self._policy.initial_delay
        heap = self._heap
        keys: list[K] = []
        while heap and len(keys) < self._limit:
            due, _, task = heap[0]
            early = due - now > TIME_EPSILON
            if early and (due - now > floor or now - task.last_poll < floor):
                break
            heapq.heappop(heap)
            task.due = math.inf
            keys.append(cast("K", task.key))
        return keys

    def _take(self, keys: list[K], start: float) -> Call[K]:
        self._calls += 1
        self._in_flight += 1
        # The planned start, not a clock that woke a hair early: the spacing
        # of the rate must not drift.
        self._last_start = start
        return Call(keys, start)

    def _due_at_the_deadline(self, now: float) -> list[K]:
        """Return the keys of the last round, polled at the deadline.

        Every task not in flight that has rested ``initial_delay`` since its
        last poll, earliest due first; with a rate, one call's worth at most.
        """
        floor = self._policy.initial_delay
        waiting = sorted(
            (task.due, index, key)
            for index, (key, task) in enumerate(self._tasks.items())
            if task.due != math.inf and now - task.last_poll >= floor
        )
        keys = [key for _, _, key in waiting]
        if self._spacing:  # the rate allows one call at an instant, or none
            rested = now - self._last_start >= self._spacing - TIME_EPSILON
            return keys[: self._limit] if rested else []
        return keys

    def _last_round_step(self, now: float) -> Call[K] | None:
        keys = [key for key in self._last_round or () if key in self._tasks]
        if keys and self.give_up_in(now) > 0:
            self._last_round = keys[self._limit :]
            for key in keys[: self._limit]:
                self._tasks[key].due = math.inf
            return self._take(keys[: self._limit], now)
        if self._in_flight:
            return None
        raise self.timeout()

    def give_up_in(self, now: float | None = None) -> float:
        """Seconds until the batch gives up on fetches in flight (inf: never).

        That is `DEADLINE_GRACE` past the deadline: the last round's calls
        start before then, and poll_many_async cancels what is still in
        flight then. ``now`` is on the batch's clock, read if not given.
        """
        remaining = self._deadline.remaining(now)
        return math.inf if remaining is None else remaining + DEADLINE_GRACE

    def stopped(self, error: Exception) -> BatchError:
        """The error that ends the batch early: what is done, what is not."""
        done = {key: self._done[key] for key in self._keys if key in self._done}
        pending = {
            key: self._tasks[key].result for key in self._keys if key in self._tasks
        }
        return BatchError(done, pending)

    def timeout(self) -> BatchTimeoutError:
        """The error of a batch whose deadline passed."""
        pending = {
            key: self._tasks[key].result for key in self._keys if key in self._tasks
        }
        status = pending_status(self._tasks[key].status for key in pending)
        done = {key: self._done[key] for key in self._keys if key in self._done}
        return BatchTimeoutError(
            done,
            pending,
            status,
            self._calls,
            self._deadline.elapsed(),
            f"timeout of {self._policy.timeout:g} s",
        )


def poll_many(
    keys: Iterable[K],
    /,
    *,
    fetch: Callable[[K], T] | None = None,
    fetch_many: Callable[[list[K]], Mapping[K, T]] | None = None,
    get_status: Callable[[T], object] | None = None,
    on_done: Callable[[K, T], object] | None = None,
    on_progress: Callable[[BatchProgress], object] | None = None,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    policy: PollPolicy | None = None,
    board: TaskBoard[K] | None = None,
    **options: Unpack[BatchOptions],
) -> dict[K, T]:
    """Poll many tasks until each reaches a status in ``stop_on``, under one budget.

    Each task follows the policy's schedule on its own: polled at once, then
    after ``initial_delay`` up to ``max_delay`` seconds, with jitter, and
    never twice within ``initial_delay``. All of them share one deadline
    (``timeout``) and one request budget (``rate``). Give exactly one of:

    - ``fetch(key)``, which asks about one task per call;
    - ``fetch_many(keys)``, which asks about up to ``max_batch`` tasks in one
      call (a list endpoint filtered by ids) and returns a mapping from key to
      result. A key left out of the answer counts as UNKNOWN for that poll;
      keys that were not asked for are ignored. Tasks due soon ride along in a
      call that has room, when they have rested ``initial_delay`` already.

    Args:
        keys: The tasks' identifiers (ids, URLs): hashable and distinct.
        fetch: Returns the state of the task with the given key.
        fetch_many: Returns the states of the tasks with the given keys.
        get_status: Gives the status of a result, as for `poll`.
        on_done: Called with the key and the result as the batch is done
            with each task.
        on_progress: Called with a `BatchProgress` after each fetch call.
        sleep: Sleeps for the given seconds.
        clock: Monotonic clock, in seconds.
        policy: A `PollPolicy` or `BatchPolicy` to start from; the keywords
            below override it.
        board: A `TaskBoard` that holds the state of the batch: tasks it
            holds as settled are not polled (also when a webhook settles
            them meanwhile), and every result is merged into it before it
            is acted on, so that a batch can resume after a crash.
        **options: The fields of `BatchPolicy`: those of `PollPolicy`, and
            ``max_batch`` (100) and ``rate`` (fetch calls per second; None,
            the default, sets no limit).

    Returns:
        The results of the tasks done, by key, in the order of ``keys``.

    Raises:
        BatchTimeoutError: The deadline passed first; it holds ``done`` and
            ``pending``. The last round of polls happens at the deadline.
        UnexpectedStatusError: A status in neither ``stop_on`` nor
            ``poll_on``, with the task's ``key``.
        ValueError: Duplicate keys or a bad option, before any fetch.
        TypeError: Not exactly one of fetch and fetch_many, or a bad
            argument, before any fetch.
    """
    batch = _start_batch(
        keys,
        fetch=fetch,
        fetch_many=fetch_many,
        get_status=get_status,
        on_done=on_done,
        on_progress=on_progress,
        sleep=sleep,
        clock=clock,
        policy=BatchPolicy.of(policy, options),
        board=board,
    )
    try:
        while not batch.finished:
            step = batch.next_step()
            if isinstance(step, float):
                sleep(step)
                continue
            asked = cast("Call[K]", step)  # None only with calls in flight
            keys_asked = asked.keys
            if fetch is not None:
                answers: Mapping[K, T] = {keys_asked[0]: fetch(keys_asked[0])}
            else:
                answers = _checked_answers(cast("Any", fetch_many)(list(keys_asked)))
            batch.record(keys_asked, answers, asked.started)
    except BatchTimeoutError:
        raise
    except Exception as error:
        raise batch.stopped(error) from error
    return batch.results()


async def poll_many_async(
    keys: Iterable[K],
    /,
    *,
    fetch: Callable[[K], Awaitable[T]] | None = None,
    fetch_many: Callable[[list[K]], Awaitable[Mapping[K, T]]] | None = None,
    max_in_flight: int = 10,
    get_status: Callable[[T], object] | None = None,
    on_done: Callable[[K, T], object] | None = None,
    on_progress: Callable[[BatchProgress], object] | None = None,
    sleep: Callable[[float], Awaitable[object]] | None = None,
    clock: Callable[[], float] = time.monotonic,
    policy: PollPolicy | None = None,
    board: TaskBoard[K] | None = None,
    **options: Unpack[BatchOptions],
) -> dict[K, T]:
    """Await many tasks at once: `poll_many` for asyncio.

    The same as `poll_many`, argument for argument, except that ``fetch`` and
    ``fetch_many`` return awaitables, ``sleep`` is awaited (``None``, the
    default, means `asyncio.sleep`), and up to ``max_in_flight`` fetch calls
    run at once. Cancelling the call cancels the fetches in flight and
    waits for them to end: no task is left behind.
    """
    import asyncio  # noqa: PLC0415 - synchronous users never pay for asyncio

    check_count("max_in_flight", max_in_flight)
    nap = asyncio.sleep if sleep is None else sleep
    batch = _start_batch(
        keys,
        fetch=fetch,
        fetch_many=fetch_many,
        get_status=get_status,
        on_done=on_done,
        on_progress=on_progress,
        sleep=nap,
        clock=clock,
        policy=BatchPolicy.of(policy, options),
        board=board,
    )

    async def call(keys_asked: list[K]) -> Mapping[K, T]:
        if fetch is not None:
            return {keys_asked[0]: await fetch(keys_asked[0])}
        return _checked_answers(await cast("Any", fetch_many)(list(keys_asked)))

    running: dict[asyncio.Future[Mapping[K, T]], Call[K]] = {}
    try:
        while not batch.finished:
            _record_finished(batch, running)
            if batch.finished:
                break
            give_up_in = batch.give_up_in(clock())
            if give_up_in <= 0 and running:
                raise batch.timeout()  # what is still in flight is cancelled
            step = batch.next_step() if len(running) < max_in_flight else None
            if isinstance(step, Call):
                running[asyncio.ensure_future(call(step.keys))] = step
                continue
            wait = give_up_in if step is None else min(step, give_up_in)
            await _wait_for_progress(set(running), wait, sleep)
    except BatchTimeoutError:
        raise
    except Exception as error:
        raise batch.stopped(error) from error
    finally:
        # An answer that came in just before the end is kept (on the board too).
        with contextlib.suppress(Exception):
            _record_finished(batch, running, answers_only=True)
        for future in running:
            future.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
    return batch.results()


def _record_finished(
    batch: Batch[K, T],
    running: dict[asyncio.Future[Mapping[K, T]], Call[K]],
    *,
    answers_only: bool = False,
) -> None:
    """Record every fetch call that has ended, then raise the first error.

    With ``answers_only``, calls that raised are left alone (and running).
    """
    errors: list[BaseException] = []
    # No `continue` here: 3.9's coverage cannot see one at the end of a branch.
    for future in [future for future in running if future.done()]:
        failure = _failure(future)
        if failure is None:
            asked = running.pop(future)
            try:
                batch.record(asked.keys, future.result(), asked.started)
            except Exception as error:  # noqa: BLE001 - the others are recorded first
                errors.append(error)
        elif not answers_only:
            errors.append(failure)
            del running[future]
    if errors:
        raise errors[0]


def _failure(future: asyncio.Future[Any]) -> BaseException | None:
    """What a fetch call that ended raised (cancelled counts), or ``None``."""
    import asyncio  # noqa: PLC0415

    return asyncio.CancelledError() if future.cancelled() else future.exception()


async def _wait_for_progress(
    running: set[asyncio.Future[Any]],
    delay: float,
    sleep: Callable[[float], Awaitable[object]] | None,
) -> None:
    """Wait until a fetch in flight ends or ``delay`` seconds pass (inf: never).

    ``sleep`` is the caller's, or ``None`` for real time.
    """
    import asyncio  # noqa: PLC0415

    if sleep is None:  # real time: the event loop's own timer, no sleeping task
        if not running:
            await asyncio.sleep(delay)
            return
        timeout = None if delay == math.inf else delay
        await asyncio.wait(
            running, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        return
    # Another clock may be virtual: fetches that end without real I/O are
    # recorded before a sleep moves its time on.
    for _ in range(SETTLE_YIELDS if running else 0):
        if any(future.done() for future in running):
            return
        await asyncio.sleep(0)
    if delay == math.inf:
        await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        return
    if not running:
        await sleep(delay)
        return
    sleeper = asyncio.ensure_future(sleep(delay))
    try:
        await asyncio.wait({*running, sleeper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        await asyncio.gather(sleeper, return_exceptions=True)


def _start_batch(
    keys: Iterable[K],
    *,
    fetch: object,
    fetch_many: object,
    get_status: Callable[[T], object] | None,
    on_done: Callable[[K, T], object] | None,
    on_progress: Callable[[BatchProgress], object] | None,
    sleep: object,
    clock: Callable[[], float],
    policy: BatchPolicy,
    board: TaskBoard[K] | None,
) -> Batch[K, T]:
    """Check the arguments of poll_many or poll_many_async; start the batch.

    Every check runs before the first fetch, so a bad argument never costs a
    request.
    """
    if (fetch is None) == (fetch_many is None):
        msg = "give exactly one of fetch (one task per call) and fetch_many"
        raise TypeError(msg)
    check_callables(
        optional=True, fetch=fetch, fetch_many=fetch_many, get_status=get_status
    )
    check_callables(optional=True, on_done=on_done, on_progress=on_progress)
    check_callables(sleep=sleep, clock=clock)
    return Batch(
        _distinct_keys(keys),
        policy,
        many=fetch_many is not None,
        read_status=status_reader(get_status, policy),
        on_done=on_done,
        on_progress=on_progress,
        clock=clock,
        board=board,
    )


def _distinct_keys(keys: Iterable[K]) -> list[K]:
    if isinstance(keys, (str, bytes)):
        msg = f"keys must be an iterable of task keys, not a string: {show_value(keys)}"
        raise TypeError(msg)
    listed = list(keys)
    seen: set[K] = set()
    for key in listed:
        try:
            if key in seen:
                msg = f"keys must be distinct, got {show_value(key)} twice"
                raise ValueError(msg)
        except TypeError:
            msg = f"keys must be hashable, got {show_value(key)}"
            raise TypeError(msg) from None
        seen.add(key)
    return listed


def _checked_answers(answers: object) -> Mapping[Any, Any]:
    if not isinstance(answers, Mapping):
        shown = show_value(answers)
        msg = f"fetch_many must return a mapping of key to result, got {shown}"
        raise TypeError(msg)
    return answers  # pyright: ignore[reportUnknownVariableType]

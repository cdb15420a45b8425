"""``taskstatus wait`` for many URLs: one deadline, one request rate.

The URLs are followed by the batch of `poll_many` (`Batch`, which decides
without I/O), driven by a `Scheduler` over one set of `Connections`: at
most ``--parallel`` requests in flight and as many connections, kept open
from one request to the next, all moved by one selector in the main
thread. So Ctrl-C or SIGTERM ends the command at once whatever the
requests are doing, and on the way out every connection is closed.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Hashable
from typing import Any, Callable, Generic, NoReturn, TextIO, TypeVar, cast

from .._board import LOCK_TIMEOUT, TaskBoard
from .._errors import (
    BatchError,
    BatchTimeoutError,
    BoardLockedError,
    UnexpectedStatusError,
)
from .._many import Batch, BatchProgress, Call
from .._policy import BatchPolicy, Deadline
from .._poll import ends_wait, status_reader
from .._result import summarize
from .._status import TaskStatus
from ._connections import Connections, Task
from ._exit import FOR_STATUS, ExitCode
from ._http import DeadlineError, FetchError, Response, RetryingFetch, TaskEndpoint
from ._options import (
    FieldError,
    WaitOptions,
    cannot_change,
    read_status,
)
from ._output import Output, Polled, json_word, output, unknown_word_hint
from ._signals import interruption

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

MAX_UNKNOWN_WORDS = 20
"""How many distinct unknown words a batch names before it stops naming
them (a server that makes up words must not flood the output)."""


def wait_many(options: WaitOptions, *, out: TextIO, err: TextIO) -> int:
    """Wait for every URL of ``options``; return the exit code of the batch."""
    view = output(options, out, err)
    try:
        state = _board_for(options.state, options.policy.timeout)
    except BoardLockedError as error:
        view.message(str(error))
        return ExitCode.ERROR
    except ValueError as error:
        view.message(str(error))
        return ExitCode.USAGE
    with state as board:
        return _BatchWait(options, view).run(board)


class _BatchWait:
    """One ``taskstatus wait`` for many URLs: its requests, what settled, the end."""

    def __init__(self, options: WaitOptions, view: Output) -> None:
        self._options = options
        self._view = view
        self._policy = BatchPolicy.of(options.policy, {})
        self._connections = Connections(limit=options.parallel)
        endpoints = (
            TaskEndpoint(url, options.headers, connections=self._connections)
            for url in options.urls
        )
        self._endpoints = {endpoint.key: endpoint for endpoint in endpoints}
        self._settled: dict[str, Polled] = {}
        self._unknown_words: set[object] = set()
        self._progress: BatchProgress | None = None
        self._board: TaskBoard[str] | None = None
        # Started once every URL is prepared: the batch's own deadline
        # starts with it, and the retries share it.
        self._deadline = Deadline(self._policy.timeout, time.monotonic)
        self._fetchers = {
            key: RetryingFetch(
                endpoint,
                retries=options.retries,
                policy=self._policy,
                deadline=self._deadline,
                on_retry=lambda _error, _attempt, _delay: None,
            )
            for key, endpoint in self._endpoints.items()
        }

    def run(self, board: TaskBoard[str] | None) -> int:
        """Wait for all the URLs; return the exit code."""
        self._board = board
        try:
            return self._run(board)
        finally:
            self._connections.close()

    def _run(self, board: TaskBoard[str] | None) -> int:
        view = self._view
        try:
            self._wait_all(board)
        except BatchTimeoutError as error:
            unsettled = [self._endpoints[key].shown for key in error.pending]
            view.message(
                f"reached the timeout of {self._policy.timeout:g} s with "
                f"{len(unsettled)} of {len(self._endpoints)} tasks unsettled"
            )
            return self._final(ExitCode.TIMEOUT, "timeout", unsettled=unsettled)
        except KeyboardInterrupt as stop:
            code, word = interruption(stop)
            view.message(word)
            return self._final(code, "interrupted")
        except BatchError as error:  # the --state file: locked, or cannot merge
            view.message(str(error.__cause__))
            return self._final(ExitCode.ERROR, "error")
        return self._done()

    def _wait_all(self, board: TaskBoard[str] | None) -> None:
        """Poll every URL, with a heartbeat on the view while it lasts."""
        batch: Batch[str, dict[str, object]] = Batch(
            list(self._endpoints),
            self._policy,
            many=False,
            read_status=status_reader(None, self._policy),
            on_done=self._on_done,
            on_progress=self._on_progress,
            clock=time.monotonic,
            board=board,
        )
        scheduler = Scheduler(
            batch,
            self._polling,
            connections=self._connections,
            size=self._options.parallel,
            on_answer=self._unknown_word,
        )
        scheduler.run(every=self._options.heartbeat, beat=self._heartbeat)

    def _heartbeat(self) -> None:
        """Tell the view how the batch stands (every `WaitOptions.heartbeat` s)."""
        self._view.heartbeat(self._progress, self._deadline.remaining())

    def _polling(self, key: str) -> Task[dict[str, object]]:
        """One request for one URL, as a task: its status, or its error."""
        polled = yield from self._poll_once(key)
        return polled.to_dict()

    def _poll_once(self, key: str) -> Task[Polled]:
        try:
            response: Response = yield from self._fetchers[key].fetching()
        except DeadlineError:  # the batch's deadline will end the wait
            return Polled(TaskStatus.UNKNOWN)
        except FetchError as error:
            return Polled(TaskStatus.FAILED, error=str(error))
        options = self._options
        try:
            status, word = read_status(response.body, options.field, options.vocabulary)
        except FieldError as error:
            return Polled(TaskStatus.FAILED, error=str(error))
        try:
            ends_wait(self._policy, status, response)  # the rule of every poll
        except UnexpectedStatusError:
            message = cannot_change(status, word)
            return Polled(TaskStatus.FAILED, error=message, word=json_word(word))
        return Polled(status, word=json_word(word))

    def _unknown_word(self, key: str, answer: dict[str, object]) -> None:
        """Say once per word (and at most `MAX_UNKNOWN_WORDS`) it is unknown."""
        word = answer["word"]
        if answer["status"] != TaskStatus.UNKNOWN or word in self._unknown_words:
            return
        if len(self._unknown_words) >= MAX_UNKNOWN_WORDS:
            return
        hint = unknown_word_hint(TaskStatus.UNKNOWN, word, self._options.vocabulary)
        if hint is not None:
            self._unknown_words.add(word)
            self._view.warning(f"{self._endpoints[key].shown}: {hint}")

    def _on_done(self, key: str, result: object) -> None:
        record = None if self._board is None else self._board.get(key)
        polled = self._settled[key] = Polled.from_record(record, result)
        self._view.task(self._endpoints[key].shown, polled)

    def _on_progress(self, progress: BatchProgress) -> None:
        self._progress = progress
        self._view.progress(progress)

    def _done(self) -> int:
        settled = self._settled.values()
        if any(polled.error is not None for polled in settled):
            return self._final(ExitCode.ERROR, "done")
        overall = summarize(polled.status for polled in settled).overall
        code = FOR_STATUS.get(overall, ExitCode.ERROR)
        return self._final(code, "done", status=overall.value)

    def _final(self, code: int, event: str, **fields: object) -> int:
        self._view.finish()
        settled = self._settled.values()
        # A task that ended in an error is counted as one, not by its status.
        statuses = summarize(p.status for p in settled if p.error is None).counts
        record = {
            "event": event,
            "exit_code": code,
            "total": len(self._endpoints),
            "counts": {str(s): n for s, n in statuses.items() if n},
            "errors": sum(polled.error is not None for polled in settled),
            "requests": 0 if self._progress is None else self._progress.calls,
            "elapsed": self._deadline.elapsed(),
            **fields,
        }
        self._view.final(record)
        self._view.summary(record)
        return code


def _board_for(
    path: str | None, timeout: float | None
) -> contextlib.AbstractContextManager[Any]:
    """Open the --state board, if there is one, for the length of the wait.

    A lock held by another process is waited for `LOCK_TIMEOUT` seconds at
    most, and never longer than ``--timeout``.

    Raises:
        ValueError: The file is no board, is damaged or read-only, or cannot
            be opened.
        BoardLockedError: Another process held the file's lock too long.
    """
    if path is None:
        return contextlib.nullcontext()
    lock_timeout = LOCK_TIMEOUT if timeout is None else min(LOCK_TIMEOUT, timeout)
    return TaskBoard.open(path, lock_timeout=lock_timeout)


class Scheduler(Generic[K, T]):
    """Drives one batch to its end: its tasks, at most ``size`` at once, on one loop.

    Asks the batch (`Batch`, which decides without I/O) for the next call,
    starts its task on ``connections``, and records the answer the task
    returns; in between it moves the connections, the heartbeat and the
    deadline's grace, all in the calling thread. Ctrl-C, which Python
    raises there, ends it wherever it is.
    """

    def __init__(
        self,
        batch: Batch[K, T],
        task: Callable[[K], Task[T]],
        *,
        connections: Connections,
        size: int,
        on_answer: Callable[[K, T], object],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._batch = batch
        self._task = task
        self._connections = connections
        self._on_answer = on_answer
        self._size = size
        self._clock = clock
        self._in_flight = 0
        self._failure: BaseException | None = None

    def run(self, *, every: float, beat: Callable[[], object]) -> None:
        """Drive the batch to its end; call ``beat`` every ``every`` seconds.

        Raises:
            BatchTimeoutError: The deadline passed, as `poll_many_async` says.
            BatchError: Anything else that stopped the batch, as its cause.
        """
        batch = self._batch
        beat_at = self._clock() + every
        while True:
            wait = self._start_calls()
            if self._failure is not None:
                self._raise(self._failure)
            if batch.finished:
                return
            now = self._clock()
            if now >= beat_at:
                beat()
                beat_at = now + every
            timeout = beat_at - now if wait is None else min(wait, beat_at - now)
            # With calls in flight, the batch gives up on them at the
            # deadline's grace, and so does this.
            if self._in_flight:
                give_up_in = batch.give_up_in()  # on the batch's own clock
                if give_up_in <= 0:
                    raise batch.timeout()
                timeout = min(timeout, give_up_in)
            self._connections.step(max(0.0, timeout))

    def _raise(self, failure: BaseException) -> NoReturn:
        """Raise what stopped the batch, as `run` says.

        A timeout, an exit or an interrupt is raised as is; anything else
        becomes the cause of the batch's `BatchError`.
        """
        if isinstance(failure, Exception) and not isinstance(
            failure, BatchTimeoutError
        ):
            raise self._batch.stopped(failure) from failure
        raise failure

    def _start_calls(self) -> float | None:
        """Start the calls the batch plans; return how long until the next one.

        None: not before a call in flight is recorded.
        """
        batch = self._batch
        try:
            # A task can fail as it starts: spawn() reports it at once.
            while (
                self._failure is None
                and self._in_flight < self._size
                and not batch.finished
            ):
                step = batch.next_step()
                if not isinstance(step, Call):
                    return step
                (key,) = step.keys
                self._in_flight += 1
                self._connections.spawn(
                    self._task(key), functools.partial(self._answered, step, key)
                )
        except Exception as error:  # noqa: BLE001 - raised by run()
            self._failure = error
        return None

    def _answered(
        self, step: Call[K], key: K, answer: T | None, error: Exception | None
    ) -> None:
        self._in_flight -= 1
        if self._failure is not None:
            return  # too late: dropped, as a cancelled fetch is
        if error is not None:
            self._failure = error
            return
        answer = cast("T", answer)
        try:
            self._on_answer(key, answer)
            self._batch.record(step.keys, {key: answer}, step.started)
        except Exception as failure:  # noqa: BLE001 - raised by run()
            self._failure = failure

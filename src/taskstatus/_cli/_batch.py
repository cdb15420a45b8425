"""``taskstatus wait`` for many URLs: one deadline, one request rate.

The URLs are followed by the batch of `poll_many` (`Batch`, which decides
without I/O), driven by a fixed set of daemon threads (`Workers`:
http.client blocks), so that Ctrl-C or SIGTERM ends the command at once
whatever the requests are doing. They share one set of `Connections`, as
many as there are workers, kept open from one request to the next. On the
way out every request still in flight is cut, the workers joined and the
connections closed, so that none is at work while the interpreter shuts
down.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Hashable
from typing import Any, Callable, Generic, TextIO, TypeVar

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
from ._connections import Connections, Stopper
from ._exit import FOR_STATUS, ExitCode
from ._http import DeadlineError, FetchError, RetryingFetch, TaskEndpoint
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

THREAD_JOIN_TIMEOUT = 5.0
"""Seconds the command waits on its way out for request threads to end
(their requests are cut first, so they end at once)."""


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
        self._stopper = Stopper()
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
                stopper=self._stopper,
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
        workers = Workers(
            batch,
            self._fetch,
            size=self._options.parallel,
            on_answer=self._unknown_word,
        )
        try:
            workers.run(every=self._options.heartbeat, beat=self._heartbeat)
        finally:
            self._stopper.stop()  # cuts the requests in flight: workers end soon
            workers.stop(THREAD_JOIN_TIMEOUT)

    def _heartbeat(self) -> None:
        """Tell the view how the batch stands (every `WaitOptions.heartbeat` s)."""
        self._view.heartbeat(self._progress, self._deadline.remaining())

    def _poll_once(self, key: str) -> Polled:
        """One request for one URL, in a worker: its status, or its error."""
        try:
            response = self._fetchers[key]()
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

    def _fetch(self, key: str) -> dict[str, object]:
        return self._poll_once(key).to_dict()

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


class Workers(Generic[K, T]):
    """A fixed set of daemon threads that drive one batch to its end.

    Each worker asks the batch (`Batch`, which decides without I/O) for the
    next call, makes it with the lock released, and records its answer: at
    most ``size`` requests in flight, and no thread per request nor event
    loop to hand them through. The thread that calls `run` only waits: for
    the end, for the heartbeat, for the deadline's grace to run out while
    requests are in flight, and for Ctrl-C, which Python raises there alone.
    Daemon threads, not an executor: an executor's threads are joined when
    the interpreter exits, so Ctrl-C would wait for requests in flight.
    """

    def __init__(
        self,
        batch: Batch[K, T],
        call: Callable[[K], T],
        *,
        size: int,
        on_answer: Callable[[K, T], object],
    ) -> None:
        self._batch = batch
        self._call = call
        self._on_answer = on_answer
        self._size = size
        self._lock = threading.Lock()
        self._plan = threading.Condition(self._lock)  # workers wait here
        self._end = threading.Condition(self._lock)  # run() waits here
        self._in_flight = 0
        self._over = False
        self._failure: BaseException | None = None
        self.threads: list[threading.Thread] = []

    def run(self, *, every: float, beat: Callable[[], object]) -> None:
        """Drive the batch to its end; call ``beat`` every ``every`` seconds.

        ``beat`` and ``on_answer`` (told of each answer before the batch
        records it), like the batch's own ``on_done`` and ``on_progress``,
        run under the workers' lock: one at a time.

        Raises:
            BatchTimeoutError: The deadline passed, as `poll_many_async` says.
            BatchError: Anything else that stopped the batch, as its cause.
        """
        try:
            with self._lock:
                if not self._batch.finished:
                    for _ in range(self._size):
                        thread = threading.Thread(target=self._work, daemon=True)
                        self.threads.append(thread)
                        thread.start()  # it waits for the lock: this thread waits
                self._watch(every, beat)
        finally:
            with self._lock:  # Ctrl-C too: no worker starts another call
                self._over = True
                self._plan.notify_all()
                failure = self._failure
                stopped = (
                    self._batch.stopped(failure)
                    if isinstance(failure, Exception)
                    and not isinstance(failure, BatchTimeoutError)
                    else None
                )
        if stopped is not None:
            raise stopped from failure
        if failure is not None:  # the timeout, or SystemExit and its kin
            raise failure

    def stop(self, timeout: float) -> None:
        """Wait ``timeout`` seconds at most for each worker to end.

        Ended by `run`; a request still in flight ends its worker when it
        returns, so cut the requests first.
        """
        for thread in self.threads:
            thread.join(timeout)

    def _watch(self, every: float, beat: Callable[[], object]) -> None:
        """Wait, with the lock, until the batch ends or its grace runs out."""
        batch = self._batch
        beat_at = time.monotonic() + every
        while self._failure is None and not batch.finished:
            now = time.monotonic()
            if now >= beat_at:
                beat()
                beat_at = now + every
            wait = beat_at - now
            # With nothing in flight a worker is waiting for the batch's next
            # step, which ends at the deadline; with calls in flight, the
            # batch gives up on them at the deadline's grace, and so does this.
            if self._in_flight:
                give_up_in = batch.give_up_in()  # on the batch's own clock
                if give_up_in <= 0:
                    self._failure = batch.timeout()  # what is in flight is cut
                    return
                wait = min(wait, give_up_in)
            self._end.wait(wait)

    def _work(self) -> None:
        with self._lock:
            try:
                self._drive()
            except BaseException as error:  # noqa: BLE001 - raised by run()
                if not self._ended():
                    self._failure = error
                    self._end.notify()

    def _ended(self) -> bool:
        """Whether the run is over or has failed (with the lock held)."""
        return self._over or self._failure is not None

    def _drive(self) -> None:
        """Make the calls the batch plans, one at a time, until it is over."""
        batch = self._batch
        lock = self._lock
        while not (self._ended() or batch.finished):
            step = batch.next_step()
            if isinstance(step, Call):
                self._in_flight += 1
                if self._in_flight == 1:  # run() now watches the grace too
                    self._end.notify()
                (key,) = step.keys
                lock.release()
                try:
                    answer = self._call(key)
                finally:
                    lock.acquire()
                    self._in_flight -= 1
                if self._ended():  # another thread ended it meanwhile
                    return  # too late: dropped, as a cancelled fetch is
                self._on_answer(key, answer)
                # This worker plans next: another would only plan the same.
                batch.record(step.keys, {key: answer}, step.started)
                if batch.finished:
                    self._end.notify()
            else:
                # None: nothing starts before a call in flight is recorded,
                # and the worker that records it plans next (past the
                # deadline's grace, run() ends the batch).
                self._plan.wait(step)

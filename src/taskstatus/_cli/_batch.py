"""``taskstatus wait`` for many URLs: one deadline, one request rate.

The URLs are followed with `poll_many_async`; the requests run in a fixed
set of daemon threads (`Workers`: http.client blocks), so that Ctrl-C or
SIGTERM ends the command at once whatever the requests are doing. They
share one set of `Connections`, as many as there are workers, kept open
from one request to the next. On the way out every request still in flight
is cut, the workers joined and the connections closed, so that none is at
work while the interpreter shuts down.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from functools import partial
from typing import Any, Callable, TextIO, TypeVar

from .._board import LOCK_TIMEOUT, TaskBoard
from .._errors import (
    BatchError,
    BatchTimeoutError,
    BoardLockedError,
    UnexpectedStatusError,
)
from .._many import BatchProgress, poll_many_async
from .._policy import BatchPolicy, Deadline
from .._poll import ends_wait
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

R = TypeVar("R")

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
        self._workers = Workers(options.parallel)
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
            self._stopper.stop()  # cuts the requests in flight: workers end soon
            self._workers.stop(THREAD_JOIN_TIMEOUT)
            self._connections.close()

    def _run(self, board: TaskBoard[str] | None) -> int:
        view = self._view
        try:
            asyncio.run(self._wait_all(board))
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

    async def _wait_all(self, board: TaskBoard[str] | None) -> None:
        """Poll every URL, with a heartbeat on the view while it lasts."""
        heartbeat = asyncio.ensure_future(self._heartbeat())
        try:
            await poll_many_async(
                list(self._endpoints),
                fetch=self._fetch,
                on_done=self._on_done,
                on_progress=self._on_progress,
                max_in_flight=self._options.parallel,
                policy=self._policy,
                board=board,
            )
        finally:
            heartbeat.cancel()

    async def _heartbeat(self) -> None:
        """Tell the view how the batch stands every `WaitOptions.heartbeat` s."""
        while True:
            await asyncio.sleep(self._options.heartbeat)
            self._view.heartbeat(self._progress, self._deadline.remaining())

    def _poll_once(self, key: str) -> Polled:
        """One request for one URL, in a thread: its status, or its error."""
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

    async def _fetch(self, key: str) -> dict[str, object]:
        polled = await self._workers.run(self._poll_once, key)
        self._unknown_word(key, polled)
        return polled.to_dict()

    def _unknown_word(self, key: str, polled: Polled) -> None:
        """Say once per word (and at most `MAX_UNKNOWN_WORDS`) it is unknown."""
        word = polled.word
        if word in self._unknown_words or len(self._unknown_words) >= MAX_UNKNOWN_WORDS:
            return
        hint = unknown_word_hint(polled.status, word, self._options.vocabulary)
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


_Job = tuple[
    Callable[[str], Any], str, "asyncio.Future[Any]", asyncio.AbstractEventLoop
]
"""A blocking call, its argument, and the future of the loop that awaits it."""


class Workers:
    """A fixed set of daemon threads that run the batch's blocking requests.

    At most ``size`` threads, started as the work needs them and reused for
    every request after: not a thread per request. Daemon threads, not an
    executor: an executor's threads are joined when the interpreter exits,
    so Ctrl-C would wait for requests in flight. `stop` ends them.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self.threads: list[threading.Thread] = []

    async def run(self, function: Callable[[str], R], argument: str) -> R:
        """Run ``function(argument)`` in a worker and await its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        with self._lock:
            if self._idle:
                self._idle -= 1
            elif len(self.threads) < self._size:
                thread = threading.Thread(target=self._work, daemon=True)
                self.threads.append(thread)
                thread.start()
            # else: every worker is busy; the job waits for the first free one
        self._jobs.put((function, argument, future, loop))
        return await future

    def stop(self, timeout: float) -> None:
        """End the workers: each finishes its job, then stops (waited ``timeout``)."""
        for _ in self.threads:
            self._jobs.put(None)
        for thread in self.threads:
            thread.join(timeout)

    def _work(self) -> None:
        job = self._jobs.get()
        while job is not None:
            self._do(*job)
            with self._lock:
                self._idle += 1
            job = self._jobs.get()

    @staticmethod
    def _do(
        function: Callable[[str], Any],
        argument: str,
        future: asyncio.Future[Any],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        def settle(setter: Callable[[Any], object], value: object) -> None:
            if not future.done():  # cancelled meanwhile
                setter(value)

        if future.done():  # cancelled while it waited for a worker: no request
            return
        try:
            report = partial(settle, future.set_result, function(argument))
        except BaseException as error:  # noqa: BLE001 - handed to the awaiting task
            report = partial(settle, future.set_exception, error)
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
            loop.call_soon_threadsafe(report)

"""``taskstatus wait URL``: poll a task endpoint until the task ends."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, TextIO, cast

from .._errors import PollTimeoutError, UnexpectedStatusError, show_value
from .._policy import DEFAULT_POLICY, Deadline, PollPolicy
from .._poll import PollEvent, poll
from .._result import TaskResult
from .._status import TaskStatus
from .._vocabulary import Vocabulary
from .._vocabulary import vocabulary as built_in
from ._http import DeadlineError, FetchError, Response, RetryingFetch, TaskEndpoint
from ._progress import (
    JSONProgress,
    LineProgress,
    Progress,
    TerminalProgress,
    json_word,
    shown_status,
)
from ._safe import safe_text
from ._signals import interruption

EXIT_CODES: Mapping[TaskStatus, int] = {
    TaskStatus.COMPLETED: 0,
    TaskStatus.COMPLETED_WITH_ERRORS: 3,
    TaskStatus.FAILED: 4,
    TaskStatus.CANCELED: 5,
}
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 124

MAX_ITEMS_SHOWN = 10
"""How many failed items of one error code the final report lists."""

RETRIES = 3
"""How many times a request is retried after a transient failure, by default."""


PARALLEL = 4
"""How many requests ``taskstatus wait`` has in flight at once, by default."""

RATE = 10.0
"""How many requests per second ``taskstatus wait`` makes for many tasks, by
default."""


@dataclass(frozen=True)
class WaitOptions:
    """The settings of one ``taskstatus wait``, already checked by the parser.

    With one URL and ``batch`` false, the task is followed alone, with its
    own report; otherwise the URLs are waited on together (`wait_many`),
    under the policy's ``rate`` and with ``parallel`` requests in flight,
    their progress kept on the board file ``state`` if there is one. Each
    body is read by ``vocabulary`` at ``field`` (`read_status`).
    """

    urls: tuple[str, ...]
    vocabulary: Vocabulary = dataclasses.field(
        default_factory=lambda: built_in("mixpeek")
    )
    field: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    policy: PollPolicy = DEFAULT_POLICY
    quiet: bool = False
    json: bool = False
    retries: int = RETRIES
    batch: bool = False
    parallel: int = PARALLEL
    state: str | None = None


class FieldError(Exception):
    """The status field is not where --field says."""


def read_status(
    body: object, field: str, vocabulary: Vocabulary
) -> tuple[TaskStatus, object]:
    """Read a response body as ``--field`` and ``--vocabulary`` say.

    ``field`` leads to what the vocabulary reads ("" for the whole body):
    the object that holds the fields it reads, or the word itself.

    Raises:
        FieldError: ``field`` is not in the body, or the object it leads to
            holds none of the fields the vocabulary reads.
    """
    target = status_at(body, field) if field else body
    if not isinstance(target, Mapping):  # the word itself, or no object at all
        return vocabulary.coerce(target), target
    paths = [f"{field}.{path}" if field else path for path in vocabulary.fields]
    if not any(_holds(body, path) for path in paths):
        if len(paths) == 1:
            status_at(body, paths[0])  # raises, naming the step that is missing
        shown = ", ".join(show_value(path) for path in paths)
        msg = (
            f"none of the fields {vocabulary.name} reads is in the response "
            f"body: {safe_text(shown)}"
        )
        raise FieldError(msg)
    return vocabulary.read(cast("Mapping[str, object]", target))


def _holds(body: object, path: str) -> bool:
    try:
        status_at(body, path)
    except FieldError:
        return False
    return True


def status_at(body: object, path: str) -> object:
    """Follow a dotted path (``data.task.status``, ``items.0.status``) into JSON."""
    value = body
    for step, key in enumerate(path.split(".")):
        value = _child(value, key)
        if value is _MISSING:
            where = ".".join(path.split(".")[:step]) or "the top level"
            msg = (
                f"no field {show_value(path)} in the response body: "
                f"no {show_value(key)} at {safe_text(where)}"
            )
            raise FieldError(msg)
    return value


_MISSING = object()


def _child(value: object, key: str) -> object:
    """Return ``value[key]`` for a JSON object or array, or ``_MISSING``."""
    if isinstance(value, Mapping):
        return cast("Mapping[str, object]", value).get(key, _MISSING)
    if isinstance(value, list) and key.isascii() and key.isdigit():
        items = cast("list[object]", value)
        return items[int(key)] if int(key) < len(items) else _MISSING
    return _MISSING


def wait(
    options: WaitOptions,
    *,
    out: TextIO,
    err: TextIO,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Run ``taskstatus wait``; return its exit code."""
    if options.batch or len(options.urls) > 1 or options.state is not None:
        from ._batch import wait_many  # noqa: PLC0415 - it loads asyncio

        return wait_many(options, out=out, err=err)
    return _wait_one(options, out=out, err=err, sleep=sleep, clock=clock)


def _wait_one(
    options: WaitOptions,
    *,
    out: TextIO,
    err: TextIO,
    sleep: Callable[[float], object],
    clock: Callable[[], float],
) -> int:
    """Follow the one URL of ``options`` with its own progress and report."""
    progress = _progress_for(options, out, err)
    deadline = Deadline(options.policy.timeout, clock)
    fetch = RetryingFetch(
        TaskEndpoint(options.urls[0], options.headers),
        retries=options.retries,
        policy=options.policy,
        deadline=deadline,
        on_retry=progress.retry,
        sleep=sleep,
    )
    attempts = 1  # the fetch that ends the wait, plus one per poll event

    def read(response: Response) -> tuple[TaskStatus, object]:
        return read_status(response.body, options.field, options.vocabulary)

    def on_poll(event: PollEvent[Response]) -> None:
        nonlocal attempts
        attempts = event.attempt + 1
        # The poll read a status; the progress shows the server's word too.
        progress.poll(dataclasses.replace(event, word=read(event.result)[1]))

    def fail(code: int, event: str, message: str) -> int:
        progress.finish()
        print(f"taskstatus wait: {message}", file=err, flush=True)
        record = {"event": event, "exit_code": code, "message": message}
        progress.final({**record, "elapsed": deadline.elapsed()})
        return code

    try:
        response = poll(
            fetch,
            get_status=lambda response: read(response)[0],
            retry_after=lambda response: response.retry_after,
            on_poll=on_poll,
            sleep=sleep,
            clock=clock,
            policy=options.policy,
        )
    except (PollTimeoutError, DeadlineError) as error:
        return fail(EXIT_TIMEOUT, "timeout", str(error))
    except UnexpectedStatusError as error:
        word = read(cast("Response", error.result))[1]
        return fail(EXIT_ERROR, "error", cannot_change(error.status, word))
    except (FetchError, FieldError) as error:
        return fail(EXIT_ERROR, "error", str(error))
    except KeyboardInterrupt as stop:
        code, signalled = interruption(stop)
        return fail(code, "interrupted", signalled)
    progress.finish()
    status, word = read_status(response.body, options.field, options.vocabulary)
    elapsed = deadline.elapsed()
    result = _task_result(response.body, options.field, err)
    code = EXIT_CODES[status]
    if options.json:
        progress.final(
            {
                "event": "done",
                "status": status.value,
                "word": json_word(word),
                "exit_code": code,
                "attempts": attempts,
                "elapsed": elapsed,
                "result": None if result is None else result.to_dict(),
            }
        )
    elif not options.quiet:
        _report(shown_status(status, word), attempts, elapsed, result, out)
    return code


def _progress_for(options: WaitOptions, out: TextIO, err: TextIO) -> Progress:
    if options.json:
        return JSONProgress(out)
    if options.quiet:
        return Progress()
    if err.isatty():
        return TerminalProgress(err, options.vocabulary.name)
    return LineProgress(err, options.vocabulary.name)


def cannot_change(status: TaskStatus, word: object) -> str:
    """Say that the task is at a status that waiting cannot change."""
    return f"the task is {shown_status(status, word)}, which waiting cannot change"


def _task_result(body: object, field: str, err: TextIO) -> TaskResult[Any] | None:
    """Find a partial-success result beside the status field, or further out.

    The object holding the status is tried first, then each object holding
    that one, up to the top level of the body.
    """
    steps = field.split(".") if field else []
    for depth in range(len(steps), -1, -1):
        holder = status_at(body, ".".join(steps[:depth])) if depth else body
        if not _holds_result(holder):
            continue
        try:
            return TaskResult.from_dict(holder)
        except ValueError as error:
            message = safe_text(str(error))
            print(
                f"taskstatus wait: ignoring the result in the body: {message}", file=err
            )
            return None
    return None


def _holds_result(value: object) -> bool:
    keys = ("successful_items", "failed_items")
    return all(_child(value, key) is not _MISSING for key in keys)


def _report(
    status: str,
    attempts: int,
    elapsed: float,
    result: TaskResult[Any] | None,
    out: TextIO,
) -> None:
    plural = "" if attempts == 1 else "s"
    lines = [f"{status} after {attempts} poll{plural} in {elapsed:.1f} s"]
    if result is not None:
        lines.append(
            f"success rate: {result.success_rate:.1f}% "
            f"({result.success_count} of {result.total} items succeeded)"
        )
        if result.failed:
            lines.append("failed items by error code:")
        for code, failures in result.failures_by_code().items():
            shown = [_item_text(failure.item) for failure in failures[:MAX_ITEMS_SHOWN]]
            more = len(failures) - len(shown)
            listing = ", ".join(shown) + (f", and {more} more" if more else "")
            label = safe_text(code, 60) if code else "(no code)"
            lines.append(f"  {label} ({len(failures)}): {listing}")
    print("\n".join(lines), file=out, flush=True)


def _item_text(item: object) -> str:
    # Items come from a JSON body of bounded depth, so json.dumps can always
    # write them back; the text is the server's, so it is escaped and cut.
    return safe_text(item if isinstance(item, str) else json.dumps(item), 60)

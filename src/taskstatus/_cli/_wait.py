"""``taskstatus wait URL``: poll a task endpoint until the task ends."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, TextIO, cast

from .._backoff import Backoff
from .._errors import PollTimeoutError, UnexpectedStatusError
from .._parse import coerce_status
from .._poll import PollEvent, poll
from .._result import TaskResult
from .._status import TaskStatus
from ._http import FetchError, Response, RetryingFetch
from ._progress import JSONProgress, LineProgress, Progress, TerminalProgress

EXIT_CODES: Mapping[TaskStatus, int] = {
    TaskStatus.COMPLETED: 0,
    TaskStatus.COMPLETED_WITH_ERRORS: 3,
    TaskStatus.FAILED: 4,
    TaskStatus.CANCELED: 5,
}
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 124
EXIT_INTERRUPTED = 130

MAX_ITEMS_SHOWN = 10
"""How many failed items of one error code the final report lists."""


@dataclass(frozen=True)
class WaitOptions:
    """The settings of one ``taskstatus wait``, already checked by the parser."""

    url: str
    field: str = "status"
    headers: tuple[tuple[str, str], ...] = ()
    timeout: float = 900.0
    initial_delay: float = 1.0
    max_delay: float = 30.0
    jitter: bool = True
    quiet: bool = False
    json: bool = False
    retries: int = 3


class FieldError(Exception):
    """The status field is not where --field says."""


def status_at(body: object, path: str) -> object:
    """Follow a dotted path (``data.task.status``, ``items.0.status``) into JSON."""
    value = body
    for step, key in enumerate(path.split(".")):
        value = _child(value, key)
        if value is _MISSING:
            where = ".".join(path.split(".")[:step]) or "the top level"
            msg = f"no field {path!r} in the response body: no {key!r} at {where}"
            raise FieldError(msg)
    return value


_MISSING = object()


def _child(value: object, key: str) -> object:
    """Return ``value[key]`` for a JSON object or array, or ``_MISSING``."""
    if isinstance(value, Mapping):
        return cast("Mapping[str, object]", value).get(key, _MISSING)
    if isinstance(value, list) and key.isdigit():
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
    progress = _progress_for(options, out, err)
    backoff = Backoff(options.initial_delay, options.max_delay, 2.0, options.jitter)
    start = clock()
    fetch = RetryingFetch(
        options.url,
        dict(options.headers),
        retries=options.retries,
        backoff=backoff,
        deadline=start + options.timeout,
        on_retry=progress.retry,
        sleep=sleep,
        clock=clock,
    )
    attempts = 1  # the fetch that ends the wait, plus one per poll event

    def on_poll(event: PollEvent[Response]) -> None:
        nonlocal attempts
        attempts = event.attempt + 1
        progress.poll(event)

    try:
        response = poll(
            fetch,
            get_status=lambda response: status_at(response.body, options.field),
            retry_after=lambda response: response.retry_after,
            initial_delay=options.initial_delay,
            max_delay=options.max_delay,
            jitter=options.jitter,
            timeout=options.timeout,
            on_poll=on_poll,
            sleep=sleep,
            clock=clock,
        )
    except PollTimeoutError as error:
        return _fail(progress, err, EXIT_TIMEOUT, "timeout", str(error))
    except UnexpectedStatusError as error:
        message = f"the task is {error.status}, which waiting cannot change"
        return _fail(progress, err, EXIT_ERROR, "error", message)
    except (FetchError, FieldError) as error:
        return _fail(progress, err, EXIT_ERROR, "error", str(error))
    except KeyboardInterrupt:
        return _fail(progress, err, EXIT_INTERRUPTED, "interrupted", "interrupted")
    progress.finish()
    status = coerce_status(status_at(response.body, options.field))
    elapsed = clock() - start
    result = _task_result(response.body, options.field, err)
    code = EXIT_CODES[status]
    if options.json:
        progress.final(
            {
                "event": "done",
                "status": status.value,
                "exit_code": code,
                "attempts": attempts,
                "elapsed": elapsed,
                "result": None if result is None else result.to_dict(),
            }
        )
    elif not options.quiet:
        _report(status, attempts, elapsed, result, out)
    return code


def _progress_for(options: WaitOptions, out: TextIO, err: TextIO) -> Progress:
    if options.json:
        return JSONProgress(out)
    if options.quiet:
        return Progress()
    if err.isatty():
        return TerminalProgress(err)
    return LineProgress(err)


def _fail(progress: Progress, err: TextIO, code: int, event: str, message: str) -> int:
    progress.finish()
    print(f"taskstatus wait: {message}", file=err, flush=True)
    progress.final({"event": event, "exit_code": code, "message": message})
    return code


def _task_result(body: object, field: str, err: TextIO) -> TaskResult[Any] | None:
    """Find a partial-success result next to the status field, if there is one."""
    parent_path = field.rpartition(".")[0]
    holder = status_at(body, parent_path) if parent_path else body
    keys = ("successful_items", "failed_items")
    if _child(holder, keys[0]) is _MISSING or _child(holder, keys[1]) is _MISSING:
        return None
    try:
        return TaskResult.from_dict(holder)
    except ValueError as error:
        print(f"taskstatus wait: ignoring the result in the body: {error}", file=err)
        return None


def _report(
    status: TaskStatus,
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
            lines.append(f"  {code or '(no code)'} ({len(failures)}): {listing}")
    print("\n".join(lines), file=out, flush=True)


def _item_text(item: object) -> str:
    # Items come from a JSON body, so json.dumps can always write them back.
    return item if isinstance(item, str) else json.dumps(item)

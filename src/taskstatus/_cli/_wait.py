"""``taskstatus wait URL``: follow one task endpoint until the task ends."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any, Callable, TextIO, cast

from .._errors import PollTimeoutError, UnexpectedStatusError
from .._policy import Deadline, usable_hint
from .._poll import PollEvent, poll
from .._result import TaskResult
from .._status import TaskStatus
from ._connections import Connections
from ._exit import FOR_STATUS, ExitCode
from ._http import DeadlineError, FetchError, Response, RetryingFetch, TaskEndpoint
from ._options import (
    FieldError,
    WaitOptions,
    cannot_change,
    holds,
    read_status,
    status_at,
)
from ._output import json_word, output
from ._safe import safe_text, shown_status
from ._signals import interruption

MAX_ITEMS_SHOWN = 10
"""How many failed items of one error code the final report lists."""


def wait_one(
    options: WaitOptions,
    *,
    out: TextIO,
    err: TextIO,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Follow the one URL of ``options`` with its own progress and report."""
    progress = output(options, out, err)
    deadline = Deadline(options.policy.timeout, clock)
    connections = Connections()  # one, kept from poll to poll
    fetch = RetryingFetch(
        TaskEndpoint(options.urls[0], options.headers, connections=connections),
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
        # The poll read a status; the progress shows the server's word too,
        # and says when the delay is the one the server asked for.
        progress.poll(
            dataclasses.replace(event, word=read(event.result)[1]),
            hinted=usable_hint(event.result.retry_after) is not None,
        )

    def fail(code: int, event: str, message: str) -> int:
        progress.message(message)
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
        return fail(ExitCode.TIMEOUT, "timeout", str(error))
    except UnexpectedStatusError as error:
        word = read(cast("Response", error.result))[1]
        return fail(ExitCode.ERROR, "error", cannot_change(error.status, word))
    except (FetchError, FieldError) as error:
        return fail(ExitCode.ERROR, "error", str(error))
    except KeyboardInterrupt as stop:
        code, signalled = interruption(stop)
        return fail(code, "interrupted", signalled)
    finally:
        connections.close()
    progress.finish()
    status, word = read_status(response.body, options.field, options.vocabulary)
    elapsed = deadline.elapsed()
    # --quiet prints errors only: a result that cannot be read is no error.
    result = _task_result(response.body, options.field, None if options.quiet else err)
    code = FOR_STATUS[status]
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


def _task_result(
    body: object, field: str, err: TextIO | None
) -> TaskResult[Any] | None:
    """Find a partial-success result beside the status field, or further out.

    One that cannot be read is ignored, and said so on ``err`` if given.

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
            if err is not None:
                message = safe_text(str(error))
                print(
                    f"taskstatus wait: ignoring the result in the body: {message}",
                    file=err,
                )
            return None
    return None


def _holds_result(value: object) -> bool:
    keys = ("successful_items", "failed_items")
    return all(holds(value, key) for key in keys)


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

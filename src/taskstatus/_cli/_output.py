"""What ``taskstatus wait`` shows, for one task and for many: one family.

Four forms, chosen by one selector (`output_for`): `Output` shows errors
only (``--quiet``), `Lines` a plain line per poll or settled task (a pipe,
a CI log), `Terminal` one line redrawn in place, and `JSONLines` one JSON
object per event on stdout. ``poll`` and ``retry`` follow one task;
``task``, ``progress``, ``heartbeat`` and ``summary`` a batch; ``message``,
``warning``, ``finish`` and ``final`` serve both.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO, cast

from .._errors import show_value
from .._many import BatchProgress
from .._parse import coerce_status
from .._poll import PollEvent
from .._status import TaskStatus
from .._vocabulary import Vocabulary, holds_word
from ._exit import FOR_STATUS, ExitCode
from ._http import FetchError
from ._options import WaitOptions, output_for
from ._safe import safe_text, shown_status

if TYPE_CHECKING:
    from .._board import TaskRecord

MAX_URLS_SHOWN = 10
"""How many unsettled URLs the report at the deadline lists."""

MAX_WORD_LENGTH = 200
"""The longest server word a --json record carries; longer ones are cut."""


def seconds(value: float) -> str:
    """Show a duration in seconds, as briefly as its size allows."""
    # Tenths of a second are plenty for the usual delays of seconds; short
    # ones (the demo, tests) get hundredths instead of a bare "0.0".
    return f"{value:.1f} s" if value >= 1 else f"{value:.2f} s"


def json_word(word: object) -> object:
    """The server's word as a --json record carries it: JSON text, or null."""
    if isinstance(word, str):
        return word[:MAX_WORD_LENGTH]
    if word is None or isinstance(word, (bool, int)):
        return word
    return None  # an object, a list, or a number that is no whole one


def unknown_word_hint(
    status: TaskStatus, word: object, vocabulary: Vocabulary
) -> str | None:
    """Say that a word was read as UNKNOWN for want of it, and how to map it.

    None when there is nothing to say: the status is not UNKNOWN, there was
    no word, or the table itself reads the word as UNKNOWN (``MANAGED``,
    ``STATE_UNSPECIFIED``).
    """
    if status is not TaskStatus.UNKNOWN or word is None or holds_word(vocabulary, word):
        return None
    shown = show_value(word)
    name = vocabulary.name
    if not isinstance(word, str) or safe_text(word) != word:
        return f"{shown} is not a word {name} knows: polling on until --timeout"
    return (
        f"{shown} is not a word {name} knows: polling on until --timeout; "
        f"map it with --map {shlex.quote(word + '=STATUS')}"
    )


@dataclass(frozen=True)
class Polled:
    """One poll of one URL: the task's status, or what went wrong.

    A URL whose request fails for good, whose body lacks the status, or
    whose status waiting cannot change is settled with an ``error``: the
    other tasks are still waited on.
    """

    status: TaskStatus
    error: str | None = None
    word: object = None
    """The server's own word for the status, as `json_word` keeps it."""

    def to_dict(self) -> dict[str, object]:
        """The JSON form, as a ``--state`` board keeps it."""
        return {"status": self.status.value, "error": self.error, "word": self.word}

    @classmethod
    def from_record(cls, record: TaskRecord | None, result: object) -> Polled:
        """Read a settled task back: its record's status, and its error if ours.

        The record may have been written by anyone (a webhook handler, an
        earlier run): its status is what counts. An error is one only in
        the command's own shape (with or without the word, which boards of
        0.1 did not keep), and its text is escaped again, since a file is no
        more trusted than a server.
        """
        status = TaskStatus.UNKNOWN if record is None else record.status
        if not isinstance(result, Mapping):
            return cls(status)
        fields = cast("Mapping[str, object]", result)
        if record is None:
            status = coerce_status(fields.get("status"))
        if not set(fields) <= {"status", "error", "word"} or "status" not in fields:
            return cls(status)
        error = fields.get("error")
        word = json_word(fields.get("word"))
        if isinstance(word, str):
            word = safe_text(word)
        shown = safe_text(error) if isinstance(error, str) else None
        return cls(status, shown, word)


def output(options: WaitOptions, out: TextIO, err: TextIO) -> Output:
    """The output the options and ``err`` ask for (`output_for` decides)."""
    forms = {"json": JSONLines, "quiet": Output, "terminal": Terminal, "lines": Lines}
    return forms[output_for(options, err)](out, err, options.vocabulary)


class Output:
    """Shows errors only: the --quiet form, and the base of the others."""

    def __init__(self, out: TextIO, err: TextIO, vocabulary: Vocabulary) -> None:
        self._out = out
        self._err = err
        self._vocabulary = vocabulary

    # --- one task

    def poll(self, event: PollEvent[Any], *, hinted: bool = False) -> None:
        """Show one poll that keeps the wait going.

        ``hinted`` says that the server asked for the delay (Retry-After).
        """

    def retry(self, error: FetchError, attempt: int, delay: float) -> None:
        """Show a transient failure that is about to be retried."""

    # --- many tasks

    def task(self, shown: str, polled: Polled) -> None:
        """Show a task that settled; errors always reach stderr."""
        if polled.error is not None:
            self._line(self._err, f"taskstatus wait: {polled.error}")

    def progress(self, progress: BatchProgress) -> None:
        """Show the state of the batch after a fetch call."""

    def heartbeat(
        self, progress: BatchProgress | None, remaining: float | None
    ) -> None:
        """Show how the batch stands, every so often, whatever happens."""

    def summary(self, record: dict[str, Any]) -> None:
        """Show the end of the batch to a reader."""

    # --- both

    def message(self, text: str) -> None:
        """Show why the wait ends, or a task's error, on stderr."""
        self.finish()
        self._line(self._err, f"taskstatus wait: {text}")

    def warning(self, text: str) -> None:
        """Show something the user may want to act on; not in --quiet."""

    def finish(self) -> None:
        """End the progress display before the final report."""

    def final(self, record: dict[str, Any]) -> None:
        """Emit the machine-readable final record (JSON only)."""

    @staticmethod
    def _line(stream: TextIO, text: str) -> None:
        print(text, file=stream, flush=True)


def _next(event: PollEvent[Any], hinted: bool) -> str:
    """When the next poll comes, and why then if the server said so."""
    delay = seconds(event.next_delay)
    return f"{delay}, as the server's Retry-After asks" if hinted else delay


class Lines(Output):
    """Plain lines on stderr: one per poll or settled task; a summary on stdout.

    In a batch, every `WaitOptions.heartbeat` seconds a line says how it
    stands, so that a CI log never goes silent while nothing settles.
    """

    def poll(self, event: PollEvent[Any], *, hinted: bool = False) -> None:
        """Write one line for the poll; name a word the vocabulary lacks."""
        self._show(
            f"poll {event.attempt}: {self._status(event)} after "
            f"{seconds(event.elapsed)}; next poll in {_next(event, hinted)}"
        )

    def retry(self, error: FetchError, attempt: int, delay: float) -> None:
        """Write one line for the retry."""
        self._show(f"{error}; retry {attempt} in {seconds(delay)}")

    def task(self, shown: str, polled: Polled) -> None:
        """Write the task's final status, or its error."""
        if polled.error is None:
            self._line(self._err, f"{shown_status(polled.status, polled.word)} {shown}")
        super().task(shown, polled)

    def heartbeat(
        self, progress: BatchProgress | None, remaining: float | None
    ) -> None:
        """Write the counts by status, the requests so far and the time left."""
        left = "no deadline" if remaining is None else f"{seconds(remaining)} left"
        if progress is None:
            self._line(self._err, f"waiting: no answer yet; {left}")
            return
        counts = ", ".join(f"{status} {n}" for status, n in progress.counts.items())
        # The command stops at terminal statuses: what the batch is done
        # with (`done`) is settled, on a --state board too.
        self._line(
            self._err,
            f"waiting: {progress.done}/{progress.total} settled; {counts}; "
            f"{progress.calls} requests; {left}",
        )

    def summary(self, record: dict[str, Any]) -> None:
        """Write the counts, the requests and the time; what never settled."""
        counts = record["counts"].items()
        shown = ", ".join(f"{n} {status}" for status, n in counts) or "none"
        errors = record["errors"]
        if errors:
            shown += f"; {errors} error" + ("" if errors == 1 else "s")
        lines = [
            f"{record['total']} tasks, settled: {shown}; "
            f"{record['requests']} requests in {seconds(record['elapsed'])}"
        ]
        unsettled: list[str] = record.get("unsettled", [])
        if unsettled:
            more = len(unsettled) - MAX_URLS_SHOWN
            listing = ", ".join(unsettled[:MAX_URLS_SHOWN])
            lines.append(
                f"unsettled: {listing}" + (f", and {more} more" if more > 0 else "")
            )
        self._line(self._out, "\n".join(lines))

    def warning(self, text: str) -> None:
        """Write the warning on stderr."""
        self.message(text)

    def _status(self, event: PollEvent[Any]) -> str:
        hint = unknown_word_hint(event.status, event.word, self._vocabulary)
        if hint is not None:
            return f"UNKNOWN ({hint})"
        return shown_status(event.status, event.word)

    def _show(self, line: str) -> None:
        """Show a line of progress (`Terminal` redraws it in place)."""
        self._line(self._err, line)


class OneLine:
    """A line on a terminal, redrawn in place, and ended once when done."""

    _CLEAR_LINE = "\r\x1b[K"

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._dirty = False

    def draw(self, text: str) -> None:
        """Replace the line with ``text``."""
        self._stream.write(self._CLEAR_LINE + text)
        self._stream.flush()
        self._dirty = True

    def end(self) -> None:
        """Move past the line, if one was drawn."""
        if self._dirty:
            self._stream.write("\n")
            self._stream.flush()
            self._dirty = False


class Terminal(Lines):
    """One line on a terminal (stderr), redrawn at each poll or fetch call."""

    def __init__(self, out: TextIO, err: TextIO, vocabulary: Vocabulary) -> None:
        super().__init__(out, err, vocabulary)
        self._status_line = OneLine(err)

    def poll(self, event: PollEvent[Any], *, hinted: bool = False) -> None:
        """Redraw: status, attempt, elapsed time and next poll."""
        self._show(
            f"{self._status(event)}  attempt {event.attempt}  "
            f"elapsed {seconds(event.elapsed)}  "
            f"next poll in {_next(event, hinted)}"
        )

    def task(self, shown: str, polled: Polled) -> None:
        """Errors interrupt the progress line; other tasks only count."""
        if polled.error is not None:
            self.finish()
            Output.task(self, shown, polled)

    def progress(self, progress: BatchProgress) -> None:
        """Redraw: settled of total, counts by status, requests per second."""
        counts = "  ".join(f"{status} {n}" for status, n in progress.counts.items())
        # Over a second at least: the first calls go out at once, and a
        # rate over their few milliseconds would overstate it many times.
        rate = progress.calls / max(progress.elapsed, 1.0)
        self._show(
            f"{progress.done}/{progress.total} settled  "
            f"{counts}  {rate:.1f} req/s  elapsed {seconds(progress.elapsed)}"
        )

    def finish(self) -> None:
        """Move past the progress line, if one was drawn."""
        self._status_line.end()

    def _show(self, line: str) -> None:
        self._status_line.draw(line)


class JSONLines(Output):
    """One JSON object per line on stdout: each poll, retry or task, then the end."""

    def poll(self, event: PollEvent[Any], *, hinted: bool = False) -> None:
        """Write the poll as a JSON object."""
        self._emit(
            {
                "event": "poll",
                "attempt": event.attempt,
                "status": event.status.value,
                "word": json_word(event.word),
                "elapsed": event.elapsed,
                "next_delay": event.next_delay,
                "remaining": event.remaining,
            }
        )

    def retry(self, error: FetchError, attempt: int, delay: float) -> None:
        """Write the retry as a JSON object."""
        self._emit(
            {"event": "retry", "attempt": attempt, "error": str(error), "delay": delay}
        )

    def task(self, shown: str, polled: Polled) -> None:
        """Write the task as a JSON object (and an error line on stderr)."""
        record: dict[str, Any] = {"event": "task", "url": shown}
        record.update(status=polled.status.value, word=polled.word, error=polled.error)
        # The code this task alone would give: a task settled at a status
        # that is no outcome (SKIPPED, from the board) is one wait cannot use.
        ok = polled.error is None
        record["exit_code"] = (
            FOR_STATUS.get(polled.status, ExitCode.ERROR) if ok else ExitCode.ERROR
        )
        self._emit(record)
        super().task(shown, polled)

    def warning(self, text: str) -> None:
        """Write the warning on stderr, apart from the records."""
        self.message(text)

    def final(self, record: dict[str, Any]) -> None:
        """Write the final record."""
        self._emit(record)

    def _emit(self, record: dict[str, Any]) -> None:
        self._line(self._out, json.dumps(record))

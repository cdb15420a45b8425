"""How ``taskstatus wait`` shows progress: in place on a TTY, lines, or JSON."""

from __future__ import annotations

import json
import shlex
from typing import Any, TextIO

from .._errors import show_value, shown_word
from .._poll import PollEvent
from .._status import TaskStatus
from .._vocabulary import Vocabulary, holds_word
from ._http import FetchError
from ._safe import safe_text


def seconds(value: float) -> str:
    """Show a duration in seconds, as briefly as its size allows."""
    # Tenths of a second are plenty for the usual delays of seconds; short
    # ones (the demo, tests) get hundredths instead of a bare "0.0".
    return f"{value:.1f} s" if value >= 1 else f"{value:.2f} s"


class Progress:
    """Shows nothing: the --quiet form, and the base of the others."""

    def poll(self, event: PollEvent[Any], *, hinted: bool = False) -> None:
        """Show one poll that keeps the wait going.

        ``hinted`` says that the server asked for the delay (Retry-After).
        """

    def retry(self, error: FetchError, attempt: int, delay: float) -> None:
        """Show a transient failure that is about to be retried."""

    def finish(self) -> None:
        """End the progress display before the final report."""

    def final(self, record: dict[str, object]) -> None:
        """Emit the machine-readable final record (JSON mode only)."""


def shown_status(status: TaskStatus, word: object) -> str:
    """A status with the server's own word beside it, when that says more."""
    shown = shown_word(word, status)
    return str(status) if shown is None else f"{status} ({safe_text(shown)})"


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


def _next(event: PollEvent[Any], hinted: bool) -> str:
    """When the next poll comes, and why then if the server said so."""
    delay = seconds(event.next_delay)
    return f"{delay}, as the server's Retry-After asks" if hinted else delay


class LineProgress(Progress):
    """One plain line per poll on a stream that is not a terminal (stderr)."""

    def __init__(self, stream: TextIO, vocabulary: Vocabulary) -> None:
        self._stream = stream
        self._vocabulary = vocabulary

    def poll(self, event: PollEvent[Any], *, hinted: bool = False) -> None:
        """Write one line for the poll; name a word the vocabulary lacks."""
        self._write(
            f"poll {event.attempt}: {self._status(event)} after "
            f"{seconds(event.elapsed)}; next poll in {_next(event, hinted)}"
        )

    def _status(self, event: PollEvent[Any]) -> str:
        hint = unknown_word_hint(event.status, event.word, self._vocabulary)
        if hint is not None:
            return f"UNKNOWN ({hint})"
        return shown_status(event.status, event.word)

    def retry(self, error: FetchError, attempt: int, delay: float) -> None:
        """Write one line for the retry."""
        self._write(f"{error}; retry {attempt} in {seconds(delay)}")

    def _write(self, line: str) -> None:
        print(line, file=self._stream, flush=True)


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


class TerminalProgress(LineProgress):
    """One line on a terminal, rewritten in place at each poll."""

    def __init__(self, stream: TextIO, vocabulary: Vocabulary) -> None:
        super().__init__(stream, vocabulary)
        self._line = OneLine(stream)

    def poll(self, event: PollEvent[Any], *, hinted: bool = False) -> None:
        """Rewrite the line with status, attempt, elapsed time and next poll."""
        self._write(
            f"{self._status(event)}  attempt {event.attempt}  "
            f"elapsed {seconds(event.elapsed)}  "
            f"next poll in {_next(event, hinted)}"
        )

    def finish(self) -> None:
        """Move past the progress line, if one was written."""
        self._line.end()

    def _write(self, line: str) -> None:
        self._line.draw(line)


class JSONProgress(Progress):
    """One JSON object per line on stdout: each poll and retry, then the end."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

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

    def final(self, record: dict[str, object]) -> None:
        """Write the final record."""
        self._emit(record)

    def _emit(self, record: dict[str, object]) -> None:
        print(json.dumps(record), file=self._stream, flush=True)


MAX_WORD_LENGTH = 200
"""The longest server word a --json record carries; longer ones are cut."""


def json_word(word: object) -> object:
    """The server's word as a --json record carries it: JSON text, or null."""
    if isinstance(word, str):
        return word[:MAX_WORD_LENGTH]
    if word is None or isinstance(word, (bool, int)):
        return word
    return None  # an object, a list, or a number that is no whole one

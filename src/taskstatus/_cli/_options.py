"""What both forms of ``taskstatus wait`` share: the options, and reading a body.

One URL is followed by `taskstatus._cli._wait`, many by
`taskstatus._cli._batch`; both read each response body with `read_status`,
and `taskstatus._cli._main` chooses between them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TextIO, cast

from .._errors import show_value
from .._policy import DEFAULT_POLICY, PollPolicy
from .._status import TaskStatus
from .._vocabulary import Vocabulary
from .._vocabulary import vocabulary as built_in
from ._safe import safe_text, shown_status

RETRIES = 3
"""How many times a request is retried after a transient failure, by default."""


PARALLEL = 4
"""How many requests ``taskstatus wait`` has in flight at once, by default."""

HEARTBEAT = 10.0
"""Seconds between the lines that say how a batch stands (plain output)."""

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
    heartbeat: float = HEARTBEAT


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
    if not any(holds(body, path) for path in paths):
        if len(paths) == 1:
            status_at(body, paths[0])  # raises, naming the step that is missing
        shown = ", ".join(show_value(path) for path in paths)
        msg = (
            f"none of the fields {vocabulary.name} reads is in the response "
            f"body: {safe_text(shown)}"
        )
        raise FieldError(msg)
    return vocabulary.read(cast("Mapping[str, object]", target))


def holds(body: object, path: str) -> bool:
    """Whether the dotted ``path`` leads to something in ``body``."""
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


Output = Literal["json", "quiet", "terminal", "lines"]
"""The four forms of the command's output, for one task and for many."""


def output_for(options: WaitOptions, err: TextIO) -> Output:
    """Which output the options and the stream ask for: the one selector.

    --json and --quiet win; otherwise a terminal gets one line redrawn in
    place, and anything else (a pipe, a CI log) plain lines.
    """
    if options.json:
        return "json"
    if options.quiet:
        return "quiet"
    return "terminal" if err.isatty() else "lines"


def cannot_change(status: TaskStatus, word: object) -> str:
    """Say that the task is at a status that waiting cannot change."""
    return f"the task is {shown_status(status, word)}, which waiting cannot change"

"""Vocabularies: one API's status words, translated to `TaskStatus`.

Every async API has words of its own (``succeeded``, ``Succeeded``,
``SUCCESS``, ``JOB_STATE_SUCCEEDED``…). A `Vocabulary` is an immutable table
from one API's words to statuses; the built-in ones are data, read from
``vocabularies.json`` beside this module on first use, each citing where its
words were read. Some APIs spread a status over several fields (a batch
that is ``completed`` with failed requests, a run that is ``completed`` with
a ``failure`` conclusion): their built-ins carry a reader, one of a few
generic rules that the data parameterises.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from types import MappingProxyType
from typing import Any, Callable, cast

from ._checks import check_instance
from ._errors import show_value
from ._parse import folded, parse_status, warn_unknown_once
from ._status import POLLABLE_STATUSES, TERMINAL_STATUSES, TaskStatus

_LONGEST_WORD = 80
"""Words longer than this are never in a table: no folding is tried."""


Paths = tuple[tuple[str, ...], ...]
"""Dotted paths, split once: ``(("state", "type"), ("type",))``."""

Reader = Callable[["Vocabulary", Paths, object], "tuple[TaskStatus, object]"]
"""How a vocabulary reads a whole result, given where its word is: the
status, and the word it came from."""


class Vocabulary:
    """An immutable translation from one API's status words to `TaskStatus`.

    A word matches exactly first, then with `coerce_status`'s forgiveness:
    letter case, surrounding space, and ``-`` or a space for ``_``. So
    ``Succeeded``, ``SUCCEEDED`` and ``succeeded`` are one word, unless the
    table itself holds more than one of those spellings.

    >>> jobs = Vocabulary(
    ...     "jobs", {"done": "COMPLETED", "running": "IN_PROGRESS"}, source="our API"
    ... )
    >>> jobs.coerce("DONE"), jobs.coerce("exploded")
    (<TaskStatus.COMPLETED: 'COMPLETED'>, <TaskStatus.UNKNOWN: 'UNKNOWN'>)

    Attributes:
        name: What the vocabulary is called (``openai-batch``).
        source: Where its words were read: an SDK file and version, or an
            API reference page.
        words: The table, a read-only mapping of its own spellings.
        fields: Where its API keeps the status word in a result: dotted
            paths (``state.type``, ``jobs.0.status``: digits index a list),
            tried in order (default ``status``).

    Raises:
        TypeError: ``words`` is not a mapping, ``fields`` not a sequence,
            or the name or source not a string.
        ValueError: A word is empty or not a string, a status is not a
            `TaskStatus` value, a field is not a dotted path, or the name or
            source is empty.
    """

    __slots__ = (
        "_exact",
        "_folded",
        "_paths",
        "_reader",
        "fields",
        "name",
        "source",
        "words",
    )

    name: str
    source: str
    fields: tuple[str, ...]
    _paths: Paths
    words: Mapping[str, TaskStatus]
    _exact: dict[str, TaskStatus]
    _folded: dict[str, TaskStatus]
    _reader: Reader

    def __init__(
        self,
        name: str,
        words: Mapping[str, TaskStatus | str],
        *,
        source: str,
        fields: Sequence[str] = ("status",),
        _reader: Reader | None = None,
    ) -> None:
        _check_text("name", name)
        _check_text("source", source)
        given: Any = fields  # checked: the annotation is a promise only
        if isinstance(given, str) or not isinstance(given, Sequence):
            msg = f"fields must be a sequence of dotted paths, got {show_value(fields)}"
            raise TypeError(msg)
        paths = tuple(cast("Sequence[object]", given))
        if not paths or not all(_is_path(path) for path in paths):
            msg = (
                f"the fields of {name!r} must be dotted paths such as "
                f"'status' or 'state.type', got {show_value(fields)}"
            )
            raise ValueError(msg)
        check_instance("words", words, Mapping, "a mapping of word to status")
        table: dict[str, TaskStatus] = {}
        for word, status in cast("Mapping[object, object]", words).items():
            if not isinstance(word, str) or not word.strip():
                shown = show_value(word)
                msg = f"the words of {name!r} must be non-empty strings, got {shown}"
                raise ValueError(msg)
            table[word] = parse_status(cast("str", status))  # names a bad status
        folded: dict[str, TaskStatus | None] = {}
        for word, status in table.items():
            key = _fold(word)
            # Two spellings that fold alike but mean different things: only
            # their exact spellings match.
            folded[key] = status if folded.get(key, status) is status else None
        set_field = object.__setattr__
        set_field(self, "name", name)
        set_field(self, "source", source)
        set_field(self, "fields", cast("tuple[str, ...]", paths))
        set_field(self, "_paths", _compiled(self.fields))
        set_field(self, "words", MappingProxyType(table))
        set_field(self, "_exact", table)
        set_field(self, "_folded", {k: v for k, v in folded.items() if v is not None})
        set_field(self, "_reader", _read_fields if _reader is None else _reader)

    def __setattr__(self, name: str, value: object) -> None:
        msg = f"a Vocabulary is immutable: cannot set {name!r}"
        raise AttributeError(msg)

    def __repr__(self) -> str:
        return f"<Vocabulary {self.name!r}: {len(self.words)} words>"

    def coerce(self, value: object) -> TaskStatus:
        """Return the status ``value`` means in this vocabulary; never raise.

        An unknown word is `TaskStatus.UNKNOWN` — never a terminal status —
        and each distinct one is logged once per vocabulary at WARNING on
        the ``taskstatus`` logger, under `coerce_status`'s memory bound.
        """
        try:
            return self._exact[value]  # type: ignore[index]
        except Exception:  # noqa: BLE001 - unhashable, or a hostile __eq__
            pass
        if type(value) is str and len(value) <= _LONGEST_WORD and value.isascii():
            status = self._folded.get(_fold(value))
            if status is not None:
                return status
        warn_unknown_once(value, self.name)
        return TaskStatus.UNKNOWN

    def status_of(self, result: object) -> TaskStatus:
        """Return the status of a whole result: a mapping, an object or a word.

        For APIs that spread their status over several fields, the built-in
        reads them all; for the others, it reads the field its API keeps
        the status in (``status`` for a vocabulary of your own), as a key
        or an attribute, or the result itself if it is a string. Never
        raises: what cannot be read is `TaskStatus.UNKNOWN`.
        """
        try:
            return self._reader(self, self._paths, result)[0]
        except Exception:  # noqa: BLE001 - a hostile result: its __eq__, a property
            return TaskStatus.UNKNOWN

    def read(self, result: object) -> tuple[TaskStatus, object]:
        """Return `status_of` the result, and the server's own word for it.

        The word is the value the status was read from, as the server sent
        it (``"succeeded"``, or a run's ``"failure"`` conclusion), or
        ``None`` where there was none: for showing beside the status, so a
        reader sees what the server said.
        """
        try:
            return self._reader(self, self._paths, result)
        except Exception:  # noqa: BLE001 - a hostile result: its __eq__, a property
            return TaskStatus.UNKNOWN, None

    def with_words(
        self, words: Mapping[str, TaskStatus | str], *, name: str | None = None
    ) -> Vocabulary:
        """Return a new vocabulary with ``words`` added or remapped.

        The vocabulary it came from never changes. The new one keeps the
        source and the several-field reader, and is called ``name`` (by
        default the same name).
        """
        check_instance("words", words, Mapping, "a mapping of word to status")
        return Vocabulary(
            self.name if name is None else name,
            {**self._exact, **words},
            source=self.source,
            fields=self.fields,
            _reader=self._reader,
        )


def _check_text(label: str, value: object) -> None:
    check_instance(label, value, str, "a string")
    if not cast("str", value).strip():
        msg = f"a vocabulary's {label} must not be empty"
        raise ValueError(msg)


def _is_path(path: object) -> bool:
    return isinstance(path, str) and all(part.strip() for part in path.split("."))


def _fold(word: str) -> str:
    return folded(word.strip())


def holds_word(vocabulary: Vocabulary, word: object) -> bool:
    """Whether the table holds ``word``, exactly or in a spelling it forgives."""
    if not isinstance(word, str):
        return False
    if word in vocabulary.words:
        return True
    key = _fold(word)
    return any(_fold(known) == key for known in vocabulary.words)


def _field(result: object, name: str) -> object:
    """``result[name]`` or ``result.name``; None if it has none (a string has none)."""
    found: Any = result  # not cast(), which is a call
    if found.__class__ is dict:  # the common case, without the ABC checks below
        return found.get(name)
    if isinstance(result, str):
        return None
    if isinstance(result, Mapping):
        return cast("Mapping[object, object]", result).get(name)
    try:
        return getattr(result, name, None)
    except Exception:  # noqa: BLE001 - a hostile property
        return None


def _compiled(paths: Sequence[str]) -> Paths:
    return tuple(tuple(path.split(".")) for path in paths)


def _first(result: object, paths: Paths) -> object:
    """What the first of ``paths`` leads to in ``result`` that is there, or None.

    A string is the word itself, wherever it was found. A step of digits
    indexes a list (``jobs.0.status``), as ``taskstatus wait --field`` does.
    """
    if isinstance(result, str):
        return result
    # No cast() in here, which is a call: this runs for every result. And
    # __class__, not type(), so that the checkers keep the value Any.
    for path in paths:
        value: Any = result
        for name in path:
            if value.__class__ is dict:
                value = value.get(name)
            elif value is None or isinstance(value, str):
                value = None
                break
            elif value.__class__ is list and name.isascii() and name.isdigit():
                index = int(name)
                value = value[index] if index < len(value) else None
            else:
                value = _field(value, name)
        if value is not None:
            return value
    return None


_COMPLETED = TaskStatus.COMPLETED  # Enum members, looked up once: that is slow
_COMPLETED_WITH_ERRORS = TaskStatus.COMPLETED_WITH_ERRORS


def _count(counts: object, name: str) -> int | None:
    value = _field(counts, name) if not isinstance(counts, str) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


# --- how a vocabulary reads a whole result: generic rules the data sets ---


def _read_fields(
    vocabulary: Vocabulary, paths: Paths, result: object
) -> tuple[TaskStatus, object]:
    """The status word, in the first of the vocabulary's fields that is there."""
    word = _first(result, paths)
    return vocabulary.coerce(word), word


def _counts_reader(rule: Mapping[str, str]) -> Reader:
    """A word that means success, unless a count of failures is above zero."""
    counts, failed = rule["counts"], rule["failed"]

    def read(
        vocabulary: Vocabulary, paths: Paths, result: object
    ) -> tuple[TaskStatus, object]:
        word = _first(result, paths)
        status = vocabulary.coerce(word)
        if status is _COMPLETED and _count(_field(result, counts), failed):
            return _COMPLETED_WITH_ERRORS, word
        return status, word

    return read


def _tally_reader(rule: Mapping[str, str]) -> Reader:
    """An ended batch, judged by how many of its requests succeeded."""
    ended, counts_field = rule["word"], rule["counts"]

    def read(
        vocabulary: Vocabulary, paths: Paths, result: object
    ) -> tuple[TaskStatus, object]:
        word = _first(result, paths)
        if word != ended:
            return vocabulary.coerce(word), word
        counts = _field(result, counts_field)
        tally = {
            name: _count(counts, name)
            for name in ("succeeded", "errored", "expired", "canceled")
        }
        if None in tally.values():
            return TaskStatus.UNKNOWN, word  # ended, but how: fail closed
        numbers = cast("dict[str, int]", tally)
        others = numbers["errored"] + numbers["expired"] + numbers["canceled"]
        if not others:
            return TaskStatus.COMPLETED, word
        if numbers["succeeded"]:
            return TaskStatus.COMPLETED_WITH_ERRORS, word
        if numbers["canceled"]:
            return TaskStatus.CANCELED, word
        return TaskStatus.FAILED, word

    return read


def _conclusion_reader(rule: Mapping[str, Any], conclusions: Vocabulary) -> Reader:
    """A finished status word, told apart by a second field's word."""
    finished, conclusion_paths = rule["word"], _compiled(rule["field"])
    known = conclusions.words

    def read(
        vocabulary: Vocabulary, paths: Paths, result: object
    ) -> tuple[TaskStatus, object]:
        word = _first(result, paths)
        if word != finished:
            return vocabulary.coerce(word), word
        conclusion = _first(result, conclusion_paths)
        # A conclusion the second table lacks is read with the vocabulary's
        # own words: with_words (--map) reaches conclusions too. The exact
        # spelling is looked up first, without a call: the common case.
        exact = conclusion.__class__ is str and conclusion in known
        table = (
            conclusions if exact or holds_word(conclusions, conclusion) else vocabulary
        )
        return table.coerce(conclusion), conclusion

    return read


def _operation_reader(_rule: Mapping[str, str]) -> Reader:
    """Google's long-running operation: ``done``, and an ``error`` if it failed."""

    def read(
        vocabulary: Vocabulary, paths: Paths, result: object
    ) -> tuple[TaskStatus, object]:
        if _first(result, paths) is not True:
            return TaskStatus.IN_PROGRESS, None
        error = _field(result, "error")
        if error is None:
            return TaskStatus.COMPLETED, None
        code = _field(error, "code")
        if code == 1 and not isinstance(code, bool):  # google.rpc.Code.CANCELLED
            return TaskStatus.CANCELED, code
        return TaskStatus.FAILED, code

    return read


def _conditions_reader(rule: Mapping[str, str]) -> Reader:
    """A list of conditions, each a word with a ``status`` of "True" or not.

    The true conditions are read with the table: a terminal one decides,
    then one that waiting cannot change, then an unknown one (fail
    closed); with none of those the task is on its way.
    """

    def read(
        vocabulary: Vocabulary, paths: Paths, result: object
    ) -> tuple[TaskStatus, object]:
        holder = _first(result, paths)
        if holder is None or isinstance(holder, str):
            return TaskStatus.UNKNOWN, holder
        conditions = _field(holder, rule["list"])
        if conditions is None:
            return TaskStatus.IN_PROGRESS, None  # no condition yet: just started
        if not isinstance(conditions, list):
            return TaskStatus.UNKNOWN, None
        found: list[tuple[int, TaskStatus, object]] = []
        for condition in cast("list[object]", conditions):
            if _field(condition, "status") == "True":
                word = _field(condition, "type")
                status = vocabulary.coerce(word)
                found.append((_weight(status), status, word))
        if not found:
            return TaskStatus.IN_PROGRESS, None
        _, status, word = max(found, key=lambda seen: seen[0])
        return status, word

    return read


def _weight(status: TaskStatus) -> int:
    """Which of several true conditions decides: the most final one."""
    if status in TERMINAL_STATUSES:
        return 3
    if status is TaskStatus.UNKNOWN:
        return 1
    return 0 if status in POLLABLE_STATUSES else 2


_READERS: Mapping[str, Callable[[Mapping[str, Any]], Reader]] = {
    "counts": _counts_reader,
    "tally": _tally_reader,
    "operation": _operation_reader,
    "conditions": _conditions_reader,
}


def _reader_for(name: str, entry: Mapping[str, Any]) -> Reader | None:
    rule = entry.get("reader")
    if rule is None:
        return None
    if rule["kind"] == "conclusion":
        conclusions = Vocabulary(
            f"{name} conclusions",
            {word: status for word, (status, _) in entry["conclusions"].items()},
            source=entry["source"],
        )
        return _conclusion_reader(rule, conclusions)
    return _READERS[rule["kind"]](rule)


_TABLES: Mapping[str, Mapping[str, Any]] = json.loads(
    resources.files("taskstatus").joinpath("vocabularies.json").read_text("utf-8")
)
"""The built-ins' data as the file holds it: their words, why, and what
they read (for the docs and ``taskstatus vocabularies``)."""


def _load() -> dict[str, Vocabulary]:
    built: dict[str, Vocabulary] = {}
    for name, entry in sorted(_TABLES.items()):
        built[name] = Vocabulary(
            name,
            {word: status for word, (status, _) in entry["words"].items()},
            source=entry["source"],
            fields=entry.get("fields", ("status",)),
            _reader=_reader_for(name, entry),
        )
    return built


def about(name: str) -> Mapping[str, Any]:
    """The data of the built-in called ``name``: its API, what it reads, why.

    Raises:
        ValueError: No built-in has that name (see `vocabulary`).
    """
    vocabulary(name)
    return _TABLES[name]


VOCABULARIES: Mapping[str, Vocabulary] = MappingProxyType(_load())
"""Every built-in vocabulary by name, in sorted order (read-only)."""


def vocabulary(name: str) -> Vocabulary:
    """Return the built-in vocabulary called ``name``.

    Raises:
        ValueError: No built-in has that name; the message lists the
            closest names.
        TypeError: ``name`` is not a string.
    """
    check_instance("name", name, str, "a string")
    found = VOCABULARIES.get(name)
    if found is not None:
        return found
    close = difflib.get_close_matches(name, list(VOCABULARIES), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    msg = (
        f"{show_value(name)} is not a built-in vocabulary{hint} "
        "(all of them: taskstatus.VOCABULARIES, or `taskstatus vocabularies`)"
    )
    raise ValueError(msg)

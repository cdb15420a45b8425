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
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any, Callable, cast

from ._checks import check_instance
from ._errors import show_value
from ._parse import parse_status, warn_unknown_once
from ._status import TaskStatus

_LONGEST_WORD = 80
"""Words longer than this are never in a table: no folding is tried."""


Reader = Callable[["Vocabulary", object], TaskStatus]
"""How a built-in reads a whole result that spreads its status over fields."""


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

    Raises:
        TypeError: ``words`` is not a mapping, or the name or source not a
            string.
        ValueError: A word is empty or not a string, a status is not a
            `TaskStatus` value, or the name or source is empty.
    """

    __slots__ = ("_exact", "_folded", "_reader", "name", "source", "words")

    name: str
    source: str
    words: Mapping[str, TaskStatus]
    _exact: dict[str, TaskStatus]
    _folded: dict[str, TaskStatus]
    _reader: Reader | None

    def __init__(
        self,
        name: str,
        words: Mapping[str, TaskStatus | str],
        *,
        source: str,
        _reader: Reader | None = None,
    ) -> None:
        _check_text("name", name)
        _check_text("source", source)
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
        set_field(self, "words", MappingProxyType(table))
        set_field(self, "_exact", table)
        set_field(self, "_folded", {k: v for k, v in folded.items() if v is not None})
        set_field(self, "_reader", _reader)

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
        reads them all; otherwise the ``status`` field (or attribute) is
        read, or the result itself if it is a string. Never raises: what
        cannot be read is `TaskStatus.UNKNOWN`.
        """
        if self._reader is not None:
            return self._reader(self, result)
        return self.coerce(_field(result, "status"))

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
            _reader=self._reader,
        )


def _check_text(label: str, value: object) -> None:
    check_instance(label, value, str, "a string")
    if not cast("str", value).strip():
        msg = f"a vocabulary's {label} must not be empty"
        raise ValueError(msg)


def _fold(word: str) -> str:
    return word.strip().upper().replace("-", "_").replace(" ", "_")


_MISSING = object()


def _field(result: object, name: str) -> object:
    """``result[name]``, ``result.name``, the result itself if a string, or None."""
    if type(result) is dict:  # the common case, without the ABC checks below
        return cast("dict[str, object]", result).get(name)
    if isinstance(result, str):
        return result
    if isinstance(result, Mapping):
        return cast("Mapping[object, object]", result).get(name)
    try:
        return getattr(result, name, None)
    except Exception:  # noqa: BLE001 - a hostile property
        return None


def _count(counts: object, name: str) -> int | None:
    value = _field(counts, name) if not isinstance(counts, str) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


# --- the several-field readers: generic rules the data parameterises ------


def _counts_reader(
    rule: Mapping[str, str],
) -> Callable[[Vocabulary, object], TaskStatus]:
    """A word that means success, unless a count of failures is above zero."""

    def read(vocabulary: Vocabulary, result: object) -> TaskStatus:
        status = vocabulary.coerce(_field(result, "status"))
        if status is not TaskStatus.COMPLETED:
            return status
        failed = _count(_field(result, rule["counts"]), rule["failed"])
        if failed:
            return TaskStatus.COMPLETED_WITH_ERRORS
        return status

    return read


def _tally_reader(
    rule: Mapping[str, str],
) -> Callable[[Vocabulary, object], TaskStatus]:
    """An ended batch, judged by how many of its requests succeeded."""

    def read(vocabulary: Vocabulary, result: object) -> TaskStatus:
        word = _field(result, "processing_status")
        if word != rule["word"]:
            return vocabulary.coerce(word)
        counts = _field(result, rule["counts"])
        tally = {
            name: _count(counts, name)
            for name in ("succeeded", "errored", "expired", "canceled")
        }
        if None in tally.values():
            return TaskStatus.UNKNOWN  # ended, but how: fail closed
        numbers = cast("dict[str, int]", tally)
        others = numbers["errored"] + numbers["expired"] + numbers["canceled"]
        if not others:
            return TaskStatus.COMPLETED
        if numbers["succeeded"]:
            return TaskStatus.COMPLETED_WITH_ERRORS
        return TaskStatus.CANCELED if numbers["canceled"] else TaskStatus.FAILED

    return read


def _conclusion_reader(
    rule: Mapping[str, str], conclusions: Vocabulary
) -> Callable[[Vocabulary, object], TaskStatus]:
    """A finished status word, told apart by a second field's word."""

    def read(vocabulary: Vocabulary, result: object) -> TaskStatus:
        word = _field(result, "status")
        if word != rule["word"]:
            return vocabulary.coerce(word)
        return conclusions.coerce(_field(result, rule["field"]))

    return read


def _operation_reader(
    rule: Mapping[str, str],
) -> Callable[[Vocabulary, object], TaskStatus]:
    """Google's long-running operation: ``done``, and an ``error`` if it failed."""

    def read(vocabulary: Vocabulary, result: object) -> TaskStatus:
        if _field(result, "done") is not True:
            return TaskStatus.IN_PROGRESS
        error = _field(result, "error")
        if error is None:
            return TaskStatus.COMPLETED
        cancelled = _field(error, "code") == 1 and not isinstance(
            _field(error, "code"), bool
        )
        return TaskStatus.CANCELED if cancelled else TaskStatus.FAILED

    return read


def _reader_for(
    name: str, entry: Mapping[str, Any]
) -> Callable[[Vocabulary, object], TaskStatus] | None:
    rule = entry.get("reader")
    if rule is None:
        return None
    kind = rule["kind"]
    if kind == "counts":
        return _counts_reader(rule)
    if kind == "tally":
        return _tally_reader(rule)
    if kind == "conclusion":
        conclusions = Vocabulary(
            f"{name} conclusions",
            {word: status for word, (status, _) in entry["conclusions"].items()},
            source=entry["source"],
        )
        return _conclusion_reader(rule, conclusions)
    return _operation_reader(rule)


def _load() -> dict[str, Vocabulary]:
    text = (
        resources.files("taskstatus").joinpath("vocabularies.json").read_text("utf-8")
    )
    built: dict[str, Vocabulary] = {}
    for name, entry in sorted(json.loads(text).items()):
        built[name] = Vocabulary(
            name,
            {word: status for word, (status, _) in entry["words"].items()},
            source=entry["source"],
            _reader=_reader_for(name, entry),
        )
    return built


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
        f"(all: {', '.join(VOCABULARIES)})"
    )
    raise ValueError(msg)

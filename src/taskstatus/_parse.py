"""Turning strings from the wire into statuses: strictly, or leniently."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, NoReturn, cast

from ._errors import show_value
from ._status import TaskStatus

# Keyed by the plain value strings, the common input, so that a lookup from
# parsed JSON compares exact str objects. A member hashes and compares like its
# value, so a member, or one of another str-Enum with the same value, finds
# its entry too. Typed with object keys: coerce_status() looks up anything.
_BY_VALUE: dict[object, TaskStatus] = {member.value: member for member in TaskStatus}

# Spellings that coerce_status() accepts beyond the normalised value itself.
_ALIASES: dict[str, TaskStatus] = {"CANCELLED": TaskStatus.CANCELED}

_LONGEST_VALUE = max(len(name) for name in (*TaskStatus, *_ALIASES))

MAX_REMEMBERED_UNKNOWN_VALUES = 256
"""How many distinct unrecognised values coerce_status() remembers, so as to
warn about each one once; the oldest is forgotten first."""

# The one piece of module state: bounded by MAX_REMEMBERED_UNKNOWN_VALUES and
# keyed by short renderings, so hostile input can neither grow it nor fill it
# with megabyte strings. A dict keeps insertion order, which makes it a FIFO.
_warned_values: dict[str, None] = {}
_warned_values_lock = threading.Lock()

_VALID_VALUES = ", ".join(TaskStatus)


class _StrictTable(dict[object, TaskStatus]):
    """The value-to-member table behind parse_status; a miss raises its error."""

    __slots__ = ()

    def __missing__(self, value: object) -> NoReturn:
        raise invalid_status_error(value)


if TYPE_CHECKING:

    def parse_status(value: str, /) -> TaskStatus:
        """Return the status whose value is exactly ``value``.

        Use it where a bad value is a bug, such as data your own code wrote.
        For responses from a server that may be newer than this library, use
        `coerce_status` instead.

        Raises:
            ValueError: ``value`` is a string but not one of the 16 values.
            TypeError: ``value`` is not a string (for an unhashable value,
                Python's own ``unhashable type`` error).
        """
        ...

else:
    # The bound method of a dict is a C call: parse_status costs about one dict
    # lookup, where a Python function would double that on Python 3.9 and 3.10.
    parse_status = _StrictTable(_BY_VALUE).__getitem__


def coerce_status(value: object) -> TaskStatus:
    """Return the status that ``value`` most plausibly means; never raise.

    Exact values and members map as they are. Letter case, surrounding white
    space, and ``-`` or a space in place of ``_`` are forgiven, and the
    spelling ``CANCELLED`` reads as `TaskStatus.CANCELED`. Anything else (a
    status from a newer server, ``None``, a number) becomes
    `TaskStatus.UNKNOWN`, and each distinct such value is logged once at
    WARNING on the ``taskstatus`` logger.

    >>> coerce_status(" in-progress ")
    <TaskStatus.IN_PROGRESS: 'IN_PROGRESS'>
    >>> coerce_status("REHYDRATING")
    <TaskStatus.UNKNOWN: 'UNKNOWN'>
    """
    try:
        return _BY_VALUE[value]
    except Exception:  # noqa: BLE001 - a hostile __hash__ or __eq__ may raise anything
        pass
    status = _normalised(value)
    if status is None:
        _warn_once(value)
        return TaskStatus.UNKNOWN
    return status


def invalid_status_error(value: object) -> ValueError | TypeError:
    """Build the error for a value that is not a status, naming it."""
    if not isinstance(value, str):
        return TypeError(
            f"expected a task status string, got {show_value(value)} "
            f"of type {type(value).__name__}"
        )
    message = f"{show_value(value)} is not a task status; expected one of: "
    message += _VALID_VALUES
    lenient = _normalised(value)
    if lenient is not None:
        message += f" (coerce_status() would read it as {lenient})"
    return ValueError(message)


def _normalised(value: object) -> TaskStatus | None:
    """Return the status a sloppy spelling of a value means, or ``None``."""
    # type() rather than isinstance(): a hostile __class__ cannot fake it.
    if not issubclass(type(value), str):
        return None
    # str methods called on the class: a str subclass cannot override them.
    text = str.strip(cast("str", value))
    if len(text) > _LONGEST_VALUE or not str.isascii(text):
        return None
    key = folded(text)
    return _BY_VALUE.get(key) or _ALIASES.get(key)


def folded(text: str) -> str:
    """A word as the lenient readings compare it, once the caller stripped it.

    Upper case, and ``_`` for ``-`` and for a space: `coerce_status` and
    `Vocabulary` forgive the same spellings.
    """
    return text.upper().replace("-", "_").replace(" ", "_")


def _warn_once(value: object) -> None:
    warn_unknown_once(value, None)


def warn_unknown_once(value: object, vocabulary: str | None) -> None:
    """Log an unknown status once (per vocabulary), within the memory bound."""
    shown = show_value(value)
    key = shown if vocabulary is None else f"{vocabulary}: {shown}"
    with _warned_values_lock:
        if key in _warned_values:
            return
        if len(_warned_values) >= MAX_REMEMBERED_UNKNOWN_VALUES:
            del _warned_values[next(iter(_warned_values))]  # the oldest
        _warned_values[key] = None
    # Imported here, not at the top: `import taskstatus` must stay free of
    # logging, and most programs never see an unknown status.
    import logging  # noqa: PLC0415

    if vocabulary is None:
        logging.getLogger("taskstatus").warning(
            "unrecognised task status %s; reading it as UNKNOWN", shown
        )
    else:
        logging.getLogger("taskstatus").warning(
            "unrecognised task status %s in vocabulary %r; reading it as UNKNOWN "
            "(map it with with_words())",
            shown,
            vocabulary,
        )

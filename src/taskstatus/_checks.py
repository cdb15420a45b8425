"""Argument checks shared by the tuning parameters of poll() and the CLI."""

from __future__ import annotations

import math

from ._errors import show_value


def finite_float(value: object) -> float | None:
    """Return a number as a float, or ``None`` if it is not a finite number.

    Booleans are no numbers here, and neither is an int too large for a float.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def finite_number(name: str, value: object) -> float:
    """Return ``value`` as a float; raise, naming ``name``, unless a finite number.

    Booleans are refused: ``timeout=True`` is a mistake, not one second.
    """
    number = finite_float(value)
    if number is not None:
        return number
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        shown = f"{show_value(value)} of type {type(value).__name__}"
        msg = f"{name} must be a number, got {shown}"
        raise TypeError(msg)
    msg = f"{name} must be a finite number, got {show_value(value)}"
    raise ValueError(msg)


def positive_number(name: str, value: object) -> float:
    """Return ``value`` if it is a finite number above zero, else raise."""
    number = finite_number(name, value)
    if number <= 0:
        msg = f"{name} must be greater than 0, got {show_value(value)}"
        raise ValueError(msg)
    return number


def number_at_least(name: str, value: object, minimum: float, what: str) -> float:
    """Return ``value`` if it is a finite number of at least ``minimum``, else raise."""
    number = finite_number(name, value)
    if number < minimum:
        msg = f"{name} must be at least {what}, got {show_value(value)}"
        raise ValueError(msg)
    return number


def check_callable(name: str, value: object, *, optional: bool = False) -> None:
    """Raise TypeError, naming ``name``, unless ``value`` is callable.

    With ``optional``, None is accepted too.
    """
    if callable(value) or (optional and value is None):
        return
    expected = "callable or None" if optional else "callable"
    shown = f"{show_value(value)} of type {type(value).__name__}"
    msg = f"{name} must be {expected}, got {shown}"
    raise TypeError(msg)


def check_instance(
    name: str, value: object, expected: type | tuple[type, ...], what: str
) -> None:
    """Raise TypeError, naming ``name`` and what was expected, unless it matches."""
    if not isinstance(value, expected):
        msg = f"{name} must be {what}, got {show_value(value)}"
        raise TypeError(msg)


def check_flag(name: str, value: object) -> None:
    """Raise TypeError, naming ``name``, unless ``value`` is True or False."""
    if not isinstance(value, bool):
        msg = f"{name} must be True or False, got {show_value(value)}"
        raise TypeError(msg)


def check_count(name: str, value: object) -> int:
    """Return ``value`` if it is an int of at least 1, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"{name} must be an int, got {show_value(value)}"
        raise TypeError(msg)
    if value < 1:
        msg = f"{name} must be at least 1, got {value}"
        raise ValueError(msg)
    return value

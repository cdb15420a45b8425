"""Argument checks shared by the tuning parameters of poll() and the CLI."""

from __future__ import annotations

import math

from ._errors import show_value


def finite_number(name: str, value: object) -> float:
    """Return ``value`` as a float; raise, naming ``name``, unless a finite number.

    Booleans are refused: ``timeout=True`` is a mistake, not one second.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"{name} must be a number, got {value!r} of type {type(value).__name__}"
        raise TypeError(msg)
    number = float(value)
    if not math.isfinite(number):
        msg = f"{name} must be a finite number, got {value!r}"
        raise ValueError(msg)
    return number


def positive_number(name: str, value: object) -> float:
    """Return ``value`` if it is a finite number above zero, else raise."""
    number = finite_number(name, value)
    if number <= 0:
        msg = f"{name} must be greater than 0, got {value!r}"
        raise ValueError(msg)
    return number


def number_at_least(name: str, value: object, minimum: float, what: str) -> float:
    """Return ``value`` if it is a finite number of at least ``minimum``, else raise."""
    number = finite_number(name, value)
    if number < minimum:
        msg = f"{name} must be at least {what}, got {value!r}"
        raise ValueError(msg)
    return number


def check_callable(name: str, value: object, *, optional: bool = False) -> None:
    """Raise TypeError, naming ``name``, unless ``value`` is callable.

    With ``optional``, None is accepted too.
    """
    if callable(value) or (optional and value is None):
        return
    expected = "callable or None" if optional else "callable"
    msg = f"{name} must be {expected}, got {value!r} of type {type(value).__name__}"
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
        msg = f"{name} must be True or False, got {value!r}"
        raise TypeError(msg)

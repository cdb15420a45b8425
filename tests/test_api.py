"""The public surface: exports, version, and what importing costs."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest

import taskstatus

HEAVY_MODULES = ["asyncio", "dataclasses", "inspect", "json", "logging", "urllib"]


def isort_order(name: str) -> tuple[int, str]:
    """Sort constants, then classes, then functions, as ruff's RUF022 does."""
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted and names exactly the public, non-module attributes."""
    public = {
        name
        for name, value in vars(taskstatus).items()
        if not name.startswith("_") and type(value).__name__ != "module"
    } - {"annotations"}
    assert sorted(taskstatus.__all__, key=isort_order) == taskstatus.__all__
    assert public == set(taskstatus.__all__)


@pytest.mark.parametrize("name", taskstatus.__all__)
def test_every_export_is_documented(name: str) -> None:
    """Every exported class and function has a docstring."""
    value = getattr(taskstatus, name)
    if callable(value) and not hasattr(value, "__origin__"):
        assert value.__doc__


def test_version_comes_from_the_installed_metadata() -> None:
    """__version__ is the installed distribution's version."""
    assert version("taskstatus") == taskstatus.__version__


def test_unknown_attribute_raises_attribute_error() -> None:
    """A missing attribute gives the usual AttributeError, naming it."""
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        taskstatus.nope  # noqa: B018


def test_import_loads_no_heavy_modules() -> None:
    """A fresh `import taskstatus` loads none of the heavy stdlib modules."""
    code = (
        "import sys, taskstatus\n"
        f"print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "[]" == output.strip()


def test_the_check_for_heavy_modules_can_fail() -> None:
    """The same probe does see a heavy module once the library loads one."""
    code = (
        "import sys, taskstatus\n"
        "taskstatus.coerce_status('NEW')\n"
        "print('logging' in sys.modules)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "True" == output.strip()

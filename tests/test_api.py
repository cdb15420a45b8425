"""The public surface: exports, version, and what importing costs."""

from __future__ import annotations

from importlib.metadata import version

import pytest

import taskstatus
from helpers import run_python

HEAVY_MODULES = ["asyncio", "dataclasses", "inspect", "json", "logging", "urllib"]


def isort_order(name: str) -> tuple[int, str]:
    """Sort constants, then classes, then functions, as ruff's RUF022 does."""
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted and names exactly the public, non-module attributes."""
    public = {
        name
        for name in dir(taskstatus)
        if not name.startswith("_")
        and type(getattr(taskstatus, name)).__name__ != "module"
    } - {"annotations", "TYPE_CHECKING"}
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
        taskstatus.nope  # type: ignore[attr-defined]  # noqa: B018


def test_import_loads_no_heavy_modules() -> None:
    """A fresh `import taskstatus` loads none of the heavy stdlib modules."""
    code = (
        "import sys, taskstatus\n"
        f"print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))"
    )
    output = run_python(code)
    assert "[]" == output.strip()


def test_sync_polling_loads_no_asyncio() -> None:
    """Importing poll and poll_async loads logging, but asyncio only when needed."""
    code = (
        "import sys\n"
        "from taskstatus import poll, poll_async\n"
        "print('logging' in sys.modules, 'asyncio' in sys.modules)"
    )
    output = run_python(code)
    assert "True False" == output.strip()


def test_lazy_names_are_cached_after_first_use() -> None:
    """A lazily loaded name becomes a plain module attribute once loaded."""
    poll = taskstatus.poll
    assert poll is vars(taskstatus)["poll"]


def test_the_check_for_heavy_modules_can_fail() -> None:
    """The same probe does see a heavy module once the library loads one."""
    code = (
        "import sys, taskstatus\n"
        "taskstatus.coerce_status('NEW')\n"
        "print('logging' in sys.modules)"
    )
    output = run_python(code)
    assert "True" == output.strip()

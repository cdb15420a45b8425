# pyright: reportPrivateUsage=false
"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers import ScriptedServer, serving
from taskstatus import _parse

# The typing tests are for the type checkers only: never import or run them.
collect_ignore = ["typing"]


@pytest.fixture(autouse=True)
def _forget_warned_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give each test a fresh memory of already-reported unknown statuses."""
    monkeypatch.setattr(_parse, "_warned_values", {})


@pytest.fixture
def task_server() -> Iterator[ScriptedServer]:
    """A scripted HTTP server on a free port of 127.0.0.1, shut down after the test."""
    with serving(ScriptedServer()) as server:
        yield server

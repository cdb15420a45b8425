# pyright: reportPrivateUsage=false
"""Shared fixtures."""

from __future__ import annotations

import pytest

from taskstatus import _parse

# The typing tests are for the type checkers only: never import or run them.
collect_ignore = ["typing"]


@pytest.fixture(autouse=True)
def _forget_warned_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give each test a fresh memory of already-reported unknown statuses."""
    monkeypatch.setattr(_parse, "_warned_values", {})

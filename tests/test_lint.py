"""ruff: lint rules and formatting, on the whole project."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ruff(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run ruff from the project root with the project's settings."""
    return subprocess.run(
        [sys.executable, "-m", "ruff", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_ruff_check() -> None:
    """The lint rules find nothing."""
    result = ruff("check", "--no-cache", ".")
    assert 0 == result.returncode, result.stdout + result.stderr


def test_ruff_format() -> None:
    """Every file is formatted as ruff format would write it."""
    result = ruff("format", "--check", "--no-cache", ".")
    assert 0 == result.returncode, result.stdout + result.stderr

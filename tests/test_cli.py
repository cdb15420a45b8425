"""The ``taskstatus`` command and ``python -m taskstatus``."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from taskstatus import TaskStatus
from taskstatus._cli import main


def test_list_is_the_default_command(capsys: pytest.CaptureFixture[str]) -> None:
    """With no command, the table of statuses is printed."""
    assert 0 == main([])
    default = capsys.readouterr().out
    assert 0 == main(["list"])
    assert default == capsys.readouterr().out


def test_list_table_has_a_row_per_status(capsys: pytest.CaptureFixture[str]) -> None:
    """The table has a heading and one aligned row per status, in order."""
    main(["list"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "VALUE",
        "CATEGORY",
        "TERMINAL",
        "POLLABLE",
        "DESCRIPTION",
    ]
    assert [status.value for status in TaskStatus] == [
        line.split()[0] for line in lines[1:]
    ]
    assert lines[4].startswith("COMPLETED              OPERATION  yes")
    assert lines[1].startswith("PENDING                OPERATION            yes")
    assert lines[11].startswith("ACTIVE                 LIFECYCLE   ")


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints the same facts as a JSON array."""
    main(["list", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert {
        "value": "COMPLETED_WITH_ERRORS",
        "category": "OPERATION",
        "terminal": True,
        "pollable": False,
        "description": TaskStatus.COMPLETED_WITH_ERRORS.description,
    } == rows[4]
    assert [status.value for status in TaskStatus] == [row["value"] for row in rows]


def test_python_dash_m_runs_the_command(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m taskstatus` runs main() and exits with its code."""
    monkeypatch.setattr(sys, "argv", ["taskstatus", "list"])
    with pytest.raises(SystemExit) as caught:
        runpy.run_module("taskstatus", run_name="__main__")
    assert 0 == caught.value.code
    assert "SUSPENDED" in capsys.readouterr().out


def test_console_script_is_installed() -> None:
    """The installed `taskstatus` script prints the table."""
    script = Path(sysconfig.get_path("scripts"), "taskstatus")
    output = subprocess.run([script], capture_output=True, text=True, check=True).stdout
    assert "COMPLETED_WITH_ERRORS" in output

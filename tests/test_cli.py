"""The ``taskstatus`` command and ``python -m taskstatus``."""

from __future__ import annotations

import json
import runpy
import signal
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path

import pytest

from helpers import sigint_as
from taskstatus import TaskStatus
from taskstatus._cli import main
from taskstatus._cli._signals import HeldSignals


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
    assert lines[5].startswith("COMPLETED              OPERATION  yes")
    assert lines[2].startswith("QUEUED                 OPERATION            yes")
    assert lines[9].startswith("INTERRUPTED            OPERATION            ")
    assert lines[13].startswith("ACTIVE                 LIFECYCLE   ")


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
    } == rows[5]
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


SIGNAL_DURING_IMPORT = """
import os, signal, sys

class Kick:
    '''Sends the signal while the command's own modules are being imported.'''

    def find_spec(self, name, path, target=None):
        if name == "taskstatus._cli._main":
            os.kill(os.getpid(), getattr(signal, sys.argv[1]))
        return None

sys.meta_path.insert(0, Kick())
from taskstatus._cli import main
sys.exit(main(["list"]))
"""


@pytest.mark.parametrize(
    ("name", "code", "word"),
    [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")],
)
def test_a_signal_during_start_up_is_a_clean_exit(
    name: str, code: int, word: str
) -> None:
    """Ctrl-C or SIGTERM while the command imports itself: one line, no traceback."""
    with sigint_as(signal.default_int_handler):
        run = subprocess.run(
            [sys.executable, "-c", SIGNAL_DURING_IMPORT, name],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert (code, "", f"taskstatus: {word}\n") == (
        run.returncode,
        run.stdout,
        run.stderr,
    )


def test_an_ignored_sigint_stays_ignored_during_start_up() -> None:
    """A command started with SIGINT ignored (a background job) keeps it so."""
    with sigint_as(signal.SIG_IGN):
        run = subprocess.run(
            [sys.executable, "-c", SIGNAL_DURING_IMPORT, "SIGINT"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert 0 == run.returncode, run.stderr
    assert run.stdout.startswith("VALUE ")  # the table, printed as if no signal


def test_signals_are_held_only_in_the_main_thread() -> None:
    """main() called from another thread changes no signal handler."""
    before = signal.getsignal(signal.SIGTERM)
    seen: list[object] = []

    def in_thread() -> None:
        with HeldSignals():
            seen.append(signal.getsignal(signal.SIGTERM))

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert [before] == seen

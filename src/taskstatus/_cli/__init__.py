"""The ``taskstatus`` command."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ._signals import HeldSignals, interruption

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command on ``argv`` (default ``sys.argv[1:]``); return the exit code.

    The command itself is imported here, with Ctrl-C and SIGTERM held back:
    a signal during start-up ends it with 130 or 143 and one line, as it
    would later, never with a traceback from the middle of an import.
    """
    with HeldSignals() as held:
        from ._main import run  # noqa: PLC0415 - the held signals come first

    if held.arrived is not None:
        code, word = interruption(held.arrived)
        print(f"taskstatus: {word}", file=sys.stderr)
        return code
    return run(argv)

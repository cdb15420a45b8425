"""Ctrl-C and SIGTERM: how they stop the command, and the exit codes they give.

Light on purpose: the command's entry point imports this before anything
else of the command, so that a signal in the first moments of start-up is
handled as cleanly as later.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType

from ._exit import ExitCode


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop as for Ctrl-C, but exit with 143."""


def raise_terminated(signum: int, frame: FrameType | None) -> None:
    """The SIGTERM handler while the command runs."""
    raise Terminated


def interruption(stop: KeyboardInterrupt) -> tuple[int, str]:
    """Return the exit code and the word for how the command was stopped."""
    if isinstance(stop, Terminated):
        return ExitCode.TERMINATED, "terminated"
    return ExitCode.INTERRUPTED, "interrupted"


class HeldSignals:
    """Hold Ctrl-C and SIGTERM back while the command starts up.

    A signal that arrives meanwhile is noted instead of raised in the
    middle of an import; `arrived` then says how the command must stop.
    Signals the command was started with ignored stay ignored, and
    nothing is changed outside the main thread, where Python runs no
    signal handler anyway.
    """

    def __init__(self) -> None:
        self.arrived: KeyboardInterrupt | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> HeldSignals:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                if signal.getsignal(signum) is not signal.SIG_IGN:
                    self._previous[signum] = signal.signal(signum, self._note)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)  # type: ignore[arg-type]

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.arrived = Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()

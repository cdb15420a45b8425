"""``taskstatus board FILE``: what a ``--state`` board file holds."""

from __future__ import annotations

import json
import os
from typing import TextIO

from .._board import TaskBoard
from .._errors import show_value
from ._exit import ExitCode
from ._safe import redact_url

MAX_UNSETTLED_SHOWN = 50
"""How many unsettled tasks the plain listing shows."""


def show_board(path: str, *, as_json: bool, out: TextIO, err: TextIO) -> int:
    """Print the counts by status and the unsettled tasks of a board file."""
    if not os.path.isfile(path):
        print(f"taskstatus board: error: no board file at {show_value(path)}", file=err)
        return ExitCode.USAGE
    try:
        # Read-only: the file is never created, changed or locked, and a
        # board in a folder that cannot be written is read all the same.
        with TaskBoard.open(path, read_only=True) as board:
            records = board.records()
            summary = board.summary()
    except ValueError as error:
        print(f"taskstatus board: error: {error}", file=err)
        return ExitCode.USAGE
    counts = {status.value: n for status, n in summary.counts.items() if n}
    unsettled = [
        (redact_url(key), record.status.value, record.updated)
        for key, record in records.items()
        if not record.settled
    ]
    if as_json:
        print(
            json.dumps(
                {
                    "total": summary.total,
                    "settled": summary.total - len(unsettled),
                    "overall": summary.overall.value,
                    "counts": counts,
                    "unsettled": [
                        {"key": key, "status": status, "updated": updated}
                        for key, status, updated in unsettled
                    ],
                }
            ),
            file=out,
        )
        return 0
    listed = ", ".join(f"{n} {status}" for status, n in counts.items()) or "empty"
    lines = [
        f"{summary.total} tasks, {summary.total - len(unsettled)} settled: {listed}",
        f"overall: {summary.overall}",
    ]
    if unsettled:
        lines.append("unsettled:")
        width = max(len(status) for _, status, _ in unsettled)
        lines += [
            f"  {status.ljust(width)}  {key}"
            for key, status, _ in unsettled[:MAX_UNSETTLED_SHOWN]
        ]
        if len(unsettled) > MAX_UNSETTLED_SHOWN:
            lines.append(f"  and {len(unsettled) - MAX_UNSETTLED_SHOWN} more")
    print("\n".join(lines), file=out)
    return 0

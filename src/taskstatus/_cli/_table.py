"""``taskstatus list``: the 16 statuses as a table or as JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .._predicates import is_pollable, is_terminal
from .._status import TaskStatus

_HEADINGS = ("VALUE", "CATEGORY", "TERMINAL", "POLLABLE", "DESCRIPTION")


def status_rows() -> list[dict[str, object]]:
    """Return one plain-data row per status, in declaration order."""
    return [
        {
            "value": status.value,
            "category": status.category.value,
            "terminal": is_terminal(status),
            "pollable": is_pollable(status),
            "description": status.description,
        }
        for status in TaskStatus
    ]


def render_json() -> str:
    """Return the rows as a JSON array."""
    return json.dumps(status_rows(), indent=2)


def render_table() -> str:
    """Return the rows as an aligned plain-text table."""
    cells = [_HEADINGS] + [
        (
            str(row["value"]),
            str(row["category"]),
            "yes" if row["terminal"] else "",
            "yes" if row["pollable"] else "",
            str(row["description"]),
        )
        for row in status_rows()
    ]
    return "\n".join(aligned(cells))


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Lay rows out in columns two spaces apart; the last is left ragged."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join([*(c.ljust(w) for c, w in zip(row[:-1], widths)), row[-1]])
        for row in rows
    ]

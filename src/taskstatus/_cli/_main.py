"""Argument parsing and dispatch for the ``taskstatus`` command."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ._table import render_json, render_table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="taskstatus",
        description="Task statuses for clients of asynchronous APIs.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    listing = commands.add_parser(
        "list", help="show the 13 statuses and their categories (the default)"
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command on ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    args = _parser().parse_args(argv)
    print(render_json() if getattr(args, "json", False) else render_table())
    return 0

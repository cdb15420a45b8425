"""Argument parsing and dispatch for the ``taskstatus`` command."""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from .._policy import DEFAULT_POLICY, LONGEST_SLEEP, BatchPolicy
from ._board import show_board
from ._demo import demo, demo_many
from ._http import check_header, prepare_url
from ._safe import redact_url, safe_text
from ._schema import render_schema
from ._table import render_json, render_table
from ._wait import (
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    PARALLEL,
    RATE,
    RETRIES,
    Terminated,
    WaitOptions,
    wait,
)

EXIT_BROKEN_PIPE = 141
"""The code of a command that a closed pipe stopped (128 + SIGPIPE), as the
shell reports for Unix tools killed by SIGPIPE."""

EPILOG = """\
exit codes of `wait` (for many tasks: the overall status of the batch, or 1
if any task ended in an error):
  0    COMPLETED                 3    COMPLETED_WITH_ERRORS
  4    FAILED                    5    CANCELED
  124  deadline reached          130  interrupted (Ctrl-C)
  143  terminated (SIGTERM)      141  output closed (broken pipe)
  2    usage error               1    any other error
"""


def _positive(text: str, unit: str) -> float:
    try:
        value = float(text)
    except ValueError:
        msg = f"expected a number of {unit}, got {text[:40]!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if not math.isfinite(value) or value <= 0:
        msg = f"expected a positive number of {unit}, got {text[:40]!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _seconds(text: str) -> float:
    return _positive(text, "seconds")


def _rate(text: str) -> float:
    return _positive(text, "requests per second")


def _delay(text: str) -> float:
    value = _seconds(text)
    if value > LONGEST_SLEEP:
        msg = f"expected at most {LONGEST_SLEEP:.0f} seconds, got {text[:40]!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _count(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        msg = f"expected a whole number of at least 0, got {text[:40]!r}"
        raise argparse.ArgumentTypeError(msg)
    return int(text)


def _positive_count(text: str) -> int:
    count = _count(text)
    if count < 1:
        msg = f"expected a whole number of at least 1, got {text[:40]!r}"
        raise argparse.ArgumentTypeError(msg)
    return count


def _header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip() or name != name.strip():
        # The text may be a secret given without its name: never echo it.
        msg = "expected 'Name: value' (the text is not shown)"
        raise argparse.ArgumentTypeError(msg)
    value = value.strip()
    try:
        check_header(name, value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return name, value


def _url(text: str) -> str:
    try:
        prepare_url(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="taskstatus",
        description="Task statuses for clients of asynchronous APIs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    listing = commands.add_parser(
        "list", help="show the 13 statuses and their categories (the default)"
    )
    listing.add_argument("--json", action="store_true", help="print JSON")

    commands.add_parser("schema", help="print a JSON Schema for the status string")

    waiting = commands.add_parser(
        "wait",
        help="poll a task URL until the task ends",
        description="GET the URL until the task's status is terminal, backing off "
        "between polls. The exit code tells how the task ended.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    waiting.add_argument(
        "urls",
        nargs="*",
        type=_url,
        metavar="URL",
        help="a task's http:// or https:// URL; give several to wait for all",
    )
    waiting.add_argument(
        "--from",
        dest="url_file",
        metavar="FILE",
        help="read more URLs from FILE, one a line ('-' for stdin; blank lines "
        "and lines starting with # are skipped)",
    )
    waiting.add_argument(
        "--field",
        default="status",
        metavar="PATH",
        help="dotted path to the status in the JSON body (default: status)",
    )
    waiting.add_argument(
        "-H",
        "--header",
        type=_header,
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="send this request header; repeat for more",
    )
    waiting.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_POLICY.timeout,
        metavar="SECONDS",
        help="give up after this long, whatever is going on: exit code 124 "
        "(default: %(default)g)",
    )
    waiting.add_argument(
        "--initial",
        type=_delay,
        default=DEFAULT_POLICY.initial_delay,
        metavar="SECONDS",
        help="first and shortest delay between polls (default: %(default)g)",
    )
    waiting.add_argument(
        "--max",
        type=_delay,
        default=DEFAULT_POLICY.max_delay,
        metavar="SECONDS",
        help="longest delay between polls (default: %(default)g)",
    )
    waiting.add_argument(
        "--no-jitter", action="store_true", help="use the exact backoff delays"
    )
    waiting.add_argument(
        "--retries",
        type=_count,
        default=RETRIES,
        metavar="N",
        help="retries of a request after a transient failure (default: %(default)d)",
    )
    waiting.add_argument(
        "--state",
        metavar="FILE",
        help="keep the progress of the tasks in this board file (SQLite); run "
        "again with the same FILE to resume: settled tasks are not asked again",
    )
    waiting.add_argument(
        "--rate",
        type=_rate,
        default=RATE,
        metavar="PER_SECOND",
        help="with many tasks: the most requests per second (default: %(default)g)",
    )
    waiting.add_argument(
        "--parallel",
        type=_positive_count,
        default=PARALLEL,
        metavar="N",
        help="with many tasks: the most requests in flight (default: %(default)d)",
    )
    output = waiting.add_mutually_exclusive_group()
    output.add_argument("--quiet", action="store_true", help="print only errors")
    output.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per poll, then one at the end",
    )

    showing = commands.add_parser(
        "board", help="show a --state board file: counts and unsettled tasks"
    )
    showing.add_argument("file", metavar="FILE", help="the board file")
    showing.add_argument("--json", action="store_true", help="print JSON")

    demoing = commands.add_parser(
        "demo", help="wait on a simulated task served on 127.0.0.1 (about 3 s)"
    )
    demoing.add_argument(
        "--many",
        action="store_true",
        help="wait on a batch of 36 simulated tasks at once instead",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command on ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse's way out: --help, or a usage error
        return EXIT_USAGE if exit_.code else 0
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        code = _run(args)
        # Flushed here, not at exit: a closed pipe must be seen while it can
        # still be handled (stdout is block-buffered when it is no terminal).
        sys.stdout.flush()
        return code
    except Terminated:
        print("taskstatus: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("taskstatus: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output has gone (`taskstatus list | head -1`):
        # stop quietly, and keep Python from failing to flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    finally:
        signal.signal(signal.SIGTERM, previous)


def _wait(args: argparse.Namespace) -> int:
    def usage_error(message: str) -> int:
        print(f"taskstatus wait: error: {message}", file=sys.stderr)
        return EXIT_USAGE

    if args.max < args.initial:
        return usage_error(
            f"--max ({args.max:g}) must be at least --initial ({args.initial:g})"
        )
    urls = list(args.urls)
    if args.url_file is not None:
        try:
            urls += read_url_file(args.url_file)
        except ValueError as error:
            return usage_error(str(error))
    if not urls:
        return usage_error("give a task URL, or --from FILE")
    repeated = _first_repeat(urls)
    if repeated is not None:
        return usage_error(f"{redact_url(repeated)} is given twice")
    policy = BatchPolicy(
        timeout=args.timeout,
        initial_delay=args.initial,
        max_delay=args.max,
        jitter=not args.no_jitter,
        rate=args.rate,
    )
    options = WaitOptions(
        urls=tuple(urls),
        field=args.field,
        headers=tuple(args.header),
        policy=policy,
        quiet=args.quiet,
        json=args.json,
        retries=args.retries,
        batch=args.url_file is not None,
        parallel=args.parallel,
        state=args.state,
    )
    return wait(options, out=sys.stdout, err=sys.stderr)


def read_url_file(name: str) -> list[str]:
    """Return the URLs of a file (``-``: stdin), one a line.

    Blank lines and lines starting with ``#`` are skipped.

    Raises:
        ValueError: The file cannot be read, or a line is not a usable URL;
            the message names the file and the line.
    """
    try:
        if name == "-":
            text = sys.stdin.read()
        else:
            with open(name, encoding="utf-8") as file:
                text = file.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        msg = f"cannot read {safe_text(name)}: {reason}"
        raise ValueError(msg) from None
    urls: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        url = line.strip()
        if not url or url.startswith("#"):
            continue
        try:
            prepare_url(url)
        except ValueError as error:
            msg = f"{safe_text(name)}, line {number}: {error}"
            raise ValueError(msg) from None
        urls.append(url)
    return urls


def _first_repeat(urls: list[str]) -> str | None:
    seen: set[str] = set()
    for url in urls:
        if url in seen:
            return url
        seen.add(url)
    return None


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def _run(args: argparse.Namespace) -> int:
    if args.version:
        from .. import __version__  # noqa: PLC0415 - importlib.metadata is slow

        print(f"taskstatus {__version__}")
        return 0
    if args.command == "schema":
        print(render_schema())
        return 0
    if args.command == "demo":
        run_demo = demo_many if args.many else demo
        return run_demo(out=sys.stdout, err=sys.stderr)
    if args.command == "wait":
        return _wait(args)
    if args.command == "board":
        return show_board(args.file, as_json=args.json, out=sys.stdout, err=sys.stderr)
    print(render_json() if getattr(args, "json", False) else render_table())
    return 0

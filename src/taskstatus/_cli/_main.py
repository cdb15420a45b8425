"""Argument parsing and dispatch for the ``taskstatus`` command."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Callable, TextIO

from .._checks import positive_number
from .._parse import parse_status
from .._policy import DEFAULT_POLICY, LONGEST_SLEEP, BatchPolicy
from .._status import TaskStatus
from .._vocabulary import Vocabulary, vocabulary
from ._board import show_board
from ._exit import ExitCode, epilog
from ._http import check_header, normalized_url, prepare_url, task_key
from ._options import PARALLEL, RATE, RETRIES, WaitOptions
from ._safe import redact_url, safe_text
from ._schema import render_schema
from ._signals import interruption, raise_terminated
from ._table import render_json, render_table
from ._vocabularies import show_vocabularies
from ._wait import wait_one

EPILOG = epilog()


WAIT_DESCRIPTION = """\
GET the URL until the task's status is terminal, backing off between polls.
The exit code tells how the task ended.

Status words are read with --vocabulary: by default the 16 statuses of
`taskstatus list`; `taskstatus vocabularies` lists the 30 built-ins for
other APIs (OpenAI, Anthropic, AWS, Azure, Google, Celery, GitHub...). A
word the vocabulary does not know is UNKNOWN: it is never taken for
success, it is polled until --timeout, and the progress names the word so
that --map WORD=STATUS can translate it."""


def _positive(text: str, unit: str) -> float:
    try:
        value = float(text)
    except ValueError:
        msg = f"expected a number of {unit}, got {text[:40]!r}"
        raise argparse.ArgumentTypeError(msg) from None
    try:
        return positive_number(unit, value)  # the library's own rule
    except ValueError:
        msg = f"expected a positive number of {unit}, got {text[:40]!r}"
        raise argparse.ArgumentTypeError(msg) from None


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


def _whole_number(text: str, least: int) -> int:
    # Digits only: int() would also take " 3", "+3", "3_0" and "³".
    if not (text.isascii() and text.isdigit()) or int(text) < least:
        msg = f"expected a whole number of at least {least}, got {text[:40]!r}"
        raise argparse.ArgumentTypeError(msg)
    return int(text)


def _count(text: str) -> int:
    return _whole_number(text, 0)


def _positive_count(text: str) -> int:
    return _whole_number(text, 1)


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


def _vocabulary(text: str) -> Vocabulary:
    try:
        return vocabulary(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _word_map(text: str) -> tuple[str, TaskStatus]:
    word, equals, status = text.rpartition("=")
    if not equals or not word.strip():
        msg = f"expected WORD=STATUS, such as done=COMPLETED, got {text[:40]!r}"
        raise argparse.ArgumentTypeError(msg)
    try:
        return word, parse_status(status)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{word[:40]!r}: {error}") from None


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
        "list",
        help="show the 16 statuses and their categories (the default)",
        description="Print the 16 task statuses: each one's category "
        "(operation or lifecycle), whether it is terminal or pollable, and "
        "what it means.",
    )
    listing.add_argument("--json", action="store_true", help="print JSON")

    commands.add_parser(
        "schema",
        help="print a JSON Schema for the status string",
        description="Print a JSON Schema (draft 2020-12) for a task status "
        "string: the enum of the 16 values, and each one's description.",
    )

    words = commands.add_parser(
        "vocabularies",
        help="list the built-in vocabularies, or show one's word table",
        description="The built-in vocabularies translate other APIs' status "
        "words (succeeded, SUCCESS, JOB_STATE_SUCCEEDED...) to the 16 statuses. "
        "Give a NAME to see its table: each word, its status and why.",
    )
    words.add_argument("name", nargs="?", metavar="NAME", help="one built-in")
    words.add_argument("--json", action="store_true", help="print JSON")

    waiting = commands.add_parser(
        "wait",
        help="poll a task URL until the task ends",
        description=WAIT_DESCRIPTION,
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
        default="",
        metavar="PATH",
        help="dotted path in the JSON body to what the vocabulary reads: the "
        "status word (data.task.status), or the object holding the fields it "
        "reads (default: the whole body)",
    )
    waiting.add_argument(
        "--vocabulary",
        type=_vocabulary,
        default=None,
        metavar="NAME",
        help="read the status words of this API: openai-batch, github-actions, "
        "aws-step-functions, ... (`taskstatus vocabularies` lists all 30; "
        "default: mixpeek, the 16 statuses themselves)",
    )
    waiting.add_argument(
        "--map",
        type=_word_map,
        action="append",
        default=[],
        metavar="WORD=STATUS",
        help="read WORD as STATUS, on top of the vocabulary; repeat for more",
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
        "board",
        help="show a --state board file: counts and unsettled tasks",
        description="Show what a board file of `taskstatus wait --state` "
        "holds: the tasks counted by status, and the ones not settled yet. "
        "The file is only read: never created, changed or locked.",
    )
    showing.add_argument("file", metavar="FILE", help="the board file")
    showing.add_argument("--json", action="store_true", help="print JSON")

    demoing = commands.add_parser(
        "demo",
        help="wait on a simulated task served on 127.0.0.1 (about 3 s)",
        description="Start a task server on 127.0.0.1, submit a simulated "
        "task, and follow it as `taskstatus wait` does, to a partial "
        "success. Nothing leaves this machine.",
    )
    demoing.add_argument(
        "--many",
        action="store_true",
        help="wait on a batch of 36 simulated tasks at once instead",
    )
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command on ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse's way out: --help, or a usage error
        return ExitCode.USAGE if exit_.code else 0
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        code = _run(args)
        # Flushed here, not at exit: a closed pipe must be seen while it can
        # still be handled (stdout is block-buffered when it is no terminal).
        sys.stdout.flush()
        return code
    except KeyboardInterrupt as stop:
        code, word = interruption(stop)
        print(f"taskstatus: {word}", file=sys.stderr)
        return code
    except BrokenPipeError:
        # The reader of our output has gone (`taskstatus list | head -1`):
        # stop quietly, and keep Python from failing to flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.BROKEN_PIPE
    finally:
        signal.signal(signal.SIGTERM, previous)


def _wait(args: argparse.Namespace) -> int:
    def usage_error(message: str) -> int:
        print(f"taskstatus wait: error: {message}", file=sys.stderr)
        return ExitCode.USAGE

    if args.max < args.initial:
        return usage_error(
            f"--max ({args.max:g}) must be at least --initial ({args.initial:g})"
        )
    sources = [(url, ("", number)) for number, url in enumerate(args.urls, 1)]
    if args.url_file is not None:
        try:
            sources += read_url_file(args.url_file)
        except ValueError as error:
            return usage_error(str(error))
        if len(sources) == len(args.urls):
            return usage_error(f"{safe_text(args.url_file)} holds no URLs")
    if not sources:
        return usage_error("give a task URL, or --from FILE")
    problem = _source_problem(sources) or _state_problem(args.state)
    if problem is not None:
        return usage_error(problem)
    urls = [url for url, _ in sources]
    policy = BatchPolicy(
        timeout=args.timeout,
        initial_delay=args.initial,
        max_delay=args.max,
        jitter=not args.no_jitter,
        rate=args.rate,
    )
    # The progress names every word the vocabulary does not know, with how
    # to map it; the library's own warning would only say it again, and
    # --quiet is to print errors alone.
    logging.getLogger("taskstatus").addHandler(logging.NullHandler())
    words: Vocabulary = args.vocabulary or vocabulary("mixpeek")
    if args.map:
        words = words.with_words(dict(args.map))
    options = WaitOptions(
        urls=tuple(urls),
        vocabulary=words,
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


def wait(options: WaitOptions, *, out: TextIO, err: TextIO) -> int:
    """Run ``taskstatus wait``: one URL followed alone, or many together.

    Many URLs, ``--from`` or ``--state`` make a batch (`wait_many`); one
    URL is followed with its own progress and report (`wait_one`).
    """
    if options.batch or len(options.urls) > 1 or options.state is not None:
        from ._batch import wait_many  # noqa: PLC0415 - only a batch needs it

        return wait_many(options, out=out, err=err)
    return wait_one(options, out=out, err=err)


Source = tuple[str, tuple[str, int]]
"""A URL and where it was given: a file's name (or "" for the command line)
and its line (or its place among the arguments)."""


def read_url_file(name: str) -> list[Source]:
    """Return the lines of a file (``-``: stdin) that hold URLs, with where each is.

    Blank lines and lines starting with ``#`` are skipped, and a UTF-8 byte
    order mark (which some editors write) is not part of the first line.
    Whether each line is a usable URL is `_source_problem`'s to say.

    Raises:
        ValueError: The file cannot be read; the message names it.
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
    lines = enumerate(text.removeprefix("\ufeff").splitlines(), 1)
    stripped = ((number, line.strip()) for number, line in lines)
    return [
        (url, (name, number))
        for number, url in stripped
        if url and not url.startswith("#")
    ]


def _source_problem(sources: list[Source]) -> str | None:
    """Say which URL is unusable or repeats another; ``None`` if all are fine.

    Two spellings of one URL (``HTTP://Host`` and ``http://host/``) are one
    task; so are URLs that differ only in their secrets, which the keys of
    a ``--state`` file do not keep.
    """
    seen: dict[str, tuple[tuple[str, int], str]] = {}
    for url, where in sources:
        try:
            key = task_key(url)
        except ValueError as error:  # a file's line: arguments are checked
            return f"{_place(where)}: {error}"
        if key in seen:
            first, first_url = seen[key]
            how = (
                "repeats"
                if normalized_url(url) == normalized_url(first_url)
                else "differs only in its secrets from"
            )
            shown = _place(first, short=first[0] == where[0])
            return f"{_place(where)} {how} {shown}: {redact_url(url)}"
        seen[key] = (where, url)
    return None


def _place(where: tuple[str, int], *, short: bool = False) -> str:
    """``URL 2`` on the command line; ``FILE, line 7`` (``line 7``) in a file."""
    name, number = where
    if not name:
        return f"URL {number}"
    return f"line {number}" if short else f"{safe_text(name)}, line {number}"


def _state_problem(state: str | None) -> str | None:
    """Say what is wrong with a --state path that could keep nothing."""
    if state is None:
        return None
    if not state.strip():
        return "--state needs a file name"
    if state == ":memory:":
        return "--state needs a file: ':memory:' would keep nothing"
    return None


def _run(args: argparse.Namespace) -> int:
    if args.version:
        from .. import __version__  # noqa: PLC0415 - importlib.metadata is slow

        print(f"taskstatus {__version__}")
        return 0
    out, err = sys.stdout, sys.stderr
    commands: dict[str, Callable[[], int]] = {
        "schema": lambda: _print(render_schema()),
        "demo": lambda: _demo(many=args.many, out=out, err=err),
        "wait": lambda: _wait(args),
        "board": lambda: show_board(args.file, as_json=args.json, out=out, err=err),
        "vocabularies": lambda: show_vocabularies(
            args.name, as_json=args.json, out=out, err=err
        ),
    }
    command = commands.get(args.command)
    if command is not None:
        return command()
    return _print(render_json() if getattr(args, "json", False) else render_table())


def _demo(*, many: bool, out: TextIO, err: TextIO) -> int:
    from ._demo import demo, demo_many  # noqa: PLC0415 - a server, urllib: slow

    return (demo_many if many else demo)(out=out, err=err)


def _print(text: str) -> int:
    print(text)
    return 0

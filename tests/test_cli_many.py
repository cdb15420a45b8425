"""``taskstatus wait`` for many URLs at once: exit codes, files, rate, output."""

from __future__ import annotations

import io
import json
import re
import signal
import sqlite3
import stat
import subprocess
import time
from collections.abc import Callable, Generator
from contextlib import closing
from pathlib import Path

import pytest

from helpers import (
    FAST,
    SCRIPT,
    Reply,
    ScriptedServer,
    board_id_without_table,
    damaged_board,
    lock_held,
    not_a_board,
    read_only,
    run_python,
    signalled,
    status_batch,
    taskstatus,
)
from taskstatus import (
    BatchError,
    BatchProgress,
    BatchTimeoutError,
    TaskBoard,
    TaskRecord,
    TaskStatus,
    vocabulary,
)
from taskstatus._cli import _batch, _board
from taskstatus._cli._connections import Connections
from taskstatus._cli._main import wait
from taskstatus._cli._options import WaitOptions
from taskstatus._cli._output import Lines, Output, Polled, Terminal, output
from taskstatus._policy import DEADLINE_GRACE, BatchPolicy
from taskstatus.testing import FakeClock

MIXPEEK = vocabulary("mixpeek")

QUICK = [*FAST, "--rate", "1000"]


def urls(server: ScriptedServer, count: int) -> list[str]:
    """URLs of tasks 1 to count on the server."""
    return [f"{server.url}/t/{number}" for number in range(1, count + 1)]


def script_tasks(server: ScriptedServer, *finals: str) -> list[str]:
    """Script one task per final status, each PENDING once first."""
    for number, final in enumerate(finals, start=1):
        server.script("PENDING", final, path=f"/t/{number}")
    return urls(server, len(finals))


@pytest.mark.parametrize(
    ("finals", "code"),
    [
        (["COMPLETED", "COMPLETED"], 0),
        (["COMPLETED", "FAILED", "COMPLETED_WITH_ERRORS"], 3),
        (["FAILED", "CANCELED"], 4),
    ],
    ids=["all completed", "a mix", "none completed"],
)
def test_exit_code_is_the_batch_outcome(
    task_server: ScriptedServer, finals: list[str], code: int
) -> None:
    """0 when all completed, 3 for a mix, 4 when none completed."""
    run = taskstatus("wait", *script_tasks(task_server, *finals), *QUICK)
    assert code == run.returncode, run.stderr
    assert [2] * len(finals) == [
        task_server.requests_for(f"/t/{n}") for n in range(1, len(finals) + 1)
    ]


def test_plain_output(task_server: ScriptedServer) -> None:
    """A line per settled task on stderr; the counts on stdout."""
    run = taskstatus("wait", *script_tasks(task_server, "COMPLETED", "FAILED"), *QUICK)
    assert 3 == run.returncode
    assert {
        f"COMPLETED {task_server.url}/t/1",
        f"FAILED {task_server.url}/t/2",
    } == set(run.stderr.splitlines())
    assert run.stdout.startswith(
        "2 tasks, settled: 1 COMPLETED, 1 FAILED; 4 requests in "
    )


def test_from_a_file_with_comments(task_server: ScriptedServer, tmp_path: Path) -> None:
    """--from reads one URL a line, skipping blank lines and comments."""
    listed = script_tasks(task_server, "COMPLETED", "COMPLETED", "COMPLETED")
    url_file = tmp_path / "urls.txt"
    url_file.write_text(
        f"# the nightly imports\n{listed[0]}\n\n  {listed[1]}  \n", encoding="utf-8"
    )
    run = taskstatus("wait", listed[2], "--from", str(url_file), *QUICK, "--json")
    assert 0 == run.returncode, run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert sorted(listed) == sorted(r["url"] for r in records if r["event"] == "task")
    assert {"event": "done", "exit_code": 0, "total": 3, "errors": 0} == {
        key: records[-1][key] for key in ("event", "exit_code", "total", "errors")
    }


def test_from_stdin(task_server: ScriptedServer) -> None:
    """--from - reads the URLs from stdin; one URL there is still a batch."""
    [url] = script_tasks(task_server, "COMPLETED")
    run = subprocess.run(
        [SCRIPT, "wait", "--from", "-", *QUICK, "--json"],
        input=url + "\n",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert 0 == run.returncode, run.stderr
    assert "task" == json.loads(run.stdout.splitlines()[0])["event"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("http://127.0.0.1:9/a\nftp://x/\n", "line 2: expected an http:// or https://"),
        (
            "http://127.0.0.1:9/a\n#\nHTTP://127.0.0.1:9/%61\n",
            "urls.txt, line 3 repeats line 1: http://127.0.0.1:9/%61\n",
        ),
        (
            "http://127.0.0.1:9/a?token=x\nhttp://127.0.0.1:9/a?token=y\n",
            "urls.txt, line 2 differs only in its secrets from line 1: "
            "http://127.0.0.1:9/a?token=***\n",
        ),
        ("# nothing\n\n", "urls.txt holds no URLs\n"),
        (b"\xff\xfe", "not UTF-8 text"),
    ],
    ids=["missing", "bad line", "repeated", "secrets only", "empty", "not text"],
)
def test_bad_url_files_exit_2(
    tmp_path: Path, content: str | bytes | None, message: str
) -> None:
    """A file that cannot give usable URLs is a usage error, naming the line."""
    url_file = tmp_path / "urls.txt"
    if isinstance(content, bytes):
        url_file.write_bytes(content)
    elif content is not None:
        url_file.write_text(content, encoding="utf-8")
    run = taskstatus("wait", "--from", str(url_file))
    assert 2 == run.returncode
    assert message in run.stderr
    assert 1 == len(run.stderr.splitlines())


def test_a_repeat_on_the_command_line_names_both(tmp_path: Path) -> None:
    """Two spellings of one URL, as arguments and in a file, name both places."""
    url_file = tmp_path / "urls.txt"
    url_file.write_text("https://api.example:443/t/%7E1\n", encoding="utf-8")
    run = taskstatus("wait", "https://API.example/t/~1", "--from", str(url_file))
    assert (
        2,
        f"taskstatus wait: error: {url_file}, line 1 repeats URL 1: "
        "https://api.example:443/t/%7E1\n",
    ) == (run.returncode, run.stderr)


def test_a_byte_order_mark_is_not_part_of_the_first_url(
    task_server: ScriptedServer, tmp_path: Path
) -> None:
    """A file saved by an editor that writes a BOM reads as it shows."""
    url_file = tmp_path / "urls.txt"
    url_file.write_bytes("\ufeff".encode() + "\n".join(urls(task_server, 2)).encode())
    run = taskstatus("wait", "--from", str(url_file), *QUICK)
    assert 0 == run.returncode, run.stderr
    # The tasks settle in either order: compare the lines as a set.
    assert {f"COMPLETED {url}" for url in urls(task_server, 2)} == set(
        run.stderr.splitlines()
    )


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (":memory:", "--state needs a file: ':memory:' would keep nothing"),
        ("", "--state needs a file name"),
        (" ", "--state needs a file name"),
    ],
)
def test_a_state_that_keeps_nothing_is_refused(state: str, message: str) -> None:
    """SQLite's in-memory and temporary names are no --state file."""
    run = taskstatus("wait", "http://127.0.0.1:9/", "--state", state)
    assert (2, f"taskstatus wait: error: {message}\n") == (run.returncode, run.stderr)


def test_no_url_at_all_exits_2() -> None:
    """Wait needs a URL or a file."""
    run = taskstatus("wait")
    assert (2, "taskstatus wait: error: give a task URL, or --from FILE\n") == (
        run.returncode,
        run.stderr,
    )


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--rate", "0", "positive number of requests per second"),
        ("--rate", "fast", "a number of requests per second"),
        ("--parallel", "0", "whole number of at least 1, got '0'"),
        ("--parallel", "-1", "whole number of at least 1, got '-1'"),
    ],
)
def test_bad_batch_options_exit_2(option: str, value: str, message: str) -> None:
    """--rate and --parallel are checked like the other options."""
    run = taskstatus("wait", "http://127.0.0.1:9/", option, value)
    assert 2 == run.returncode
    assert message in run.stderr


def test_rate_bounds_the_requests(task_server: ScriptedServer) -> None:
    """With --rate 20, eight requests take at least 0.35 s on the client's clock."""
    listed = script_tasks(task_server, *["COMPLETED"] * 8)
    for number in range(1, 9):
        task_server.script("COMPLETED", path=f"/t/{number}")
    run = taskstatus("wait", *listed, *FAST, "--rate", "20", "--json")
    final = json.loads(run.stdout.splitlines()[-1])
    assert (0, 8) == (final["exit_code"], final["requests"])
    assert final["elapsed"] >= 7 / 20


def test_parallel_bounds_the_requests_in_flight(task_server: ScriptedServer) -> None:
    """With --parallel 2, the server never sees more than two requests at once."""
    slow = Reply({"status": "COMPLETED"}, hang=0.1)
    for number in range(1, 7):
        task_server.script(slow, path=f"/t/{number}")
    run = taskstatus("wait", *urls(task_server, 6), *QUICK, "--parallel", "2")
    assert 0 == run.returncode, run.stderr
    assert 2 == task_server.most_in_flight


def test_errors_settle_one_task_and_exit_1(task_server: ScriptedServer) -> None:
    """A task whose URL fails is reported; the others are still waited on."""
    task_server.script(Reply({"error": "gone"}, status=404), path="/t/1")
    task_server.script(Reply({"status": "SKIPPED"}), path="/t/2")
    task_server.script("PENDING", "COMPLETED", path="/t/3")
    run = taskstatus("wait", *urls(task_server, 3), *QUICK, "--json")
    assert 1 == run.returncode
    records = [json.loads(line) for line in run.stdout.splitlines()]
    errors = {r["url"]: r["error"] for r in records if r["event"] == "task"}
    assert errors[f"{task_server.url}/t/1"].startswith("HTTP 404 Not Found from ")
    assert (
        "the task is SKIPPED, which waiting cannot change"
        == (errors[f"{task_server.url}/t/2"])
    )
    assert errors[f"{task_server.url}/t/3"] is None
    assert (2, {"COMPLETED": 1}) == (records[-1]["errors"], records[-1]["counts"])
    codes = {r["url"]: r["exit_code"] for r in records if r["event"] == "task"}
    assert [1, 1, 0] == [codes[f"{task_server.url}/t/{n}"] for n in (1, 2, 3)]
    assert 2 == len(run.stderr.splitlines())  # one line per error
    plain = taskstatus("wait", *urls(task_server, 3), *QUICK)
    assert plain.stdout.startswith("3 tasks, settled: 1 COMPLETED; 2 errors; ")


def test_deadline_reports_what_did_not_settle(task_server: ScriptedServer) -> None:
    """124 at the deadline, naming the unsettled tasks; the settled are counted."""
    task_server.script("COMPLETED", path="/t/1")
    task_server.script("PENDING", path="/t/2")
    start = time.monotonic()
    run = taskstatus("wait", *urls(task_server, 2), *QUICK, "--timeout", "0.3")
    assert 124 == run.returncode
    assert time.monotonic() - start < 20  # the other task would poll for ever
    assert run.stderr.splitlines()[-1] == (
        "taskstatus wait: reached the timeout of 0.3 s with 1 of 2 tasks unsettled"
    )
    assert f"unsettled: {task_server.url}/t/2" == run.stdout.splitlines()[-1]


def test_interrupt_ends_with_the_final_record(task_server: ScriptedServer) -> None:
    """SIGINT during a batch: 130 and a final JSON record of what settled."""
    task_server.script("COMPLETED", path="/t/1")
    task_server.script("PENDING", path="/t/2")
    arguments = ["wait", *urls(task_server, 2), "--initial", "30", "--json"]
    run = signalled(arguments, task_server, 2, signal.SIGINT)
    assert (130, "taskstatus wait: interrupted\n") == (run.returncode, run.stderr)
    final = json.loads(run.stdout.splitlines()[-1])
    assert ("interrupted", {"COMPLETED": 1}) == (final["event"], final["counts"])


def test_the_terminal_view_redraws_one_line() -> None:
    """On a TTY: settled/total, counts, requests per second, on one line."""
    err = io.StringIO()
    view = Terminal(io.StringIO(), err, MIXPEEK)
    counts = {TaskStatus.COMPLETED: 3, TaskStatus.PENDING: 2}
    view.progress(BatchProgress(5, 3, counts, 8, 2.0, 10.0))
    view.task("http://h/t/8", Polled(TaskStatus.COMPLETED))  # only counted
    view.task("http://h/t/9", Polled(TaskStatus.FAILED, error="HTTP 404"))
    view.progress(BatchProgress(5, 4, counts, 9, 0.0, 10.0))
    view.finish()
    view.finish()
    assert (
        "\r\x1b[K3/5 settled  COMPLETED 3  PENDING 2  4.0 req/s  elapsed 2.0 s\n"
        "taskstatus wait: HTTP 404\n"
        "\r\x1b[K4/5 settled  COMPLETED 3  PENDING 2  9.0 req/s  elapsed 0.00 s\n"
    ) == err.getvalue()


def test_the_quiet_view_shows_only_errors() -> None:
    """--quiet with many tasks: errors on stderr, nothing else."""
    out, err = io.StringIO(), io.StringIO()
    view = Output(out, err, MIXPEEK)
    view.progress(BatchProgress(1, 0, {}, 1, 1.0, None))
    view.task("http://h/t/1", Polled(TaskStatus.COMPLETED))
    view.task("http://h/t/2", Polled(TaskStatus.FAILED, error="boom"))
    view.final({})
    view.summary({})
    assert ("", "taskstatus wait: boom\n") == (out.getvalue(), err.getvalue())


def test_many_unsettled_urls_are_cut(task_server: ScriptedServer) -> None:
    """The report at the deadline lists ten unsettled URLs, then a count."""
    task_server.script("PENDING")
    run = taskstatus("wait", *urls(task_server, 12), *QUICK, "--timeout", "0.2")
    assert 124 == run.returncode
    assert run.stdout.splitlines()[-1].endswith(", and 2 more")


def test_the_line_view_writes_errors_once() -> None:
    """Without a terminal, an error is one line on stderr, not a status line."""
    out, err = io.StringIO(), io.StringIO()
    view = Lines(out, err, MIXPEEK)
    view.task("http://h/t/1", Polled(TaskStatus.COMPLETED))
    view.task("http://h/t/2", Polled(TaskStatus.FAILED, error="boom"))
    assert "COMPLETED http://h/t/1\ntaskstatus wait: boom\n" == err.getvalue()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("quiet", "json_", "tty", "view"),
    [
        (True, False, False, "Output"),
        (False, True, True, "JSONLines"),
        (False, False, True, "Terminal"),
        (False, False, False, "Lines"),
    ],
)
def test_the_view_follows_the_options(
    quiet: bool, json_: bool, tty: bool, view: str
) -> None:
    """--json wins, then --quiet; a terminal gets the redrawn line."""
    options = WaitOptions(("http://h/",), quiet=quiet, json=json_)
    err = _Terminal() if tty else io.StringIO()
    chosen = output(options, io.StringIO(), err)
    assert view == type(chosen).__name__


def test_missing_status_field_is_an_error_for_that_task(
    task_server: ScriptedServer,
) -> None:
    """A body without the --field is an error for its task; others go on."""
    task_server.script(Reply({"state": "COMPLETED"}), path="/t/1")
    task_server.script("COMPLETED", path="/t/2")
    run = taskstatus("wait", *urls(task_server, 2), *QUICK)
    assert 1 == run.returncode
    assert "taskstatus wait: no field 'status' in the response body" in run.stderr


def test_a_deadline_while_retrying_is_the_batch_deadline(
    task_server: ScriptedServer,
) -> None:
    """A task still being retried at the deadline is unsettled: 124."""
    task_server.script(Reply({}, status=503), path="/t/1")
    task_server.script("COMPLETED", path="/t/2")
    run = taskstatus(
        "wait", *urls(task_server, 2), *QUICK, "--timeout", "0.3", "--retries", "50"
    )
    assert 124 == run.returncode
    assert f"unsettled: {task_server.url}/t/1" == run.stdout.splitlines()[-1]


def test_sigterm_ends_a_batch_with_143(task_server: ScriptedServer) -> None:
    """SIGTERM during a batch: 143, like Ctrl-C."""
    task_server.script("PENDING")
    arguments = ["wait", *urls(task_server, 2), "--initial", "30"]
    run = signalled(arguments, task_server, 2, signal.SIGTERM)
    assert (143, "taskstatus wait: terminated\n") == (run.returncode, run.stderr)
    assert run.stdout.startswith("2 tasks, settled: none; 2 requests in ")


Answer = Generator[float, object, str]
"""A scheduler's task in these tests: sleeps, then a status word."""


def scheduler(
    keys: list[str],
    task: Callable[[str], Answer],
    *,
    size: int,
    clock: Callable[[], float] = time.monotonic,
    timeout: float | None = None,
    answered: list[str] | None = None,
    on_answer: Callable[[str, str], object] | None = None,
) -> _batch.Scheduler[str, str]:
    """A scheduler over a batch of ``keys`` whose answers are status words.

    Its tasks only sleep (on the loop's timers): no socket is needed.
    """
    policy = BatchPolicy(initial_delay=0.001, max_delay=0.001, timeout=timeout)
    batch = status_batch(keys, policy, clock)
    heard = [] if answered is None else answered

    def hear(key: str, _answer: str) -> None:
        heard.append(key)

    return _batch.Scheduler(
        batch,
        task,
        connections=Connections(),
        size=size,
        on_answer=hear if on_answer is None else on_answer,
    )


def finish(
    running: _batch.Scheduler[str, str], *, every: float = 3600.0
) -> BaseException | None:
    """Run the scheduler: what run raised, if anything."""
    try:
        running.run(every=every, beat=lambda: None)
    except BaseException as error:  # noqa: BLE001 - the test looks at it
        return error
    return None


class InFlight:
    """Counts the tasks under way, and the most at once."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0

    def __enter__(self) -> None:
        self.now += 1
        self.most = max(self.most, self.now)

    def __exit__(self, *_: object) -> None:
        self.now -= 1


def test_the_scheduler_keeps_size_calls_in_flight_to_the_end() -> None:
    """Twelve tasks, PENDING once each, two in flight at a time, never more."""
    asked: list[str] = []
    answered: list[str] = []
    in_flight = InFlight()

    def task(key: str) -> Answer:
        with in_flight:
            asked.append(key)
            yield 0.001
        return "COMPLETED" if asked.count(key) == 2 else "PENDING"

    keys = [str(n) for n in range(12)]
    assert finish(scheduler(keys, task, size=2, answered=answered)) is None
    assert (sorted(keys * 2), sorted(answered)) == (sorted(asked), sorted(asked))
    assert 2 == in_flight.most


def test_a_batch_with_nothing_to_do_starts_no_task() -> None:
    """No task: run returns at once, having asked nothing."""
    asked: list[str] = []

    def task(key: str) -> Answer:
        asked.append(key)
        yield 0.0
        return "COMPLETED"

    assert finish(scheduler([], task, size=4)) is None
    assert [] == asked


def test_a_failing_call_stops_the_batch_and_no_other_call_starts() -> None:
    """The first error ends the batch: BatchError, with the error as its cause."""
    asked: list[str] = []

    def fail(key: str) -> Answer:
        asked.append(key)
        yield 0.0
        raise ConnectionError(key)

    error = finish(scheduler(["a", "b", "c"], fail, size=1, timeout=3600))
    assert isinstance(error, BatchError)
    assert isinstance(error.__cause__, ConnectionError)
    assert (["a"], {}, ["a", "b", "c"]) == (asked, error.done, list(error.pending))


def test_a_call_that_fails_at_once_starts_no_other() -> None:
    """A task that fails as it starts ends the batch before the next one starts."""
    asked: list[str] = []

    def fail(key: str) -> Answer:
        asked.append(key)
        raise ConnectionError(key)
        yield 0.0  # pragma: no cover - a generator that never gets here

    error = finish(scheduler(["a", "b"], fail, size=2))
    assert isinstance(error, BatchError)
    assert ["a"] == asked


def test_an_answer_after_the_first_error_is_dropped() -> None:
    """Two calls end in one step: the one after the other's error is dropped."""
    answered: list[str] = []

    def task(key: str) -> Answer:
        yield 0.0
        if key == "a":
            raise ConnectionError(key)
        return "COMPLETED"

    error = finish(scheduler(["a", "b"], task, size=2, answered=answered))
    assert isinstance(error, BatchError)
    assert ([], {}) == (answered, error.done)


def test_an_error_recording_an_answer_stops_the_batch() -> None:
    """An answer the batch cannot take (here, on_answer fails) ends the batch."""

    def task(_key: str) -> Answer:
        yield 0.0
        return "COMPLETED"

    def refuse(_key: str, answer: str) -> int:
        return int(answer)  # ValueError: "COMPLETED" is no number

    error = finish(scheduler(["a"], task, size=1, on_answer=refuse))
    assert isinstance(error, BatchError)
    assert isinstance(error.__cause__, ValueError)


def test_an_exit_in_a_call_is_raised_as_it_is() -> None:
    """SystemExit in a task is not wrapped: run raises it."""

    def leave(_key: str) -> Answer:
        yield 0.0
        raise SystemExit(3)

    error = finish(scheduler(["a"], leave, size=1))
    assert isinstance(error, SystemExit)
    assert 3 == error.code


def test_the_deadline_ends_calls_in_flight_and_their_answers_are_dropped() -> None:
    """At the end of the deadline's grace run raises; the calls are dropped."""
    clock = FakeClock()
    answered: list[str] = []
    started: list[str] = []

    def slow(key: str) -> Answer:
        started.append(key)
        if len(started) == 2:  # both in flight: the grace runs out
            clock.advance(0.25 + DEADLINE_GRACE)
        yield 3600.0
        return "COMPLETED"  # pragma: no cover - never: the deadline comes first

    running = scheduler(
        ["a", "b"], slow, size=2, clock=clock.monotonic, timeout=0.25, answered=answered
    )
    error = finish(running)
    assert isinstance(error, BatchTimeoutError)
    assert ({}, ["a", "b"], []) == (error.done, list(error.pending), answered)


def test_run_waits_in_real_time_for_the_grace_of_calls_in_flight() -> None:
    """Within the grace, run waits for what is in flight, at most until it ends."""
    clock = FakeClock()
    answered: list[str] = []

    def task(_key: str) -> Answer:
        clock.advance(0.25 + DEADLINE_GRACE / 2)  # past the deadline, in its grace
        yield 0.01
        return "COMPLETED"

    running = scheduler(
        ["a"], task, size=1, clock=clock.monotonic, timeout=0.25, answered=answered
    )
    assert finish(running) is None
    assert ["a"] == answered


def test_the_heartbeat_beats_while_a_call_is_in_flight() -> None:
    """With no deadline, a call in flight never times out; the beats go on."""
    beats: list[int] = []
    in_flight = InFlight()

    def slow(_key: str) -> Answer:
        with in_flight:
            while len(beats) < 2:
                yield 0.001
        return "COMPLETED"

    answered: list[str] = []
    running = scheduler(["a"], slow, size=2, answered=answered)
    running.run(every=0.001, beat=lambda: beats.append(in_flight.now))
    assert ["a"] == answered
    assert [1, 1] == beats[:2]


def test_a_batch_runs_without_asyncio(task_server: ScriptedServer) -> None:
    """The command's batch runs on its own selector loop: asyncio is not loaded."""
    arguments = ["wait", *script_tasks(task_server, "COMPLETED", "FAILED"), *QUICK]
    code = (
        "import sys\n"
        "from taskstatus._cli import main\n"
        f"code = main({arguments!r})\n"
        "print(int(code), 'asyncio' in sys.modules)"
    )
    assert "3 False" == run_python(code).splitlines()[-1]  # a partial success


def test_demo_many_waits_on_a_batch() -> None:
    """Demo --many: 36 tasks, a partial success overall, in a few seconds."""
    run = taskstatus("demo", "--many", timeout=30)
    assert 0 == run.returncode, run.stderr
    assert run.stdout.startswith(
        "36 tasks, settled: 30 COMPLETED, 3 COMPLETED_WITH_ERRORS, 3 FAILED; "
    )
    assert run.stderr.rstrip().endswith("`taskstatus wait` would have exited with 3")


# --- --state and `taskstatus board` ---------------------------------------


def test_state_resumes_after_an_interruption(
    task_server: ScriptedServer, tmp_path: Path
) -> None:
    """Interrupted, then run again: settled tasks are not fetched again."""
    task_server.script("COMPLETED", path="/t/1")
    task_server.script("FAILED", path="/t/2")
    task_server.script("PENDING", path="/t/3")
    url_file = tmp_path / "urls.txt"
    url_file.write_text("\n".join(urls(task_server, 3)), encoding="utf-8")
    state = str(tmp_path / "jobs.db")
    command = ["wait", "--from", str(url_file), "--state", state]
    first = signalled([*command, "--initial", "30"], task_server, 3, signal.SIGINT)
    assert 130 == first.returncode
    task_server.script("COMPLETED", path="/t/3")
    second = taskstatus(*command, *QUICK)
    assert 3 == second.returncode, second.stderr
    assert [1, 1, 2] == [task_server.requests_for(f"/t/{n}") for n in (1, 2, 3)]


def test_board_command_shows_the_state(
    task_server: ScriptedServer, tmp_path: Path
) -> None:
    """`taskstatus board FILE` prints the counts and the unsettled tasks."""
    task_server.script("COMPLETED", path="/t/1")
    task_server.script("PENDING", path="/t/2")
    state = str(tmp_path / "jobs.db")
    listed = urls(task_server, 2)
    taskstatus("wait", *listed, *QUICK, "--state", state, "--timeout", "0.2")
    plain = taskstatus("board", state)
    assert (0, "") == (plain.returncode, plain.stderr)
    assert [
        "2 tasks, 1 settled: 1 PENDING, 1 COMPLETED",
        "overall: IN_PROGRESS",
        "unsettled:",
        f"  PENDING  {listed[1]}",
    ] == plain.stdout.splitlines()
    as_json = json.loads(taskstatus("board", state, "--json").stdout)
    assert (2, 1, "IN_PROGRESS", {"PENDING": 1, "COMPLETED": 1}) == (
        as_json["total"],
        as_json["settled"],
        as_json["overall"],
        as_json["counts"],
    )
    assert [listed[1]] == [task["key"] for task in as_json["unsettled"]]


def test_board_command_redacts_and_cuts(tmp_path: Path) -> None:
    """Keys with credentials are redacted; long listings are cut."""
    state = tmp_path / "jobs.db"
    with TaskBoard.open(state) as board:
        for number in range(_board.MAX_UNSETTLED_SHOWN + 2):
            board.update(f"https://me:pw@h/t/{number}?token=x", "PENDING")
    run = taskstatus("board", str(state))
    lines = run.stdout.splitlines()
    assert "  PENDING  https://***@h/t/0?token=***" == lines[3]
    assert "  and 2 more" == lines[-1]
    assert "pw" not in run.stdout


@pytest.mark.parametrize("make", ["missing", "not a board"])
def test_board_command_refuses_what_is_no_board(tmp_path: Path, make: str) -> None:
    """A missing file, or one that is no board, is a usage error."""
    path = tmp_path / "jobs.db"
    if make == "not a board":
        path.write_text("hello" * 100, encoding="utf-8")
    run = taskstatus("board", str(path))
    assert 2 == run.returncode
    assert run.stderr.startswith("taskstatus board: error: ")
    assert not path.exists() or make == "not a board"


def test_a_bad_state_file_exits_2(task_server: ScriptedServer, tmp_path: Path) -> None:
    """--state naming something that is no board is a usage error."""
    path = tmp_path / "jobs.db"
    path.write_text("hello" * 100, encoding="utf-8")
    run = taskstatus("wait", task_server.url, "--state", str(path))
    assert 2 == run.returncode
    assert "is not a task board file" in run.stderr
    assert [] == task_server.seen


def test_an_empty_board_file(tmp_path: Path) -> None:
    """A board with no tasks says so."""
    path = tmp_path / "jobs.db"
    TaskBoard.open(path).close()
    run = taskstatus("board", str(path))
    assert [
        "0 tasks, 0 settled: empty",
        "overall: COMPLETED",
    ] == run.stdout.splitlines()


def test_a_settled_record_is_read_by_its_status_whoever_wrote_it() -> None:
    """The record's status counts; an error only in the command's own shape."""
    done = TaskRecord(TaskStatus.COMPLETED, "done")
    assert Polled(TaskStatus.COMPLETED) == Polled.from_record(done, "done")
    failed = TaskRecord(TaskStatus.FAILED)
    webhook = {"status": "FAILED", "error": "boom", "id": 7}
    assert Polled(TaskStatus.FAILED) == Polled.from_record(failed, webhook)
    ours = {"status": "FAILED", "error": "HTTP 404\x1b[2J"}
    assert Polled(TaskStatus.FAILED, "HTTP 404\\x1b[2J") == (
        Polled.from_record(failed, ours)
    )
    assert Polled(TaskStatus.FAILED, "x") == Polled.from_record(
        None, {"status": "FAILED", "error": "x"}
    )
    assert Polled(TaskStatus.UNKNOWN) == Polled.from_record(None, 7)


def test_state_written_by_a_webhook_handler_is_resumed(
    task_server: ScriptedServer, tmp_path: Path
) -> None:
    """A record settled by other code, in its own shape, ends the wait cleanly."""
    state = tmp_path / "jobs.db"
    listed = urls(task_server, 2)
    with TaskBoard.open(state) as board:
        board.update(listed[0], "COMPLETED", {"id": 1, "rows": 3})
        board.update(listed[1], "FAILED", None)
    run = taskstatus("wait", *listed, "--state", str(state), "--json")
    assert 3 == run.returncode, run.stderr  # one of each: a partial success
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert [("COMPLETED", 0), ("FAILED", 4)] == [
        (record["status"], record["exit_code"]) for record in records[:2]
    ]
    assert {"COMPLETED": 1, "FAILED": 1} == records[-1]["counts"]
    assert [] == task_server.seen


def test_a_task_settled_skipped_by_others_has_the_exit_code_of_no_outcome(
    task_server: ScriptedServer, tmp_path: Path
) -> None:
    """Every task record has an exit code: SKIPPED alone would exit 1."""
    state = tmp_path / "jobs.db"
    listed = urls(task_server, 1)
    with TaskBoard.open(state) as board:
        board.update(listed[0], "SKIPPED")
    run = taskstatus("wait", *listed, "--state", str(state), "--json")
    record = json.loads(run.stdout.splitlines()[0])
    assert ("SKIPPED", None, 1) == (
        record["status"],
        record["error"],
        record["exit_code"],
    )
    assert [] == task_server.seen


def test_a_state_file_that_cannot_merge_is_one_line(
    task_server: ScriptedServer, tmp_path: Path
) -> None:
    """A --state record of an entity (ACTIVE) cannot take a task's status: exit 1."""
    path = tmp_path / "jobs.db"
    url = f"{task_server.url}/t/1"
    with TaskBoard.open(path) as board:
        board.update(url, "ACTIVE")
    run = taskstatus("wait", url, "--state", str(path))
    assert 1 == run.returncode
    assert "lifecycle and operation statuses" in run.stderr.splitlines()[-1]
    assert "Traceback" not in run.stderr


# --- --state against the real world ---------------------------------------


def _one_error_line(run: subprocess.CompletedProcess[str], code: int) -> str:
    assert code == run.returncode, run.stderr
    lines = run.stderr.splitlines()
    assert 1 == len(lines), run.stderr
    return lines[0]


def test_a_read_only_state_file_is_refused_before_any_request(
    task_server: ScriptedServer, tmp_path: Path
) -> None:
    """A board the user can read but not write: one line, exit 2, no request."""
    path = tmp_path / "jobs.db"
    TaskBoard.open(path).close()
    with read_only(path):
        run = taskstatus("wait", *urls(task_server, 2), "--state", str(path))
        line = _one_error_line(run, 2)
        # `taskstatus board` only reads: it shows the file all the same.
        assert 0 == taskstatus("board", str(path)).returncode
    shown = repr(str(path))
    assert f"taskstatus wait: cannot write the task board {shown}: it is read-only" == (
        line
    )
    assert [] == task_server.seen


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (damaged_board, "is damaged"),
        (board_id_without_table, "has the id of a task board, but not its tasks table"),
    ],
    ids=["damaged page", "id without table"],
)
def test_an_unusable_state_file_is_one_line_before_any_request(
    task_server: ScriptedServer,
    tmp_path: Path,
    make: Callable[[Path], None],
    message: str,
) -> None:
    """Wait --state and board: exit 2 with one line naming the file."""
    path = tmp_path / "jobs.db"
    make(path)
    waited = _one_error_line(
        taskstatus("wait", *urls(task_server, 1), "--state", str(path)), 2
    )
    shown = _one_error_line(taskstatus("board", str(path)), 2)
    assert message in waited
    assert message in shown
    assert str(path) in waited
    assert [] == task_server.seen


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (("a", "COMPLETED", "{bad json", None, 0.0), "the record of 'a' holds"),
        ((b"a", "COMPLETED", "null", None, 0.0), "a key of b'a'"),
        (("a", "COMPLETED", "9" * 5000, None, 0.0), "the record of 'a' holds"),
    ],
    ids=["bad JSON", "BLOB key", "5000 digits"],
)
def test_board_shows_a_damaged_record_as_one_line(
    tmp_path: Path, row: tuple[object, ...], problem: str
) -> None:
    """A row other code damaged: exit 2, one line, never a traceback."""
    path = tmp_path / "jobs.db"
    TaskBoard.open(path).close()
    with closing(sqlite3.connect(path)) as db:
        db.execute("INSERT INTO tasks VALUES (?, ?, ?, ?, ?)", row)
        db.commit()
    for arguments in (["board", str(path)], ["board", str(path), "--json"]):
        assert problem in _one_error_line(taskstatus(*arguments), 2)


@pytest.mark.parametrize("make", ["empty", "other database"])
def test_board_never_writes(tmp_path: Path, make: str) -> None:
    """An empty file or another app's SQLite file is named, and left as it was."""
    path = tmp_path / "jobs.db"
    message = not_a_board(path, make)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    line = _one_error_line(taskstatus("board", str(path)), 2)
    assert line.endswith(message)
    assert before == (path.read_bytes(), path.stat().st_mtime_ns)
    assert [path] == list(tmp_path.iterdir())


def test_a_state_file_locked_by_another_process_respects_the_timeout(
    task_server: ScriptedServer, tmp_path: Path
) -> None:
    """Another process holds the lock: the wait ends at --timeout, naming the file."""
    path = tmp_path / "jobs.db"
    TaskBoard.open(path).close()
    with lock_held(path):
        run = taskstatus(
            "wait", *urls(task_server, 1), "--state", str(path), "--timeout", "0.5"
        )
    line = _one_error_line(run, 1)
    assert line == (
        f"taskstatus wait: the task board {str(path)!r} stayed locked by another "
        "process for 0.5 s"
    )
    assert [] == task_server.seen


def test_the_state_file_holds_no_secret(
    task_server: ScriptedServer, tmp_path: Path
) -> None:
    """User info and token parameters never reach the file, which is 0600.

    Resuming still works: the second run asks nothing again.
    """
    port = task_server.server_address[1]
    secret_url = f"http://me:hunter2@127.0.0.1:{port}/t/1;jwt=e30?token=SECRET&page=1"
    state = tmp_path / "jobs.db"
    first = taskstatus("wait", secret_url, "--state", str(state), *QUICK)
    assert 0 == first.returncode, first.stderr
    assert 0o600 == stat.S_IMODE(state.stat().st_mode)
    with TaskBoard.open(state, read_only=True) as board:
        assert [f"http://***@127.0.0.1:{port}/t/1;jwt=***?token=***&page=1"] == list(
            board.records()
        )
    on_disk = b"".join(file.read_bytes() for file in tmp_path.iterdir())
    for secret in (b"hunter2", b"SECRET", b"e30"):
        assert secret not in on_disk
    second = taskstatus("wait", secret_url, "--state", str(state), *QUICK)
    assert 0 == second.returncode, second.stderr
    assert 1 == len(task_server.seen)
    assert "Basic " in task_server.seen[0].headers["Authorization"]


def test_stored_error_text_is_escaped_on_resume(
    task_server: ScriptedServer, tmp_path: Path
) -> None:
    """Text from the file reaches the log escaped, as a server's text does."""
    state = tmp_path / "jobs.db"
    (url,) = urls(task_server, 1)
    with TaskBoard.open(state) as board:
        board.update(
            url, "FAILED", {"status": "FAILED", "error": "x\x1b[2J\n::error::owned"}
        )
    run = taskstatus("wait", url, "--state", str(state))
    assert 1 == run.returncode
    assert "taskstatus wait: x\\x1b[2J\\n::error::owned" == run.stderr.splitlines()[-1]
    assert [] == task_server.seen


def test_a_signal_during_a_request_cuts_it_and_ends_cleanly(
    task_server: ScriptedServer, tmp_path: Path
) -> None:
    """SIGTERM while a request hangs: 143 with its final record, no thread left.

    The hanging request is cut and its thread joined before the interpreter
    shuts down (a thread still at work then could crash it on 3.13).
    """
    task_server.script(Reply({"status": "COMPLETED"}, hang=60))
    state = str(tmp_path / "jobs.db")
    run = signalled(
        ["wait", *urls(task_server, 2), "--state", state, "--json"],
        task_server,
        2,
        signal.SIGTERM,
    )
    assert 143 == run.returncode, run.stderr
    final = json.loads(run.stdout.splitlines()[-1])
    assert ("interrupted", 143) == (final["event"], final["exit_code"])
    assert "taskstatus wait: terminated\n" == run.stderr


def test_a_plain_batch_says_how_it_stands_while_nothing_settles(
    task_server: ScriptedServer,
) -> None:
    """Without a terminal, a heartbeat line keeps a CI log from going silent."""
    task_server.script("PENDING")
    out, err = io.StringIO(), io.StringIO()
    options = WaitOptions(
        urls=tuple(urls(task_server, 2)),
        policy=BatchPolicy(initial_delay=0.2, max_delay=0.2, timeout=1.0),
        heartbeat=0.05,
    )
    assert 124 == wait(options, out=out, err=err)
    beats = [line for line in err.getvalue().splitlines() if "waiting:" in line]
    assert beats, err.getvalue()
    assert re.fullmatch(
        r"waiting: 0/2 settled; PENDING 2; \d+ requests; \d\.\d+ s left", beats[-1]
    ) or re.fullmatch(r"waiting: no answer yet; \d\.\d+ s left", beats[-1])


def test_the_heartbeat_before_any_answer_and_without_a_deadline() -> None:
    """The line says what it can: no answer yet, no deadline."""
    err = io.StringIO()
    view = Lines(io.StringIO(), err, MIXPEEK)
    view.heartbeat(None, None)
    counts = {TaskStatus.PENDING: 1, TaskStatus.COMPLETED: 1}
    view.heartbeat(BatchProgress(2, 1, counts, 3, 1.0, None), None)
    assert (
        "waiting: no answer yet; no deadline\n"
        "waiting: 1/2 settled; PENDING 1, COMPLETED 1; 3 requests; no deadline\n"
    ) == err.getvalue()
    quiet = io.StringIO()
    Output(io.StringIO(), quiet, MIXPEEK).heartbeat(None, 3.0)
    assert "" == quiet.getvalue()

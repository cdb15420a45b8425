"""The pieces of the command, tested in-process: parsing, HTTP errors, output."""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from helpers import Reply, ScriptedServer, serving
from taskstatus import (
    BatchPolicy,
    BatchProgress,
    PollEvent,
    PollPolicy,
    TaskStatus,
    vocabulary,
)
from taskstatus._cli import _demo, _http, main
from taskstatus._cli._exit import ExitCode, epilog
from taskstatus._cli._http import (
    DeadlineError,
    FetchError,
    RetryingFetch,
    TaskEndpoint,
    parse_retry_after,
)
from taskstatus._cli._main import wait
from taskstatus._cli._options import WaitOptions
from taskstatus._cli._output import (
    JSONLines,
    Lines,
    Output,
    Polled,
    Terminal,
    json_word,
)
from taskstatus._cli._schema import status_schema
from taskstatus._policy import DEADLINE_SLACK, Deadline
from taskstatus.testing import FakeClock

# --- Retry-After ----------------------------------------------------------

NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("5", 5.0),
        (" 0.25 ", 0.25),
        ("-3", -3.0),  # poll() ignores it, but it is what the server said
        ("nan", None),
        ("inf", None),
        ("soon", None),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        ("Sun, 29 Nov 2026 12:01:00 -0000", 60.0),  # no zone: read as GMT
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    """Seconds, fractional seconds and HTTP dates are read; anything else is None."""
    assert seconds == parse_retry_after(header, now=NOW)


def test_parse_retry_after_dates_default_to_now() -> None:
    """Without `now`, a date is measured from the current time."""
    future = format_datetime(datetime.now(timezone.utc) + timedelta(hours=1), True)
    hint = parse_retry_after(future)
    assert hint is not None
    assert 3500 < hint <= 3600


# --- HTTP failures --------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "message", "transient"),
    [
        (socket.gaierror(-2, "Name not known"), "cannot resolve the host of", False),
        (ssl.SSLError("bad handshake"), "TLS failed for", False),
        (ConnectionRefusedError(), "connection refused by", True),
        (TimeoutError(), "no response from", True),
        (ConnectionResetError("reset"), "connection to", True),
        (OSError("no route"), "cannot reach", False),
    ],
)
def test_connection_errors_are_sorted(
    reason: Exception, message: str, transient: bool
) -> None:
    """Each low-level failure becomes one line, transient or not."""
    error = _http._connection_error("http://h/t", reason)  # pyright: ignore[reportPrivateUsage]
    assert str(error).startswith(message)
    assert transient is error.transient


class _Hangup(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.close_connection = True  # reply with nothing at all


@pytest.fixture
def rude_server() -> Iterator[ThreadingHTTPServer]:
    """A server on 127.0.0.1 that hangs up on every request."""
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _Hangup)) as server:
        yield server


def test_a_hangup_is_transient(rude_server: ThreadingHTTPServer) -> None:
    """A server closing the connection without a reply is worth a retry."""
    url = f"http://127.0.0.1:{rude_server.server_address[1]}/"
    with pytest.raises(FetchError, match=r"connection to .* failed") as caught:
        TaskEndpoint(url).get_json(time_limit=5)
    assert caught.value.transient


def test_a_silent_server_times_out() -> None:
    """No answer within the request timeout is a transient failure."""
    done = threading.Event()

    class Silent(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            done.wait(5)  # never answer in time

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Silent)) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with pytest.raises(FetchError, match=r"response from .* in time") as caught:
            TaskEndpoint(url).get_json(time_limit=0.2)
        done.set()
    assert caught.value.transient


def test_huge_bodies_are_refused(
    task_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A body over the size limit is an error, not a memory hazard."""
    monkeypatch.setattr(_http, "MAX_BODY_BYTES", 10)
    task_server.script(Reply({"status": "PENDING", "padding": "x" * 100}))
    with pytest.raises(FetchError, match="larger than 10 bytes"):
        TaskEndpoint(task_server.url).get_json(time_limit=5)


def test_retries_stop_at_the_deadline(task_server: ScriptedServer) -> None:
    """Retries are cut to end at the deadline; a failure there is a timeout."""
    task_server.script(Reply({}, status=503))
    clock = FakeClock()
    retries: list[float] = []
    fetch = RetryingFetch(
        TaskEndpoint(task_server.url),
        retries=5,
        policy=PollPolicy(jitter=False),
        deadline=Deadline(2.5, clock.monotonic),
        on_retry=lambda _error, _attempt, delay: retries.append(delay),
        sleep=clock.sleep,
    )
    with pytest.raises(DeadlineError, match=r"reached the timeout of 2.5 s: HTTP 503"):
        fetch()
    assert ([1, 1.5], 3) == (retries, len(task_server.seen))


def test_retries_without_a_deadline(task_server: ScriptedServer) -> None:
    """With no deadline, retries follow the backoff alone."""
    task_server.script(Reply({}, status=502), "COMPLETED")
    clock = FakeClock()
    fetch = RetryingFetch(
        TaskEndpoint(task_server.url),
        retries=1,
        policy=PollPolicy(initial_delay=2, jitter=False),
        deadline=Deadline(None, clock.monotonic),
        on_retry=lambda _error, _attempt, _delay: None,
        sleep=clock.sleep,
    )
    assert {"status": "COMPLETED"} == fetch().body
    assert [2.0] == clock.sleeps
    assert 30 == fetch.time_limit()


@pytest.mark.parametrize(
    ("code", "transient"), [(429, True), (500, True), (503, True), (499, False)]
)
def test_which_http_errors_are_transient(
    task_server: ScriptedServer, code: int, transient: bool
) -> None:
    """429 and every 5xx are worth a retry; other errors are final."""
    task_server.script(Reply({}, status=code))
    with pytest.raises(FetchError) as caught:
        TaskEndpoint(task_server.url).get_json(time_limit=5)
    assert transient is caught.value.transient


def test_a_body_exactly_at_the_cap_is_read(
    task_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cap is inclusive: a body of exactly MAX_BODY_BYTES is fine."""
    assert 10 * 1024 * 1024 == _http.MAX_BODY_BYTES  # as docs/cli.md says
    body = {"status": "COMPLETED"}
    monkeypatch.setattr(_http, "MAX_BODY_BYTES", len(json.dumps(body)))
    task_server.script(Reply(body))
    assert body == TaskEndpoint(task_server.url).get_json(time_limit=5).body


def test_an_oversized_body_is_not_retried(
    task_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A body over the cap is final: the server would send it again."""
    monkeypatch.setattr(_http, "MAX_BODY_BYTES", 5)
    task_server.script(Reply({"status": "COMPLETED"}))
    clock = FakeClock()
    fetch = RetryingFetch(
        TaskEndpoint(task_server.url),
        retries=3,
        policy=PollPolicy(jitter=False),
        deadline=Deadline(60, clock.monotonic),
        on_retry=lambda _error, _attempt, _delay: None,
        sleep=clock.sleep,
    )
    with pytest.raises(FetchError, match="larger than 5 bytes"):
        fetch()
    assert 1 == len(task_server.seen)


def test_a_transient_failure_with_half_a_second_left_is_retried(
    task_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Time left, however little, is used for one more try."""
    # The retry comes at the (virtual) deadline, so it gets the floor of real
    # time: ample, so that a loaded machine cannot make the test flaky.
    monkeypatch.setattr(_http, "REQUEST_TIMEOUT_FLOOR", 10.0)
    task_server.script(Reply({}, status=503), "COMPLETED")
    clock = FakeClock()
    deadline = Deadline(10, clock.monotonic)
    clock.advance(9.5)
    fetch = RetryingFetch(
        TaskEndpoint(task_server.url),
        retries=3,
        policy=PollPolicy(jitter=False),
        deadline=deadline,
        on_retry=lambda _error, _attempt, _delay: None,
        sleep=clock.sleep,
    )
    assert {"status": "COMPLETED"} == fetch().body
    assert [0.5] == clock.sleeps


def test_the_request_time_limit_follows_the_deadline() -> None:
    """A request gets min(30 s, time left), but never less than half a second."""
    assert (30.0, 0.5) == (_http.REQUEST_TIMEOUT, _http.REQUEST_TIMEOUT_FLOOR)
    clock = FakeClock()
    fetch = RetryingFetch(
        TaskEndpoint("http://127.0.0.1:9/"),
        retries=0,
        policy=PollPolicy(),
        deadline=Deadline(100, clock.monotonic),
        on_retry=lambda _error, _attempt, _delay: None,
    )
    limits = [fetch.time_limit()]
    for moment in (80, 15, 4.95, 1):  # at 80, 95, 99.95 and 100.95 s
        clock.advance(moment)
        limits.append(fetch.time_limit())
    assert [30.0, 20.0, 5.0, 0.5, 0.5] == [round(limit, 6) for limit in limits]


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("http://[::1]:8080/t", "http://[::1]:8080/t"),
        ("HTTPS://Bücher.Example/t", "https://xn--bcher-kva.example/t"),
        ("http://u:p w@h/a b?c=d e#f g", "http://u:p%20w@h/a%20b?c=d%20e#f%20g"),
        ("http://h/%41?x=%2F", "http://h/%41?x=%2F"),
    ],
)
def test_urls_are_prepared_for_the_wire(given: str, sent: str) -> None:
    """Hosts go through IDNA, and spaces and non-ASCII are percent-encoded."""
    assert sent == _http.prepare_url(given)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://" + "a" * 64 + ".example/", "the host name cannot be encoded"),
        ("ftp://h/", "expected an http:// or https:// URL with a host"),
        ("http:///path", "expected an http:// or https:// URL with a host"),
        ("http://h:99999/", "out of range"),
        ("http://h/\x00", "the URL holds control characters"),
    ],
)
def test_unusable_urls_are_refused(url: str, message: str) -> None:
    """Each unusable URL gets a ValueError saying why, without repeating it."""
    with pytest.raises(ValueError, match=message):
        _http.prepare_url(url)


# --- wait, in-process -----------------------------------------------------


def run_wait(options: WaitOptions) -> tuple[int, str, str]:
    """Run wait() with captured output; return code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = wait(options, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("body", "path", "where"),
    [
        ({"state": "X"}, "status", "no 'status' at the top level"),
        ({"data": {"job": {}}}, "data.task.state", "no 'task' at data"),
        ({"data": {"task": {}}}, "data.task.state", "no 'state' at data.task"),
        ({"status": "PENDING"}, "status.value", "no 'value' at status"),
        ({"items": [{"status": "X"}]}, "items.1.status", "no '1' at items"),
        ({"items": "COMPLETED"}, "items.0", "no '0' at items"),
    ],
    ids=[
        "first step",
        "middle step",
        "last step",
        "into a string",
        "past the end",
        "index into a string",
    ],
)
def test_missing_field_names_where_the_path_broke(
    task_server: ScriptedServer, body: object, path: str, where: str
) -> None:
    """A missing step, an index equal to the length, an index into a string."""
    task_server.script(Reply(body))
    code, _, err = run_wait(WaitOptions((task_server.url,), field=path))
    assert 1 == code
    assert f"taskstatus wait: no field {path!r} in the response body: {where}\n" == err


def test_one_poll_is_reported_as_one_poll(task_server: ScriptedServer) -> None:
    """A task already finished at the first fetch says 'after 1 poll'."""
    task_server.script("COMPLETED")
    code, out, _ = run_wait(WaitOptions((task_server.url,)))
    assert 0 == code
    assert out.startswith("COMPLETED after 1 poll in ")


@pytest.mark.parametrize("present", ["successful_items", "failed_items"])
def test_half_a_result_is_no_result(task_server: ScriptedServer, present: str) -> None:
    """A body with only one of the two lists is no TaskResult: no warning."""
    task_server.script(Reply({"status": "COMPLETED", present: []}))
    code, out, err = run_wait(WaitOptions((task_server.url,)))
    assert (0, "") == (code, err)
    assert 1 == len(out.splitlines())


def test_the_terminal_line_is_ended_before_an_error(
    task_server: ScriptedServer,
) -> None:
    """On a TTY the progress line gets its newline before the error line."""
    task_server.script("PENDING", Reply({"status": "DRAFT"}))

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out, err = io.StringIO(), Terminal()
    options = WaitOptions((task_server.url,), policy=PollPolicy(initial_delay=0.01))
    assert 1 == wait(options, out=out, err=err)
    lines = err.getvalue().split("\n")
    assert lines[0].startswith("\r\x1b[KPENDING  attempt 1")
    assert "taskstatus wait: the task is DRAFT, which waiting cannot change" == lines[1]


def test_timeout_final_record(task_server: ScriptedServer) -> None:
    """With --json the deadline ends in a 'timeout' record with its elapsed time."""
    task_server.script("PENDING")
    options = WaitOptions(
        (task_server.url,),
        policy=PollPolicy(initial_delay=0.01, timeout=0.05, jitter=False),
        json=True,
    )
    code, out, err = run_wait(options)
    assert 124 == code
    final = json.loads(out.splitlines()[-1])
    assert ("timeout", 124) == (final["event"], final["exit_code"])
    # The deadline, within the slack that counts as reaching it.
    assert 0.05 - DEADLINE_SLACK <= final["elapsed"] < 10
    assert err.startswith("taskstatus wait: task still PENDING after ")


def test_full_success_report(task_server: ScriptedServer) -> None:
    """A result with no failures reports 100 % and no failure list."""
    body = {"status": "COMPLETED", "successful_items": [1, 2], "failed_items": []}
    task_server.script(Reply(body))
    code, out, _ = run_wait(WaitOptions((task_server.url,)))
    assert 0 == code
    assert ["success rate: 100.0% (2 of 2 items succeeded)"] == out.splitlines()[1:]


def test_nested_result_and_long_failure_lists(task_server: ScriptedServer) -> None:
    """The result is found beside a nested status; long lists are cut at ten."""
    failures = [{"item": {"row": n}, "error": "bad row"} for n in range(12)]
    body = {
        "job": {"state": "FAILED", "successful_items": [], "failed_items": failures}
    }
    task_server.script(Reply(body))
    code, out, _ = run_wait(WaitOptions((task_server.url,), field="job.state"))
    assert 4 == code
    lines = out.splitlines()
    assert "success rate: 0.0% (0 of 12 items succeeded)" == lines[1]
    assert lines[3].startswith('  (no code) (12): {"row": 0}, {"row": 1}, ')
    assert lines[3].endswith('{"row": 9}, and 2 more')


# --- progress renderers ---------------------------------------------------

EVENT = PollEvent(2, TaskStatus.PROCESSING, None, 1.5, 4.0, 100.0)


def test_quiet_output_shows_only_errors() -> None:
    """The base Output, --quiet, shows nothing of one task or many but errors."""
    out, err = io.StringIO(), io.StringIO()
    quiet = Output(out, err, vocabulary("mixpeek"))
    quiet.poll(EVENT)
    quiet.retry(FetchError("x", transient=True), 1, 1.0)
    quiet.progress(BatchProgress(2, 1, {}, 3, 1.0, None))
    quiet.heartbeat(None, 3.0)
    quiet.task("http://h/t/1", Polled(TaskStatus.COMPLETED))
    quiet.warning("w")
    quiet.finish()
    quiet.final({})
    quiet.summary({})
    quiet.task("http://h/t/2", Polled(TaskStatus.FAILED, error="boom"))
    quiet.message("the end")
    assert "" == out.getvalue()
    assert "taskstatus wait: boom\ntaskstatus wait: the end\n" == err.getvalue()


@pytest.mark.parametrize("form", [Output, Lines, Terminal, JSONLines])
def test_every_form_serves_one_task_and_many(form: type[Output]) -> None:
    """Each form shows a poll, a retry, a settled task, progress and the end."""
    out, err = io.StringIO(), io.StringIO()
    shown = form(out, err, vocabulary("mixpeek"))
    shown.poll(EVENT)
    shown.retry(FetchError("HTTP 503", transient=True), 1, 0.5)
    shown.task("http://h/t/1", Polled(TaskStatus.COMPLETED))
    shown.progress(BatchProgress(2, 1, {TaskStatus.COMPLETED: 1}, 3, 1.0, None))
    shown.heartbeat(BatchProgress(2, 1, {TaskStatus.COMPLETED: 1}, 3, 1.0, None), 9)
    shown.finish()
    record: dict[str, object] = {"event": "done", "exit_code": 0, "total": 2}
    record.update(counts={}, errors=0, requests=3, elapsed=1.0)
    shown.final(record)
    shown.summary(record)
    if form is JSONLines:
        events = [json.loads(line)["event"] for line in out.getvalue().splitlines()]
        assert ["poll", "retry", "task", "done"] == events
        assert "" == err.getvalue()
    elif form is Output:
        assert ("", "") == (out.getvalue(), err.getvalue())
    else:
        assert out.getvalue().startswith("2 tasks, settled: none; 3 requests")
        lines = err.getvalue()
        assert ("\r\x1b[K" in lines) is (form is Terminal)
        assert "PROCESSING" in lines
        assert "HTTP 503; retry 1 in 0.50 s" in lines
        assert "waiting: 1/2 settled; COMPLETED 1; 3 requests; 9.0 s left" in lines


def test_terminal_progress_redraws_and_ends_the_line_once() -> None:
    """On a terminal each poll rewrites one line; finish ends it just once."""
    stream = io.StringIO()
    progress = Terminal(io.StringIO(), stream, vocabulary("mixpeek"))
    progress.finish()  # nothing drawn yet: nothing to end
    progress.poll(EVENT)
    progress.retry(FetchError("HTTP 503", transient=True), 1, 0.5)
    progress.finish()
    progress.finish()
    assert (
        "\r\x1b[KPROCESSING  attempt 2  elapsed 1.5 s  next poll in 4.0 s"
        "\r\x1b[KHTTP 503; retry 1 in 0.50 s\n"
    ) == stream.getvalue()


def test_json_progress_retry_record() -> None:
    """A retry is one JSON object too."""
    stream = io.StringIO()
    retry = FetchError("HTTP 503", transient=True)
    JSONLines(stream, io.StringIO(), vocabulary("mixpeek")).retry(retry, 2, 0.5)
    assert {"event": "retry", "attempt": 2, "error": "HTTP 503", "delay": 0.5} == (
        json.loads(stream.getvalue())
    )


# --- main: list, schema, version, usage -----------------------------------


def test_schema_is_draft_2020_12_with_descriptions() -> None:
    """The schema is a string enum in declaration order, each value described."""
    schema = status_schema()
    assert "https://json-schema.org/draft/2020-12/schema" == schema["$schema"]
    assert "string" == schema["type"]
    assert [status.value for status in TaskStatus] == schema["enum"]
    assert [
        {"const": status.value, "description": status.description}
        for status in TaskStatus
    ] == schema["oneOf"]


def test_schema_enum_matches_pydantic() -> None:
    """The enum is the one pydantic generates for a field of type TaskStatus."""
    from pydantic import TypeAdapter

    generated = TypeAdapter(TaskStatus).json_schema()
    assert generated["enum"] == status_schema()["enum"]


def test_schema_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """`taskstatus schema` prints the schema as JSON."""
    assert 0 == main(["schema"])
    assert status_schema() == json.loads(capsys.readouterr().out)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the installed version."""
    from importlib.metadata import version

    assert 0 == main(["--version"])
    assert f"taskstatus {version('taskstatus')}\n" == capsys.readouterr().out


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    """--help prints the usage, with the exit codes, and returns 0."""
    assert 0 == main(["wait", "--help"])
    out = capsys.readouterr().out
    assert "--field PATH" in out
    assert "124  deadline reached" in out


def test_interrupt_outside_wait_exits_130(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C anywhere in the command gives 130 and one line."""

    def interrupted(*, out: object, err: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("taskstatus._cli._demo.demo", interrupted)
    assert 130 == main(["demo"])
    assert "taskstatus: interrupted\n" == capsys.readouterr().err


# --- demo server ----------------------------------------------------------


def test_demo_server_answers_404_for_anything_else() -> None:
    """Unknown paths and task ids get a JSON 404."""
    with _demo.running_server() as server:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        for method, path in [("POST", "/jobs"), ("GET", "/tasks/nope"), ("GET", "/")]:
            request = urllib.request.Request(base + path, data=None, method=method)
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(request, timeout=5)
            assert 404 == caught.value.code
            caught.value.close()


def test_demo_reports_an_unexpected_ending(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If the simulated task ends otherwise, demo says so and fails."""
    monkeypatch.setattr(_demo, "SCHEDULE", ((0.0, "FAILED"),))
    out, err = io.StringIO(), io.StringIO()
    assert 4 == _demo.demo(out=out, err=err)
    assert err.getvalue().endswith("demo: failed; wait exited with 4, not 3\n")


@pytest.mark.parametrize(
    ("word", "kept"),
    [
        ("succeeded", "succeeded"),
        ("x" * 300, "x" * 200),
        (None, None),
        (True, True),
        (13, 13),
        (1.5, None),
        ([1], None),
        ({"a": 1}, None),
    ],
)
def test_json_records_keep_words_that_are_json_text_and_cut(
    word: object, kept: object
) -> None:
    """A word is JSON text, a boolean, a whole number or null, and at most 200 long."""
    assert kept == json_word(word)


def test_the_exit_codes_of_the_docs_and_the_help_are_the_one_table() -> None:
    """docs/cli.md's table and --help's epilog list exactly the ExitCode members."""
    doc = (Path(__file__).parent.parent / "docs" / "cli.md").read_text("utf-8")
    section = doc.split("### Exit codes", 1)[1].split("\n### ", 1)[0]
    documented = [int(code) for code in re.findall(r"^\| `(\d+)` \|", section, re.M)]
    assert sorted(documented) == sorted(code.value for code in ExitCode)
    assert len(set(documented)) == len(documented)
    text = epilog()
    for code in ExitCode:
        assert f"{code.value:<5}{code.meaning}" in text
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert 0 == main(["--help"])
    assert text in out.getvalue()


@pytest.mark.parametrize(
    "command", ["list", "schema", "vocabularies", "wait", "board", "demo"]
)
def test_every_subcommand_has_a_wrapped_description(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--help says what the subcommand does, in lines that fit 80 columns."""
    monkeypatch.setenv("COLUMNS", "80")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert 0 == main([command, "--help"])
    text = out.getvalue()
    usage, description = text.split("\n\n")[:2]
    assert usage.startswith(f"usage: taskstatus {command}")
    assert not description.lstrip().startswith(("positional", "options"))
    assert len(description.split()) >= 8, description
    assert max(len(line) for line in text.splitlines()) <= 80


class _Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("many", [False, True], ids=["one", "many"])
@pytest.mark.parametrize("form", ["json", "quiet", "terminal", "lines"])
def test_one_output_family_for_one_task_and_many(
    task_server: ScriptedServer, form: str, many: bool
) -> None:
    """The one selector picks the same four forms for one task and for many."""
    for path in ("/a", "/b"):
        task_server.script("PENDING", "COMPLETED", path=path)
    urls = (task_server.url + "/a", task_server.url + "/b")[: 2 if many else 1]
    out = io.StringIO()
    err = _Terminal() if form == "terminal" else io.StringIO()
    options = WaitOptions(
        urls,
        policy=BatchPolicy(initial_delay=0.01, max_delay=0.02, jitter=False),
        json=form == "json",
        quiet=form == "quiet",
    )
    assert 0 == wait(options, out=out, err=err)
    if form == "json":
        records = [json.loads(line) for line in out.getvalue().splitlines()]
        assert ("done", 0) == (records[-1]["event"], records[-1]["exit_code"])
        assert "" == err.getvalue()
    elif form == "quiet":
        assert ("", "") == (out.getvalue(), err.getvalue())
    elif form == "terminal":
        assert "\r\x1b[K" in err.getvalue()
    else:
        assert err.getvalue()
        assert "\r" not in err.getvalue()
    if form in ("terminal", "lines"):
        assert out.getvalue().startswith("2 tasks, " if many else "COMPLETED after ")

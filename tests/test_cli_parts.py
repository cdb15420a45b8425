"""The pieces of the command, tested in-process: parsing, HTTP errors, output."""

from __future__ import annotations

import io
import json
import socket
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpers import Reply, ScriptedServer, serving
from taskstatus import PollEvent, PollPolicy, TaskStatus
from taskstatus._cli import _demo, _http, main
from taskstatus._cli._http import (
    DeadlineError,
    FetchError,
    RetryingFetch,
    TaskEndpoint,
    parse_retry_after,
)
from taskstatus._cli._progress import JSONProgress, Progress, TerminalProgress
from taskstatus._cli._schema import status_schema
from taskstatus._cli._wait import WaitOptions, wait
from taskstatus._policy import Deadline
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
        with pytest.raises(FetchError, match="response from .* in time") as caught:
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


# --- wait, in-process -----------------------------------------------------


def run_wait(options: WaitOptions) -> tuple[int, str, str]:
    """Run wait() with captured output; return code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = wait(options, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_field_path_into_a_string_is_missing(task_server: ScriptedServer) -> None:
    """A path that runs into a scalar says where it broke."""
    task_server.script(Reply({"status": "PENDING"}))
    code, _, err = run_wait(WaitOptions(task_server.url, field="status.value"))
    assert 1 == code
    assert "no 'value' at status" in err


def test_full_success_report(task_server: ScriptedServer) -> None:
    """A result with no failures reports 100 % and no failure list."""
    body = {"status": "COMPLETED", "successful_items": [1, 2], "failed_items": []}
    task_server.script(Reply(body))
    code, out, _ = run_wait(WaitOptions(task_server.url))
    assert 0 == code
    assert ["success rate: 100.0% (2 of 2 items succeeded)"] == out.splitlines()[1:]


def test_nested_result_and_long_failure_lists(task_server: ScriptedServer) -> None:
    """The result is found beside a nested status; long lists are cut at ten."""
    failures = [{"item": {"row": n}, "error": "bad row"} for n in range(12)]
    body = {
        "job": {"state": "FAILED", "successful_items": [], "failed_items": failures}
    }
    task_server.script(Reply(body))
    code, out, _ = run_wait(WaitOptions(task_server.url, field="job.state"))
    assert 4 == code
    lines = out.splitlines()
    assert "success rate: 0.0% (0 of 12 items succeeded)" == lines[1]
    assert lines[3].startswith('  (no code) (12): {"row": 0}, {"row": 1}, ')
    assert lines[3].endswith('{"row": 9}, and 2 more')


# --- progress renderers ---------------------------------------------------

EVENT = PollEvent(2, TaskStatus.PROCESSING, None, 1.5, 4.0, 100.0)


def test_quiet_progress_shows_nothing() -> None:
    """The base Progress ignores every call."""
    progress = Progress()
    progress.poll(EVENT)
    progress.retry(FetchError("x", transient=True), 1, 1.0)
    progress.finish()
    progress.final({})


def test_terminal_progress_redraws_and_ends_the_line_once() -> None:
    """On a terminal each poll rewrites one line; finish ends it just once."""
    stream = io.StringIO()
    progress = TerminalProgress(stream)
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
    JSONProgress(stream).retry(FetchError("HTTP 503", transient=True), 2, 0.5)
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

    monkeypatch.setattr("taskstatus._cli._main.demo", interrupted)
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

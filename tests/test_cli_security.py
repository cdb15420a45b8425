"""``taskstatus wait`` against hostile servers and hostile arguments.

Each class of danger has its regression test here: credentials leaking on
redirects, a ``--timeout`` that does not bound the command, tracebacks,
secrets and terminal escapes in the output, and signals. The servers are real
ones on 127.0.0.1 (the suite's one `ScriptedServer`), some of them rude.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import (
    FAST,
    SCRIPT,
    Reply,
    ScriptedServer,
    redirect,
    serving,
    signalled,
    taskstatus,
)
from taskstatus._cli import _http, main
from taskstatus._cli._safe import is_credential_name, redact_url, safe_text

SECRET = "s3cret-value"
CWE_RESULT: dict[str, object] = {
    "successful_items": ["a"],
    "failed_items": [{"item": "b", "error": "bad", "code": "permanent"}],
}


@pytest.fixture
def other_server() -> Iterator[ScriptedServer]:
    """A second server: another origin (another port) that records what it gets."""
    with serving(ScriptedServer()) as server:
        yield server


def one_line(run: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed run; fails if there are more or none."""
    [line] = run.stderr.splitlines()
    assert "Traceback" not in line
    return line


# --- redirects ------------------------------------------------------------


def test_cross_origin_redirect_drops_headers_and_credentials(
    task_server: ScriptedServer, other_server: ScriptedServer
) -> None:
    """-H headers and URL credentials reach the user's origin, never another."""
    task_server.script(redirect(other_server.url + "/elsewhere"))
    url = task_server.url.replace("http://", f"http://me:{SECRET}@") + "/t"
    run = taskstatus("wait", url, "-H", f"X-Api-Key: {SECRET}", *FAST)
    assert 0 == run.returncode, run.stderr
    [asked] = task_server.seen
    [redirected] = other_server.seen
    token = base64.b64encode(f"me:{SECRET}".encode()).decode()
    assert f"Basic {token}" == asked.headers["Authorization"]
    assert SECRET == asked.headers["X-Api-Key"]
    assert "/elsewhere" == redirected.path
    assert not {"Authorization", "X-Api-Key"} & set(redirected.headers)


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_host_on_the_same_port_gets_no_secrets(
    task_server: ScriptedServer, code: int
) -> None:
    """The host is part of the origin: the same scheme and port are not enough."""
    port = task_server.server_address[1]
    with serving(ScriptedServer(host="127.0.0.2", port=port)) as other:
        task_server.script(redirect(f"{other.url}/there", status=code))
        url = task_server.url.replace("http://", f"http://me:{SECRET}@")
        endpoint = _http.TaskEndpoint(url, [("X-Api-Key", SECRET)])
        assert {"status": "COMPLETED"} == endpoint.get_json(time_limit=10).body
        [redirected] = other.seen
    [asked] = task_server.seen
    assert {"Authorization", "X-Api-Key"} <= set(asked.headers)
    assert "/there" == redirected.path
    assert not {"Authorization", "X-Api-Key"} & set(redirected.headers)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://h/t", ("http", "h", 80)),
        ("http://h:80/t", ("http", "h", 80)),
        ("https://h/t", ("https", "h", 443)),
        ("https://h:443/t", ("https", "h", 443)),
        ("https://h:8443/t", ("https", "h", 8443)),
        ("http://[::1]/t", ("http", "::1", 80)),
    ],
)
def test_an_origin_without_a_port_has_its_scheme_s_default(
    url: str, origin: tuple[str, str, int]
) -> None:
    """http://h and http://h:80 are one origin; https's default port is 443."""
    assert origin == _http._origin(url)  # pyright: ignore[reportPrivateUsage]


def test_same_origin_redirect_keeps_headers(task_server: ScriptedServer) -> None:
    """A redirect within the origin is followed with the headers."""
    task_server.script(redirect("/moved", status=307), "COMPLETED")
    run = taskstatus("wait", task_server.url + "/t", "-H", f"Authorization: {SECRET}")
    assert 0 == run.returncode, run.stderr
    assert ["/t", "/moved"] == [seen.path for seen in task_server.seen]
    assert [SECRET, SECRET] == [
        seen.headers["Authorization"] for seen in task_server.seen
    ]


def test_redirect_to_another_scheme_is_refused(task_server: ScriptedServer) -> None:
    """A redirect to ftp:// is refused before any connection is made there."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        port = listener.getsockname()[1]
        task_server.script(redirect(f"ftp://127.0.0.1:{port}/x"))
        run = taskstatus("wait", task_server.url, *FAST)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody knocked
    assert 1 == run.returncode
    assert one_line(run).startswith(
        f"taskstatus wait: refused a redirect from {task_server.url}: expected an "
        "http:// or https:// URL"
    )


def test_redirect_loop_is_one_line(task_server: ScriptedServer) -> None:
    """A server redirecting for ever is given up after five redirects."""
    task_server.script(redirect("/again"))
    run = taskstatus("wait", task_server.url + "/t", *FAST)
    assert 1 == run.returncode
    assert (
        f"taskstatus wait: more than 5 redirects from {task_server.url}/t (a loop?)"
        == one_line(run)
    )
    assert 6 == len(task_server.seen)


def test_https_endpoint(tls_server: tuple[ScriptedServer, dict[str, str]]) -> None:
    """Wait speaks HTTPS, verifying the server's certificate."""
    server, env = tls_server
    server.script("PENDING", "COMPLETED")
    url = server.url.replace("http://", "https://")
    run = taskstatus("wait", url, *FAST, env=env)
    assert 0 == run.returncode, run.stderr
    untrusted = taskstatus("wait", url, *FAST)
    assert 1 == untrusted.returncode
    assert one_line(untrusted).startswith(f"taskstatus wait: TLS failed for {url}")


def test_https_never_redirects_to_http(
    tls_server: tuple[ScriptedServer, dict[str, str]], other_server: ScriptedServer
) -> None:
    """A downgrade from https to http is refused, and the http server never asked."""
    server, env = tls_server
    server.script(redirect(other_server.url + "/plain"))
    url = server.url.replace("http://", "https://")
    run = taskstatus("wait", url, "-H", f"Authorization: {SECRET}", *FAST, env=env)
    assert 1 == run.returncode
    assert (
        f"taskstatus wait: refused a redirect from https to http: {url} to "
        f"{other_server.url}/plain" == one_line(run)
    )
    assert [] == other_server.seen


# --- one deadline for everything ------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        Reply({"status": "COMPLETED", "pad": "x" * 200}, drip=0.05),
        Reply({"status": "COMPLETED", "pad": "x" * 100_000}, drip=0.2, drip_body=True),
        Reply({"status": "COMPLETED"}, hang=60),
        Reply(raw=b"HTTP/1.1 200 OK\r\n" + b"X-Slow: y\r\n" * 2000, drip=0.01),
    ],
    ids=["dripping response", "dripping body", "silence", "dripping headers"],
)
@pytest.mark.parametrize("mode", [[], ["--json"]], ids=["text", "json"])
def test_timeout_bounds_a_slow_server(
    task_server: ScriptedServer, reply: Reply, mode: list[str]
) -> None:
    """Drips and silence end at --timeout with 124, whatever the server does.

    Each server would hold a request for a minute or more (the dripping
    body for hours): ending at all, soon after the deadline, is the test.
    """
    task_server.script(reply)
    run = taskstatus("wait", task_server.url, "--timeout", "1", *mode)
    assert 124 == run.returncode, run.stderr
    assert one_line(run).startswith("taskstatus wait: reached the timeout of 1 s: ")
    if mode:
        final = json.loads(run.stdout.splitlines()[-1])
        assert ("timeout", 124) == (final["event"], final["exit_code"])
        # The deadline, plus at most the floor given to the last request.
        assert 1 <= final["elapsed"] < 1 + _http.REQUEST_TIMEOUT_FLOOR + 5


@pytest.mark.parametrize("drip_body", [False, True], ids=["response", "body"])
def test_request_limit_bounds_a_dripping_body_as_a_whole(
    task_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch, drip_body: bool
) -> None:
    """The per-request limit cuts a drip that never pauses long, then retries."""
    monkeypatch.setattr(_http, "REQUEST_TIMEOUT", 0.3)
    task_server.script(
        Reply({"status": "PENDING", "pad": "x" * 1000}, drip=0.02, drip_body=drip_body),
        "COMPLETED",
    )
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["wait", task_server.url, *FAST])
    assert 0 == code
    assert err.getvalue().startswith(
        f"no complete response from {task_server.url} in time; retry 1 in "
    )


@pytest.mark.parametrize(
    "reply",
    [
        Reply({"error": "slow down"}, status=429, headers=(("Retry-After", "60"),)),
        Reply({"error": "busy"}, status=503),
    ],
    ids=["429 with a long Retry-After", "503 over and over"],
)
def test_deadline_during_retries_exits_124(
    task_server: ScriptedServer, reply: Reply
) -> None:
    """A deadline reached while retrying is a timeout, not a server error."""
    task_server.script(reply)
    start = time.monotonic()
    run = taskstatus(
        "wait", task_server.url, "--timeout", "0.5", "--retries", "100", *FAST[:2]
    )
    assert 124 == run.returncode, run.stderr
    assert time.monotonic() - start < 20  # the retries would go on for ever
    assert run.stderr.splitlines()[-1].startswith(
        "taskstatus wait: reached the timeout of 0.5 s: HTTP "
    )


# --- no traceback, ever ---------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "is not JSON"),
        (b"[" * 500 + b"]" * 500, "is nested deeper than 100 levels"),
        (b'{"status": "COMPLETED", "n": ' + b"9" * 5000 + b"}", None),
        (b'{"status": 1e999}', None),
    ],
    ids=["recursion", "deep", "huge int", "infinity"],
)
def test_hostile_bodies_end_in_one_line(
    task_server: ScriptedServer, body: bytes, message: str | None
) -> None:
    """Nesting, huge numbers and infinities are bad data, not crashes."""
    task_server.script(Reply(body), "COMPLETED")
    run = taskstatus("wait", task_server.url, *FAST, "--timeout", "0.5")
    assert "Traceback" not in run.stderr
    if message is None:  # readable after all: a status to follow or to ignore
        assert run.returncode in {0, 1, 124}
    else:
        assert 1 == run.returncode
        assert message in one_line(run)


def test_huge_success_rate_is_bad_data(task_server: ScriptedServer) -> None:
    """A success_rate too large for a float gets the result ignored, with a warning."""
    rate = "1" + "0" * 400
    body = json.dumps({"status": "COMPLETED_WITH_ERRORS", **CWE_RESULT})
    body = body[:-1] + f', "success_rate": {rate}}}'
    task_server.script(Reply(body.encode()))
    run = taskstatus("wait", task_server.url)
    assert 3 == run.returncode
    assert one_line(run).startswith(
        "taskstatus wait: ignoring the result in the body: success_rate: expected "
        "a finite number, got <int of 1329 bits>"
    )


@pytest.mark.parametrize(
    "hint",
    ["1e400", "99999999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT", "0"],
)
def test_absurd_retry_after_falls_back_to_the_backoff(
    task_server: ScriptedServer, hint: str
) -> None:
    """Hints that are infinite, huge, centuries away or zero are not slept on."""
    task_server.script(
        Reply({"status": "PENDING"}, headers=(("Retry-After", hint),)), "COMPLETED"
    )
    run = taskstatus("wait", task_server.url, *FAST, "--json")
    assert 0 == run.returncode, run.stderr
    assert 0.01 == json.loads(run.stdout.splitlines()[0])["next_delay"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--initial", "1e300"], "expected at most 9223372036 seconds, got '1e300'"),
        (["--max", "1e300"], "expected at most 9223372036 seconds"),
        (["--retries", "²"], "expected a whole number of at least 0, got '²'"),
        (["-H", "X-Key: a\rb"], "the value of header 'X-Key' must be Latin-1 text"),
        (["-H", "X-Key: ключ"], "the value of header 'X-Key' must be Latin-1 text"),
        (["-H", "X Key: v"], "'X Key' is not a valid header name"),
        (["-H", SECRET], "expected 'Name: value' (the text is not shown)"),
    ],
)
def test_bad_arguments_exit_2_without_secrets(
    task_server: ScriptedServer, arguments: list[str], message: str
) -> None:
    """Huge delays, odd digits and bad header text are usage errors."""
    run = taskstatus("wait", task_server.url, *arguments)
    assert 2 == run.returncode
    assert message in run.stderr
    assert "Traceback" not in run.stderr
    assert "ключ" not in run.stderr
    assert "a\\rb" not in run.stderr
    assert SECRET not in run.stderr


@pytest.mark.parametrize(
    "url",
    ["http://[::1", "http://127.0.0.1:99999/", "http://127.0.0.1/\x07", "http://"],
)
def test_bad_urls_exit_2(url: str) -> None:
    """Unreadable URLs are usage errors with one message."""
    run = taskstatus("wait", url)
    assert 2 == run.returncode
    assert "Traceback" not in run.stderr
    assert "argument URL: " in run.stderr


def test_huge_timeout_is_accepted(task_server: ScriptedServer) -> None:
    """A deadline is never slept in one piece, so a huge one is fine."""
    run = taskstatus("wait", task_server.url, "--timeout", "1e300")
    assert 0 == run.returncode, run.stderr


def test_urls_with_spaces_and_non_ascii_are_encoded(
    task_server: ScriptedServer,
) -> None:
    """Spaces and non-ASCII characters are percent-encoded, as curl does."""
    run = taskstatus("wait", task_server.url + "/tâche 1?q=é&x=%20")
    assert 0 == run.returncode, run.stderr
    assert "/t%C3%A2che%201?q=%C3%A9&x=%20" == task_server.seen[0].path


def test_field_with_non_ascii_digits_is_missing(task_server: ScriptedServer) -> None:
    """'²' is no list index: the path is missing, not a crash."""
    task_server.script(Reply({"items": [{"status": "COMPLETED"}]}))
    run = taskstatus("wait", task_server.url, "--field", "items.²")
    assert 1 == run.returncode
    assert "no field 'items.²' in the response body: no '²' at items" in one_line(run)


def test_closed_stdout_ends_quietly() -> None:
    """`taskstatus list | head -0`: no traceback, no noise, exit 141."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    for buffering in ({"PYTHONUNBUFFERED": "1"}, {}):  # line or block buffered
        environment = {
            name: value
            for name, value in os.environ.items()
            if name != "PYTHONUNBUFFERED"
        }
        run = subprocess.run(
            [SCRIPT, "list"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=30,
            check=False,
            env={**environment, **buffering},
        )
        assert (141, "") == (run.returncode, run.stderr)
    os.close(write_end)


# --- no secrets in output -------------------------------------------------


def test_credentials_are_redacted_in_messages_and_json(
    task_server: ScriptedServer,
) -> None:
    """User info and token parameters show as *** in text and --json records."""
    task_server.script(Reply({"error": "gone"}, status=410))
    url = task_server.url.replace("http://", f"http://me:{SECRET}@")
    url += f"/t?access_token={SECRET}&X-Amz-Signature={SECRET}&page=2"
    text = taskstatus("wait", url, "-H", f"X-Api-Key: {SECRET}", *FAST)
    as_json = taskstatus("wait", url, "-H", f"X-Api-Key: {SECRET}", *FAST, "--json")
    shown = task_server.url.replace("http://", "http://***@")
    shown += "/t?access_token=***&X-Amz-Signature=***&page=2"
    assert f"taskstatus wait: HTTP 410 Gone from {shown}" == one_line(text)
    assert shown in json.loads(as_json.stdout)["message"]
    for run in (text, as_json):
        assert SECRET not in run.stdout + run.stderr


def test_retry_lines_are_redacted(task_server: ScriptedServer) -> None:
    """Progress lines for retries show the redacted URL too."""
    task_server.script(Reply({}, status=503), "COMPLETED")
    run = taskstatus("wait", task_server.url + f"/t?token={SECRET}", *FAST)
    assert 0 == run.returncode
    assert SECRET not in run.stderr
    assert "/t?token=***; retry 1 in" in run.stderr


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("access_token", True),
        ("api-key", True),
        ("X-Amz-Credential", True),
        ("client_secret", True),
        ("sig", True),
        ("user.pwd", True),
        ("Password", True),
        ("session_id", True),
        ("page", False),
        ("signed", False),
        ("q", False),
    ],
)
def test_credential_parameter_names(name: str, secret: bool) -> None:
    """The documented words mark a query parameter as a credential."""
    assert secret is is_credential_name(name)


def test_redaction_keeps_urls_without_secrets() -> None:
    """A URL with nothing to hide is shown as it is; an unreadable one is named."""
    plain = "https://api.example/t/1?page=2#top"
    assert plain == redact_url(plain)
    assert "https://api.example/cb#access_token=***&state=x" == redact_url(
        "https://api.example/cb#access_token=abc&state=x"
    )
    assert "(an unreadable URL)" == redact_url("http://[::1")


@pytest.mark.parametrize(
    "url",
    [
        "https://me:pw\uff20api.example/t/1",  # a full-width @ that urllib refuses
        "http://::1]/t/1",  # a closing bracket alone
        "http://[::1/t/1",
    ],
)
def test_redaction_names_what_urllib_cannot_read(url: str) -> None:
    """No URL without an "@" or "=" skips the check urllib makes of its host."""
    assert "(an unreadable URL)" == redact_url(url)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("HTTP://api.example/t/1?", "http://api.example/t/1"),
        ("https://me@api.example/t/1?", "https://***@api.example/t/1"),
    ],
)
def test_redaction_spells_urls_as_urllib_does(url: str, shown: str) -> None:
    """With secrets or without, a URL is shown in one spelling: urllib's."""
    assert shown == redact_url(url)


# --- safe text ------------------------------------------------------------


def test_server_text_is_escaped(task_server: ScriptedServer) -> None:
    """Escapes and line breaks from the server never reach the terminal raw."""
    task_server.script(Reply({}, status=404, reason="Not\x1b[2J Found\x07"))
    run = taskstatus("wait", task_server.url, *FAST)
    assert 1 == run.returncode
    assert (
        f"taskstatus wait: HTTP 404 Not\\x1b[2J Found\\x07 from {task_server.url}"
        == (one_line(run))
    )


def test_failed_items_and_codes_are_escaped(task_server: ScriptedServer) -> None:
    """Item names and error codes cannot start lines of their own."""
    body = {
        "status": "COMPLETED_WITH_ERRORS",
        "successful_items": ["ok"],
        "failed_items": [
            {"item": "x\n::error::owned", "error": "e", "code": "c\r\x1b[31m"}
        ],
    }
    task_server.script(Reply(body))
    run = taskstatus("wait", task_server.url)
    assert 3 == run.returncode
    assert "  c\\r\\x1b[31m (1): x\\n::error::owned" == run.stdout.splitlines()[-1]
    assert not any(line.startswith("::") for line in run.stdout.splitlines())


def test_safe_text_cuts_and_escapes() -> None:
    """Long text is cut; unprintable characters become escapes."""
    assert "abc..." == safe_text("abcdef", 3)
    assert "a\\u202eb" == safe_text("a\u202eb")
    assert "plain text" == safe_text("plain text")


# --- signals --------------------------------------------------------------


def test_sigterm_stops_cleanly_with_143(task_server: ScriptedServer) -> None:
    """SIGTERM is handled like Ctrl-C: a final --json record, then exit 143."""
    task_server.script("PENDING")
    arguments = ["wait", task_server.url, "--initial", "30", "--json"]
    run = signalled(arguments, task_server, 1, signal.SIGTERM)
    assert (143, "taskstatus wait: terminated\n") == (run.returncode, run.stderr)
    final = json.loads(run.stdout.splitlines()[-1])
    assert ("interrupted", 143, "terminated") == (
        final["event"],
        final["exit_code"],
        final["message"],
    )


def test_sigterm_outside_wait_exits_143(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM anywhere in the command gives 143 and one line."""

    def terminated(*, out: object, err: object) -> int:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises long before this ends
        return 0

    previous = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr("taskstatus._cli._demo.demo", terminated)
    assert 143 == main(["demo"])
    assert "taskstatus: terminated\n" == capsys.readouterr().err
    assert previous is signal.getsignal(signal.SIGTERM)  # restored


# --- the partial-success result -------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"task": {"status": "COMPLETED_WITH_ERRORS"}, **CWE_RESULT}},
        {"data": {"task": {"status": "COMPLETED_WITH_ERRORS"}}, **CWE_RESULT},
    ],
    ids=["enclosing object", "top level"],
)
def test_result_is_found_in_enclosing_objects(
    task_server: ScriptedServer, body: object
) -> None:
    """The TaskResult form is looked for up the path, to the top of the body."""
    task_server.script(Reply(body))
    run = taskstatus("wait", task_server.url, "--field", "data.task.status")
    assert 3 == run.returncode
    assert "success rate: 50.0% (1 of 2 items succeeded)" == run.stdout.splitlines()[1]


def test_nearest_result_wins(task_server: ScriptedServer) -> None:
    """A result beside the status is preferred over one further out."""
    inner = {"successful_items": ["a", "b", "c"], "failed_items": []}
    body = {"task": {"status": "COMPLETED", **inner}, **CWE_RESULT}
    task_server.script(Reply(body))
    run = taskstatus("wait", task_server.url, "--field", "task.status")
    assert 0 == run.returncode
    assert "success rate: 100.0% (3 of 3 items succeeded)" == run.stdout.splitlines()[1]


# --- for all inputs -------------------------------------------------------

JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["COMPLETED", "FAILED", "COMPLETED_WITH_ERRORS", "\x1b[2J"])
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["status", "successful_items", "failed_items", "item", "error", "code"]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)
EXIT_CODES = {0, 1, 2, 3, 4, 5, 124}


def run_main(arguments: list[str]) -> tuple[int, str, str]:
    """Run the command in-process; return its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(arguments)
    return code, out.getvalue(), err.getvalue()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=JSON_VALUES, status=st.sampled_from(["COMPLETED", "FAILED", "X", None]))
def test_any_json_body_ends_in_an_exit_code(
    task_server: ScriptedServer, body: object, status: str | None
) -> None:
    """Whatever JSON the server sends, wait ends with a documented code."""
    sent: object = body
    if isinstance(body, dict) and status is not None:
        sent = {**cast("dict[str, object]", body), "status": status}
    task_server.script(Reply(sent))
    code, out, err = run_main(
        ["wait", task_server.url, *FAST, "--timeout", "0.05", "--retries", "0"]
    )
    assert code in EXIT_CODES
    assert code == 0 or out + err
    assert all(line.isprintable() for line in (out + err).splitlines())


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.text(max_size=30), field=st.text(max_size=12))
def test_any_header_and_field_text_ends_in_an_exit_code(
    task_server: ScriptedServer, header: str, field: str
) -> None:
    """Arbitrary -H and --field text is used, or refused with exit 2 or 1."""
    code, _, err = run_main(
        ["wait", task_server.url, "-H", header, "--field", field, "--retries", "0"]
    )
    assert code in {0, 1, 2}
    assert "Traceback" not in err

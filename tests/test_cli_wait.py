"""``taskstatus wait`` and ``taskstatus demo``, run as the installed console script."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
from http.server import ThreadingHTTPServer

import pytest

from helpers import FAST, SCRIPT, Reply, ScriptedServer, signalled, taskstatus

CWE_BODY: dict[str, object] = {
    "id": "t-1",
    "status": "COMPLETED_WITH_ERRORS",
    "success_rate": 60.0,
    "successful_items": ["a", "b", "c"],
    "failed_items": [
        {"item": "d", "error": "timed out", "code": "transient", "details": {}},
        {"item": "e", "error": "bad file", "code": "permanent", "details": {}},
    ],
}


# --- exit codes -----------------------------------------------------------


@pytest.mark.parametrize(
    ("final", "code"),
    [("COMPLETED", 0), ("COMPLETED_WITH_ERRORS", 3), ("FAILED", 4), ("CANCELED", 5)],
)
def test_exit_code_tells_how_the_task_ended(
    task_server: ScriptedServer, final: str, code: int
) -> None:
    """0, 3, 4 and 5 for the four terminal statuses."""
    task_server.script("PENDING", "PROCESSING", final)
    run = taskstatus("wait", task_server.url + "/t/1", *FAST)
    assert code == run.returncode, run.stderr
    assert run.stdout.startswith(f"{final} after 3 polls in ")
    assert 3 == len(task_server.seen)


def test_deadline_exits_124(task_server: ScriptedServer) -> None:
    """A task still running at --timeout gives 124 and one clear line."""
    task_server.script("IN_PROGRESS")
    run = taskstatus("wait", task_server.url, *FAST, "--timeout", "0.3")
    assert 124 == run.returncode
    last = run.stderr.splitlines()[-1]
    assert last.startswith("taskstatus wait: task still IN_PROGRESS after ")
    assert last.endswith("reached the timeout of 0.3 s")
    assert "" == run.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["wait", "ftp://example.org/x"], "expected an http:// or https:// URL"),
        (["wait", "not a url"], "expected an http:// or https:// URL"),
        (["wait", "http://127.0.0.1:9/", "-H", "Authorization"], "'Name: value'"),
        (["wait", "http://127.0.0.1:9/", "--timeout", "-1"], "positive number"),
        (["wait", "http://127.0.0.1:9/", "--timeout", "soon"], "number of seconds"),
        (["wait", "http://127.0.0.1:9/", "--retries", "-2"], "whole number"),
        (["wait", "http://127.0.0.1:9/", "--quiet", "--json"], "not allowed with"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (
            ["wait", "http://127.0.0.1:9/", "--initial", "5", "--max", "2"],
            "--max (2) must be at least --initial (5)",
        ),
    ],
)
def test_usage_errors_exit_2(arguments: list[str], message: str) -> None:
    """Bad command lines exit 2 with a message naming the problem."""
    run = taskstatus(*arguments)
    assert 2 == run.returncode
    assert message in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply({"error": "no such task"}, status=404), "HTTP 404 Not Found from "),
        (Reply({"error": "who are you"}, status=401), "HTTP 401 Unauthorized from "),
        (Reply(b"<html>oops</html>"), "is not JSON: '<html>oops</html>'"),
        (Reply({"state": "PENDING"}), "no field 'status' in the response body"),
        (Reply({"status": "SKIPPED"}), "the task is SKIPPED, which waiting cannot"),
        (Reply({"status": "ACTIVE"}), "the task is ACTIVE, which waiting cannot"),
    ],
)
def test_errors_exit_1_with_one_line(
    task_server: ScriptedServer, reply: Reply, message: str
) -> None:
    """HTTP 4xx, bad JSON, a missing field, a status polling cannot change: exit 1."""
    task_server.script(reply)
    run = taskstatus("wait", task_server.url, *FAST)
    assert 1 == run.returncode
    [line] = run.stderr.splitlines()
    assert line.startswith("taskstatus wait: ")
    assert message in line
    assert 1 == len(task_server.seen)  # 4xx and bad bodies are not retried


def test_unreachable_host_exits_1_after_retries() -> None:
    """A refused connection is retried --retries times, then reported in one line."""
    with ThreadingHTTPServer(("127.0.0.1", 0), object) as closed:  # type: ignore[arg-type]
        port = closed.server_address[1]  # bound, then closed: nobody listens
    run = taskstatus("wait", f"http://127.0.0.1:{port}/t", *FAST, "--retries", "2")
    assert 1 == run.returncode
    lines = run.stderr.splitlines()
    assert 3 == len(lines)
    assert lines[0].startswith(
        f"connection refused by http://127.0.0.1:{port}/t; retry 1"
    )
    assert (
        f"taskstatus wait: connection refused by http://127.0.0.1:{port}/t" == lines[-1]
    )


# --- requests and responses -----------------------------------------------


def test_headers_are_sent(task_server: ScriptedServer) -> None:
    """-H adds request headers, for authentication; Accept asks for JSON."""
    task_server.script("COMPLETED")
    run = taskstatus(
        "wait",
        task_server.url + "/tasks/7",
        "-H",
        "Authorization: Bearer s3cret",
        "--header",
        "X-Trace:abc",
    )
    assert 0 == run.returncode
    [seen] = task_server.seen
    assert "/tasks/7" == seen.path
    assert "Bearer s3cret" == seen.headers["Authorization"]
    assert "abc" == seen.headers["X-Trace"]
    assert "application/json" == seen.headers["Accept"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("data.task.state", {"data": {"task": {"state": "COMPLETED"}}}),
        ("items.1.status", {"items": [{"status": "X"}, {"status": "COMPLETED"}]}),
        ("status", {"status": "completed"}),  # coerced, as poll() does
    ],
)
def test_field_paths(task_server: ScriptedServer, path: str, body: object) -> None:
    """--field follows a dotted path through objects and arrays."""
    task_server.script(Reply(body))
    run = taskstatus("wait", task_server.url, "--field", path)
    assert 0 == run.returncode, run.stderr


def test_missing_field_path_names_where_it_broke(task_server: ScriptedServer) -> None:
    """A path that breaks off says which key is missing, and where."""
    task_server.script(Reply({"data": {"job": {}}}))
    run = taskstatus("wait", task_server.url, "--field", "data.task.state")
    assert (
        "taskstatus wait: no field 'data.task.state' in the response body: "
        "no 'task' at data\n"
    ) == run.stderr


def test_retry_after_is_honoured(task_server: ScriptedServer) -> None:
    """A Retry-After header replaces the backoff delay (here 5 s) for that poll."""
    hint = (("Retry-After", "0.05"),)
    task_server.script(Reply({"status": "PENDING"}, headers=hint), "COMPLETED")
    run = taskstatus("wait", task_server.url, "--initial", "5", "--json")
    assert 0 == run.returncode
    poll_event = json.loads(run.stdout.splitlines()[0])
    assert 0.05 == poll_event["next_delay"]


def test_transient_failures_are_retried(task_server: ScriptedServer) -> None:
    """503s and a 429 are retried with backoff, then the task is followed on."""
    task_server.script(
        Reply({"error": "busy"}, status=503),
        Reply({"error": "slow down"}, status=429, headers=(("Retry-After", "0.01"),)),
        Reply({"error": "busy"}, status=502),
        "COMPLETED",
    )
    run = taskstatus("wait", task_server.url, *FAST)
    assert 0 == run.returncode, run.stderr
    assert [
        "HTTP 503 Service Unavailable from " + task_server.url + "; retry 1 in 0.01 s",
        "HTTP 429 Too Many Requests from " + task_server.url + "; retry 2 in 0.01 s",
        "HTTP 502 Bad Gateway from " + task_server.url + "; retry 3 in 0.04 s",
    ] == run.stderr.splitlines()
    assert 4 == len(task_server.seen)


def test_transient_failures_give_up_after_the_retries(
    task_server: ScriptedServer,
) -> None:
    """Once --retries is spent, the last failure is the error."""
    task_server.script(Reply({"error": "down"}, status=500))
    run = taskstatus("wait", task_server.url, *FAST, "--retries", "0")
    assert 1 == run.returncode
    assert (
        f"taskstatus wait: HTTP 500 Internal Server Error from {task_server.url}\n"
        == (run.stderr)
    )


# --- output ---------------------------------------------------------------


def test_partial_success_report(task_server: ScriptedServer) -> None:
    """A TaskResult body adds the success rate and the failures by code."""
    task_server.script("PENDING", Reply(CWE_BODY))
    run = taskstatus("wait", task_server.url, *FAST)
    assert 3 == run.returncode
    lines = run.stdout.splitlines()
    assert lines[0].startswith("COMPLETED_WITH_ERRORS after 2 polls in ")
    assert [
        "success rate: 60.0% (3 of 5 items succeeded)",
        "failed items by error code:",
        "  transient (1): d",
        "  permanent (1): e",
    ] == lines[1:]


def test_json_lines(task_server: ScriptedServer) -> None:
    """--json prints one object per poll on stdout, then the final one."""
    task_server.script("PENDING", "PROCESSING", Reply(CWE_BODY))
    run = taskstatus("wait", task_server.url, *FAST, "--json")
    assert 3 == run.returncode
    events = [json.loads(line) for line in run.stdout.splitlines()]
    assert ["poll", "poll", "done"] == [event["event"] for event in events]
    assert ["PENDING", "PROCESSING"] == [event["status"] for event in events[:2]]
    assert [1, 2] == [event["attempt"] for event in events[:2]]
    assert [0.01, 0.02] == [event["next_delay"] for event in events[:2]]
    done = events[-1]
    assert ("COMPLETED_WITH_ERRORS", 3, 3) == (
        done["status"],
        done["exit_code"],
        done["attempts"],
    )
    assert 60.0 == done["result"]["success_rate"]
    assert "" == run.stderr


def test_json_final_record_on_errors(task_server: ScriptedServer) -> None:
    """With --json, a failure also ends with a JSON record (and a stderr line)."""
    task_server.script(Reply({"status": "DRAFT"}))
    run = taskstatus("wait", task_server.url, *FAST, "--json")
    assert 1 == run.returncode
    record = json.loads(run.stdout)
    assert 0 <= record.pop("elapsed") < 5
    assert {
        "event": "error",
        "exit_code": 1,
        "message": "the task is DRAFT, which waiting cannot change",
    } == record


def test_plain_progress_lines_through_a_pipe(task_server: ScriptedServer) -> None:
    """Without a terminal, each poll is one plain line on stderr."""
    task_server.script("PENDING", "PROCESSING", "COMPLETED")
    run = taskstatus("wait", task_server.url, *FAST)
    lines = run.stderr.splitlines()
    assert 2 == len(lines)
    assert re.fullmatch(
        r"poll 1: PENDING after [0-9.e-]+ s; next poll in 0.01 s", lines[0]
    )
    assert re.fullmatch(
        r"poll 2: PROCESSING after [0-9.e-]+ s; next poll in 0.02 s", lines[1]
    )


def test_quiet_prints_nothing(task_server: ScriptedServer) -> None:
    """--quiet prints neither progress nor report: the exit code tells."""
    task_server.script("PENDING", "FAILED")
    run = taskstatus("wait", task_server.url, *FAST, "--quiet")
    assert (4, "", "") == (run.returncode, run.stdout, run.stderr)


def test_malformed_result_is_ignored_with_a_warning(
    task_server: ScriptedServer,
) -> None:
    """A result whose stated status contradicts its items is reported, not trusted."""
    body = {**CWE_BODY, "status": "COMPLETED_WITH_ERRORS", "success_rate": 10}
    task_server.script(Reply(body))
    run = taskstatus("wait", task_server.url)
    assert 3 == run.returncode
    assert run.stderr.startswith(
        "taskstatus wait: ignoring the result in the body: success_rate: states 10"
    )
    assert 1 == len(run.stdout.splitlines())
    quiet = taskstatus("wait", task_server.url, "--quiet")
    assert (3, "", "") == (quiet.returncode, quiet.stdout, quiet.stderr)


def test_progress_on_a_terminal_is_one_line_rewritten(
    task_server: ScriptedServer,
) -> None:
    """On a TTY the progress line is redrawn in place, then ended with a newline."""
    task_server.script("PENDING", "PROCESSING", "COMPLETED")
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [SCRIPT, "wait", task_server.url, *FAST],
        stdout=subprocess.PIPE,
        stderr=terminal,
    )
    os.close(terminal)
    captured = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 10)
        if not ready:
            break
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        captured += chunk
    assert process.wait(timeout=10) == 0
    os.close(controller)
    assert process.stdout is not None
    process.stdout.close()
    text = captured.decode()
    redraws = text.split("\r\x1b[K")
    assert "" == redraws[0]
    assert re.match(
        r"PENDING  attempt 1  elapsed \S+ s  next poll in 0.01 s$", redraws[1]
    )
    assert redraws[2].startswith("PROCESSING  attempt 2  elapsed ")
    assert redraws[2].endswith("\r\n")  # the line is ended once, at the end
    assert 3 == len(redraws)


def test_ctrl_c_exits_130(task_server: ScriptedServer) -> None:
    """SIGINT while waiting ends the command with 130 and one line, no traceback."""
    task_server.script("PENDING")
    run = signalled(
        ["wait", task_server.url, "--initial", "30"], task_server, 1, signal.SIGINT
    )
    assert (130, "", "taskstatus wait: interrupted") == (
        run.returncode,
        run.stdout,
        run.stderr.splitlines()[-1],
    )
    assert "Traceback" not in run.stderr


# --- demo -----------------------------------------------------------------


def test_demo_shows_the_whole_library_working() -> None:
    """Demo exits 0 in well under 10 s and prints the partial-success summary."""
    run = taskstatus("demo", timeout=20)
    assert 0 == run.returncode, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("COMPLETED_WITH_ERRORS after ")
    assert [
        "success rate: 66.7% (4 of 6 items succeeded)",
        "failed items by error code:",
        "  transient (1): invoice-003.pdf",
        "  permanent (1): invoice-006.pdf",
    ] == lines[1:]
    assert "poll 1: PENDING" in run.stderr
    assert "PROCESSING" in run.stderr
    assert run.stderr.rstrip().endswith("`taskstatus wait` would have exited with 3")


def test_python_dash_m_runs_the_same_command() -> None:
    """`python -m taskstatus wait` is the console script."""
    run = subprocess.run(
        [sys.executable, "-m", "taskstatus", "wait", "gopher://x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert 2 == run.returncode
    assert "expected an http:// or https:// URL" in run.stderr


def test_a_body_that_is_not_json_is_shown_escaped_once(
    task_server: ScriptedServer,
) -> None:
    """A newline in the body is shown escaped once: a backslash and an n."""
    task_server.script(Reply(b'<?xml version="1.0"?>\n<List/>'))
    run = taskstatus("wait", task_server.url, *FAST)
    assert 1 == run.returncode
    assert run.stderr.endswith("""is not JSON: '<?xml version="1.0"?>\\n<List/>'\n""")

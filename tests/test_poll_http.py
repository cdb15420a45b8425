"""poll() against a real HTTP server on 127.0.0.1, fetching with urllib."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast

import pytest

from helpers import serving
from taskstatus import PollEvent, TaskStatus, poll

SCRIPT = ["PENDING", "PROCESSING", "PROCESSING", "COMPLETED"]


class TaskHandler(BaseHTTPRequestHandler):
    """Serves GET /task: the next status of SCRIPT on each request."""

    def do_GET(self) -> None:
        """Answer with the task's JSON, and a Retry-After header while running."""
        server = cast("TaskServer", self.server)
        with server.lock:
            index = min(server.requests, len(SCRIPT) - 1)
            server.requests += 1
        status = SCRIPT[index]
        body = json.dumps({"id": "t-1", "status": status}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status != "COMPLETED":
            self.send_header("Retry-After", "0.02")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


class TaskServer(ThreadingHTTPServer):
    """An HTTP server that counts the requests it answered."""

    requests = 0
    lock = threading.Lock()


@pytest.fixture
def server() -> Iterator[TaskServer]:
    """A task server on a free port of 127.0.0.1, shut down after the test."""
    with serving(TaskServer(("127.0.0.1", 0), TaskHandler)) as httpd:
        yield httpd


class Response:
    """What the fetch function returns: the JSON body and the hint header."""

    def __init__(self, body: dict[str, str], retry_after: str | None) -> None:
        self.status = body["status"]
        self.body = body
        self.retry_after = retry_after


def test_poll_waits_for_a_real_http_task(server: TaskServer) -> None:
    """Poll follows PENDING → PROCESSING → COMPLETED, honouring Retry-After."""
    url = f"http://127.0.0.1:{server.server_address[1]}/task"

    def fetch() -> Response:
        with urllib.request.urlopen(url, timeout=5) as response:
            return Response(json.load(response), response.headers["Retry-After"])

    def retry_after(response: Response) -> float | None:
        return None if response.retry_after is None else float(response.retry_after)

    events: list[PollEvent[Response]] = []
    result = poll(
        fetch,
        initial_delay=5,
        retry_after=retry_after,
        timeout=10,
        on_poll=events.append,
    )
    assert {"id": "t-1", "status": "COMPLETED"} == result.body
    assert 4 == server.requests
    assert [TaskStatus.PENDING, TaskStatus.PROCESSING, TaskStatus.PROCESSING] == [
        event.status for event in events
    ]
    # The 5 s backoff was replaced by the server's 0.02 s hint each time.
    assert [0.02, 0.02, 0.02] == [event.next_delay for event in events]

"""poll() and poll_many() against real HTTP servers on 127.0.0.1, with urllib."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import pytest

from helpers import serving
from taskstatus import PollEvent, TaskStatus, poll, poll_many
from taskstatus.testing import FakeClock

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


class ManyTasksHandler(BaseHTTPRequestHandler):
    """Serves GET /tasks/ID and GET /tasks?ids=A,B.

    Task N is PROCESSING for its first N questions, then COMPLETED.
    """

    def do_GET(self) -> None:
        """Answer one task, or a list of tasks."""
        server = cast("ManyTasksServer", self.server)
        with server.lock:
            server.requests += 1
        path, _, query = self.path.partition("?")
        if path == "/tasks":
            ids = query.removeprefix("ids=").split(",")
            body: object = {"tasks": [server.ask(task_id) for task_id in ids]}
        else:
            body = server.ask(path.removeprefix("/tasks/"))
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


class ManyTasksServer(ThreadingHTTPServer):
    """Counts the requests, and how often each task was asked about."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ManyTasksHandler)
        self.lock = threading.Lock()
        self.asked: dict[str, int] = {}
        self.requests = 0

    def ask(self, task_id: str) -> dict[str, str]:
        """Count one question about a task; return its state."""
        with self.lock:
            self.asked[task_id] = self.asked.get(task_id, 0) + 1
            done = self.asked[task_id] > int(task_id)
        return {"id": task_id, "status": "COMPLETED" if done else "PROCESSING"}

    @property
    def url(self) -> str:
        """The base URL of the server."""
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def many_server() -> Iterator[ManyTasksServer]:
    """A server of many tasks on 127.0.0.1, shut down after the test."""
    with serving(ManyTasksServer()) as httpd:
        yield httpd


def get(url: str) -> Any:
    """GET a URL and parse its JSON body."""
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def test_poll_many_waits_for_real_http_tasks(many_server: ManyTasksServer) -> None:
    """poll_many follows 20 tasks over HTTP, one request per task and poll."""
    keys = [f"{many_server.url}/tasks/{n}" for n in range(20)]
    result = poll_many(keys, fetch=get, initial_delay=0.01, max_delay=0.01, rate=500)
    assert keys == list(result)
    assert all(body["status"] == "COMPLETED" for body in result.values())
    assert {str(n): n + 1 for n in range(20)} == many_server.asked
    assert sum(many_server.asked.values()) == many_server.requests


def test_poll_many_batches_real_http_requests(many_server: ManyTasksServer) -> None:
    """fetch_many asks a list endpoint about many tasks per request."""
    ids = [str(n) for n in range(12)]

    def list_tasks(keys: list[str]) -> dict[str, Any]:
        body = get(f"{many_server.url}/tasks?ids={','.join(keys)}")
        return {task["id"]: task for task in body["tasks"]}

    # Real requests on a virtual clock: the schedule, and so the count of
    # requests, is the same however fast the machine is.
    clock = FakeClock()
    result = poll_many(
        ids,
        fetch_many=list_tasks,
        max_batch=5,
        initial_delay=0.01,
        max_delay=0.01,
        jitter=False,
        sleep=clock.sleep,
        clock=clock.monotonic,
    )
    assert ids == list(result)
    assert all(many_server.asked[task_id] == int(task_id) + 1 for task_id in ids)
    # 78 questions about tasks, asked in far fewer requests.
    assert 78 == sum(many_server.asked.values())
    assert 21 == many_server.requests  # 78 / 5 would be 16 at best

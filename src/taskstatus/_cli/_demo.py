"""``taskstatus demo``: a simulated task server on 127.0.0.1, and a wait on it."""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.request
from collections.abc import Generator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TextIO, cast

from .._policy import BatchPolicy, PollPolicy
from .._status import TaskStatus
from ._exit import FOR_STATUS
from ._options import PARALLEL, WaitOptions
from ._wait import wait_one

# Seconds after submission at which the simulated task changes status.
SCHEDULE = ((0.0, "PENDING"), (1.0, "PROCESSING"), (2.5, "COMPLETED_WITH_ERRORS"))

RESULT: dict[str, object] = {
    "successful_items": [
        "invoice-001.pdf",
        "invoice-002.pdf",
        "invoice-004.pdf",
        "invoice-005.pdf",
    ],
    "failed_items": [
        {
            "item": "invoice-003.pdf",
            "error": "OCR service timed out",
            "code": "transient",
            "details": {"after_seconds": 30},
        },
        {
            "item": "invoice-006.pdf",
            "error": "not a PDF file",
            "code": "permanent",
            "details": {},
        },
    ],
}


Schedule = tuple[tuple[float, str], ...]

BATCH_FINALS = ("COMPLETED",) * 30 + ("FAILED",) * 3 + ("COMPLETED_WITH_ERRORS",) * 3
"""How the simulated tasks of ``demo --many`` end."""


def batch_schedule(seconds: float, final: str) -> Schedule:
    """A task that waits for a third of its time, then runs, then ends."""
    return ((0.0, "PENDING"), (seconds / 3, "PROCESSING"), (seconds, final))


class DemoServer(ThreadingHTTPServer):
    """Holds the submission times and schedules of the simulated tasks."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.submitted: dict[str, tuple[float, Schedule]] = {}
        self.lock = threading.Lock()

    def submit(self, schedule: Schedule) -> str:
        """Start a simulated task; return its id."""
        with self.lock:
            task_id = f"task-{len(self.submitted) + 1}"
            self.submitted[task_id] = (time.monotonic(), schedule)
        return task_id

    def status_of(self, task_id: str) -> dict[str, object] | None:
        """Return the task's JSON body now, or None for an unknown id."""
        with self.lock:
            started, schedule = self.submitted.get(task_id, (None, SCHEDULE))
        if started is None:
            return None
        age = time.monotonic() - started
        status = [name for after, name in schedule if age >= after][-1]
        body: dict[str, object] = {"id": task_id, "status": status}
        if status == "COMPLETED_WITH_ERRORS":
            body.update(RESULT, success_rate=100 * 4 / 6)
        return body


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server = cast("DemoServer", self.server)
        if self.path != "/tasks":
            self._reply(404, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        asked = json.loads(self.rfile.read(length) or b"{}")
        schedule: Schedule = SCHEDULE
        if "seconds" in asked:
            schedule = batch_schedule(float(asked["seconds"]), str(asked["final"]))
        task_id = server.submit(schedule)
        self._reply(201, {"id": task_id, "status": "PENDING"})

    def do_GET(self) -> None:
        server = cast("DemoServer", self.server)
        task_id = self.path.removeprefix("/tasks/")
        body = server.status_of(task_id) if task_id != self.path else None
        if body is None:
            self._reply(404, {"error": "not found"})
            return
        hint = "1" if body["status"] == "PENDING" else None
        self._reply(200, body, retry_after=hint)

    def _reply(
        self, code: int, body: dict[str, object], retry_after: str | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the demo's output to what ``wait`` prints."""


@contextmanager
def running_server() -> Generator[DemoServer, None, None]:
    """Serve the simulated tasks on a free port of 127.0.0.1 until the block ends."""
    server = DemoServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def demo(*, out: TextIO, err: TextIO) -> int:
    """Submit a simulated task and wait on it as ``taskstatus wait`` would."""
    with running_server() as server:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        url = _submit(base, {})
        print("demo: submitted a task to a task server on 127.0.0.1", file=err)
        print(
            f"demo: taskstatus wait {url} --initial 0.25 --max 1", file=err, flush=True
        )
        policy = PollPolicy(initial_delay=0.25, max_delay=1.0)
        code = wait_one(WaitOptions(urls=(url,), policy=policy), out=out, err=err)
    return _verdict(code, FOR_STATUS[TaskStatus.COMPLETED_WITH_ERRORS], err)


def demo_many(*, out: TextIO, err: TextIO) -> int:
    """Submit a batch of simulated tasks and wait on all of them at once."""
    durations = random.Random(7)  # the same batch every time
    with running_server() as server:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        urls = [
            _submit(base, {"seconds": durations.uniform(0.3, 2.0), "final": final})
            for final in BATCH_FINALS
        ]
        print(
            f"demo: submitted {len(urls)} tasks to a task server on 127.0.0.1",
            file=err,
        )
        # The URLs live only as long as the demo's server: what can be run
        # again is the command with the same options, on URLs of your own.
        print(
            f"demo: taskstatus wait --from - --rate 20 --parallel {PARALLEL} "
            f"--initial 0.25 --max 1 < urls   (urls: the {len(urls)} task URLs, "
            "which live as long as the demo; use yours)",
            file=err,
            flush=True,
        )
        policy = BatchPolicy(initial_delay=0.25, max_delay=1.0, rate=20)
        options = WaitOptions(
            urls=tuple(urls), policy=policy, batch=True, parallel=PARALLEL
        )
        from ._batch import wait_many  # noqa: PLC0415 - only a batch needs it

        code = wait_many(options, out=out, err=err)
    return _verdict(code, FOR_STATUS[TaskStatus.COMPLETED_WITH_ERRORS], err)


def _submit(base: str, asked: dict[str, object]) -> str:
    data = json.dumps(asked).encode()
    request = urllib.request.Request(f"{base}/tasks", data=data, method="POST")
    with urllib.request.urlopen(request, timeout=10) as reply:
        return f"{base}/tasks/{json.load(reply)['id']}"


def _verdict(code: int, expected: int, err: TextIO) -> int:
    """Exit 0 if wait ended as the simulation intends, else with wait's code."""
    if code != expected:
        print(f"demo: failed; wait exited with {code}, not {expected}", file=err)
        return code or 1
    print(f"demo: done; `taskstatus wait` would have exited with {code}", file=err)
    return 0

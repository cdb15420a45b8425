"""Helpers shared by the tests: a scripted (and hostile) server, a clean child."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Generator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar, cast

import taskstatus as package
from taskstatus._many import Batch
from taskstatus._policy import BatchPolicy
from taskstatus._poll import status_reader

Server = TypeVar("Server", bound=ThreadingHTTPServer)


@contextmanager
def serving(server: Server) -> Generator[Server, None, None]:
    """Serve requests in a thread until the block ends, then shut down cleanly."""
    # A short poll interval: shutdown() waits for it, once per test.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass(frozen=True)
class Reply:
    """One scripted HTTP reply, polite or hostile.

    Attributes:
        body: JSON data, or raw bytes for the body.
        status: The HTTP status code.
        headers: Extra response headers.
        reason: The reason phrase; by default the standard one.
        raw: Bytes sent as the whole response instead, to break HTTP framing.
        drip: Seconds between bytes: the response trickles out one at a time.
        drip_body: With ``drip``, the headers go at once and only the body
            trickles.
        hang: Seconds to wait before answering at all (cut short at shutdown).
        hang_up: Close the connection after the reply without saying so,
            as a server that times out idle connections does.
    """

    body: object = None
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    reason: str | None = None
    raw: bytes | None = None
    drip: float = 0.0
    drip_body: bool = False
    hang: float = 0.0
    hang_up: bool = False

    def encode(self, *, keep_alive: bool = False) -> bytes:
        """Return the whole response as bytes on the wire.

        With ``keep_alive`` the response does not ask to close the connection.
        """
        if self.raw is not None:
            return self.raw
        body = self.body if isinstance(self.body, bytes) else json.dumps(self.body)
        data = body if isinstance(body, bytes) else body.encode()
        reason = self.reason
        if reason is None:
            known = self.status in HTTPStatus._value2member_map_
            reason = HTTPStatus(self.status).phrase if known else "Whatever"
        lines = [
            f"HTTP/1.1 {self.status} {reason}",
            "Content-Type: application/json",
            f"Content-Length: {len(data)}",
            *([] if keep_alive else ["Connection: close"]),
            *(f"{name}: {value}" for name, value in self.headers),
        ]
        return "\r\n".join([*lines, "", ""]).encode("latin-1") + data


def redirect(location: str, status: int = 302) -> Reply:
    """A reply that sends the client to ``location``."""
    return Reply({"moved": True}, status=status, headers=(("Location", location),))


@dataclass
class Seen:
    """One request the scripted server received."""

    method: str
    path: str
    headers: dict[str, str]


class ScriptedServer(ThreadingHTTPServer):
    """Answers each request with the next scripted reply; repeats the last one.

    The one test server of the suite: scripted replies cover the polite
    server, and `Reply` the hostile ones (drips, hangs, broken framing,
    redirects anywhere, terminal escapes in any text).

    With ``keep_alive``, connections stay open from one request to the
    next, unless a reply is hostile (`Reply.raw`, ``drip``, ``hang``,
    ``hang_up``); `connections` counts the connections accepted.
    """

    daemon_threads = True

    def __init__(
        self, *, keep_alive: bool = False, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        super().__init__((host, port), _ScriptedHandler)
        self.replies: list[Reply] = [Reply({"status": "COMPLETED"})]
        self.by_path: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.in_flight = 0
        self.most_in_flight = 0
        self.keep_alive = keep_alive
        self.connections = 0
        self.open_connections = 0
        self.most_open_connections = 0

    @property
    def url(self) -> str:
        """The base URL of the server."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, *replies: Reply | str, path: str | None = None) -> None:
        """Set the replies (for one path only, with ``path``).

        A bare string is a 200 with that status.
        """
        scripted = [
            Reply({"status": reply}) if isinstance(reply, str) else reply
            for reply in replies
        ]
        if path is None:
            self.replies = scripted
        else:
            self.by_path[path] = scripted

    def next_reply(self, seen: Seen) -> Reply:
        """Record a request and return the reply it gets."""
        with self.lock:
            replies = self.by_path.get(seen.path, self.replies)
            earlier = sum(1 for other in self.seen if other.path == seen.path)
            index = earlier if seen.path in self.by_path else len(self.seen)
            self.seen.append(seen)
            return replies[min(index, len(replies) - 1)]

    def requests_for(self, path: str) -> int:
        """How many requests asked for ``path``."""
        with self.lock:
            return sum(1 for seen in self.seen if seen.path == path)

    def shutdown(self) -> None:
        """Stop serving, and wake the handlers that hang or drip."""
        self.stopping.set()
        super().shutdown()


class _ScriptedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections open unless told to close

    def handle(self) -> None:
        server = cast("ScriptedServer", self.server)
        with server.lock:
            server.connections += 1
            server.open_connections += 1
            server.most_open_connections = max(
                server.most_open_connections, server.open_connections
            )
        try:
            super().handle()
        finally:
            with server.lock:
                server.open_connections -= 1

    def do_GET(self) -> None:
        server = cast("ScriptedServer", self.server)
        reply = server.next_reply(Seen("GET", self.path, dict(self.headers.items())))
        polite = not (reply.raw is not None or reply.drip or reply.hang)
        keep_alive = server.keep_alive and polite
        self.close_connection = not keep_alive or reply.hang_up
        with server.lock:
            server.in_flight += 1
            server.most_in_flight = max(server.most_in_flight, server.in_flight)
        over = False

        def answered() -> None:
            # Before the last bytes go out, not after: once it has them,
            # the client may send its next request before this thread
            # runs again, and two requests would seem to be in flight.
            nonlocal over
            if not over:
                over = True
                with server.lock:
                    server.in_flight -= 1

        try:
            self._answer(server, reply, keep_alive=keep_alive, answered=answered)
        finally:
            answered()

    def _answer(
        self,
        server: ScriptedServer,
        reply: Reply,
        *,
        keep_alive: bool,
        answered: Callable[[], None],
    ) -> None:
        if reply.hang and server.stopping.wait(reply.hang):
            return
        data = reply.encode(keep_alive=keep_alive)
        try:
            if not reply.drip:
                answered()
                self.wfile.write(data)
                return
            start = data.index(b"\r\n\r\n") + 4 if reply.drip_body else 0
            self.wfile.write(data[:start])
            for offset in range(start, len(data)):
                if offset == len(data) - 1:
                    answered()
                self.wfile.write(data[offset : offset + 1])
                self.wfile.flush()
                if server.stopping.wait(reply.drip):
                    return
        except OSError:  # the client gave up: that is what hostile tests expect
            return

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


SCRIPT = str(Path(sysconfig.get_path("scripts"), "taskstatus"))
"""The installed console script, run as users run it."""

FAST = ["--initial", "0.01", "--max", "0.05", "--no-jitter"]
"""Options that make `taskstatus wait` poll in hundredths of a second."""


def taskstatus(
    *arguments: str, env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """Run the console script; return its exit code and output."""
    return subprocess.run(
        [SCRIPT, *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )


def signalled(
    arguments: list[str], server: ScriptedServer, requests: int, signum: int
) -> subprocess.CompletedProcess[str]:
    """Run the command until ``server`` saw ``requests``, then send ``signum``.

    A tenth of a second passes after the requests, so that the command is
    in its sleep between polls when the signal comes. The child gets the
    default SIGINT handling even where the suite runs with SIGINT ignored
    (as ``(pytest &)`` in a script does), and it is never left running.
    """
    with sigint_as(signal.default_int_handler):
        process = subprocess.Popen(
            [SCRIPT, *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        deadline = time.monotonic() + 10
        while len(server.seen) < requests and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:  # it did not stop: a failure, not a leak
            process.kill()
            process.communicate()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@contextmanager
def sigint_as(
    handler: signal.Handlers | Callable[..., object],
) -> Generator[None, None, None]:
    """Handle SIGINT so for the block, for the children it starts to inherit.

    A child inherits an ignored SIGINT, and gets the default for a handled
    one: with ``default_int_handler`` it can be interrupted even when the
    suite runs with SIGINT ignored (as ``(pytest &)`` in a script does).
    """
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def without_coverage_env() -> dict[str, str]:
    """The environment minus coverage's variables, for a clean child process."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}


def run_python(code: str) -> str:
    """Run code in a fresh interpreter that only sees the stdlib and taskstatus.

    ``-S`` skips the site hooks: coverage measures subprocesses through a .pth
    file that imports it (and json, inspect, …) into every new interpreter,
    which would hide what ``import taskstatus`` itself loads.
    """
    package_parent = str(Path(package.__file__).parent.parent)
    return subprocess.run(
        [sys.executable, "-S", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**without_coverage_env(), "PYTHONPATH": package_parent},
    ).stdout


LOCK_HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""


@contextmanager
def lock_held(path: Path) -> Generator[None, None, None]:
    """Another process holds the file's write lock for the block."""
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=without_coverage_env(),
    )
    assert holder.stdin is not None
    assert holder.stdout is not None
    try:
        assert "locked\n" == holder.stdout.readline()
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
        holder.stdout.close()


@contextmanager
def read_only(path: Path) -> Generator[None, None, None]:
    """Make ``path`` a file its user cannot write, for the block.

    A mode of 0444 stops any user but root; root (as CI runs) is stopped
    only by the immutable attribute, which chattr sets on ext4.
    """
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o600)
        return
    subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True, capture_output=True)


# --- board files that are not usable boards --------------------------------


def damaged_board(path: Path) -> None:
    """Write a board of many pages, then overwrite one page in the middle."""
    from taskstatus import TaskBoard, TaskStatus

    with TaskBoard.open(path) as board:
        board.merge(
            {f"t{n}": (TaskStatus.PENDING, {"pad": "x" * 200}) for n in range(2000)}
        )
    with path.open("r+b") as file:
        file.seek(path.stat().st_size // 2 // 4096 * 4096)
        file.write(b"\xff" * 4096)


def board_id_without_table(path: Path) -> None:
    """Write an SQLite file with the board's application id but no tasks table."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE other (x)")
        db.execute("PRAGMA application_id=0x54534231")
        db.commit()


def not_a_board(path: Path, make: str) -> str:
    """Write an empty file or another app's SQLite file; return how it is named."""
    if make == "empty":
        path.touch()
        return "is not yet a task board"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE things (x)")
        db.commit()
    return "is an SQLite file, but not a task board"


def status_batch(
    keys: list[str],
    policy: BatchPolicy,
    clock: Callable[[], float],
    *,
    many: bool = False,
) -> Batch[str, str]:
    """The I/O-free batch of ``keys`` whose answers are status words."""
    return Batch(
        keys,
        policy,
        many=many,
        read_status=status_reader(None, policy),
        on_done=None,
        on_progress=None,
        clock=clock,
    )

"""Helpers shared by the tests: a scripted HTTP server and a clean environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar, cast

import taskstatus

Server = TypeVar("Server", bound=ThreadingHTTPServer)


@contextmanager
def serving(server: Server) -> Generator[Server, None, None]:
    """Serve requests in a thread until the block ends, then shut down cleanly."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass(frozen=True)
class Reply:
    """One scripted HTTP reply: status code, body (JSON data or raw bytes), headers."""

    body: object = None
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Seen:
    """One request the scripted server received."""

    method: str
    path: str
    headers: dict[str, str]


class ScriptedServer(ThreadingHTTPServer):
    """Answers each request with the next scripted reply; repeats the last one."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ScriptedHandler)
        self.replies: list[Reply] = [Reply({"status": "COMPLETED"})]
        self.seen: list[Seen] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        """The base URL of the server."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def script(self, *replies: Reply | str) -> None:
        """Set the replies; a bare string is a 200 with that status."""
        self.replies = [
            Reply({"status": reply}) if isinstance(reply, str) else reply
            for reply in replies
        ]

    def next_reply(self, seen: Seen) -> Reply:
        """Record a request and return the reply it gets."""
        with self.lock:
            index = min(len(self.seen), len(self.replies) - 1)
            self.seen.append(seen)
            return self.replies[index]


class _ScriptedHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server = cast("ScriptedServer", self.server)
        reply = server.next_reply(Seen("GET", self.path, dict(self.headers.items())))
        data = (
            reply.body
            if isinstance(reply.body, bytes)
            else json.dumps(reply.body).encode()
        )
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


def without_coverage_env() -> dict[str, str]:
    """The environment minus coverage's variables, for a clean child process."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}


def run_python(code: str) -> str:
    """Run code in a fresh interpreter that only sees the stdlib and taskstatus.

    ``-S`` skips the site hooks: coverage measures subprocesses through a .pth
    file that imports it (and json, inspect, …) into every new interpreter,
    which would hide what ``import taskstatus`` itself loads.
    """
    package_parent = str(Path(taskstatus.__file__).parent.parent)
    return subprocess.run(
        [sys.executable, "-S", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**without_coverage_env(), "PYTHONPATH": package_parent},
    ).stdout

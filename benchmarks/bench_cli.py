"""``taskstatus wait --from`` against a pooled ``http.client`` baseline, in one run.

Run it with ``python benchmarks/bench_cli.py`` (``--tasks N`` to change the
2,000 task URLs). A local asyncio server in a process of its own answers
every GET with a canned COMPLETED body, over keep-alive HTTP/1.1 and HTTPS
(a ``trustme`` CA, from the test extra). For each scheme it prints:

- the command's wall time and CPU per request (``--rate 100000
  --parallel 8``), measured on its own process, after one run on one URL
  that warms the caches (and compiles the package, even where
  PYTHONDONTWRITEBYTECODE is set): that run's wall time is the command's
  start-up, included in the figures as a user pays it;
- the baseline's: 8 threads, each with one persistent ``http.client``
  connection, the same URLs;
- their ratio, beside the targets of the issue that asked for them;
- for reference, what one thread does with the same 8 connections made
  non-blocking and watched by a selector, parsing each answer with
  ``http.client`` too: the command's design with nothing but the requests,
  so no target, but the floor that its own work and start-up add to.

The exit status is 1 if a target is missed: these are the figures that
docs/performance.md records, and the request layer is to meet them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import io
import json
import multiprocessing
import os
import queue
import resource
import selectors
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import cast

PARALLEL = 8
BODY = b'{"id": "t", "status": "COMPLETED"}'
ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer every request on the connection, for as long as it is open."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if not head:
                break
            writer.write(ANSWER)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _serve(
    port_out: multiprocessing.Queue[int], certificate: str | None, key: str | None
) -> None:
    """The server process: one event loop, on a free port of 127.0.0.1."""
    context = None
    if certificate is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate, key)

    async def main() -> None:
        server = await asyncio.start_server(
            _answer, "127.0.0.1", 0, ssl=context, backlog=1024
        )
        port_out.put(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _baseline(urls: list[str], context: ssl.SSLContext | None) -> float:
    """8 threads, each one persistent connection: wall seconds for all URLs."""
    work: queue.SimpleQueue[str | None] = queue.SimpleQueue()
    for url in urls:
        work.put(url)
    for _ in range(PARALLEL):
        work.put(None)
    host, port = urls[0].split("/")[2].split(":")

    def worker() -> None:
        connection: http.client.HTTPConnection
        if context is None:
            connection = http.client.HTTPConnection(host, int(port), timeout=30)
        else:
            connection = http.client.HTTPSConnection(
                host, int(port), timeout=30, context=context
            )
        while (url := work.get()) is not None:
            connection.request("GET", "/" + url.split("/", 3)[3])
            connection.getresponse().read()
        connection.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


class _Received:
    """The bytes of one response, as `http.client.HTTPResponse` reads a socket."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def makefile(self, mode: str) -> io.BytesIO:
        return io.BytesIO(self._data)


def _one_thread(urls: list[str], context: ssl.SSLContext | None) -> float:
    """One thread, 8 non-blocking connections: wall seconds for all URLs.

    The command's design with no deadlines, retries, checks or books: the
    floor under its figures. Each answer is parsed by
    `http.client.HTTPResponse`, as the baseline's and the command's are.
    """
    host, port = urls[0].split("/")[2].split(":")
    todo = iter(urls)
    selector = selectors.DefaultSelector()
    received: dict[socket.socket, bytes] = {}

    def send_next(sock: socket.socket) -> None:
        url = next(todo, None)
        if url is None:
            selector.unregister(sock)
            sock.close()
            return
        received[sock] = b""
        target = "/" + url.split("/", 3)[3]
        sock.setblocking(True)  # a request is small: sent whole, at once
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        sock.setblocking(False)

    start = time.perf_counter()
    for _ in range(PARALLEL):
        sock = socket.create_connection((host, int(port)))
        if context is not None:
            sock = context.wrap_socket(sock, server_hostname=host)
        selector.register(sock, selectors.EVENT_READ)
        send_next(sock)
    while selector.get_map():
        for key, _ in selector.select():
            sock = cast("socket.socket", key.fileobj)
            with contextlib.suppress(ssl.SSLWantReadError, BlockingIOError):
                received[sock] += sock.recv(65536)
            data = received[sock]
            head_end = data.find(b"\r\n\r\n") + 4
            if head_end < 4:
                continue
            reply = http.client.HTTPResponse(cast("socket.socket", _Received(data)))
            reply.begin()
            if len(data) - head_end < (reply.length or 0):
                continue  # the body is still on its way
            json.loads(reply.read())
            send_next(sock)
    return time.perf_counter() - start


def _command(url_file: str, environment: dict[str, str]) -> tuple[float, float]:
    """The command over the URL file: wall seconds, and its CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "taskstatus",
            "wait",
            "--from",
            url_file,
            "--rate",
            "100000",
            "--parallel",
            str(PARALLEL),
            "--quiet",
        ],
        env=environment,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode != 0:
        sys.exit(f"taskstatus wait exited with {run.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _measure(scheme: str, tasks: int, folder: Path) -> dict[str, float]:
    certificate = key = None
    environment = dict(os.environ)
    context = None
    if scheme == "https":
        import trustme  # noqa: PLC0415 - from the test extra

        authority = trustme.CA()
        issued = authority.issue_cert("127.0.0.1")
        certificate, key = str(folder / "cert.pem"), str(folder / "key.pem")
        issued.cert_chain_pems[0].write_to_path(certificate)
        issued.private_key_pem.write_to_path(key)
        authority.cert_pem.write_to_path(str(folder / "ca.pem"))
        environment["SSL_CERT_FILE"] = str(folder / "ca.pem")
        context = ssl.create_default_context(cafile=str(folder / "ca.pem"))
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    server = multiprocessing.Process(
        target=_serve, args=(ports, certificate, key), daemon=True
    )
    server.start()
    try:
        port: int = ports.get(timeout=30)
        urls = [f"{scheme}://127.0.0.1:{port}/tasks/{n}" for n in range(tasks)]
        url_file = folder / f"{scheme}.txt"
        url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
        one_url = folder / f"{scheme}-one.txt"
        one_url.write_text(urls[0] + "\n", encoding="utf-8")
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        startup, _ = _command(str(one_url), environment)
        baseline_wall = _baseline(urls, context)
        one_thread = _one_thread(urls, context)
        wall, cpu = _command(str(url_file), environment)
    finally:
        server.terminate()
        server.join()
    return {
        "wall": wall,
        "cpu": cpu,
        "baseline": baseline_wall,
        "startup": startup,
        "one_thread": one_thread,
    }


def main() -> int:
    """Print the figures of both schemes beside the targets; 1 if one is missed."""
    parser = argparse.ArgumentParser(description="the command against a baseline")
    parser.add_argument("--tasks", type=int, default=2000)
    tasks = parser.parse_args().tasks
    print(f"Python {sys.version.split()[0]}, {tasks} task URLs, {PARALLEL} in parallel")
    with tempfile.TemporaryDirectory() as folder:
        figures = {s: _measure(s, tasks, Path(folder)) for s in ("http", "https")}
    missed = 0
    for scheme, got in figures.items():
        ratio = got["wall"] / got["baseline"]
        per_request = got["cpu"] / tasks * 1e3
        ok = ratio <= 1.5
        missed += not ok
        print(
            f"{scheme:<5} command {got['wall']:6.2f} s wall ({got['startup']:4.2f} s "
            f"start-up), {per_request:5.2f} ms CPU a request; baseline "
            f"{got['baseline']:5.2f} s; ratio {ratio:5.2f} (target <= 1.5) "
            f"{'ok' if ok else 'MISSED'}"
        )
        print(
            f"      for reference: one thread, {PARALLEL} non-blocking connections "
            f"{got['one_thread']:5.2f} s ({got['one_thread'] / got['baseline']:4.2f}"
            " the baseline)"
        )
    https_cpu = figures["https"]["cpu"] / tasks * 1e3
    https_over_http = figures["https"]["wall"] / figures["http"]["wall"]
    for label, value, target in (
        ("https CPU a request (ms)", https_cpu, 0.5),
        ("https / http, the command's wall", https_over_http, 1.5),
    ):
        ok = value <= target
        missed += not ok
        verdict = "ok" if ok else "MISSED"
        print(f"{label:<34} {value:6.2f}  target <= {target:g}  {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

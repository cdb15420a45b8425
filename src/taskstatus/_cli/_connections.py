"""The command's connections: kept per origin, and cut when a request's time is up.

`Connections` keeps HTTP/1.1 connections open for the next request to the
same origin (scheme, host, port), so that polling ten thousand tasks does
not pay ten thousand TCP and TLS handshakes, nor make the API's servers pay
them. A connection is kept only after a request that went well to the end:
one that saw an error, a redirect to another origin, a body it did not read
to the end, or a deadline is closed.

A socket timeout bounds only each wait for bytes: a server that drips one
byte a second would hold a request for ever. So each request has a `Watch`
on its sockets, and one thread for the whole process, the keeper, shuts down
the sockets of every request whose time is up. A `Stopper` does the same at
once for every request in flight, when the command ends.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import math
import select
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Generator, Mapping

Origin = tuple[str, str, int]
"""Where a connection leads: scheme, host (IPv6 without brackets) and port."""


class Watch:
    """The sockets of one request, shut down when its time is up.

    Handed to the keeper, which calls `fire` at the deadline unless `stop`
    came first. A socket given back for reuse is `release`-d first, so that
    a late deadline can never cut a connection another request now uses.
    """

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._over = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        _KEEPER.keep(self, time.monotonic() + seconds)

    @property
    def over(self) -> bool:
        """Whether the request ended (`stop`) or was cut (`fire`)."""
        return self._over

    def watch(self, sock: socket.socket) -> None:
        """Cut ``sock`` when the time is up (at once if it is up already)."""
        with self._lock:
            self._sockets.append(sock)
            if self.fired:
                _cut(sock)

    def release(self, sock: socket.socket) -> bool:
        """Stop watching ``sock``; return False if it was cut already."""
        with self._lock:
            if self.fired:
                return False
            self._sockets.remove(sock)
            return True

    def fire(self) -> None:
        """Cut the sockets now: the time is up, or the command is ending."""
        with self._lock:
            if self._over:
                return
            self.fired = self._over = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _cut(sock)

    def stop(self) -> None:
        """Stop watching: the request is over."""
        with self._lock:
            ended, self._over = not self._over, True
        if ended:
            _KEEPER.forget()


def _cut(sock: socket.socket) -> None:
    """Shut a socket down, so that a read blocked on it returns at once."""
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


class _Keeper:
    """The one thread that fires each `Watch` whose time is up.

    The watches wait in a heap by deadline. A watch stopped in time stays in
    the heap until the heap is rebuilt without it, which happens once the
    stopped ones are the greater part: cheap, and the heap never grows
    beyond twice the requests in flight.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._heap: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()  # ties never compare two watches
        self._stopped = 0
        self._thread: threading.Thread | None = None
        self._wakes_at = math.inf  # when the keeper's sleep ends

    def keep(self, watch: Watch, deadline: float) -> None:
        """Fire ``watch`` at the ``deadline`` (on the monotonic clock)."""
        with self._condition:
            heapq.heappush(self._heap, (deadline, next(self._order), watch))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="taskstatus-deadlines", daemon=True
                )
                self._thread.start()
            elif deadline < self._wakes_at:  # wake only when due sooner
                self._wakes_at = deadline
                self._condition.notify()

    def forget(self) -> None:
        """Note that one watch in the heap was stopped."""
        with self._condition:
            self._stopped += 1
            if self._stopped > len(self._heap) // 2:
                self._heap = [entry for entry in self._heap if not entry[2].over]
                heapq.heapify(self._heap)
                self._stopped = 0

    def _run(self) -> None:
        while True:
            with self._condition:
                due: list[Watch] = []
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap)[2])
                if not due:
                    self._wakes_at = self._heap[0][0] if self._heap else math.inf
                    sleep = self._wakes_at - now if self._heap else None
                    self._condition.wait(sleep)
            for watch in due:
                watch.fire()


_KEEPER = _Keeper()


class Stopper:
    """Ends every request in flight and every retry's sleep, at once, for good.

    The command stops it on its way out, so that no request thread is still
    at work while the interpreter shuts down.
    """

    def __init__(self) -> None:
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._watches: set[Watch] = set()

    @property
    def stopped(self) -> bool:
        """Whether `stop` was called."""
        return self._stopped.is_set()

    def sleep(self, seconds: float) -> None:
        """Sleep, unless stopped or until stopped."""
        self._stopped.wait(seconds)

    def stop(self) -> None:
        """Cut every request in flight; later ones are cut as they start."""
        with self._lock:
            self._stopped.set()
            watches = list(self._watches)
        for watch in watches:
            watch.fire()

    @contextlib.contextmanager
    def watching(self, watch: Watch) -> Generator[None, None, None]:
        """Hold ``watch`` for the length of its request, to fire on `stop`."""
        with self._lock:
            self._watches.add(watch)
            stopped = self.stopped
        if stopped:
            watch.fire()
        try:
            yield
        finally:
            with self._lock:
                self._watches.discard(watch)


_tls_context: list[ssl.SSLContext] = []
_tls_context_lock = threading.Lock()


def tls_context() -> ssl.SSLContext:
    """The process's one TLS client context: the system's CAs, verification on.

    Made on first use, so that SSL_CERT_FILE and the like are read as
    `ssl.create_default_context` reads them, and only by commands that use
    HTTPS. A new context per request would load the CA store each time:
    milliseconds of CPU per request.
    """
    with _tls_context_lock:
        if not _tls_context:
            _tls_context.append(ssl.create_default_context())
        return _tls_context[0]


class _HTTPSConnection(http.client.HTTPConnection):
    """A connection whose TLS layer `Connections` adds, once its socket is watched.

    Not `http.client.HTTPSConnection`: that one shakes hands inside
    `connect`, before the socket can be watched, so a server dripping its
    handshake would escape the deadline.
    """

    default_port = http.client.HTTPS_PORT


class Connections:
    """Open HTTP/1.1 connections, kept per origin for the next request.

    At most ``limit`` are open at once: a request that needs one more closes
    the connection idle longest, or, with none idle, waits for one. The
    command's workers each make one request at a time, so with as many
    workers as ``limit`` nobody waits. Connections are thread-safe to share.
    """

    def __init__(self, *, limit: int = 1) -> None:
        self._limit = limit
        self._open = 0
        self._idle: OrderedDict[Origin, list[http.client.HTTPConnection]] = (
            OrderedDict()
        )
        self._condition = threading.Condition()
        self._closed = False

    def get(
        self,
        origin: Origin,
        target: str,
        headers: Mapping[str, str],
        *,
        watch: Watch,
        time_limit: float,
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Send ``GET target`` to ``origin``; return the connection and response.

        The response's headers are read; its body is the caller's to read,
        and `done` hands the connection back. A kept connection the server
        closed meanwhile is replaced, once, by a new one: a GET may be sent
        again.

        Raises:
            OSError, http.client.HTTPException: The request failed.
        """
        while True:
            connection, kept = self._take(origin)
            try:
                sock = connection.sock
                if sock is None:
                    sock = _connect(connection, origin, watch, time_limit)
                else:
                    watch.watch(sock)
                    sock.settimeout(time_limit)
                connection.request("GET", target, headers=dict(headers))
                return connection, connection.getresponse()
            except ConnectionError:
                self._drop(connection)
                if not kept or watch.over:
                    raise
            except BaseException:
                self._drop(connection)
                raise

    def done(
        self,
        origin: Origin,
        connection: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
        *,
        watch: Watch,
        keep: bool,
    ) -> None:
        """Hand a connection back after its response.

        It is kept for the next request to ``origin`` only with ``keep``, a
        body read to its end, a server that did not ask to close, and time
        left; otherwise it is closed.
        """
        sock = connection.sock
        reusable = (
            keep
            and sock is not None
            and response.isclosed()
            and not response.will_close
            and watch.release(sock)
        )
        if not reusable:
            response.close()
            self._drop(connection)
            return
        with self._condition:
            if self._closed:
                self._open -= 1
                connection.close()
                return
            self._idle.setdefault(origin, []).append(connection)
            self._idle.move_to_end(origin)
            self._condition.notify()

    def close(self) -> None:
        """Close the idle connections, and each one handed back from now on."""
        with self._condition:
            self._closed = True
            idle = [each for kept in self._idle.values() for each in kept]
            self._idle.clear()
            self._open -= len(idle)
            self._condition.notify_all()
        for connection in idle:
            connection.close()

    def _take(self, origin: Origin) -> tuple[http.client.HTTPConnection, bool]:
        """Return a kept connection to ``origin`` (True), or a new one (False)."""
        with self._condition:
            while True:
                # Looked for again after each wait: the connection handed
                # back may be one to this origin.
                kept = self._idle.get(origin)
                while kept:
                    connection = kept.pop()
                    if not kept:
                        del self._idle[origin]
                    if _quiet(connection):
                        return connection, True
                    self._open -= 1
                    connection.close()
                if self._open < self._limit:
                    break
                if self._idle:  # close the connection idle longest
                    oldest = next(iter(self._idle))
                    self._idle[oldest].pop(0).close()
                    if not self._idle[oldest]:
                        del self._idle[oldest]
                    self._open -= 1
                else:
                    self._condition.wait()
            self._open += 1
        scheme, host, port = origin
        kind = _HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        connection = kind(host, port)
        connection.auto_open = 0  # never reconnect behind our back, unwatched
        return connection, False

    def _drop(self, connection: http.client.HTTPConnection) -> None:
        connection.close()
        with self._condition:
            self._open -= 1
            self._condition.notify()


def _connect(
    connection: http.client.HTTPConnection,
    origin: Origin,
    watch: Watch,
    time_limit: float,
) -> socket.socket:
    """Open ``connection``'s socket, watched before any TLS handshake."""
    connection.timeout = time_limit
    connection.connect()
    sock = connection.sock
    if origin[0] == "https":
        sock = tls_context().wrap_socket(
            sock, server_hostname=origin[1], do_handshake_on_connect=False
        )
        connection.sock = sock
        watch.watch(sock)
        sock.do_handshake()
    else:
        watch.watch(sock)
    return sock


def _quiet(connection: http.client.HTTPConnection) -> bool:
    """Whether a kept connection is still open and has nothing to read.

    A server that closed it, or sent anything unasked (some send a 408 on
    an idle connection before they close it), makes it readable.
    """
    sock = connection.sock
    if sock is None:
        return False
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return False
    return not readable(sock)


def readable(sock: socket.socket) -> bool:
    """Whether a read from ``sock`` would return at once."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])  # Windows: no poll

"""The command's connections: non-blocking, kept per origin, driven by one selector.

`Connections` keeps HTTP/1.1 connections open for the next request to the
same origin (scheme, host, port), so that polling ten thousand tasks does
not pay ten thousand TCP and TLS handshakes, nor make the API's servers pay
them. A connection is kept only after a request that went well to the end:
one that saw an error, a redirect to another origin, a body it did not read
to the end, or a deadline is closed.

Every socket is non-blocking, and one `selectors` loop in the calling thread
moves them all: connecting, the TLS handshake, sending, and reading until
the response is whole. So a request's deadline holds for all of it, a
server dripping one byte a second included, with no thread to cut it; and
Ctrl-C, which Python raises in the main thread, ends the loop and every
request with it. What a request needs is a *task*: a generator that yields
an `Exchange` (send this, give me the response) or a number of seconds to
sleep, as `TaskEndpoint` and `RetryingFetch` do. `run` drives one task to
its end; `spawn` and `step` drive many at once, as a batch does.

Only host names are looked up in helper threads (`socket.getaddrinfo`
blocks); IP addresses are read at once.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import heapq
import http.client
import io
import itertools
import os
import select
import selectors
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Generator, Mapping, Sequence
from typing import Callable, NamedTuple, TypeVar, Union, cast

Origin = tuple[str, str, int]
"""Where a connection leads: scheme, host (IPv6 without brackets) and port."""

T = TypeVar("T")

MAX_HEAD_BYTES = 65536 * 101
"""The most bytes of a response head read before `http.client` judges it: its
limits are 100 header lines of 64 KiB each."""

LOOK_UP_THREAD = "taskstatus-lookup"
"""The name of the helper threads that look host names up."""

_RECEIVE_BYTES = 65536


class Exchange(NamedTuple):
    """One request a task asks for: the response comes back, whole, or an error."""

    origin: Origin
    target: str
    headers: Mapping[str, str]
    deadline: float
    """When the response must be whole, on the clock of the `Connections`
    (`time.monotonic`, unless they were given another)."""
    body_cap: int
    """The most body bytes read; one more marks the body as too long."""


Step = Union[Exchange, float]
"""What a task yields: an exchange to make, or seconds to sleep."""

Task = Generator[Step, object, T]
"""A request's logic, without I/O: sent back each exchange's ``(connection,
response)``, or thrown its error."""


class TimeUp(TimeoutError):
    """The exchange's deadline came before its response was whole."""


class Lent(NamedTuple):
    """A connection lent with its response, until `give_back` returns it."""

    connection: _Connection
    response: http.client.HTTPResponse
    pool: Connections

    def give_back(self, *, keep: bool) -> None:
        """Hand the connection back to its pool (see `Connections.done`)."""
        self.pool.done(self, keep=keep)


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


class _Buffer(io.BytesIO):
    """The bytes of one response, for `http.client.HTTPResponse` to read.

    A response's close flushes its file first. A response and its buffer
    that the garbage collector finds together are finalized in either
    order, so flushing a closed buffer does nothing instead of raising.
    """

    def flush(self) -> None:
        if not self.closed:
            super().flush()


class _Received:
    """Bytes received, offered to `http.client.HTTPResponse` as its socket."""

    def __init__(self, data: _Buffer) -> None:
        self._data = data

    def makefile(self, mode: str) -> _Buffer:
        return self._data


def _parsed_head(data: _Buffer) -> http.client.HTTPResponse:
    """`http.client`'s reading of the status line and headers in ``data``.

    Raises:
        http.client.HTTPException, ValueError: As `HTTPResponse.begin` does.
    """
    response = http.client.HTTPResponse(_Received(data))  # type: ignore[arg-type]
    response.begin()
    return response


def _request_bytes(exchange: Exchange) -> bytes:
    """The request line and headers of ``exchange``, as `http.client` writes them."""
    scheme, host, port = exchange.origin
    shown_host = f"[{host}]" if ":" in host else host
    if port != (443 if scheme == "https" else 80):
        shown_host = f"{shown_host}:{port}"
    lines = [
        f"GET {exchange.target} HTTP/1.1",
        f"Host: {shown_host}",
        "Accept-Encoding: identity",
        *(f"{name}: {value}" for name, value in exchange.headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Framing:
    """Where a response ends, worked out from the bytes received so far.

    `http.client` parses the head, once, and judges the response as it
    would have from a socket: `response` hands it the body.
    """

    def __init__(self) -> None:
        self.head_end = 0  # 0: the head is not whole yet
        self._head_read: http.client.HTTPResponse | None = None
        self._buffer = _Buffer()  # what http.client reads the response from
        self._head_refused: Exception | None = None  # why http.client did
        self.length: int | None = None  # body bytes expected, if known
        self.chunked = False
        self.end: int | None = None  # where the response ends, once known
        self._chunk_at = 0  # where the next chunk's size line starts
        self._chunk_bytes = 0  # body bytes in the chunks read so far

    def whole(self, data: bytearray, cap: int, *, closed: bool) -> bool:
        """Whether ``data`` holds enough to judge: all of it, or over ``cap``."""
        if not self.head_end and not self._head(data):
            return closed or len(data) > MAX_HEAD_BYTES
        if closed:
            return True
        if self.chunked:
            return self._chunks(data, cap)
        if self.length is None:  # the body ends when the server closes
            return len(data) - self.head_end > cap
        return len(data) - self.head_end >= min(self.length, cap + 1)

    def _head(self, data: bytearray) -> bool:
        while True:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                return False
            if not data.startswith(b"HTTP/1.1 100 ") and not data.startswith(
                b"HTTP/1.0 100 "
            ):
                break
            del data[: end + 4]  # 100 Continue: http.client skips it too
        self.head_end = end + 4
        self._buffer = _Buffer(data[: self.head_end])
        try:
            reply = _parsed_head(self._buffer)
        except (http.client.HTTPException, ValueError) as refused:
            self._head_refused = refused  # raised by response()
            self.length = 0
            return True
        self._head_read = reply
        self.chunked = bool(reply.chunked)
        self.length = reply.length
        if self.length is not None and not self.chunked:
            self.end = self.head_end + self.length
        self._chunk_at = self.head_end
        return True

    def response(self, data: bytearray) -> http.client.HTTPResponse:
        """The response in ``data``, once `whole` says it is, to be read.

        Raises:
            http.client.HTTPException, ValueError: As `HTTPResponse.begin` does.
        """
        if self._head_refused is not None:
            raise self._head_refused
        head = self._head_read
        if head is None:  # closed, or too long, before the head was whole
            return _parsed_head(_Buffer(data))
        # http.client has read the buffer up to the head's end: the body
        # goes after it, for the response to read next.
        buffer = self._buffer
        buffer.seek(0, io.SEEK_END)
        buffer.write(data[self.head_end :])
        buffer.seek(self.head_end)
        return head

    def _chunks(self, data: bytearray, cap: int) -> bool:
        while self._chunk_bytes <= cap:
            line_end = data.find(b"\r\n", self._chunk_at)
            if line_end < 0:
                return False
            size_text = bytes(data[self._chunk_at : line_end]).split(b";", 1)[0]
            try:
                size = int(size_text, 16)
            except ValueError:
                return True  # not chunked as it claims: http.client says so
            if size == 0:  # the last chunk, then trailers up to an empty line
                trailers_end = data.find(b"\r\n\r\n", line_end)
                if trailers_end < 0:
                    return False
                self.end = trailers_end + 4
                return True
            next_at = line_end + 2 + size + 2
            if len(data) < next_at:
                arrived = min(len(data) - line_end - 2, size)
                return self._chunk_bytes + arrived > cap
            self._chunk_bytes += size
            self._chunk_at = next_at
        return True


class _Connection:
    """One connection, and the exchange it carries, if any."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.sock: socket.socket | None = None
        self.events = 0  # what the selector watches for, once registered
        self.kept = False  # it answered an exchange whole: it may be stale
        self.exchange: Exchange | None = None
        self.reply: Callable[[object], None] | None = None
        self.addresses: list[tuple[int, int, int, object]] = []
        self.stage = "resolve"  # then connect, handshake, send, receive, lent, idle
        self.outgoing = b""
        self.received = bytearray()
        self.framing = _Framing()
        self.extra = False  # bytes past the response, or none to frame it


_Reply = Callable[[object], None]
_Addresses = Sequence[tuple[int, int, int, str, object]]
"""What `socket.getaddrinfo` returns."""


class Connections:
    """Open HTTP/1.1 connections, kept per origin, and the loop that moves them.

    At most ``limit`` are open at once: an exchange that needs one more
    closes the connection idle longest, or, with none idle, waits for one
    to be handed back. One thread drives it: it is not thread-safe.
    """

    def __init__(
        self, *, limit: int = 1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._clock = clock
        self._open: set[_Connection] = set()
        self._idle: OrderedDict[Origin, list[_Connection]] = OrderedDict()
        self._waiting: collections.deque[tuple[Exchange, _Reply]] = collections.deque()
        self._selector = selectors.DefaultSelector()
        # Each exchange's deadline, with what carries it (None: waiting for
        # a connection). Entries whose exchange ended stay until they come
        # up, or until they are the greater part and the heap is rebuilt.
        self._deadlines: list[tuple[float, int, _Connection | None, Exchange]] = []
        self._timers: list[tuple[float, int, Callable[[], object]]] = []
        self._order = itertools.count()  # ties never compare the rest
        self._looked_up: list[tuple[_Connection, object]] = []
        self._look_up_lock = threading.Lock()
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self._closed = False

    # --- driving tasks ------------------------------------------------------

    def run(self, task: Task[T], *, sleep: Callable[[float], object] = time.sleep) -> T:
        """Drive ``task`` to its end, sleeping with ``sleep``; return its value.

        Raises:
            Whatever ``task`` raises.
        """
        sent: object = None
        thrown: BaseException | None = None
        while True:
            try:
                step = task.send(sent) if thrown is None else task.throw(thrown)
            except StopIteration as end:
                value: T = end.value
                return value
            if not isinstance(step, Exchange):
                sent, thrown = None, None
                sleep(step)
                continue
            outcome: list[object] = []
            self.start(step, outcome.append)
            while not outcome:
                self.step(None)
            sent, thrown = None, None
            if isinstance(outcome[0], BaseException):
                thrown = outcome[0]
            else:
                sent = outcome[0]

    def spawn(
        self, task: Task[T], done: Callable[[T | None, Exception | None], object]
    ) -> None:
        """Start ``task``; `step` moves it on, and ``done`` has its value or error."""
        self._resume(task, None, None, done)

    def _resume(
        self,
        task: Task[T],
        sent: object,
        thrown: BaseException | None,
        done: Callable[[T | None, Exception | None], object],
    ) -> None:
        try:
            step = task.send(sent) if thrown is None else task.throw(thrown)
        except StopIteration as end:
            done(end.value, None)
            return
        except Exception as error:  # noqa: BLE001 - the task's own failure
            done(None, error)
            return

        def answer(outcome: object) -> None:
            if isinstance(outcome, BaseException):
                self._resume(task, None, outcome, done)
            else:
                self._resume(task, outcome, None, done)

        if isinstance(step, Exchange):
            self.start(step, answer)
        else:
            self.call_later(step, lambda: answer(None))

    def call_later(self, seconds: float, callback: Callable[[], object]) -> None:
        """Have `step` call ``callback`` once ``seconds`` have passed."""
        when = self._clock() + seconds
        heapq.heappush(self._timers, (when, next(self._order), callback))

    def step(self, timeout: float | None) -> None:
        """Move whatever is ready, waiting ``timeout`` seconds at most for it.

        None waits until an exchange or a timer is due.
        """
        wait = timeout
        due = self._next_due()
        if due is not None:
            until_due = max(0.0, due - self._clock())
            wait = until_due if wait is None else min(wait, until_due)
        for key, _ in self._selector.select(wait):
            if key.data is None:
                self._take_looked_up()
            else:
                self._move(key.data)
        now = self._clock()
        self._expire(now)
        while self._timers and self._timers[0][0] <= now:
            heapq.heappop(self._timers)[2]()

    def _next_due(self) -> float | None:
        """When the next deadline or timer comes, if any.

        The deadline may be one of an exchange over already: `_expire` lets
        it go then, for the price of a wake-up.
        """
        soonest = [heap[0][0] for heap in (self._deadlines, self._timers) if heap]
        return min(soonest) if soonest else None

    # --- exchanges ----------------------------------------------------------

    def start(self, exchange: Exchange, reply: _Reply) -> None:
        """Begin ``exchange``; from `step`, ``reply`` has a `Lent` or the error."""
        if self._closed:
            reply(ConnectionAbortedError("the connections are closed"))
            return
        connection = self._take(exchange.origin)
        if connection is None:
            self._waiting.append((exchange, reply))
            self._watch(exchange, None)
        else:
            self._begin(connection, exchange, reply)

    def done(self, lent: Lent, *, keep: bool) -> None:
        """Hand a connection back after its response.

        It is kept for the next exchange to its origin only with ``keep``, a
        body read to its end and nothing received past it, and a server
        that did not ask to close; otherwise it is closed.
        """
        connection, response, _ = lent
        if (
            keep
            and not self._closed
            and response.isclosed()
            and not response.will_close
            and not connection.extra
        ):
            connection.exchange = connection.reply = None
            connection.stage = "idle"
            self._want(connection, selectors.EVENT_READ)  # watched for a close
            self._idle.setdefault(connection.origin, []).append(connection)
            self._idle.move_to_end(connection.origin)
        else:
            response.close()
            self._drop(connection)
        self._serve_waiting()

    def close(self) -> None:
        """Close every connection, idle or in use; exchanges after fail at once.

        The exchanges in flight are dropped: their tasks hear nothing more.
        """
        self._closed = True
        for connection in list(self._open):
            self._drop(connection)
        self._idle.clear()
        self._waiting.clear()
        self._timers.clear()
        self._selector.close()
        if self._wake is not None:
            for end in self._wake:
                end.close()

    def _take(self, origin: Origin) -> _Connection | None:
        """A kept connection to ``origin``, a new one, or None at the limit."""
        kept = self._idle.get(origin)
        while kept:
            connection = kept.pop()
            if not kept:
                del self._idle[origin]
            if _quiet(connection):
                return connection
            self._drop(connection)
            kept = self._idle.get(origin)
        if len(self._open) >= self._limit:
            if not self._idle:
                return None
            oldest = next(iter(self._idle))  # close the connection idle longest
            self._drop(self._idle[oldest].pop(0))
            if not self._idle[oldest]:
                del self._idle[oldest]
        connection = _Connection(origin)
        self._open.add(connection)
        return connection

    def _serve_waiting(self) -> None:
        """Give the connections free now to the exchanges waiting, in turn."""
        while self._waiting:
            exchange, reply = self._waiting[0]
            connection = self._take(exchange.origin)
            if connection is None:
                return
            self._waiting.popleft()
            self._begin(connection, exchange, reply)

    def _begin(
        self, connection: _Connection, exchange: Exchange, reply: _Reply
    ) -> None:
        connection.exchange = exchange
        connection.reply = reply
        connection.outgoing = _request_bytes(exchange)
        connection.received = bytearray()
        connection.framing = _Framing()
        self._watch(exchange, connection)
        if connection.sock is None:
            self._resolve(connection)
        else:  # kept: send at once
            connection.stage = "send"
            self._move(connection)

    def _watch(self, exchange: Exchange, holder: _Connection | None) -> None:
        """Keep ``exchange``'s deadline, and rebuild the heap when mostly over."""
        deadlines = self._deadlines
        heapq.heappush(
            deadlines, (exchange.deadline, next(self._order), holder, exchange)
        )
        if len(deadlines) > 64 + 2 * (len(self._open) + len(self._waiting)):
            deadlines[:] = [entry for entry in deadlines if self._active(entry)]
            heapq.heapify(deadlines)

    def _active(self, entry: tuple[float, int, _Connection | None, Exchange]) -> bool:
        """Whether the exchange of a deadline entry is still under way."""
        _, _, holder, exchange = entry
        if holder is None:
            return any(waiting is exchange for waiting, _ in self._waiting)
        return holder.exchange is exchange

    def _expire(self, now: float) -> None:
        """Fail every exchange whose deadline has come."""
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= now:
            entry = heapq.heappop(deadlines)
            if not self._active(entry):
                continue
            _, _, holder, exchange = entry
            if holder is not None:
                self._fail(holder, TimeUp("no complete response in time"))
                continue
            waiting = next(each for each in self._waiting if each[0] is exchange)
            self._waiting.remove(waiting)
            waiting[1](TimeUp("no connection free in time"))

    def _fail(self, connection: _Connection, error: BaseException) -> None:
        reply = connection.reply
        assert reply is not None  # each connection failed carries an exchange
        self._drop(connection)
        reply(error)
        self._serve_waiting()

    def _drop(self, connection: _Connection) -> None:
        """Close ``connection`` and forget it."""
        connection.exchange = connection.reply = None
        self._open.discard(connection)
        self._close_socket(connection)

    def _close_socket(self, connection: _Connection) -> None:
        sock, connection.sock = connection.sock, None
        if sock is None:
            return
        if connection.events:
            self._selector.unregister(sock)
            connection.events = 0
        sock.close()

    def _want(self, connection: _Connection, events: int) -> None:
        """Have the selector watch ``connection`` for ``events``."""
        if events == connection.events:
            return
        if connection.events:
            self._selector.modify(connection.sock, events, connection)  # type: ignore[arg-type]
        else:
            self._selector.register(connection.sock, events, connection)  # type: ignore[arg-type]
        connection.events = events

    # --- looking up and connecting ------------------------------------------

    def _resolve(self, connection: _Connection) -> None:
        connection.stage = "resolve"
        _, host, port = connection.origin
        try:  # an IP address needs no lookup
            found = socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
            )
        except socket.gaierror:
            if self._wake is None:
                self._wake = socket.socketpair()
                for end in self._wake:
                    end.setblocking(False)
                self._selector.register(self._wake[0], selectors.EVENT_READ, None)
            thread = threading.Thread(
                target=self._look_up,
                args=(connection,),
                name=LOOK_UP_THREAD,
                daemon=True,
            )
            thread.start()
            return
        self._connect(connection, found)

    def _look_up(self, connection: _Connection) -> None:
        """In a helper thread: look the host up, then wake the loop."""
        _, host, port = connection.origin
        found: object
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            found = error
        with self._look_up_lock:
            self._looked_up.append((connection, found))
        assert self._wake is not None
        with contextlib.suppress(OSError):  # closed meanwhile: the command ends
            self._wake[1].send(b"x")

    def _take_looked_up(self) -> None:
        assert self._wake is not None
        with contextlib.suppress(BlockingIOError):
            self._wake[0].recv(4096)
        with self._look_up_lock:
            looked_up, self._looked_up = self._looked_up, []
        for connection, found in looked_up:
            if connection.exchange is None:  # timed out, or closed, meanwhile
                continue
            if isinstance(found, BaseException):
                self._fail(connection, found)
            else:
                self._connect(connection, cast("_Addresses", found))

    def _connect(self, connection: _Connection, found: _Addresses) -> None:
        connection.addresses = [(f, t, p, address) for f, t, p, _, address in found]
        self._next_address(connection, OSError("the host has no address"))

    def _next_address(self, connection: _Connection, error: BaseException) -> None:
        """Connect to the host's next address; past the last, fail with ``error``."""
        self._close_socket(connection)
        if not connection.addresses:
            self._fail(connection, error)
            return
        family, kind, protocol, address = connection.addresses.pop(0)
        sock = socket.socket(family, kind, protocol)
        sock.setblocking(False)
        connection.sock = sock
        connection.stage = "connect"
        code = sock.connect_ex(address)  # type: ignore[arg-type]
        if code not in (0, errno.EINPROGRESS):
            self._next_address(connection, OSError(code, os.strerror(code)))
            return
        self._want(connection, selectors.EVENT_WRITE)

    # --- moving bytes -------------------------------------------------------

    def _move(self, connection: _Connection) -> None:
        """Do what ``connection``'s stage can do now."""
        stage = connection.stage
        try:
            self._advance(connection)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError) as wait:
            wanted = isinstance(wait, ssl.SSLWantReadError)
            self._want(
                connection, selectors.EVENT_READ if wanted else selectors.EVENT_WRITE
            )
        except (OSError, http.client.HTTPException) as error:
            if stage == "connect" and connection.stage == "connect":
                self._next_address(connection, error)
            elif (
                isinstance(error, ConnectionError)
                and connection.kept
                and not connection.received
                and connection.exchange is not None
            ):
                self._send_again(connection)
            else:
                self._fail(connection, error)

    def _advance(self, connection: _Connection) -> None:
        sock = connection.sock
        assert sock is not None
        if connection.stage == "connect":
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                raise OSError(code, os.strerror(code))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if connection.origin[0] == "https":
                self._selector.unregister(sock)
                connection.events = 0
                sock = connection.sock = tls_context().wrap_socket(
                    sock,
                    server_hostname=connection.origin[1],
                    do_handshake_on_connect=False,
                )
                connection.stage = "handshake"
            else:
                connection.stage = "send"
        if connection.stage == "handshake":
            assert isinstance(sock, ssl.SSLSocket)
            sock.do_handshake()
            connection.stage = "send"
        if connection.stage == "send":
            while connection.outgoing:
                try:
                    sent = sock.send(connection.outgoing)
                except BlockingIOError:
                    self._want(connection, selectors.EVENT_WRITE)
                    return
                connection.outgoing = connection.outgoing[sent:]
            connection.stage = "receive"
            self._want(connection, selectors.EVENT_READ)
            # What is here already (a kept connection's answer, rarely) is
            # read on the next event: reading now would cost a failed recv.
            return
        if connection.stage == "receive":
            self._receive(connection, sock)
        elif connection.stage == "lent":  # its borrower hears of it when done
            self._selector.unregister(sock)
            connection.events = 0
        else:  # idle, and closed by the server or sent bytes unasked
            self._forget_idle(connection)

    def _forget_idle(self, connection: _Connection) -> None:
        kept = self._idle[connection.origin]
        kept.remove(connection)
        if not kept:
            del self._idle[connection.origin]
        self._drop(connection)

    def _receive(self, connection: _Connection, sock: socket.socket) -> None:
        exchange = connection.exchange
        assert exchange is not None
        received = connection.received
        # One read a readiness: 64 KiB is more than a TLS record, so the
        # TLS layer keeps nothing back that the selector cannot see.
        try:
            chunk = sock.recv(_RECEIVE_BYTES)
        except (BlockingIOError, ssl.SSLWantReadError):
            return
        closed = not chunk
        received += chunk
        if closed and not received:
            raise http.client.RemoteDisconnected(
                "Remote end closed connection without response"
            )
        framing = connection.framing
        if not framing.whole(received, exchange.body_cap, closed=closed):
            return
        response = framing.response(received)
        connection.kept = True
        connection.stage = "lent"
        connection.extra = closed or framing.end != len(received)
        reply = connection.reply
        assert reply is not None
        reply(Lent(connection, response, self))

    def _send_again(self, connection: _Connection) -> None:
        """A kept connection the server closed meanwhile: once more, on a new one.

        A GET may be sent again; a new connection that fails is not retried.
        """
        exchange, reply = connection.exchange, connection.reply
        assert exchange is not None
        assert reply is not None
        self._drop(connection)
        fresh = _Connection(exchange.origin)
        self._open.add(fresh)
        self._begin(fresh, exchange, reply)


def _quiet(connection: _Connection) -> bool:
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

# pyright: reportPrivateUsage=false
"""The command's request layer: connections kept per origin, and when not.

The test servers count the connections they accept: reuse is what they
saw, not what the client claims.
"""

from __future__ import annotations

import importlib.metadata
import json
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import trustme

from helpers import FAST, Reply, ScriptedServer, redirect, serving, taskstatus
from taskstatus._cli import _connections, _http
from taskstatus._cli._connections import Connections, Exchange, Lent, TimeUp, readable
from taskstatus._cli._http import FetchError, TaskEndpoint
from taskstatus.testing import FakeClock


@pytest.fixture
def kept() -> Iterator[ScriptedServer]:
    """A scripted server that keeps connections open between requests."""
    with serving(ScriptedServer(keep_alive=True)) as server:
        yield server


@pytest.fixture
def other_kept() -> Iterator[ScriptedServer]:
    """A second keep-alive server: another origin."""
    with serving(ScriptedServer(keep_alive=True)) as server:
        yield server


def _fetch(
    endpoint: TaskEndpoint, times: int = 1, *, time_limit: float = 10
) -> list[object]:
    return [endpoint.get_json(time_limit=time_limit).body for _ in range(times)]


def test_polls_of_one_origin_share_one_connection(kept: ScriptedServer) -> None:
    """Five polls, and two tasks of one origin, cost one connection."""
    connections = Connections()
    first = TaskEndpoint(kept.url + "/a", connections=connections)
    second = TaskEndpoint(kept.url + "/b", connections=connections)
    _fetch(first, 5)
    _fetch(second, 2)
    connections.close()
    assert (7, 1) == (len(kept.seen), kept.connections)


def test_without_connections_each_request_opens_its_own(kept: ScriptedServer) -> None:
    """An endpoint given no `Connections` closes its connection after each GET."""
    endpoint = TaskEndpoint(kept.url)
    _fetch(endpoint, 3)
    assert (3, 3) == (len(kept.seen), kept.connections)


def test_a_server_that_asks_to_close_is_obeyed(task_server: ScriptedServer) -> None:
    """``Connection: close`` from the server: the next request opens anew."""
    connections = Connections()
    _fetch(TaskEndpoint(task_server.url, connections=connections), 3)
    connections.close()
    assert (3, 3) == (len(task_server.seen), task_server.connections)


def test_one_url_wait_polls_over_one_connection(kept: ScriptedServer) -> None:
    """The one-URL command keeps its connection from poll to poll."""
    kept.script("PENDING", "RUNNING", "PENDING", "COMPLETED")
    run = taskstatus("wait", kept.url, *FAST)
    assert 0 == run.returncode, run.stderr
    assert (4, 1) == (len(kept.seen), kept.connections)


def test_a_batch_uses_at_most_parallel_connections(
    kept: ScriptedServer, tmp_path: Path
) -> None:
    """Forty tasks polled three times each, over at most --parallel connections."""
    for n in range(40):
        kept.script("PENDING", "RUNNING", "COMPLETED", path=f"/t/{n}")
    url_file = tmp_path / "urls.txt"
    url_file.write_text("".join(f"{kept.url}/t/{n}\n" for n in range(40)))
    run = taskstatus(
        "wait", "--from", str(url_file), *FAST, "--parallel", "3", "--rate", "1000"
    )
    assert 0 == run.returncode, run.stderr
    assert 120 == len(kept.seen)
    assert 1 <= kept.connections <= 3
    assert kept.most_open_connections <= 3


def test_https_polls_share_one_tls_connection(
    tls_server: tuple[ScriptedServer, dict[str, str]],
) -> None:
    """Over HTTPS too: one TLS handshake for every poll, verified."""
    server, env = tls_server
    server.keep_alive = True
    server.script("PENDING", "PENDING", "COMPLETED")
    url = server.url.replace("http://", "https://")
    run = taskstatus("wait", url, *FAST, env=env)
    assert 0 == run.returncode, run.stderr
    assert (3, 1) == (len(server.seen), server.connections)


@pytest.mark.parametrize(
    "reply",
    [
        Reply({}, status=503),
        Reply({}, status=404),
        Reply(b"<html>not JSON</html>"),
        redirect("ftp://elsewhere/"),
    ],
    ids=["HTTP 503", "HTTP 404", "not JSON", "refused redirect"],
)
def test_no_reuse_after_an_error(kept: ScriptedServer, reply: Reply) -> None:
    """A connection that saw an HTTP error or a refused redirect is closed.

    A body that is not JSON was read to its end: the connection is sound,
    and kept.
    """
    kept.script(reply, "COMPLETED")
    connections = Connections()
    endpoint = TaskEndpoint(kept.url, connections=connections)
    with pytest.raises(FetchError):
        endpoint.get_json(time_limit=10)
    assert [{"status": "COMPLETED"}] == _fetch(endpoint)
    connections.close()
    sound = reply.status == 200
    assert (2, 1 if sound else 2) == (len(kept.seen), kept.connections)


def test_a_redirect_to_another_origin_drops_the_connection(
    kept: ScriptedServer, other_kept: ScriptedServer
) -> None:
    """The first origin's connection is closed; the second one's is kept."""
    kept.script(redirect(other_kept.url + "/there"))
    connections = Connections(limit=2)
    endpoint = TaskEndpoint(kept.url, connections=connections)
    _fetch(endpoint, 2)
    connections.close()
    assert (2, 2) == (len(kept.seen), kept.connections)
    assert (2, 1) == (len(other_kept.seen), other_kept.connections)


def test_a_redirect_within_the_origin_keeps_the_connection(
    kept: ScriptedServer,
) -> None:
    """Redirect and target share the one connection."""
    kept.script(redirect("/there"), path="/here")
    connections = Connections()
    _fetch(TaskEndpoint(kept.url + "/here", connections=connections), 2)
    connections.close()
    assert (4, 1) == (len(kept.seen), kept.connections)


def test_an_unread_body_drops_the_connection(
    kept: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A body over the cap is left unread: its connection is never reused."""
    monkeypatch.setattr(_http, "MAX_BODY_BYTES", 10)
    kept.script(Reply({"status": "PENDING", "padding": "x" * 100}))
    connections = Connections()
    endpoint = TaskEndpoint(kept.url, connections=connections)
    for _ in range(2):
        with pytest.raises(FetchError, match="larger than 10 bytes"):
            endpoint.get_json(time_limit=10)
    connections.close()
    assert (2, 2) == (len(kept.seen), kept.connections)


def test_a_cut_request_is_not_retried_on_a_fresh_connection(
    kept: ScriptedServer,
) -> None:
    """A kept connection cut at the deadline ends the request: no second try.

    Sending again would give the request a second time limit.
    """
    kept.script("PENDING", Reply({"status": "COMPLETED"}, hang=60))
    connections = Connections()
    endpoint = TaskEndpoint(kept.url, connections=connections)
    _fetch(endpoint)
    with pytest.raises(FetchError, match=r"no complete response .* in time"):
        endpoint.get_json(time_limit=0.3)
    kept.script("COMPLETED")
    _fetch(endpoint)  # and the cut connection was not kept
    connections.close()
    assert (3, 2) == (len(kept.seen), kept.connections)


def test_a_kept_connection_the_server_dropped_is_replaced(
    kept: ScriptedServer,
) -> None:
    """A server that hangs up on a kept connection costs a new one, once."""
    # The second request reaches the kept connection and gets no answer.
    kept.script("PENDING", Reply(raw=b""), "COMPLETED")
    connections = Connections()
    endpoint = TaskEndpoint(kept.url, connections=connections)
    assert [{"status": "PENDING"}, {"status": "COMPLETED"}] == _fetch(endpoint, 2)
    connections.close()
    assert (3, 2) == (len(kept.seen), kept.connections)


def test_a_new_connection_that_fails_is_not_retried(kept: ScriptedServer) -> None:
    """Only a kept connection is given a second chance."""
    kept.script(Reply(raw=b""), "COMPLETED")
    endpoint = TaskEndpoint(kept.url, connections=Connections())
    with pytest.raises(FetchError, match=r"connection to .* failed"):
        endpoint.get_json(time_limit=10)
    assert 1 == len(kept.seen)


def test_a_connection_closed_while_idle_is_not_used(kept: ScriptedServer) -> None:
    """An idle connection the server closed is seen closed, and replaced."""
    kept.script(Reply({"status": "PENDING"}, hang_up=True), "COMPLETED")
    connections = Connections()
    endpoint = TaskEndpoint(kept.url, connections=connections)
    _fetch(endpoint)
    [idle] = connections._idle[_origin(kept)]
    assert idle.sock is not None
    for _ in range(1000):  # until the server's close has arrived
        if readable(idle.sock):
            break
        time.sleep(0.01)
    assert [{"status": "COMPLETED"}] == _fetch(endpoint)
    connections.close()
    assert (2, 2) == (len(kept.seen), kept.connections)


# --- the pool's own rules ---------------------------------------------------


def _origin(server: ScriptedServer) -> _connections.Origin:
    return ("http", "127.0.0.1", server.server_address[1])


def _exchange(server: ScriptedServer, *, time_limit: float = 10) -> Exchange:
    deadline = time.monotonic() + time_limit
    return Exchange(_origin(server), "/", {}, deadline, 1000)


def _outcome(connections: Connections, outcome: list[object]) -> object:
    """Move the connections until an exchange's outcome is in."""
    while not outcome:
        connections.step(None)
    return outcome[0]


def _lend(connections: Connections, server: ScriptedServer) -> Lent:
    """One exchange to ``server``: its response, read, and its connection lent."""
    outcome: list[object] = []
    connections.start(_exchange(server), outcome.append)
    lent = _outcome(connections, outcome)
    assert isinstance(lent, Lent)
    lent.response.read()
    return lent


def test_the_limit_closes_the_connection_idle_longest(
    kept: ScriptedServer, other_kept: ScriptedServer
) -> None:
    """With a limit of one, another origin's request closes the idle one."""
    connections = Connections(limit=1)
    for server in (kept, other_kept, kept):
        _lend(connections, server).give_back(keep=True)
    connections.close()
    assert (2, 1) == (kept.connections, other_kept.connections)


def test_the_limit_makes_an_exchange_wait_for_a_connection(
    kept: ScriptedServer,
) -> None:
    """With every connection in use, an exchange waits for one to be handed back."""
    connections = Connections(limit=1)
    lent = _lend(connections, kept)
    second: list[object] = []
    connections.start(_exchange(kept), second.append)
    connections.step(0.05)
    assert [] == second
    lent.give_back(keep=True)  # handed on, not reopened
    reply = _outcome(connections, second)
    assert isinstance(reply, Lent)
    assert 200 == reply.response.status
    connections.close()
    assert (2, 1) == (len(kept.seen), kept.connections)


def test_an_exchange_waiting_past_its_deadline_fails(kept: ScriptedServer) -> None:
    """No connection free before the deadline: the exchange fails, nothing is sent."""
    connections = Connections(limit=1)
    lent = _lend(connections, kept)
    waiting: list[object] = []
    connections.start(_exchange(kept, time_limit=0.01), waiting.append)
    assert isinstance(_outcome(connections, waiting), TimeUp)
    lent.give_back(keep=True)
    connections.close()
    assert 1 == len(kept.seen)


def test_closed_connections_take_nothing_more(kept: ScriptedServer) -> None:
    """After close(), a connection handed back is closed; a new exchange fails."""
    connections = Connections(limit=2)
    lent = _lend(connections, kept)
    connections.close()
    lent.give_back(keep=True)
    assert lent.connection.sock is None
    later: list[object] = []
    connections.start(_exchange(kept), later.append)
    assert isinstance(later[0], ConnectionAbortedError)


def test_a_connection_with_tls_bytes_waiting_is_not_quiet(tmp_path: Path) -> None:
    """Bytes the TLS layer holds already make a kept connection unusable."""
    authority = trustme.CA()
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("localhost").configure_cert(server_context)  # pyright: ignore[reportUnknownMemberType]
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)  # pyright: ignore[reportUnknownMemberType]
    ours, theirs = socket.socketpair()
    client = client_context.wrap_socket(
        ours, server_hostname="localhost", do_handshake_on_connect=False
    )
    server = server_context.wrap_socket(
        theirs, server_side=True, do_handshake_on_connect=False
    )
    shake = threading.Thread(target=server.do_handshake)
    shake.start()
    client.do_handshake()
    shake.join(10)
    origin = ("https", "localhost", 443)
    with client, server:
        connection = _connections._Connection(origin)
        connection.sock = client
        server.sendall(b"answer")  # read with the session tickets before it
        assert b"answer" == client.recv(6)
        assert _connections._quiet(connection)
        server.sendall(b"unasked")  # one TLS record
        assert b"u" == client.recv(1)
        assert client.pending()  # the rest is in the TLS layer, not the socket
        assert not _connections._quiet(connection)
    assert not _connections._quiet(_connections._Connection(origin))


@pytest.mark.parametrize("has_poll", [True, False], ids=["poll", "select"])
def test_readable(monkeypatch: pytest.MonkeyPatch, has_poll: bool) -> None:
    """readable() is right with poll() and without it (Windows)."""
    if not has_poll:
        monkeypatch.delattr(select, "poll", raising=False)
    ours, theirs = socket.socketpair()
    with ours, theirs:
        assert not readable(ours)
        theirs.sendall(b"x")
        assert readable(ours)


def test_several_idle_connections_to_one_origin(
    kept: ScriptedServer, other_kept: ScriptedServer
) -> None:
    """Idle connections are kept per origin, and closed oldest first."""
    connections = Connections(limit=2)
    outcomes: list[object] = []
    for _ in range(2):  # two at once
        connections.start(_exchange(kept), outcomes.append)
    while len(outcomes) < 2:
        connections.step(None)
    for lent in outcomes:
        assert isinstance(lent, Lent)
        lent.response.read()
        lent.give_back(keep=True)
    for server in (kept, other_kept, kept):  # the last one needs no new one
        _lend(connections, server).give_back(keep=True)
    connections.close()
    assert (4, 2) == (len(kept.seen), kept.connections)
    assert (1, 1) == (len(other_kept.seen), other_kept.connections)
    assert kept.most_open_connections + other_kept.most_open_connections <= 3


def test_requests_name_the_client(kept: ScriptedServer) -> None:
    """Each request says who asks and what it takes; -H names are title-cased."""
    connections = Connections()
    _fetch(TaskEndpoint(kept.url, [("x-api-key", "k")], connections=connections))
    connections.close()
    [seen] = kept.seen
    agent = f"taskstatus/{importlib.metadata.version('taskstatus')}"
    assert agent == seen.headers["User-Agent"]
    assert "application/json" == seen.headers["Accept"]
    assert "k" == seen.headers["X-Api-Key"]


def _chunked(body: bytes, size: int) -> bytes:
    pieces = [body[at : at + size] for at in range(0, len(body), size)]
    framed = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    return head + framed + b"0\r\n\r\n"


@pytest.mark.parametrize("cap", [_http.MAX_BODY_BYTES, 100_000, 99_999])
def test_a_body_of_unknown_length_is_read_up_to_the_cap(
    task_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch, cap: int
) -> None:
    """A chunked body is read in pieces, to its end or to one byte over the cap."""
    body = json.dumps({"status": "COMPLETED", "pad": "x" * 99_950}).encode()
    body += b" " * (100_000 - len(body))
    task_server.script(Reply(raw=_chunked(body, 7_000)))
    monkeypatch.setattr(_http, "MAX_BODY_BYTES", cap)
    endpoint = TaskEndpoint(task_server.url)
    if cap < len(body):
        with pytest.raises(FetchError, match=f"larger than {cap} bytes"):
            endpoint.get_json(time_limit=10)
    else:
        assert "COMPLETED" == cast("dict[str, str]", _fetch(endpoint)[0])["status"]


@pytest.mark.parametrize("depth", [_http.MAX_JSON_DEPTH, _http.MAX_JSON_DEPTH + 1])
def test_nesting_is_refused_just_past_its_limit(
    task_server: ScriptedServer, depth: int
) -> None:
    """A body nested exactly MAX_JSON_DEPTH deep is read; one level more is not."""
    body = '{"status": "COMPLETED", "x": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
    task_server.script(Reply(body.encode()))
    endpoint = TaskEndpoint(task_server.url)
    if depth > _http.MAX_JSON_DEPTH:
        with pytest.raises(FetchError, match=f"deeper than {_http.MAX_JSON_DEPTH}"):
            endpoint.get_json(time_limit=10)
    else:
        assert "COMPLETED" == cast("dict[str, str]", _fetch(endpoint)[0])["status"]


# --- the loop: framing, looking up, connecting ----------------------------

_PENDING = b'{"status": "PENDING"}'


def _head(*lines: str) -> bytes:
    return ("\r\n".join(["HTTP/1.1 200 OK", *lines]) + "\r\n\r\n").encode()


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 100 Continue\r\n\r\n"
        + _head(f"Content-Length: {len(_PENDING)}")
        + _PENDING,
        _head("Transfer-Encoding: chunked")
        + b"5;x=y\r\n"
        + _PENDING[:5]
        + b"\r\n%x\r\n" % (len(_PENDING) - 5)
        + _PENDING[5:]
        + b"\r\n0\r\nX-Trailer: 1\r\n\r\n",
        _head() + _PENDING,  # the body ends where the server closes
    ],
    ids=["100 Continue first", "chunked, with trailers", "ended by the close"],
)
@pytest.mark.parametrize("drip", [0.0, 0.0005], ids=["at once", "dripped"])
def test_responses_are_framed_however_they_come(
    task_server: ScriptedServer, raw: bytes, drip: float
) -> None:
    """Each framing HTTP/1.1 allows is read whole, at once or byte by byte."""
    task_server.script(Reply(raw=raw, drip=drip))
    assert [{"status": "PENDING"}] == _fetch(TaskEndpoint(task_server.url))


@pytest.mark.parametrize(
    "raw",
    [
        b"NOT HTTP AT ALL\r\n\r\n",
        _head("Transfer-Encoding: chunked") + b"zz\r\n" + _PENDING + b"\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2",  # then the close
        b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * (_connections.MAX_HEAD_BYTES + 1),
        _head(f"Content-Length: {len(_PENDING)}") + _PENDING[:-1],
        _head("Transfer-Encoding: chunked") + b"%x\r\n" % len(_PENDING) + b"{",
    ],
    ids=[
        "a bad head",
        "a bad chunk size",
        "a head cut short",
        "a head too long",
        "a body cut short",
        "a chunk cut short",
    ],
)
def test_broken_framing_is_a_transient_failure(
    task_server: ScriptedServer, raw: bytes
) -> None:
    """Framing http.client refuses is an error it names, and worth a retry."""
    task_server.script(Reply(raw=raw))
    with pytest.raises(FetchError, match=r"connection to .* failed") as caught:
        _fetch(TaskEndpoint(task_server.url))
    assert caught.value.transient


def test_a_response_closes_after_its_buffer() -> None:
    """As the garbage collector may finalize them: no error in either order."""
    buffer = _connections._Buffer(_head(f"Content-Length: {len(_PENDING)}"))
    response = _connections._parsed_head(buffer)
    buffer.close()
    response.close()
    assert response.isclosed()


def test_request_heads_name_the_host_as_http_client_does() -> None:
    """The Host header: brackets around IPv6, the port unless it is the default."""
    for origin, host in [
        (("http", "::1", 80), "[::1]"),
        (("https", "h.example", 443), "h.example"),
        (("https", "h.example", 80), "h.example:80"),
    ]:
        head = _connections._request_bytes(Exchange(origin, "/t?a=1", {}, 0.0, 0))
        assert head.startswith(f"GET /t?a=1 HTTP/1.1\r\nHost: {host}\r\n".encode())
        assert head.endswith(b"Accept-Encoding: identity\r\n\r\n")


def test_a_host_name_is_looked_up_and_each_address_tried(
    kept: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Off the loop's thread; an address refused at once or later, the next one."""
    port = kept.server_address[1]
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # a port nobody listens on
    addresses = [
        ("255.255.255.255", port),  # refused by the system at once
        closed.getsockname(),  # refused by the peer
        ("127.0.0.1", port),
    ]
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: str, *args: Any, **options: Any) -> object:
        if host != "tasks.test":
            return real(host, *args, **options)
        if options.get("flags"):  # the check for an IP address
            raise socket.gaierror(socket.EAI_NONAME, "not an address")
        looked_up.append(threading.current_thread().name)
        stream = (socket.AF_INET, socket.SOCK_STREAM, 6, "")
        return [(*stream, address) for address in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    connections = Connections()
    endpoint = TaskEndpoint(f"http://tasks.test:{port}/", connections=connections)
    with closed:
        assert [{"status": "COMPLETED"}] * 2 == _fetch(endpoint, 2)
    connections.close()
    assert 1 == len(looked_up)
    assert threading.main_thread().name not in looked_up
    assert (2, 1) == (len(kept.seen), kept.connections)


def test_a_name_that_cannot_be_looked_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lookup's failure is the request's: no such host, for good."""

    def getaddrinfo(*_: object, **__: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    connections = Connections()
    endpoint = TaskEndpoint("http://nowhere.test/", connections=connections)
    for _ in range(2):  # each new connection looks up anew
        with pytest.raises(FetchError, match="cannot resolve the host") as caught:
            endpoint.get_json(time_limit=10)
        assert not caught.value.transient
    connections.close()


def test_a_lookup_that_ends_too_late_is_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A request still looking up at its deadline ends; the lookup is let go."""
    release = threading.Event()
    helpers: list[threading.Thread] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: str, *args: Any, **options: Any) -> object:
        if options.get("flags"):
            raise socket.gaierror(socket.EAI_NONAME, "not an address")
        helpers.append(threading.current_thread())
        assert release.wait(30)
        return real("127.0.0.1", *args)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    connections = Connections()
    endpoint = TaskEndpoint("http://slow.test:9/", connections=connections)
    with pytest.raises(FetchError, match=r"no complete response .* in time"):
        endpoint.get_json(time_limit=0.01)
    [helper] = helpers
    assert _connections.LOOK_UP_THREAD == helper.name
    release.set()
    helper.join(30)
    assert connections._looked_up  # told, and not yet heard
    connections.step(0)
    assert not connections._looked_up  # heard, and let go
    connections.close()
    assert not connections._open


def test_a_task_failing_on_the_loop_hears_its_error(kept: ScriptedServer) -> None:
    """spawn(): an exchange's error goes into the task, whose end says it."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    with closed:
        url = "http://{}:{}/".format(*closed.getsockname())
        connections = Connections()
        ended: list[tuple[object, Exception | None]] = []
        connections.spawn(
            TaskEndpoint(url).fetching(10),
            lambda value, error: ended.append((value, error)),
        )
        while not ended:
            connections.step(None)
        connections.close()
    [(value, error)] = ended
    assert value is None
    assert isinstance(error, FetchError)
    assert "connection refused" in str(error)


def _closed_by_the_server(connection: _connections._Connection) -> None:
    """Wait until the server's close of ``connection`` has arrived."""
    assert connection.sock is not None
    for _ in range(3000):
        if readable(connection.sock):
            return
        time.sleep(0.01)
    pytest.fail("the server did not close the connection")


@pytest.mark.parametrize("idle_to_it", [1, 2])
def test_an_idle_connection_the_server_closes_is_dropped_at_once(
    kept: ScriptedServer, other_kept: ScriptedServer, idle_to_it: int
) -> None:
    """While the loop runs for others, an idle connection's close is seen."""
    kept.script(*["PENDING"] * (idle_to_it - 1), Reply({}, hang_up=True))
    connections = Connections(limit=3)
    lent = [_lend(connections, kept) for _ in range(idle_to_it)]  # one each
    for each in lent:
        each.give_back(keep=True)
    closed = lent[-1].connection
    _closed_by_the_server(closed)
    _lend(connections, other_kept).give_back(keep=True)
    assert closed.sock is None
    assert idle_to_it - 1 == len(connections._idle.get(_origin(kept), []))
    connections.close()


def test_a_lent_connection_the_server_closes_is_seen_once_handed_back(
    kept: ScriptedServer, other_kept: ScriptedServer
) -> None:
    """The loop stops watching a lent connection meanwhile: no busy loop."""
    kept.script(Reply({}, hang_up=True))
    connections = Connections(limit=2)
    lent = _lend(connections, kept)
    _closed_by_the_server(lent.connection)
    _lend(connections, other_kept).give_back(keep=True)  # sees the close
    assert 0 == lent.connection.events
    lent.give_back(keep=True)  # kept, and watched again
    _lend(connections, other_kept).give_back(keep=True)
    assert lent.connection.sock is None
    assert _origin(kept) not in connections._idle
    connections.close()


def test_a_waiting_exchange_waits_on_while_the_limit_holds(
    kept: ScriptedServer, other_kept: ScriptedServer
) -> None:
    """One connection freed, two exchanges waiting: the first takes it."""
    connections = Connections(limit=1)
    lent = _lend(connections, kept)
    first: list[object] = []
    second: list[object] = []
    connections.start(_exchange(other_kept), first.append)
    connections.start(_exchange(kept), second.append)
    lent.give_back(keep=False)
    reply = _outcome(connections, first)
    assert isinstance(reply, Lent)
    assert [] == second
    reply.response.read()
    reply.give_back(keep=True)
    assert isinstance(_outcome(connections, second), Lent)
    connections.close()


def test_deadlines_of_ended_exchanges_do_not_pile_up(
    kept: ScriptedServer, other_kept: ScriptedServer
) -> None:
    """200 requests behind one that hangs: the deadlines kept stay few."""
    kept.script(Reply({}, hang=60))
    connections = Connections(limit=2)
    hanging: list[object] = []
    connections.start(_exchange(kept, time_limit=5), hanging.append)
    endpoint = TaskEndpoint(other_kept.url, connections=connections)
    _fetch(endpoint, 200)  # each with a later deadline than the one hanging
    assert len(connections._deadlines) <= 64 + 2 * 2
    connections.close()


def test_a_request_the_server_never_reads_ends_at_its_deadline() -> None:
    """A request too large for the sockets' buffers waits to be sent, in time."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()  # connections are made, and never read
        url = "http://{}:{}/".format(*listening.getsockname())
        endpoint = TaskEndpoint(url, [("X-Big", "x" * 64_000_000)])
        with pytest.raises(FetchError, match=r"no complete response .* in time"):
            endpoint.get_json(time_limit=0.5)


def test_a_large_body_over_tls_is_read_whole(
    tls_server: tuple[ScriptedServer, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Many TLS records in one read: each is taken from the TLS layer."""
    server, env = tls_server
    context = ssl.create_default_context(cafile=env["SSL_CERT_FILE"])
    monkeypatch.setattr(_connections, "_tls_context", [context])
    server.script(Reply({"status": "COMPLETED", "pad": "x" * 200_000}))
    url = server.url.replace("http://", "https://")
    [body] = _fetch(TaskEndpoint(url))
    assert "COMPLETED" == cast("dict[str, str]", body)["status"]


def test_deadlines_come_on_the_connections_clock(
    kept: ScriptedServer, other_kept: ScriptedServer
) -> None:
    """Each deadline at its time: one in flight, one waiting, and one let go."""
    clock = FakeClock()
    kept.script(Reply({}, hang=60))
    connections = Connections(limit=1, clock=clock.monotonic)

    def start(server: ScriptedServer, deadline: float) -> list[object]:
        outcome: list[object] = []
        exchange = Exchange(_origin(server), "/", {}, deadline, 100)
        connections.start(exchange, outcome.append)
        return outcome

    lent = _outcome(connections, start(other_kept, 10))
    assert isinstance(lent, Lent)
    lent.response.read()
    lent.give_back(keep=True)  # its deadline stays, to be let go at 10
    in_flight = start(kept, 20)
    waits_long, waits = start(kept, 40), start(kept, 30)
    while not kept.seen:  # the one in flight has reached the server
        connections.step(0.01)
    clock.advance(15)
    connections.step(0)
    assert ([], [], []) == (in_flight, waits_long, waits)
    clock.advance(10)  # 25: the one in flight is cut; the first waiting one starts
    connections.step(0)
    assert [TimeUp] == [type(each) for each in in_flight]
    clock.advance(10)  # 35: the second one has waited too long
    connections.step(0)
    assert ["no connection free in time"] == [str(each) for each in waits]
    assert [] == waits_long
    connections.close()

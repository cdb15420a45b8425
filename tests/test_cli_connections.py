# pyright: reportPrivateUsage=false
"""The command's request layer: connections kept per origin, and when not.

The test servers count the connections they accept: reuse is what they
saw, not what the client claims.
"""

from __future__ import annotations

import http.client
import importlib.metadata
import json
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
import trustme

from helpers import FAST, Reply, ScriptedServer, redirect, serving, taskstatus
from taskstatus._cli import _connections, _http
from taskstatus._cli._connections import Connections, Watch, readable
from taskstatus._cli._http import FetchError, TaskEndpoint


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


def _get(
    connections: Connections, server: ScriptedServer, watch: Watch
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    connection, response = connections.get(
        _origin(server), "/", {}, watch=watch, time_limit=10
    )
    response.read()
    return connection, response


def test_the_limit_closes_the_connection_idle_longest(
    kept: ScriptedServer, other_kept: ScriptedServer
) -> None:
    """With a limit of one, another origin's request closes the idle one."""
    connections = Connections(limit=1)
    for server in (kept, other_kept, kept):
        watch = Watch(10)
        connection, response = _get(connections, server, watch)
        connections.done(_origin(server), connection, response, watch=watch, keep=True)
        watch.stop()
    connections.close()
    assert (2, 1) == (kept.connections, other_kept.connections)


def test_the_limit_makes_a_request_wait_for_a_connection(
    kept: ScriptedServer,
) -> None:
    """With every connection in use, a request waits for one to be handed back."""
    connections = Connections(limit=1)
    watch = Watch(10)
    connection, response = _get(connections, kept, watch)
    results: list[object] = []

    def second() -> None:
        other = Watch(10)
        theirs, reply = _get(connections, kept, other)
        results.append(reply.status)
        connections.done(_origin(kept), theirs, reply, watch=other, keep=True)
        other.stop()

    thread = threading.Thread(target=second)
    thread.start()
    # The second request is waiting once it sits in the condition's queue.
    while not connections._condition._waiters:  # type: ignore[attr-defined]
        time.sleep(0.01)
    assert [] == results
    connections.done(_origin(kept), connection, response, watch=watch, keep=True)
    watch.stop()
    thread.join(10)
    connections.close()
    assert [200] == results
    assert (2, 1) == (len(kept.seen), kept.connections)  # handed on, not reopened


def test_a_connection_handed_back_after_close_is_closed(kept: ScriptedServer) -> None:
    """close() ends the idle connections and each one still in use, when done."""
    connections = Connections(limit=2)
    watch = Watch(10)
    connection, response = _get(connections, kept, watch)
    connections.close()
    connections.done(_origin(kept), connection, response, watch=watch, keep=True)
    watch.stop()
    assert connection.sock is None


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
    with client, server:
        connection = http.client.HTTPConnection("localhost")
        connection.sock = client
        server.sendall(b"answer")  # read with the session tickets before it
        assert b"answer" == client.recv(6)
        assert _connections._quiet(connection)
        server.sendall(b"unasked")  # one TLS record
        assert b"u" == client.recv(1)
        assert client.pending()  # the rest is in the TLS layer, not the socket
        assert not _connections._quiet(connection)
    assert not _connections._quiet(http.client.HTTPConnection("localhost"))


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
    here = _origin(kept)
    watches = [Watch(10), Watch(10)]
    both = [_get(connections, kept, watch) for watch in watches]  # two at once
    for (connection, response), watch in zip(both, watches):
        connections.done(here, connection, response, watch=watch, keep=True)
    for server in (kept, other_kept, kept):  # the last one needs no new one
        watch = Watch(10)
        connection, response = _get(connections, server, watch)
        connections.done(_origin(server), connection, response, watch=watch, keep=True)
        watches.append(watch)
    for watch in watches:
        watch.stop()
    connections.close()
    assert (4, 2) == (len(kept.seen), kept.connections)
    assert (1, 1) == (len(other_kept.seen), other_kept.connections)
    assert kept.most_open_connections + other_kept.most_open_connections <= 3


def test_a_watch_fired_after_its_request_cuts_nothing() -> None:
    """A deadline that comes after the request ended leaves its socket alone."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        watch = Watch(60)
        watch.watch(ours)
        watch.stop()
        watch.fire()
        assert not watch.fired
        theirs.sendall(b"x")
        assert b"x" == ours.recv(1)


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

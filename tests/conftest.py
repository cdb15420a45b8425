# pyright: reportPrivateUsage=false
"""Shared fixtures."""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from hypothesis import settings

from helpers import ScriptedServer, serving
from taskstatus import _parse, _transition

# The typing tests are for the type checkers only: never import or run them.
collect_ignore = ["typing"]

# No per-example deadline: it measures wall time, so a loaded machine would
# fail examples that are right. The properties bound their own time (fake
# clocks, --timeout), and pytest's run as a whole is bounded by CI.
settings.register_profile("taskstatus", deadline=None)
settings.load_profile("taskstatus")


@pytest.fixture(autouse=True)
def _forget_warned_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give each test a fresh memory of what was already logged once."""
    monkeypatch.setattr(_parse, "_warned_values", {})
    monkeypatch.setattr(_transition, "_reported_conflicts", set[object]())


@pytest.fixture
def task_server() -> Iterator[ScriptedServer]:
    """A scripted HTTP server on a free port of 127.0.0.1, shut down after the test."""
    with serving(ScriptedServer()) as server:
        yield server


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[ScriptedServer, dict[str, str]]]:
    """A scripted HTTPS server with a throwaway CA, and an env that trusts it."""
    authority = trustme.CA()
    server = ScriptedServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(context)  # pyright: ignore[reportUnknownMemberType]
    server.socket = context.wrap_socket(server.socket, server_side=True)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    with serving(server):
        yield server, {**os.environ, "SSL_CERT_FILE": str(ca_file)}

"""GET a task's JSON over HTTP(S) safely, retrying transient failures.

Every server is treated as hostile: redirects are followed only over HTTP(S),
never from https to http and at most `MAX_REDIRECTS` times; the user's
headers and credentials go only to the origin of the URL they gave; one
request, redirects and body included, is bounded as a whole in time, and its
body in size and nesting; and whatever the server says reaches a message
only escaped and bounded.
"""

from __future__ import annotations

import base64
import email.utils
import functools
import http.client
import json
import re
import socket
import ssl
import time
import urllib.parse
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, TypeVar, cast

from .._checks import finite_float
from .._policy import Deadline, PollPolicy, delay_before_next
from .._version import __version__
from ._connections import Connections, Exchange, Lent, Origin, Step, Task, TimeUp
from ._safe import redact_url, redacted, safe_text

MAX_BODY_BYTES = 10 * 1024 * 1024
"""The largest response body read; a task status never needs more."""

MAX_JSON_DEPTH = 100
"""The deepest nesting of arrays and objects accepted in a response body."""

REQUEST_TIMEOUT = 30.0
"""Seconds one request may take, redirects and the whole body included,
before it counts as a transient failure."""

REQUEST_TIMEOUT_FLOOR = 0.5
"""The least time a request is given, even when the deadline is nearer: the
last poll at the deadline still gets a chance to answer."""

MAX_REDIRECTS = 5
"""How many redirects one request follows before giving up."""

_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})

_REDIRECT_BODY_BYTES = 64 * 1024
"""The most of a redirect's body read so that its connection can be kept."""


# RFC 9110 token characters: what a header name may hold.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Header values: Latin-1 text without control characters (tab allowed).
_BAD_HEADER_VALUE = re.compile(r"[^\t\x20-\x7e\xa0-\xff]")
# Characters left as they are when a URL is percent-encoded: the reserved and
# unreserved ones of RFC 3986, and % so that existing escapes survive.
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"


T = TypeVar("T")

USER_AGENT = f"taskstatus/{__version__}"
"""What each request says of who asks."""


class FetchError(Exception):
    """A request failed; the message is one line for the user.

    Attributes:
        transient: Whether trying again may help (refused or reset
            connections, time-outs, HTTP 429 and 5xx).
        retry_after: The server's hint for when to try again, in seconds.
    """

    def __init__(
        self, message: str, *, transient: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


class DeadlineError(Exception):
    """The deadline of the whole wait passed during a request or a retry."""


@dataclass(frozen=True)
class Response:
    """A successful response: its parsed JSON body and its Retry-After hint."""

    body: object
    retry_after: float | None


def prepare_url(text: str) -> str:
    """Return ``text`` as a URL ready to send: ASCII, with an IDNA host.

    Spaces and non-ASCII characters are percent-encoded, as browsers and
    curl do; existing escapes are kept.

    Raises:
        ValueError: Not an http:// or https:// URL with a host, or one with
            control characters, a bad port or a host IDNA cannot encode. The
            message never repeats the URL, which may hold credentials.
    """
    if not text.isprintable():
        msg = "the URL holds control characters"
        raise ValueError(msg)
    parts = urllib.parse.urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"} or not parts.hostname:
        msg = "expected an http:// or https:// URL with a host"
        raise ValueError(msg)
    port = parts.port  # raises ValueError for a port out of range
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        msg = "the host name cannot be encoded (IDNA)"
        raise ValueError(msg) from None
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    netloc = host if port is None else f"{host}:{port}"
    if userinfo:
        netloc = f"{urllib.parse.quote(userinfo, safe='%:')}@{netloc}"

    def encoded(piece: str) -> str:
        return urllib.parse.quote(piece, safe=_URL_SAFE)

    return urllib.parse.urlunsplit(
        (
            scheme,
            netloc,
            encoded(parts.path),
            encoded(parts.query),
            encoded(parts.fragment),
        )
    )


_UNRESERVED = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
)
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def normalized_url(text: str) -> str:
    """Return the one spelling of a URL that other spellings of it share.

    `prepare_url`'s form, and then as RFC 3986 normalises: the scheme and
    host in lower case, no default port, ``/`` for an empty path, escapes
    of unreserved characters decoded (``%7E`` is ``~``) and the others in
    upper case (``%2f`` is ``%2F``).

    Raises:
        ValueError: As `prepare_url`.
    """
    return _normal_form(prepare_url(text))


def _normal_form(prepared: str) -> str:
    """`normalized_url` of a URL `prepare_url` made already."""
    parts = urllib.parse.urlsplit(prepared)
    netloc = parts.netloc
    default = ":443" if parts.scheme == "https" else ":80"
    if netloc.endswith(default):
        netloc = netloc[: -len(default)]
    userinfo, at, host = netloc.rpartition("@")
    netloc = f"{userinfo}{at}{host.lower()}"

    def escapes(piece: str) -> str:
        def one(match: re.Match[str]) -> str:
            char = chr(int(match.group()[1:], 16))
            return char if char in _UNRESERVED else match.group().upper()

        return _ESCAPE.sub(one, piece)

    return urllib.parse.urlunsplit(
        (
            parts.scheme,
            escapes(netloc),
            escapes(parts.path) or "/",
            escapes(parts.query),
            escapes(parts.fragment),
        )
    )


def task_key(text: str) -> str:
    """Return the key under which a task URL is kept: normalised, secrets hidden.

    ``--state`` files hold these keys, never a credential; two URLs with
    one key are one task to the command.

    Raises:
        ValueError: As `prepare_url`.
    """
    return _prepared(text)[1]


@functools.cache
def _prepared(text: str) -> tuple[str, str]:
    """`prepare_url` of ``text``, and its `task_key`: worked out once a URL.

    A batch needs both twice, to check its file for repeats and to make its
    endpoints: tens of microseconds a URL, a second and more for 100,000.
    The endpoints hold these strings anyway, so keeping them costs nothing.
    """
    prepared = prepare_url(text)
    return prepared, redacted(_normal_form(prepared))


def check_header(name: str, value: str) -> None:
    """Raise ValueError unless ``name: value`` can be sent as a header.

    The message names the header but never shows its value, which is
    usually a secret.
    """
    if not _TOKEN.fullmatch(name):
        msg = f"'{safe_text(name, 40)}' is not a valid header name"
        raise ValueError(msg)
    if _BAD_HEADER_VALUE.search(value):
        msg = (
            f"the value of header {name!r} must be Latin-1 text without control "
            "characters (the value is not shown)"
        )
        raise ValueError(msg)


def _origin(url: str) -> Origin:
    return _origin_of(urllib.parse.urlsplit(url))


def _origin_of(parts: urllib.parse.SplitResult) -> Origin:
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname or "", parts.port or default


def parse_retry_after(
    value: str | None, *, now: datetime | None = None
) -> float | None:
    """Read a Retry-After header: seconds (fractions allowed) or an HTTP date.

    Returns ``None`` for a missing or unreadable header, or one that is not
    finite; whether the number is of use (positive, not absurdly long) is
    `usable_hint`'s call.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        return finite_float(float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
        if when.tzinfo is None:  # an HTTP date is GMT; a bad one may lack a zone
            when = when.replace(tzinfo=timezone.utc)
        return (when - (now or datetime.now(timezone.utc))).total_seconds()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class TaskEndpoint:
    """One task URL, prepared once: where its credentials may go, how it shows.

    User info in the URL becomes HTTP Basic credentials; they and the
    ``headers`` are sent only to the origin (scheme, host, port) of ``url``.
    Requests go over ``connections``, kept for the next request; without
    it, each request opens its own and closes it after.

    Attributes:
        key: The URL's `task_key`.
        shown: The URL as messages show it: redacted.
        url: The URL requested: prepared, without its user info.
    """

    def __init__(
        self,
        url: str,
        headers: Sequence[tuple[str, str]] = (),
        *,
        connections: Connections | None = None,
    ) -> None:
        prepared, self.key = _prepared(url)
        parts = urllib.parse.urlsplit(prepared)
        self.shown = redact_url(prepared)
        self.url = urllib.parse.urlunsplit(
            parts._replace(netloc=parts.netloc.rpartition("@")[2])
        )
        self._origin = _origin_of(parts)
        self._target = _target_of(parts)
        self._connections = connections
        secrets: dict[str, str] = {}
        if parts.username is not None:
            user = urllib.parse.unquote(parts.username)
            password = urllib.parse.unquote(parts.password or "")
            token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            secrets["Authorization"] = f"Basic {token}"
        for name, value in headers:
            secrets[name.title()] = value  # as urllib sends it; the last one wins
        self._secrets = secrets

    def get_json(self, *, time_limit: float) -> Response:
        """GET the URL, following safe redirects, and parse the body as JSON.

        The request, its redirects and its whole body must be done within
        ``time_limit`` seconds.

        Raises:
            FetchError: For every failure, with one line saying what went wrong.
        """
        return self.run(self.fetching(time_limit))

    def run(self, task: Task[T], *, sleep: Callable[[float], object] = time.sleep) -> T:
        """Drive ``task`` over this endpoint's connections, or a set of its own.

        Its own set is closed after: each request then opens a connection.
        """
        if self._connections is not None:
            return self._connections.run(task, sleep=sleep)
        connections = Connections()
        try:
            return connections.run(task, sleep=sleep)
        finally:
            connections.close()

    def fetching(self, time_limit: float) -> Task[Response]:
        """`get_json` as a task, for `Connections` to drive."""
        deadline = time.monotonic() + time_limit
        url = self.url
        for _ in range(MAX_REDIRECTS + 1):
            shown = self._shown(url)
            try:
                outcome = yield from self._hop(url, shown, deadline)
            except TimeUp:
                msg = f"no complete response from {self.shown} in time"
                raise FetchError(msg, transient=True) from None
            except (OSError, http.client.HTTPException) as error:
                raise _connection_error(shown, error) from None
            if isinstance(outcome, str):
                url = outcome
                continue
            raw, retry_after = outcome
            return Response(_json_body(shown, raw), retry_after)
        msg = f"more than {MAX_REDIRECTS} redirects from {self.shown} (a loop?)"
        raise FetchError(msg, transient=False)

    def _hop(
        self, url: str, shown: str, deadline: float
    ) -> Generator[Step, object, str | tuple[bytes, float | None]]:
        """One request: its raw body and Retry-After hint, or where it redirects."""
        if url == self.url:  # the first hop, nearly always the only one
            origin, target = self._origin, self._target
        else:
            origin, target = _origin(url), _request_target(url)
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if origin == self._origin:
            headers.update(self._secrets)
        lent = yield Exchange(origin, target, headers, deadline, MAX_BODY_BYTES)
        assert isinstance(lent, Lent)
        reply = lent.response
        keep = False
        try:
            location = reply.getheader("Location")
            if 200 <= reply.status < 300:
                raw = _read_capped(reply, MAX_BODY_BYTES)
                keep = True
                return raw, parse_retry_after(reply.getheader("Retry-After"))
            if reply.status in _REDIRECT_CODES and location is not None:
                target = _redirect_target(url, shown, location)
                # Read to its end, so that the connection can carry the next hop.
                _read_capped(reply, _REDIRECT_BODY_BYTES)
                keep = _origin(target) == origin
                return target
            raise _http_error(shown, reply)
        finally:
            lent.give_back(keep=keep)

    def _shown(self, url: str) -> str:
        """How a URL of this request appears in messages: redacted."""
        return self.shown if url == self.url else redact_url(url)


_READ_CHUNK = 64 * 1024


def _read_capped(reply: http.client.HTTPResponse, cap: int) -> bytes:
    """Read the body, but never more than ``cap + 1`` bytes (one too many: over).

    In pieces, not in one ``read(cap + 1)``: Python 3.9's http.client
    allocates the whole amount asked for, 10 MiB a request.
    """
    if reply.length is not None:  # the server said how long: read that, or over
        wanted = min(reply.length, cap + 1)
        body = reply.read(wanted)
        if len(body) < wanted:  # read(n) returns what came before the close
            raise http.client.IncompleteRead(body, wanted - len(body))
        return body
    chunks: list[bytes] = []
    size = 0
    while size <= cap:
        chunk = reply.read(min(_READ_CHUNK, cap + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _request_target(url: str) -> str:
    """The path and query of ``url``, as the request line carries them."""
    return _target_of(urllib.parse.urlsplit(url))


def _target_of(parts: urllib.parse.SplitResult) -> str:
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def _redirect_target(url: str, shown: str, location: str) -> str:
    """Return where a redirect from ``url`` leads, if it may be followed."""
    try:
        target = prepare_url(urllib.parse.urljoin(url, location))
    except ValueError as error:
        msg = f"refused a redirect from {shown}: {error}"
        raise FetchError(msg, transient=False) from None
    if urllib.parse.urlsplit(url).scheme == "https" and target.startswith("http:"):
        msg = f"refused a redirect from https to http: {shown} to {redact_url(target)}"
        raise FetchError(msg, transient=False)
    return target


def _json_body(shown: str, raw: bytes) -> object:
    if len(raw) > MAX_BODY_BYTES:
        msg = f"response from {shown} is larger than {MAX_BODY_BYTES} bytes"
        raise FetchError(msg, transient=False)
    try:
        body: object = json.loads(raw)
    except (ValueError, RecursionError):
        snippet = safe_text(raw[:100].decode("utf-8", errors="replace"), 60)
        # Quoted, not repr(): the snippet is escaped already (safe_text).
        msg = f"response from {shown} is not JSON: '{snippet}'"
        raise FetchError(msg, transient=False) from None
    if _depth(body) > MAX_JSON_DEPTH:
        msg = f"response from {shown} is nested deeper than {MAX_JSON_DEPTH} levels"
        raise FetchError(msg, transient=False)
    return body


def _depth(body: object) -> int:
    """Return how deeply arrays and objects nest in parsed JSON, without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(body, 1)]
    while stack and deepest <= MAX_JSON_DEPTH:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            container = cast("dict[str, object] | list[object]", value)
            children = container.values() if isinstance(container, dict) else container
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _http_error(shown: str, reply: http.client.HTTPResponse) -> FetchError:
    code = reply.status
    transient = code == 429 or code >= 500
    hint = parse_retry_after(reply.getheader("Retry-After"))
    reason = safe_text(reply.reason, 60)
    return FetchError(
        f"HTTP {code} {reason} from {shown}", transient=transient, retry_after=hint
    )


def _connection_error(shown: str, reason: object) -> FetchError:
    if isinstance(reason, socket.gaierror):
        return FetchError(f"cannot resolve the host of {shown}", transient=False)
    if isinstance(reason, ssl.SSLError):
        detail = safe_text(str(reason), 120)
        return FetchError(f"TLS failed for {shown}: {detail}", transient=False)
    if isinstance(reason, ConnectionRefusedError):
        return FetchError(f"connection refused by {shown}", transient=True)
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return FetchError(f"no response from {shown} in time", transient=True)
    detail = safe_text(str(reason), 120)
    if isinstance(reason, (ConnectionError, http.client.HTTPException)):
        return FetchError(f"connection to {shown} failed: {detail}", transient=True)
    return FetchError(f"cannot reach {shown}: {detail}", transient=False)


class RetryingFetch:
    """Calls `TaskEndpoint.get_json`, retrying transient failures with backoff.

    Retries share the wait's deadline: a request gets at most the time left
    (but `REQUEST_TIMEOUT_FLOOR` at least), a retry's delay is cut to end at
    the deadline, and a transient failure at the deadline raises
    `DeadlineError`.
    """

    def __init__(
        self,
        endpoint: TaskEndpoint,
        *,
        retries: int,
        policy: PollPolicy,
        deadline: Deadline,
        on_retry: Callable[[FetchError, int, float], object],
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self._endpoint = endpoint
        self._retries = retries
        self._policy = policy
        self._deadline = deadline
        self._on_retry = on_retry
        self._sleep = sleep

    def __call__(self) -> Response:
        """Fetch once, plus up to ``retries`` more times on transient failures."""
        return self._endpoint.run(self.fetching(), sleep=self._sleep)

    def fetching(self) -> Task[Response]:
        """The call as a task, for `Connections` to drive: a retry's delay is a step."""
        delays = self._policy.delays()
        attempt = 0
        while True:
            attempt += 1
            try:
                return (yield from self._endpoint.fetching(self.time_limit()))
            except FetchError as error:
                if not error.transient:
                    raise
                if self._deadline.reached():
                    timeout = self._deadline.timeout
                    msg = f"reached the timeout of {timeout:g} s: {error}"
                    raise DeadlineError(msg) from None
                if attempt > self._retries:
                    raise
                delay = delay_before_next(
                    next(delays), error.retry_after, self._deadline
                )
                self._on_retry(error, attempt, delay)
                yield delay

    def time_limit(self) -> float:
        """Return the seconds the next request may take.

        That is the per-request limit, cut to the time left, but never below
        the floor.
        """
        remaining = self._deadline.remaining()
        if remaining is None:
            return REQUEST_TIMEOUT
        return max(REQUEST_TIMEOUT_FLOOR, min(REQUEST_TIMEOUT, remaining))

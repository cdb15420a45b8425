"""GET a task's JSON over HTTP(S) with urllib, retrying transient failures."""

from __future__ import annotations

import email.utils
import http.client
import json
import math
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from .._backoff import Backoff
from .._errors import show_value

MAX_BODY_BYTES = 10 * 1024 * 1024
"""The largest response body read; a task status never needs more."""

REQUEST_TIMEOUT = 30.0
"""Seconds one request may take before it counts as a transient failure."""


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


@dataclass(frozen=True)
class Response:
    """A successful response: its parsed JSON body and its Retry-After hint."""

    body: object
    retry_after: float | None


def parse_retry_after(
    value: str | None, *, now: datetime | None = None
) -> float | None:
    """Read a Retry-After header: seconds (fractions allowed) or an HTTP date.

    Returns ``None`` for a missing or unreadable header; poll() ignores
    zero and negative values itself.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT; a bad one may lack a zone
        when = when.replace(tzinfo=timezone.utc)
    return (when - (now or datetime.now(timezone.utc))).total_seconds()


def get_json(url: str, headers: Mapping[str, str], *, timeout: float) -> Response:
    """GET ``url`` and parse its body as JSON.

    Raises:
        FetchError: For every failure, with one line saying what went wrong.
    """
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            raw: bytes = reply.read(MAX_BODY_BYTES + 1)
            retry_after = parse_retry_after(reply.headers.get("Retry-After"))
    except urllib.error.HTTPError as error:
        with error:  # an HTTPError holds the open response: close it
            raise _http_error(url, error) from None
    except urllib.error.URLError as error:
        raise _connection_error(url, error.reason) from None
    except (OSError, http.client.HTTPException) as error:
        raise _connection_error(url, error) from None
    if len(raw) > MAX_BODY_BYTES:
        msg = f"response from {url} is larger than {MAX_BODY_BYTES} bytes"
        raise FetchError(msg, transient=False)
    try:
        body: object = json.loads(raw)
    except ValueError:
        shown = show_value(raw.decode("utf-8", errors="replace"))
        msg = f"response from {url} is not JSON: {shown}"
        raise FetchError(msg, transient=False) from None
    return Response(body, retry_after)


def _http_error(url: str, error: urllib.error.HTTPError) -> FetchError:
    code = error.code
    transient = code == 429 or code >= 500
    hint = parse_retry_after(error.headers.get("Retry-After"))
    return FetchError(
        f"HTTP {code} {error.reason} from {url}", transient=transient, retry_after=hint
    )


def _connection_error(url: str, reason: object) -> FetchError:
    if isinstance(reason, socket.gaierror):
        return FetchError(
            f"cannot resolve the host of {url}: {reason}", transient=False
        )
    if isinstance(reason, ssl.SSLError):
        return FetchError(f"TLS failed for {url}: {reason}", transient=False)
    if isinstance(reason, ConnectionRefusedError):
        return FetchError(f"connection refused by {url}", transient=True)
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return FetchError(f"no response from {url} in time", transient=True)
    if isinstance(reason, (ConnectionError, http.client.HTTPException)):
        return FetchError(f"connection to {url} failed: {reason}", transient=True)
    return FetchError(f"cannot reach {url}: {reason}", transient=False)


class RetryingFetch:
    """Calls `get_json`, retrying transient failures with backoff.

    Retries never outlast the poll's deadline: a retry that would has its
    delay cut, and once the deadline is reached the last error is raised.
    """

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str],
        *,
        retries: int,
        backoff: Backoff,
        deadline: float | None,
        on_retry: Callable[[FetchError, int, float], object],
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._headers = dict(headers)
        self._retries = retries
        self._backoff = backoff
        self._deadline = deadline
        self._on_retry = on_retry
        self._sleep = sleep
        self._clock = clock

    def __call__(self) -> Response:
        """Fetch once, plus up to ``retries`` more times on transient failures."""
        delays: Iterator[float] = self._backoff.delays()
        attempt = 0
        while True:
            attempt += 1
            try:
                return get_json(self._url, self._headers, timeout=self._timeout())
            except FetchError as error:
                delay = self._retry_delay(error, attempt, delays)
                if delay is None:
                    raise
                self._on_retry(error, attempt, delay)
                self._sleep(delay)

    def _timeout(self) -> float:
        if self._deadline is None:
            return REQUEST_TIMEOUT
        return max(0.1, min(REQUEST_TIMEOUT, self._deadline - self._clock()))

    def _retry_delay(
        self, error: FetchError, attempt: int, delays: Iterator[float]
    ) -> float | None:
        if not error.transient or attempt > self._retries:
            return None
        delay = next(delays)
        if error.retry_after is not None and error.retry_after > 0:
            delay = error.retry_after
        if self._deadline is not None:
            remaining = self._deadline - self._clock()
            if remaining <= 0:
                return None
            delay = min(delay, remaining)
        return delay

"""What the command may print of what it is given: escaped, bounded, redacted.

Text from a server can hold escape sequences and line breaks meant for the
terminal or the CI log reading the output; URLs can hold credentials. Every
line the command prints goes through `safe_text` or `redact_url` first.
"""

from __future__ import annotations

import re
import urllib.parse

from .._errors import shown_word
from .._status import TaskStatus

MAX_SHOWN_TEXT_LENGTH = 200
"""The most characters of one piece of server text that a line shows."""

CREDENTIAL_WORDS = (
    "token",
    "key",
    "secret",
    "signature",
    "password",
    "passwd",
    "credential",
    "auth",
    "session",
    "jwt",
)
"""A query or path parameter whose name holds one of these (in any case) is a
secret: ``access_token``, ``id_token``, ``refresh_token``, ``client_secret``,
``jwt`` and the like."""

CREDENTIAL_NAMES = frozenset({"sig", "pwd", "pw", "pass", "code"})
"""Short names that are secrets only as a whole word of a parameter name
(``code`` is OAuth's authorization code)."""

REDACTED = "***"

_MAY_HIDE_SECRETS = re.compile(r"[@=\[\]]|[^\x00-\x7f]")


def safe_text(text: str, limit: int = MAX_SHOWN_TEXT_LENGTH) -> str:
    r"""Return ``text`` cut to ``limit`` characters with unprintables escaped.

    Control and format characters (escape sequences, CR and LF, bidi
    overrides) are written as Python escapes, so that a line stays one line
    and shows what the server sent.

    >>> safe_text("done\x1b[2J\n::warning::owned")
    'done\\x1b[2J\\n::warning::owned'
    """
    cut = len(text) > limit
    text = text[:limit]
    if not text.isprintable():
        text = "".join(
            char if char.isprintable() else repr(char)[1:-1] for char in text
        )
    return text + "..." if cut else text


def is_credential_name(name: str) -> bool:
    """Whether a query parameter named ``name`` carries a secret."""
    lowered = name.lower()
    if any(word in lowered for word in CREDENTIAL_WORDS):
        return True
    words = lowered.replace("-", "_").replace(".", "_").split("_")
    return not CREDENTIAL_NAMES.isdisjoint(words)


def redact_url(url: str) -> str:
    """Return ``url`` with its secrets shown as ``***``, escaped and cut to show.

    >>> redact_url("https://me:pw@api.example/t/1;jwt=e30?access_token=abc&page=2")
    'https://***@api.example/t/1;jwt=***?access_token=***&page=2'
    """
    return safe_text(redacted(url))


def redacted(url: str) -> str:
    """Return ``url`` with user info and credential parameters as ``***``.

    The query, the fragment and the path's parameters (``;name=value``) are
    redacted alike. Nothing is cut or escaped: this is also the form in
    which ``--state`` keeps a URL on disk.
    """
    if _MAY_HIDE_SECRETS.search(url) is None:
        # Most URLs: a secret needs an "@" or an "=", and urllib refuses only
        # brackets and non-ASCII look-alikes (a full-width "@" among them).
        # What is left to do is urllib's spelling (a lower-case scheme...).
        return urllib.parse.urlunsplit(urllib.parse.urlsplit(url))
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # such as an unclosed [ in the host
        return "(an unreadable URL)"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    path = "/".join(
        ";".join([segment, *_redact_pairs(parameters)])
        for segment, *parameters in (
            piece.split(";") for piece in parts.path.split("/")
        )
    )
    shown = parts._replace(
        netloc=netloc,
        path=path,
        query=_redact_parameters(parts.query),
        fragment=_redact_parameters(parts.fragment),
    )
    return urllib.parse.urlunsplit(shown)


def _redact_parameters(text: str) -> str:
    if "=" not in text:
        return text
    return "&".join(_redact_pairs(text.split("&")))


def _redact_pairs(pairs: list[str]) -> list[str]:
    shown: list[str] = []
    for pair in pairs:
        name, equals, _ = pair.partition("=")
        secret = equals and is_credential_name(urllib.parse.unquote_plus(name))
        shown.append(f"{name}={REDACTED}" if secret else pair)
    return shown


def shown_status(status: TaskStatus, word: object) -> str:
    """A status with the server's own word beside it, when that says more."""
    shown = shown_word(word, status)
    return str(status) if shown is None else f"{status} ({safe_text(shown)})"

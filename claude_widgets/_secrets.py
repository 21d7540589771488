"""Keeping the API key out of tracebacks, logs and files.

A key copied with a trailing newline (``echo "$KEY" > .env``, a notebook ``%env`` line)
used to reach the HTTP library, which refused the header with an error quoting it in
full (``Illegal header value b'...\\n'``), and that error was retried as a dropped
connection, logged, and shown in tracebacks. :func:`checked_api_key` runs before any
request: surrounding whitespace is stripped (with a note on stderr), any other character
that cannot travel in a header raises :class:`APIKeyError`, which names where the key
came from and what is wrong, never the key itself. :func:`redact_url` drops the
``user:password@`` part of a URL before it is written anywhere.
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit, urlunsplit

__all__ = ["APIKeyError", "checked_api_key", "redact_url"]

_noted: set[str] = set()


class APIKeyError(ValueError):
    """The API key cannot be sent: the message says why and where it came from, never the key."""


def _describe(ch: str) -> str:
    if ch in "\r\n":
        return "a line break"
    if ch.isspace():
        return "whitespace"
    if ord(ch) < 0x20 or ord(ch) == 0x7F:
        return f"a control character (U+{ord(ch):04X})"
    return "a non-ASCII character"


def checked_api_key(key: str, source: str = "ANTHROPIC_API_KEY") -> str:
    """``key`` without surrounding whitespace, or :class:`APIKeyError` if it can't be a header value.

    API keys are printable ASCII without spaces; anything else is a copy-and-paste accident.
    """
    stripped = key.strip()
    if stripped != key and source not in _noted:
        _noted.add(source)
        print(f"claude-widgets: {source} had whitespace around it (a trailing newline?); it was stripped",
              file=sys.stderr, flush=True)
    for i, ch in enumerate(stripped):
        if not "!" <= ch <= "~":
            raise APIKeyError(f"{source} contains {_describe(ch)} at position {i + 1} of {len(stripped)}: an API "
                              "key is printable ASCII without spaces; set it again from the Console "
                              "(the key itself is not shown here)")
    if not stripped:
        raise APIKeyError(f"{source} is empty or only whitespace")
    return stripped


def redact_url(url: str) -> str:
    """``url`` without ``user:password@``: the part of a URL that must never be written down."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=host))

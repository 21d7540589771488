"""Which stream failures to retry, and how long to wait first: the SDK's policy, extended.

The SDK retries a request only until its response starts (``anthropic/_base_client.py``:
``_should_retry``, ``_parse_retry_after_header``, ``_calculate_retry_timeout``). Resilient
streaming owns the whole policy instead (it calls the SDK with ``max_retries=0``), so this
module classifies every way an attempt can end early::

    HTTP error status        408 409 429 5xx 529 retry; 400 401 403 404 413... don't;
                             ``x-should-retry: true/false`` overrides, as in the SDK
    SSE ``error`` event      (APIStatusError, status 200) retried by its error type:
                             overloaded_error, api_error, rate_limit_error, timeout_error
    read timeout             no bytes for ``stall_timeout`` seconds: a stalled connection
    connection error         refused, reset, dropped mid-body; but not a request that could
                             not be written (``LocalProtocolError``: an illegal header such as
                             a key with a newline): that fails the same way every time
    ended early              the body ended cleanly but before ``message_stop``

and computes the wait: full jitter, ``uniform(0, min(cap, base * 2**n))`` (the SDK uses
"equal-ish" jitter, ``0.75..1 x``; full jitter spreads a crowd of clients better), unless the
server said how long with ``retry-after-ms`` / ``retry-after``, which always wins.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import anthropic
import httpx2

__all__ = ["Failure", "StreamEndedEarly", "classify", "full_jitter", "parse_retry_after"]

NEVER_RETRY = frozenset({400, 401, 402, 403, 404, 413})
"""Statuses that fail the same way however often they are sent (unless ``x-should-retry: true``)."""

_ERROR_TYPE_STATUS = {
    "invalid_request_error": 400, "authentication_error": 401, "billing_error": 402,
    "permission_error": 403, "not_found_error": 404, "request_too_large": 413,
    "rate_limit_error": 429, "api_error": 500, "timeout_error": 504, "overloaded_error": 529,
}
_STATUS_WORDS = {408: "request timeout", 409: "conflict", 429: "rate limited", 500: "server error",
                 502: "bad gateway", 503: "unavailable", 504: "gateway timeout", 529: "overloaded"}


class StreamEndedEarly(Exception):
    """The response body ended without an error but before ``message_stop``."""


@dataclass(frozen=True)
class Failure:
    """How an attempt failed, in the terms the retry loop needs."""

    retryable: bool
    reason: str
    """Short and readable, for ``RetryEvent.reason`` and the log: ``"overloaded (529)"``."""
    status: int | None = None
    """The HTTP status, or the status an SSE error event's type stands for (200 never appears)."""
    error_type: str | None = None
    message: str | None = None
    """The API's error message, when there is one."""
    retry_after: float | None = None
    """Seconds the server asked us to wait (``retry-after-ms`` / ``retry-after``)."""


def parse_retry_after(headers: Mapping[str, str] | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait as the response headers ask, like the SDK's ``_parse_retry_after_header``.

    ``retry-after-ms`` (the API's precise one) first, then ``retry-after`` as seconds (floats
    allowed), then as an HTTP date.
    """
    if headers is None:
        return None
    try:
        return float(headers.get("retry-after-ms", "")) / 1000
    except (TypeError, ValueError):
        pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return float(email.utils.mktime_tz(parsed) - now())


def full_jitter(retry: int, *, base: float, cap: float, random: Callable[[], float]) -> float:
    """The wait before retry number ``retry`` (0 for the first): ``uniform(0, min(cap, base * 2**retry))``."""
    return random() * min(cap, base * 2.0 ** min(retry, 1000))


def _body_error(body: object) -> tuple[str | None, str | None]:
    if isinstance(body, Mapping):
        err = body.get("error", body)
        if isinstance(err, Mapping):
            t, m = err.get("type"), err.get("message")
            return (t if isinstance(t, str) else None), (m if isinstance(m, str) else None)
    return None, None


def _status_error(exc: anthropic.APIStatusError) -> Failure:
    error_type, message = _body_error(exc.body)
    if exc.status_code == 200:
        # An SSE `error` event after a 200 response: the headers say nothing, the body's type does.
        status = _ERROR_TYPE_STATUS.get(error_type or "", 500)
        retryable = status not in NEVER_RETRY
        return Failure(retryable, f"{error_type or 'error'} event mid-stream", status, error_type, message)
    status = exc.status_code
    header = exc.response.headers.get("x-should-retry")
    if header in ("true", "false"):
        retryable = header == "true"
    else:
        retryable = status in (408, 409, 429) or status >= 500
    word = _STATUS_WORDS.get(status, error_type or "HTTP error")
    return Failure(retryable, f"{word} ({status})", status, error_type, message,
                   parse_retry_after(exc.response.headers))


def _local_error(exc: BaseException) -> BaseException | None:
    """An error raised while *building* the request (h11/httpx ``LocalProtocolError``), if in the chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, httpx2.LocalProtocolError):
            return current
        current = current.__cause__ or current.__context__
    return None


def classify(exc: BaseException, *, stall_timeout: float | None = None) -> Failure:
    """How ``exc``, raised while opening or reading a stream, should be handled.

    Walks the ``__cause__`` chain like the SDK's ``_should_retry_exception``, so a retryable
    error wrapped with ``raise ... from`` stays retryable. Anything unrecognised is fatal.
    """
    local = _local_error(exc)
    if local is not None:
        # The request could not even be written (an illegal header value: a key with a newline).
        # Sending it again fails the same way; its message would quote the header, so leave it out.
        return Failure(False, f"the request could not be sent ({type(local).__name__}: an invalid header "
                              "or URL; the value is not shown)")
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, anthropic.APIStatusError):
            return _status_error(current)
        if isinstance(current, anthropic.APIConnectionError) and isinstance(current.__cause__, httpx2.TransportError):
            # anthropic>=2.17 (`_streaming.py` `iter_response_bytes`) wraps a failed read of the body,
            # a ReadTimeout included, in APIConnectionError/APITimeoutError: judge the httpx2 error
            current = current.__cause__
            continue
        if isinstance(current, (anthropic.APITimeoutError, httpx2.TimeoutException)):
            if isinstance(current, httpx2.ReadTimeout) and stall_timeout is not None:
                return Failure(True, f"stalled: no data for {stall_timeout:g} s")
            return Failure(True, "timed out")
        if isinstance(current, (anthropic.APIConnectionError, httpx2.TransportError)):
            return Failure(True, "connection dropped")
        if isinstance(current, StreamEndedEarly):
            return Failure(True, "stream ended before message_stop")
        if isinstance(current, anthropic.RetryableError):
            return Failure(True, str(current) or "retryable error")
        current = current.__cause__
    return Failure(False, f"{type(exc).__name__}: {exc}")

"""Errors of a stream, and the one short line the status bar shows for each."""

from __future__ import annotations

__all__ = ["IncompleteStreamError", "describe_error"]


class IncompleteStreamError(ConnectionError):
    """The event stream ended before ``message_stop`` (the connection was cut)."""



_ERROR_TYPES = {
    "invalid_request_error": ("Bad request", 400),
    "authentication_error": ("Authentication failed", 401),
    "billing_error": ("Billing error", 402),
    "permission_error": ("Permission denied", 403),
    "not_found_error": ("Not found", 404),
    "request_too_large": ("Request too large", 413),
    "rate_limit_error": ("Rate limited", 429),
    "api_error": ("API error", 500),
    "timeout_error": ("Timed out", 504),
    "overloaded_error": ("Overloaded", 529),
}
_STATUS_TITLES = {status: title for title, status in _ERROR_TYPES.values()}


def describe_error(exc: BaseException, nchars: int = 0, *, started: bool = False) -> str:
    """A short readable line for the status bar, e.g. ``Overloaded (529): Overloaded``.

    ``started``: the response had begun (``message_start`` was seen), so a connection error
    can only be the body's read failing.
    """
    import anthropic

    cause = exc.__cause__
    if hasattr(exc, "attempts") and hasattr(exc, "partial_text") and isinstance(cause, BaseException):
        # a resilient stream gave up: say why the last attempt failed
        return _short(f"{describe_error(cause, nchars, started=started)} (after {len(exc.attempts)} attempts)")
    if isinstance(exc, anthropic.APIStatusError):
        etype = getattr(exc, "type", None)
        message = getattr(exc, "api_message", None)
        body = exc.body
        if isinstance(body, dict):
            inner = body.get("error", body)
            if isinstance(inner, dict):
                etype = etype or inner.get("type")
                message = message or inner.get("message")
        status = exc.status_code
        title = None
        if etype in _ERROR_TYPES:
            title, typical = _ERROR_TYPES[etype]
            if status < 400:  # an error event inside a 200 stream: report the type's status
                status = typical
        title = title or _STATUS_TITLES.get(status) or ("API error" if status >= 500 else "Request failed")
        return _short(f"{title} ({status}): {message or exc.message}")
    if isinstance(exc, anthropic.APITimeoutError):
        return "Timed out" + (f" after {nchars} characters" if nchars else "")
    if isinstance(exc, anthropic.APIConnectionError):
        # anthropic>=2.17 (`_streaming.py` `iter_response_bytes`) wraps a failed read of the body
        # in APIConnectionError ("Connection to HOST failed: peer closed connection …") with the
        # httpx2 error as `__cause__`; older SDKs raised that httpx2 error itself (below)
        import httpx2

        if isinstance(exc.__cause__, httpx2.StreamClosed):
            return "Stream read after it was closed: read it inside its `with` block"
        if started:
            return f"Connection dropped after {nchars} characters"
        # 2.17's message names the host and the cause ("Connection to HOST failed: …"); older
        # SDKs said only "Connection error."
        message = exc.message
        return _short(message if message.startswith("Connection to ") else f"Connection failed: {message}")
    name = type(exc).__name__
    if isinstance(exc, IncompleteStreamError) or name in (
        "RemoteProtocolError", "ReadError", "ConnectError", "NetworkError", "StreamError",
        "ConnectionResetError", "BrokenPipeError", "IncompleteRead",
    ):
        return f"Connection dropped after {nchars} characters"
    if name in ("ReadTimeout", "TimeoutException", "TimeoutError"):
        return f"Timed out after {nchars} characters"
    return _short(f"{name}: {exc}" if str(exc) else name)


def _short(s: str, limit: int = 200) -> str:
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"

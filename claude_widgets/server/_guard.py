"""Idle connections and running out of file descriptors: the server stays reachable.

uvicorn closes a connection that stays idle *after* a response (``timeout_keep_alive``),
but not one that never sends a request, or sends half a header and stops (its
``data_received`` even cancels the keep-alive timer): every such socket held a file
descriptor forever, and 1,100 of them under ``ulimit -n 1024`` locked real clients out
while asyncio logged an ``EMFILE`` traceback at every accept retry. Three guards:

* :class:`GuardedH11Protocol` gives every request :data:`HEADER_TIMEOUT` seconds, from
  its first byte (or from the connection, for the first request), to finish its headers;
  a connection that doesn't is closed. (``_app`` bounds the wait for body bytes the same way.)
* When ``accept()`` fails for lack of descriptors, :func:`install_accept_guard` closes the
  idle connections that have waited longest (no request in progress) so that the next
  accept, which asyncio retries a second later, succeeds.
* That event is logged as one line, at most every :data:`LOG_EVERY` seconds. asyncio
  (3.11's ``selector_events._accept_connection``) keeps calling ``accept()`` up to
  ``backlog`` (2,048) times after the first ``EMFILE``, each time reporting it with a
  traceback: that flooded the log with hundreds of MB a minute.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import time
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

log = logging.getLogger("claude_widgets.server")

HEADER_TIMEOUT = 10.0
"""Seconds a client has to send a request's headers (nginx's ``client_header_timeout`` is 60)."""
LOG_EVERY = 10.0
"""At most one log line per this many seconds about running out of descriptors."""
STALE_AFTER = 1.0
"""Out of descriptors, a connection waiting this long for a request is closed."""
SHED_EVERY = 0.5
"""Idle connections are shed at most this often (asyncio retries a failed accept after 1 s)."""
_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections that don't send their headers in time."""

    header_timeout: float = HEADER_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.idle_since = time.monotonic()
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.waiting_for_request:
            self._arm_header_timer()  # headers not complete yet: the clock runs from their first byte
        else:
            self._cancel_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self.idle_since = time.monotonic()
        super().on_response_complete()

    @property
    def waiting_for_request(self) -> bool:
        """No request in progress: before the first one, or between two (keep-alive)."""
        return self.conn.their_state is h11.IDLE and (self.cycle is None or self.cycle.response_complete)

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.waiting_for_request and not self.transport.is_closing():
            self.close_idle()

    def close_idle(self) -> None:
        self._cancel_header_timer()
        self.transport.close()


def _shed_idle(server_state: ServerState) -> int:
    """Close the longest-idle connections that have no request in progress; how many were closed."""
    idle = sorted((c for c in server_state.connections
                   if isinstance(c, GuardedH11Protocol) and c.waiting_for_request and not c.transport.is_closing()),
                  key=lambda c: c.idle_since)
    # Everyone idle for a second (a real client sends its request at once; a pooled keep-alive
    # connection can reconnect), and at least the oldest quarter.
    now = time.monotonic()
    stale = sum(1 for c in idle if now - c.idle_since >= STALE_AFTER)
    victims = idle[: max(stale, len(idle) // 4, 1)] if idle else []
    for c in victims:
        c.close_idle()
    return len(victims)


def install_accept_guard(loop: asyncio.AbstractEventLoop, server_state: ServerState) -> None:
    """Handle ``accept()`` failing for lack of descriptors: shed idle connections, log quietly."""
    previous = loop.get_exception_handler()
    last_logged = [-LOG_EVERY]
    last_shed = [-SHED_EVERY]

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in _OUT_OF_RESOURCES and "accept" in context.get("message", ""):
            now = time.monotonic()
            if now - last_shed[0] < SHED_EVERY:
                return  # the same burst of failed accepts: connections closed for it are still closing
            last_shed[0] = now
            shed = _shed_idle(server_state)
            if now - last_logged[0] >= LOG_EVERY:
                last_logged[0] = now
                log.warning("out of file descriptors (%s): closed %d idle connection(s); new connections "
                            "wait for a free one (this message repeats at most every %g s)",
                            errno.errorcode.get(exc.errno or 0, exc.errno), shed, LOG_EVERY)
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)

"""Cutting an HTTP response that another thread (or task) is blocked reading.

Stop buttons and ``close()`` calls arrive on a different thread from the one reading
the stream. Closing the response from there races the read; shutting its socket down
instead makes the blocked read fail at once, the server sees the disconnect, and the
reader closes the response itself.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any


def interrupt_response(response: Any) -> None:
    """Make a read blocked on ``response`` fail now (falls back to closing it)."""
    sock = None
    with contextlib.suppress(Exception):
        sock = response.extensions["network_stream"].get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        return
    with contextlib.suppress(Exception):
        response.close()

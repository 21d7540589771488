"""A loopback port that nothing listens on (yet): for a server to start on, or a refused connection."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

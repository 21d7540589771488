"""Issue 13, finding 6: idle connections are closed, and cannot lock real clients out.

Before: a socket that connected and sent nothing (or half a header) was kept forever;
under a low descriptor limit a crowd of them locked real clients out, and asyncio logged
an EMFILE traceback thousands of times a second.
"""

from __future__ import annotations

import socket
import time

import anthropic

from claude_widgets import DEFAULT_MODEL

from ._proc import server_process

HALF_A_HEADER = b"POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\n"


def _connect(base_url: str, n: int) -> list[socket.socket]:
    host, port = base_url[len("http://"):].split(":")
    socks = []
    for i in range(n):
        s = socket.create_connection((host, int(port)))
        if i % 2:
            s.sendall(HALF_A_HEADER)  # a slow client that never finishes its headers
        socks.append(s)
    return socks


def _closed_by_server(s: socket.socket) -> bool:
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False  # open, nothing to read
    except OSError:
        return True


def _ask(base_url: str) -> str:
    with anthropic.Anthropic(base_url=base_url, api_key="k", max_retries=0, timeout=10) as sdk:
        reply = sdk.messages.create(model=DEFAULT_MODEL, max_tokens=50, messages=[{"role": "user", "content": "a haiku"}])
        return reply.content[0].text  # type: ignore[union-attr]


def test_idle_connections_are_closed_after_the_header_timeout() -> None:
    with server_process("--header-timeout", "1") as srv:
        socks = _connect(srv.base_url, 20)
        try:
            time.sleep(0.3)
            assert not any(_closed_by_server(s) for s in socks)  # not before the timeout
            deadline = time.monotonic() + 4
            while not all(_closed_by_server(s) for s in socks) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert all(_closed_by_server(s) for s in socks), "idle connections still open 4 s after a 1 s timeout"
            assert "Tokens drift like snow" in _ask(srv.base_url)
        finally:
            for s in socks:
                s.close()


def test_a_crowd_of_idle_sockets_does_not_lock_out_a_real_client() -> None:
    """200 idle sockets against a 64-descriptor limit: an SDK request still gets its answer, quickly."""
    with server_process("--header-timeout", "30", nofile=64) as srv:
        socks = _connect(srv.base_url, 200)
        try:
            time.sleep(1)
            t0 = time.monotonic()
            assert "Tokens drift like snow" in _ask(srv.base_url)
            waited = time.monotonic() - t0
            time.sleep(1)
            log = srv.stderr()
        finally:
            for s in socks:
                s.close()
    # idle connections are shed after 1 s when descriptors run out: well before the 30 s header
    # timeout (the bound leaves room for a loaded machine; before the fix it never got an answer)
    assert waited < 10, f"the request waited {waited:.1f} s for a descriptor"
    assert len(log) < 2000, f"{len(log)} bytes of log: {log[:500]}"
    assert "out of file descriptors (EMFILE)" in log and "Traceback" not in log

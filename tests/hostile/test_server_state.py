"""Issue 13, finding 4: the server's state and work stay bounded, whatever the requests.

The long answer streams while it is generated (first byte at once, other clients served);
the request log and the fault counters forget old entries; an oversized body is refused
as soon as it passes the limit, not after it has been buffered whole.
"""

from __future__ import annotations

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from claude_widgets import DEFAULT_MODEL
from claude_widgets.server import OfflineServer

from ._proc import server_process

HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}


def _ttfb(url: str, max_tokens: int, scenario: str = "long") -> float:
    body = {"model": DEFAULT_MODEL, "max_tokens": max_tokens, "stream": True,
            "messages": [{"role": "user", "content": "go"}]}
    with httpx.Client(timeout=60) as http:
        t0 = time.perf_counter()
        with http.stream("POST", url + "/v1/messages", json=body,
                         headers={**HEADERS, "x-offline-scenario": scenario}) as r:
            assert r.status_code == 200
            next(r.iter_raw())
            return time.perf_counter() - t0


def _crowd(url: str, max_tokens: int) -> tuple[float, float]:
    """Twelve long answers of ``max_tokens`` at once, and a short one: their slowest first byte, and the short one's."""
    with ThreadPoolExecutor(13) as pool:
        longs = [pool.submit(_ttfb, url, max_tokens) for _ in range(12)]
        short = pool.submit(_ttfb, url, 50, "haiku")
        return max(f.result() for f in longs), short.result()


def test_long_answers_start_at_once_and_block_no_one(server: OfflineServer) -> None:
    """Twelve 64,000-token answers at once start as fast as twelve 100-token ones, and so does a short one.

    (64,000 is the output limit of the default model, Claude Haiku 4.5.) Compared with the
    same crowd asking for 100 tokens, so that the machine's load cancels out: before the fix
    each long answer was built whole before its first byte, on the event loop (1.3 s vs 0.2 s).
    """
    _crowd(server.base_url, 100)  # warm up
    small, small_short = _crowd(server.base_url, 100)
    large, large_short = _crowd(server.base_url, 64_000)
    assert large < 2 * small + 0.2, f"first bytes after {large:.2f} s (vs {small:.2f} s for 100 tokens)"
    assert large_short < 2 * small_short + 0.2, f"a short request waited {large_short:.2f} s behind long answers"


def test_a_long_answer_is_whole_and_cut_at_max_tokens(server: OfflineServer) -> None:
    sdk_body = {"model": DEFAULT_MODEL, "max_tokens": 3000, "messages": [{"role": "user", "content": "go"}]}
    r = httpx.post(server.base_url + "/v1/messages", json=sdk_body, headers={**HEADERS, "x-offline-scenario": "long"})
    message = r.json()
    assert message["stop_reason"] == "max_tokens" and message["usage"]["output_tokens"] == 3000
    text = message["content"][0]["text"]
    assert text.startswith("## Section 1: streaming") and "## Section 20:" in text
    with httpx.stream("POST", server.base_url + "/v1/messages", json={**sdk_body, "stream": True},
                      headers={**HEADERS, "x-offline-scenario": "long"}) as s:
        events = [json.loads(line[5:]) for line in s.iter_lines() if line.startswith("data:")]
    streamed = "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta")
    assert streamed == text
    assert events[-2]["delta"]["stop_reason"] == "max_tokens" and events[-2]["usage"]["output_tokens"] == 3000


def _pipelined(base_url: str, start: int, n: int, batch: int = 100) -> None:
    """``n`` count_tokens requests of 10 KB, ``batch`` at a time on one connection (HTTP/1.1 pipelining).

    Each carries its own fault id. A raw socket keeps the client's cost low, so that 10,000
    requests take seconds, not minutes.
    """
    host, port = base_url[len("http://"):].split(":")
    padding = "x" * 10_000
    for first in range(start, start + n, batch):
        wire = bytearray()
        ids = range(first, min(first + batch, start + n))
        for i in ids:
            body = json.dumps({"model": DEFAULT_MODEL, "system": padding,
                               "messages": [{"role": "user", "content": f"hi {i}"}]}).encode()
            close = b"connection: close\r\n" if i == ids[-1] else b""
            wire += (b"POST /v1/messages/count_tokens HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\n"
                     b"anthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"
                     b"x-offline-fault: trickle=0; id=%d\r\n%scontent-length: %d\r\n\r\n" % (i, close, len(body)))
            wire += body
        with socket.create_connection((host, int(port)), timeout=60) as sock:
            sock.sendall(wire)
            reply = bytearray()
            while data := sock.recv(1 << 16):
                reply += data
        assert reply.count(b"HTTP/1.1 200 ") == len(ids), bytes(reply[:300])


def test_rss_stays_bounded_over_10000_requests() -> None:
    """10,000 requests of 10 KB, each with its own fault id: the server grows by less than 40 MB.

    Before the fix every body (parsed) and every fault id was kept forever: +100 MB and more.
    """
    with server_process() as srv:
        _pipelined(srv.base_url, 0, 1_000)  # warm up: allocator arenas, caches, the bounded log filling up
        before = srv.rss_mb()
        _pipelined(srv.base_url, 1_000, 9_000)
        after = srv.rss_mb()
    assert after - before < 40, f"RSS grew from {before:.0f} to {after:.0f} MB over 9,000 more requests"


def test_an_oversized_body_is_refused_before_it_ends(server: OfflineServer) -> None:
    """A chunked body past 32 MB gets the API's 413 while the client is still sending."""
    host, port = server.base_url[len("http://"):].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\n"
                     b"content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
        chunk = b"a" * (1024 * 1024)
        frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
        for _ in range(33):  # 33 MB of a body announced as much longer: never finished
            sock.sendall(frame)
        sock.settimeout(10)
        reply = b""
        while b"\r\n\r\n" not in reply or b"request_too_large" not in reply:
            data = sock.recv(65536)
            assert data, "the server closed the connection without answering"
            reply += data
    assert reply.startswith(b"HTTP/1.1 413")
    body = json.loads(reply.split(b"\r\n\r\n", 1)[1])
    assert body["error"]["type"] == "request_too_large"


def test_threads_and_cache_entries_are_bounded() -> None:
    """The message-threads store and the prompt cache forget old entries instead of growing forever."""
    from claude_widgets.server._caching import MAX_ENTRIES, CacheStore
    from claude_widgets.server._threads import ThreadStore

    threads = ThreadStore(max_threads=3)
    body = {"model": "claude-haiku-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    for i in range(5):
        threads.record(f"msg_{i}", body, {"type": "create"}, [{"type": "text", "text": "hello"}])
    assert list(threads._threads) == ["msg_2", "msg_3", "msg_4"]

    now = [0.0]
    cache = CacheStore(clock=lambda: now[0])
    for i in range(MAX_ENTRIES + 50):
        cache._expiry[f"k{i}"] = 300.0
    now[0] = 1000.0  # all expired
    cache.use(body, "claude-haiku-4-5", 10)
    assert len(cache._expiry) < 10

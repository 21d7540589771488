"""``anthropic-ratelimit-*`` headers on every response, as the API sends them.

The API reports each limit with ``-limit``, ``-remaining`` and ``-reset`` (RFC 3339)
for requests, input tokens, output tokens and tokens (the rate-limits page,
platform.claude.com/docs/en/api/rate-limits, "Response headers"). The offline server
never limits: it counts requests per minute against a generous, fixed limit so that code
reading the headers (a client-side throttle, a progress bar) has real numbers to read.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS_PER_MINUTE = 4000
INPUT_TOKENS_PER_MINUTE = 2_000_000
OUTPUT_TOKENS_PER_MINUTE = 400_000


class RateLimitHeaders:
    """ASGI middleware adding the headers to every HTTP response, streamed ones included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._minute = 0
        self._count = 0

    def _headers(self) -> list[tuple[bytes, bytes]]:
        now = time.time()
        minute = int(now // 60)
        with self._lock:
            if minute != self._minute:
                self._minute, self._count = minute, 0
            self._count += 1
            remaining = max(0, REQUESTS_PER_MINUTE - self._count)
        reset = datetime.fromtimestamp((minute + 1) * 60, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
        out = []
        for kind, limit, left in (("requests", REQUESTS_PER_MINUTE, remaining),
                                  ("input-tokens", INPUT_TOKENS_PER_MINUTE, INPUT_TOKENS_PER_MINUTE),
                                  ("output-tokens", OUTPUT_TOKENS_PER_MINUTE, OUTPUT_TOKENS_PER_MINUTE),
                                  ("tokens", INPUT_TOKENS_PER_MINUTE + OUTPUT_TOKENS_PER_MINUTE,
                                   INPUT_TOKENS_PER_MINUTE + OUTPUT_TOKENS_PER_MINUTE)):
            prefix = f"anthropic-ratelimit-{kind}-".encode()
            out += [(prefix + b"limit", str(limit).encode()), (prefix + b"remaining", str(left).encode()),
                    (prefix + b"reset", reset)]
        return out

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._headers()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

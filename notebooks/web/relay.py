"""A relay between a web page and Claude: the page never sees the API key.

The browser POSTs ``{"prompt": "..."}`` to ``chat``; this app opens
``client.messages.stream(...)`` with the server's own key (or against the offline server)
and re-emits the answer as server-sent events the page can read with ``fetch``::

    data: {"type": "text", "text": "Hello"}
    data: {"type": "error", "message": "..."}     (the upstream failed; no [DONE] follows)
    data: {"type": "stop", "stop_reason": "..."}  (why the answer ended: end_turn, max_tokens, refusal...)
    data: [DONE]                                  (the stream is complete)

``[DONE]`` only says the stream ended well; whether the *answer* is complete is the
``stop`` event's ``stop_reason``: ``max_tokens`` and ``model_context_window_exceeded`` cut
it, ``refusal`` means the text so far is not an answer (notebook 12).

When the browser goes away (its Stop button aborts the fetch), Starlette cancels the
response, which leaves the ``async with`` block and closes the upstream stream: Claude
stops generating for a reader who has left. (Behind jupyter-server-proxy 4.x, as on
Binder, the proxy does not pass the disconnect on: the upstream stream then runs to its end.)

Debug options, for tests and the tutorial only (``debug=True``; never in production),
given as query parameters of ``chat``:

``fault=SPEC``   pass ``x-offline-fault: SPEC`` to the offline server (e.g. ``error-after=5``)
``delay=MS``     pass ``x-offline-delay-ms: MS`` (pace the offline server's deltas)
``chunk=N``      write the SSE bytes in N-byte pieces, to prove the page buffers partial lines

Run it on its own (``python notebooks/web/relay.py --port 8000``) or from a notebook with
:class:`RelayServer`, which serves it from a background thread on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import uvicorn
from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field
from typing_extensions import Self

HERE = Path(__file__).resolve().parent
DONE = b"data: [DONE]\n\n"
log = logging.getLogger("relay")

# The page loads only its own script and talks only to its own origin.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; "
                               "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    "Cache-Control": "no-store",
}
# No caching, and no buffering by reverse proxies that honour this header (nginx).
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class ChatRequest(BaseModel):
    prompt: str = Field(min_length=1, max_length=20_000)


@dataclass
class RelayRecord:
    """How one relayed stream went: ``streaming``, then ``done``, ``error`` or ``disconnected``."""

    prompt: str
    outcome: str = "streaming"
    text_events: int = 0
    error: str | None = None
    stop_reason: str | None = None


def sse(data: dict[str, Any]) -> bytes:
    """One server-sent event carrying JSON (UTF-8, not ``\\u`` escapes: multi-byte characters stay)."""
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def readable_error(exc: BaseException, *, started: bool = False) -> str:
    """A message for the page: what went wrong upstream, without request ids or secrets.

    ``started``: Claude's answer had begun. A connection that breaks then is not one that
    could not be made, although the SDK raises ``APIConnectionError`` for both (since 2.17;
    the HTTP library's own error is its ``__cause__``).
    """
    if isinstance(exc, anthropic.APIStatusError):
        body: dict[str, Any] = exc.body if isinstance(exc.body, dict) else {}
        err: dict[str, Any] = body["error"] if isinstance(body.get("error"), dict) else {}
        kind = err.get("type", "api_error")
        message = err.get("message", "no details")
        if exc.status_code == 200:  # an `event: error` in the middle of the stream
            return f"Claude's API stopped the answer with an error: {kind} ({message})."
        return f"Claude's API answered {exc.status_code}: {kind} ({message})."
    if isinstance(exc, anthropic.APIConnectionError) and not started:
        return "The relay could not reach Claude's API (connection error)."
    cause = exc.__cause__ if isinstance(exc, anthropic.APIConnectionError) and exc.__cause__ else exc
    return f"The connection to Claude's API broke mid-answer ({type(cause).__name__})."


async def relay_events(client: anthropic.AsyncAnthropic, prompt: str, *, model: str, max_tokens: int,
                       headers: dict[str, str], record: RelayRecord) -> AsyncGenerator[bytes, None]:
    """Claude's answer to ``prompt``, re-emitted as the relay's server-sent events."""
    started = False
    try:
        async with client.messages.stream(
            model=model,
            max_tokens=max_tokens,
            messages=[{"role": "user", "content": prompt}],
            extra_headers=headers or None,
        ) as stream:
            started = True  # the API answered 200: from here on, a failure breaks the answer
            async for text in stream.text_stream:
                record.text_events += 1
                yield sse({"type": "text", "text": text})
            final = await stream.get_final_message()  # the stream is read: this only returns it
            record.stop_reason = final.stop_reason
            yield sse({"type": "stop", "stop_reason": final.stop_reason})
    except (asyncio.CancelledError, GeneratorExit):
        # The browser went away: leaving the `async with` above closed the upstream stream.
        record.outcome = "disconnected"
        raise
    except Exception as exc:  # noqa: BLE001 - any upstream failure becomes a readable error event
        record.outcome, record.error = "error", readable_error(exc, started=started)
        log.info("upstream failed: %r", exc)
        yield sse({"type": "error", "message": record.error})
        return
    record.outcome = "done"
    yield DONE


async def _rechunk(body: AsyncGenerator[bytes, None], size: int) -> AsyncIterator[bytes]:
    """Debug: re-cut the byte stream into ``size``-byte pieces, each sent on its own."""
    try:
        async for data in body:
            for i in range(0, len(data), size):
                yield data[i : i + size]
                await asyncio.sleep(0.001)  # give each piece its own write, so they don't merge again
    finally:
        await body.aclose()  # on a disconnect, close the relay (and upstream) now


def create_app(
    client: anthropic.AsyncAnthropic | None = None,
    *,
    model: str | None = None,
    max_tokens: int = 1024,
    debug: bool = False,
) -> FastAPI:
    """The relay app. ``client`` defaults to ``claude_widgets.async_client()`` (real API with a key).

    The app owns ``client`` from here on: it closes it when the server shuts down, on the
    server's own event loop, where the client's pooled connections live (a client closed from
    another loop cannot close them).
    """
    if client is None or model is None:
        import claude_widgets as cw

        client = client or cw.async_client()
        model = model or cw.DEFAULT_MODEL
    upstream, model_name = client, model

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await upstream.close()

    app = FastAPI(title="Claude relay", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.records = []
    app.state.upstream = upstream

    @app.get("/")
    async def page() -> FileResponse:
        return FileResponse(HERE / "index.html", media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    @app.get("/stream.js")
    async def script() -> FileResponse:
        return FileResponse(HERE / "stream.js", media_type="text/javascript; charset=utf-8",
                            headers={"Cache-Control": "no-store"})

    @app.post("/chat")
    async def chat(
        body: ChatRequest,
        fault: str | None = Query(None, max_length=200),
        delay: float | None = Query(None, ge=0, le=5000),
        chunk: int | None = Query(None, ge=1, le=65536),
    ) -> StreamingResponse:
        if not debug and (fault, delay, chunk) != (None, None, None):
            raise HTTPException(400, "fault, delay and chunk are debug options, and this relay runs without debug")
        headers = {}
        if fault:
            headers["x-offline-fault"] = fault
        if delay is not None:
            headers["x-offline-delay-ms"] = f"{delay:g}"
        record = RelayRecord(prompt=body.prompt)
        app.state.records.append(record)
        answer = relay_events(upstream, body.prompt, model=model_name, max_tokens=max_tokens,
                              headers=headers, record=record)
        events = _rechunk(answer, chunk) if chunk else answer
        return StreamingResponse(events, media_type="text/event-stream; charset=utf-8", headers=STREAM_HEADERS)

    return app


class RelayServer:
    """The relay served by uvicorn in a daemon thread, on 127.0.0.1 and a free port.

    ``url`` is where a browser on this machine finds the page; ``records`` tells how each
    relayed stream ended. ``stop()`` shuts it down (also at the end of a ``with`` block).
    """

    def __init__(self, client: anthropic.AsyncAnthropic | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, **options: Any) -> None:
        self.app = create_app(client, **options)
        self.host, self._port = host, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def records(self) -> list[RelayRecord]:
        return self.app.state.records  # type: ignore[no-any-return]

    @property
    def upstream(self) -> anthropic.AsyncAnthropic:
        """The client the app relays to (and closes when the server shuts down)."""
        return self.app.state.upstream  # type: ignore[no-any-return]

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> Self:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port))  # port 0: the OS picks a free one
        sock.listen(128)
        self._sock, self.port = sock, sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="on",
                                timeout_graceful_shutdown=1)
        server = self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=lambda: server.run(sockets=[sock]), daemon=True,
                                        name=f"relay:{self.port}")
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the relay did not start on {self.url}")
            time.sleep(0.005)
        return self

    def wait_for_outcome(self, timeout: float = 10.0) -> RelayRecord:
        """The last stream's record, once it has ended (or after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while self.records[-1].outcome == "streaming" and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.records[-1]

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout / 2)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout / 2)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<RelayServer {'running at ' + self.url if self.running else 'stopped'}>"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--debug", action="store_true", help="accept the fault/delay/chunk query parameters")
    args = parser.parse_args()
    print(f"relay: http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(create_app(debug=args.debug), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

"""The Starlette application: routes, authentication, errors, and the streamed body.

Everything that decides *what* to answer lives elsewhere (``_validate`` and ``_request``
validate, ``_scenarios``, ``_continuation`` and ``_cassettes`` answer, ``_answer`` renders
events, ``_models_api`` serves the model catalogue, ``_faults`` breaks things on purpose);
this module is the HTTP shell around them and keeps the wire
details of the real API: status codes, the JSON error body, ``request-id``,
``x-should-retry``, ``retry-after``, and ``text/event-stream`` framing.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sse_starlette import ServerSentEvent
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from . import _caching, _citations, _continuation, _eager, _scenarios, _special, _structured, _tokens
from ._answer import Answer, Event, continue_after, message_json, stream_events
from ._cassettes import Cassette, CassetteLibrary
from ._errors import APIError, invalid
from ._faults import Fault, FaultBook
from ._guard import HEADER_TIMEOUT
from ._history import RequestLog, RequestRecord
from ._models_api import list_models, retrieve_model
from ._ratelimit import RateLimitHeaders
from ._request import MessagesRequest, parse_messages_request
from ._threads import ThreadStore
from ._validate import check_shapes, parse_body

T = TypeVar("T")

log = logging.getLogger("claude_widgets.server")

INVALID_KEYS = frozenset({"bad-key", "invalid"})
"""API keys the server rejects with 401, to demonstrate authentication errors."""


class DropConnection(Exception):
    """Raised inside a streamed body to make the server cut the connection mid-response."""


class _QuietDrops(logging.Filter):
    """Keep uvicorn from printing a traceback for connections we dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        while exc is not None:
            if isinstance(exc, DropConnection):
                return False
            group = getattr(exc, "exceptions", None)  # an exception group (anyio's task groups)
            exc = exc.__cause__ or exc.__context__ or (group[0] if group else None)
        return True


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


@dataclass
class ServerConfig:
    delay_ms: float = 0.0
    """Pause before each content delta (0 for tests; ~20 ms reads like the real API)."""
    fault: str | None = None
    """A server-wide fault spec, applied as if every request carried it (see ``_faults``)."""
    cassettes: CassetteLibrary | None = None
    require_api_key: bool = True
    max_body_bytes: int = 32 * 1024 * 1024
    """The API's limit for a Messages request (docs: "Request size limits", 32 MB); larger is a 413."""
    organization_id: str = "offline-claude-widgets"
    header_timeout: float = HEADER_TIMEOUT
    """Seconds to send a request's headers, or between two parts of its body (see ``_guard``)."""
    vary: bool = False
    """Each new request answers with the next variant (see ``_continuation``), as sampling varies."""


class ServerState:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.faults = FaultBook()
        self.log = RequestLog()
        self.threads = ThreadStore()
        self.cache = _caching.CacheStore()
        self._counter = 0
        self._variants = 0
        self._lock = threading.Lock()

    def next_variant(self) -> int:
        with self._lock:
            self._variants += 1
            return self._variants

    def new_record(self, request: Request, *, logged: bool = True) -> RequestRecord:
        with self._lock:
            self._counter += 1
            n = self._counter
        keep = {k: v for k, v in request.headers.items()
                if k.startswith(("x-offline-", "x-stainless-retry", "anthropic-"))}
        record = RequestRecord(path=request.url.path, headers=keep,
                               request_id=_scenarios.stable_id("req", n, request.url.path)[:-4] + f"{n:04d}")
        return self.log.add(record) if logged else record


def _sse(name: str, data: dict[str, Any]) -> bytes:
    return ServerSentEvent(data=json.dumps(data, separators=(",", ":"), ensure_ascii=False),
                           event=name, sep="\n").encode()


def _error_response(err: APIError, record: RequestRecord) -> JSONResponse:
    record.status = err.status
    record.outcome = "error"
    headers = {"request-id": record.request_id, "x-should-retry": "true" if err.should_retry else "false",
               **err.headers}
    return JSONResponse(err.body(record.request_id), status_code=err.status, headers=headers)


def _input_tokens(req: MessagesRequest) -> int:
    total = 7 + _tokens.count_tokens(req.system)
    for m in req.messages:
        total += 3
        for b in m["content"]:
            total += _tokens.count_tokens(b["text"] if b.get("type") == "text" else json.dumps(b))
    for t in req.tools:
        total += 20 + _tokens.count_tokens(json.dumps({"name": t.name, "description": t.description,
                                                       "input_schema": t.input_schema}))
    return total


OFF_LOOP_BYTES = 64 * 1024
"""Bodies larger than this are parsed and measured in a worker thread, not on the event loop."""


async def _off_loop(size: int, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, in a worker thread when its input is large, so other clients keep streaming."""
    return await run_in_threadpool(fn, *args) if size > OFF_LOOP_BYTES else fn(*args)


async def _read_body(request: Request, config: ServerConfig) -> bytes:
    """The body, refused with the API's 413 as soon as it passes the limit (never buffered whole)."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > config.max_body_bytes:
        raise APIError(413)
    body = bytearray()
    chunks = request.stream()
    while True:
        try:
            chunk = await asyncio.wait_for(chunks.__anext__(), config.header_timeout)
        except StopAsyncIteration:
            return bytes(body)
        except asyncio.TimeoutError:
            raise APIError(408, f"Request timed out: no body data for {config.header_timeout:g} s") from None
        body += chunk
        if len(body) > config.max_body_bytes:
            raise APIError(413)


def _parse(raw: bytes) -> Any:
    body = parse_body(raw)
    check_shapes(body)
    return body


async def _read_json(request: Request, state: ServerState, record: RequestRecord) -> Any:
    """The request body as JSON whose shapes later code can rely on (``_validate``), or a 4xx."""
    raw = await _read_body(request, state.config)
    body = await _off_loop(len(raw), _parse, raw)
    state.log.keep_body(record, raw)
    return body


def _prepare(body: Any, original: Any) -> tuple[MessagesRequest, int, str]:
    """The validated request, its input tokens and its message id (from the body as sent).

    All three take time in proportion to the body's size.
    """
    req = parse_messages_request(body)
    return req, _input_tokens(req), _scenarios.stable_id("msg", original)


def _check_headers(request: Request, config: ServerConfig) -> None:
    if config.require_api_key:
        key = request.headers.get("x-api-key")
        auth = request.headers.get("authorization", "")
        if not key and auth.lower().startswith("bearer "):
            key = auth[7:].strip()
        if not key:
            raise APIError(401, "x-api-key header is required")
        if key in INVALID_KEYS or key.startswith("sk-ant-invalid"):
            raise APIError(401, "invalid x-api-key")
    if "anthropic-version" not in request.headers:
        raise invalid("anthropic-version: header is required")


def _fault_for(request: Request, state: ServerState) -> Fault | None:
    spec = request.headers.get("x-offline-fault") or state.config.fault
    return state.faults.take(spec) if spec else None


def _status_fault(fault: Fault | None) -> None:
    if fault is None or fault.status is None:
        return
    headers = {}
    if fault.retry_after is not None:
        headers["retry-after"] = fault.retry_after
    if fault.retry_after_ms is not None:
        headers["retry-after-ms"] = fault.retry_after_ms
    raise APIError(fault.status, headers=headers)


def _delay_ms(request: Request, config: ServerConfig) -> float:
    value = request.headers.get("x-offline-delay-ms")
    if value is None:
        return config.delay_ms
    try:
        return max(0.0, float(value))
    except ValueError:
        raise invalid(f"x-offline-delay-ms: must be a number of milliseconds, got '{value}'") from None


async def _paced(
    chunks: Iterable[tuple[str | None, bytes] | tuple[str | None, bytes, float | None]], *, fault: Fault | None,
    delay_ms: float, record: RequestRecord,
) -> AsyncIterator[bytes]:
    """Send events with pacing and injected faults; note in ``record`` how it ended."""
    sent = 0
    trickle = fault.trickle_ms / 1000 if fault else 0.0
    delay = delay_ms / 1000
    finished = False
    try:
        for name, chunk, *hold in chunks:
            is_delta = name == "content_block_delta"
            units = 1.0 if not hold or hold[0] is None else hold[0]  # an event's own pacing (``_eager``)
            if fault and is_delta:
                if fault.error_after is not None and sent >= fault.error_after:
                    record.outcome = "error-event"
                    err = APIError(529 if fault.error_type == "overloaded_error" else 500, error_type=fault.error_type)
                    yield _sse("error", err.body(record.request_id))
                    finished = True
                    return
                if fault.drop_after is not None and sent >= fault.drop_after:
                    record.outcome = "dropped"
                    finished = True
                    raise DropConnection(f"dropped after {sent} content deltas (x-offline-fault)")
                if fault.stall_after is not None and sent == fault.stall_after and fault.stall_seconds:
                    await asyncio.sleep(fault.stall_seconds)
            if trickle:
                await asyncio.sleep(trickle)
            if is_delta:
                if delay and units:
                    await asyncio.sleep(delay * units)
                sent += 1
                record.content_deltas = sent
            yield chunk
            if not (delay or trickle):
                # Let the loop deliver connection_lost: without a pause, an unpaced stream never
                # notices that the client went away and keeps writing to a dead socket.
                await asyncio.sleep(0)
        record.outcome = "completed"
        finished = True
    finally:
        if not finished:
            record.outcome = "disconnected"
            log.info("client disconnected after %d content deltas (%s)", sent, record.request_id)


def _event_chunks(events: Iterable[Event]) -> Iterable[tuple[str | None, bytes, float | None]]:
    for ev in events:
        yield ev.name, _sse(ev.name, ev.data), ev.hold


def _cassette_chunks(cassette: Cassette) -> Iterable[tuple[str | None, bytes]]:
    for chunk in cassette.events():
        yield Cassette.event_name(chunk), chunk


def _fresh_answer(req: MessagesRequest, scenario: str | None) -> Answer:
    """What the request is answered with from the start (a continuation continues its base's)."""
    return _special.answer(req, scenario) or _citations.cite(_scenarios.answer(req, scenario), req, scenario)


def _answer_for(req: MessagesRequest, scenario: str | None, fault: Fault | None, state: ServerState) -> Answer:
    """The scenario's answer; for a request to continue an interrupted answer, its continuation."""
    variant = fault.vary if fault is not None else None
    if variant is None and state.config.vary:
        variant = state.next_variant()
    cont = _continuation.recognise(req)
    if cont is None:
        answer = _fresh_answer(req, scenario)
        if req.prefill is not None:  # a model continues its prefill, whatever it would have said
            return _continuation.variant_of(answer, req.prefill)
        return answer if not variant else _continuation.vary(answer, variant)
    thinking = req.thinking_enabled
    return _continuation.continue_answer(
        _fresh_answer(cont.base, scenario), cont, mode=fault.continue_mode if fault else "exact",
        repeat=fault.repeat if fault else 12, variant=variant, thinking=thinking,
        omitted=thinking and (req.thinking or {}).get("display") == "omitted")


def _cassette_content(cassette: Cassette, req: MessagesRequest) -> list[dict[str, Any]]:
    answer, model = cassette.answer()
    return list(message_json(answer, msg_id="", model=model, input_tokens=0, max_tokens=req.max_tokens,
                             stop_sequences=req.stop_sequences)["content"])


def make_app(state: ServerState) -> Starlette:
    config = state.config

    async def messages(request: Request) -> Response:
        record = state.new_record(request)
        try:
            _check_headers(request, config)
            body = await _read_json(request, state, record)
            fault = _fault_for(request, state)
            _status_fault(fault)
            original = body
            body, thread = state.threads.expand(body, request.headers.get("anthropic-beta", ""))
            size = len(record.raw_body or b"")
            req, input_tokens, msg_id = await _off_loop(size, _prepare, body, original)
            delay = _delay_ms(request, config)
            scenario = request.headers.get("x-offline-scenario")
            cassette = config.cassettes.match(req) if config.cassettes and not scenario else None
            headers = {"request-id": record.request_id, "anthropic-organization-id": config.organization_id}
            if cassette is not None and req.prefill is None and req.stream:
                if thread is not None:
                    state.threads.record(msg_id, body, thread, _cassette_content(cassette, req))
                return StreamingResponse(
                    _paced(_cassette_chunks(cassette), fault=fault, delay_ms=delay, record=record),
                    media_type="text/event-stream; charset=utf-8",
                    headers={**headers, "cache-control": "no-cache"})
            if cassette is not None:
                answer, model = cassette.answer()
            else:
                answer, model = _answer_for(req, scenario, fault, state), req.model
                answer = _structured.shape(answer, req.output_schema,
                                           {t.name: t.input_schema for t in req.tools if t.strict}, req.conversation)
                answer = _eager.mark(answer, _eager.eager_tools(body.get("tools") or [],
                                                                request.headers.get("anthropic-beta", "")))
            if req.prefill is not None:
                answer = continue_after(answer, req.prefill)
            kwargs: dict[str, Any] = {"msg_id": msg_id, "model": model,
                                      "input_tokens": input_tokens, "max_tokens": req.max_tokens,
                                      "stop_sequences": req.stop_sequences}
            if thread is not None:
                state.threads.record(msg_id, body, thread, message_json(answer, **kwargs)["content"])
            cache_use = state.cache.use(body, req.model, kwargs["input_tokens"])
            tier = _caching.service_tier(body)
            if not req.stream:
                record.outcome = "completed"
                # A long answer is rendered whole here: in a thread, so that streams keep flowing.
                reply = await run_in_threadpool(functools.partial(message_json, answer, **kwargs))
                _caching.patch_usage(reply["usage"], cache_use, tier)
                return JSONResponse(reply, headers=headers)
            events = _caching.patch_events(stream_events(answer, **kwargs), cache_use, tier)
            return StreamingResponse(
                _paced(_event_chunks(events), fault=fault, delay_ms=delay, record=record),
                media_type="text/event-stream; charset=utf-8",
                headers={**headers, "cache-control": "no-cache"})
        except APIError as err:
            return _error_response(err, record)

    async def count_tokens(request: Request) -> Response:
        record = state.new_record(request)
        try:
            _check_headers(request, config)
            body = await _read_json(request, state, record)
            _status_fault(_fault_for(request, state))
            size = len(record.raw_body or b"")
            req = parse_messages_request(body, count_tokens=True)
            input_tokens = await _off_loop(size, _input_tokens, req)
            record.outcome = "completed"
            return JSONResponse({"input_tokens": input_tokens}, headers={"request-id": record.request_id})
        except APIError as err:
            return _error_response(err, record)

    async def models(request: Request) -> Response:
        record = state.new_record(request)
        try:
            _check_headers(request, config)
            _status_fault(_fault_for(request, state))
            model_id = request.path_params.get("model_id")
            body = retrieve_model(model_id) if model_id else list_models(request.query_params)
            record.outcome = "completed"
            return JSONResponse(body, headers={"request-id": record.request_id})
        except APIError as err:
            return _error_response(err, record)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        record = state.new_record(request)
        message = "Not found" if exc.status_code == 404 else exc.detail
        if exc.status_code == 405:
            message = f"Method {request.method} not allowed for {request.url.path}"
        return _error_response(APIError(exc.status_code, message), record)

    async def server_error(request: Request, exc: Exception) -> Response:
        # A bug, not the client's fault: answer in the API's shape (the SDK can parse it); uvicorn
        # still logs the traceback. Starlette calls this even when the response had started (then
        # nothing is sent): the request's own record already tells how it ended, so keep no other.
        record = state.new_record(request, logged=False)
        return _error_response(APIError(500), record)

    return Starlette(
        routes=[
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/v1/messages/count_tokens", count_tokens, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/models/{model_id}", models, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        middleware=[Middleware(RateLimitHeaders)],
    )

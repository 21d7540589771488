"""StreamView: a Claude answer streamed into a notebook output, in place.

How it stays cheap and stoppable (the wire format is ``docs/widget-protocol.md``):

- The stream is consumed *off* the cell: a daemon thread for sync sources, an asyncio
  task on the kernel's loop for async ones. The cell returns at once, the kernel keeps
  handling comm messages, and so the Stop button reaches the stream.
- A delta costs a list append under a lock. A flusher thread (one per running stream)
  sends the buffered ops at most ~30 times a second, and no later than ~50 ms after an op
  was queued. Consecutive appends to one block travel as one op.
- The whole state is synced once, zlib-compressed, at the end (and when the browser
  asks), then the final ``status``; then every display of the view is updated to a
  static, sanitised HTML record of the answer (``_static``), which is what a saved
  notebook shows everywhere, with or without widget state.

``_Answer`` holds the kernel-side state and knows nothing about widgets; ``_Pacer``
decides when to flush; ``StreamView`` ties them to threads, the comm and the display.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, cast

import anywidget
import traitlets

from ._esm import CSS_PATH, build_esm
from ._http import interrupt_response
from ._static import record_html

if TYPE_CHECKING:
    from anthropic.types import Message

__all__ = ["IncompleteStreamError", "StreamView"]

_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

FLUSH_INTERVAL = 0.033
"""Seconds between two flushes of ops at least (≤ ~30 messages/s)."""
MAX_DELAY = 0.05
"""An op is sent no later than this after it was queued (best effort: thread wake-up)."""

_FINAL_STATES = frozenset({"done", "stopped", "error"})
_DERIVED = frozenset({"text", "thinking", "input_json", "citation", "signature"})
"""Events a ``MessageStream`` adds after each raw delta: the raw delta already told us."""


class IncompleteStreamError(ConnectionError):
    """The event stream ended before ``message_stop`` (the connection was cut)."""


# --------------------------------------------------------------------------- pacing


class _Pacer:
    """When to flush: never twice within ``interval``; an op waits at most ``interval``.

    The first op after a quiet spell goes out at once (the first token shows without
    delay); later ones ride along with the next flush, ``interval`` after the previous.
    ``interval`` ≤ ``MAX_DELAY`` keeps the latency bound. Pure logic: the clock is given.
    """

    __slots__ = ("first_pending", "interval", "last_flush")

    def __init__(self, interval: float = FLUSH_INTERVAL) -> None:
        self.interval = interval
        self.last_flush = float("-inf")
        self.first_pending: float | None = None

    def queued(self, now: float) -> None:
        if self.first_pending is None:
            self.first_pending = now

    def due(self) -> float | None:
        """The time the pending ops should go out, or None when nothing is pending."""
        if self.first_pending is None:
            return None
        return max(self.first_pending, self.last_flush + self.interval)

    def flushed(self, now: float) -> None:
        self.last_flush = now
        self.first_pending = None


# --------------------------------------------------------------------------- state


class _Block:
    __slots__ = ("citations", "done", "id", "input", "is_error", "kind", "n16", "name", "parts", "signature",
                 "start")

    def __init__(self, kind: str, name: str | None, id: str | None, start: Any) -> None:
        self.kind = kind  # protocol type: text, thinking, redacted_thinking, tool_use, tool_result
        self.name = name
        self.id = id
        self.parts: list[str] = []
        self.n16 = 0  # UTF-16 length of the text so far
        self.done = False
        self.input: Any = None
        self.start = start  # the SDK's content block from content_block_start
        self.citations: list[Any] = []
        self.signature: str | None = None
        self.is_error = False

    def text(self) -> str:
        return "".join(self.parts)

    def to_json(self) -> dict[str, Any]:
        block = {"type": self.kind, "text": self.text(), "name": self.name, "id": self.id,
                 "input": self.input, "done": self.done}
        if self.is_error:
            block["is_error"] = True
        return block


def _block_kind(block_type: str) -> str:
    if block_type in ("text", "thinking", "redacted_thinking", "tool_result"):
        return block_type
    return "tool_use"  # tool_use, server_tool_use, mcp_tool_use…, and tool results shown as JSON


def _parse_json(raw: str, *, partial: bool) -> Any:
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        if not partial:
            raise
    try:
        from jiter import from_json

        return from_json(raw.encode(), partial_mode="trailing-strings")
    except ValueError:
        return None


class _Answer:
    """What the stream said so far, plus the ops not yet sent.

    ``feed(event)`` is the hot path. It returns True when the status changed in a way
    worth a ``status`` trait update (a state transition); deltas return None.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.lock = threading.Lock()
        self.clock = clock
        self.pacer = _Pacer()
        self.blocks: dict[int, _Block] = {}  # by the SDK's block index
        self.seq = 0
        self._ops: list[list[Any]] = []
        self._open: _Block | None = None  # block whose appends are still being gathered
        self._open_i = 0
        self._open_off = 0
        self._open_k = 0  # index into the block's parts where the open append starts
        self.dirty = False
        self.on_dirty: Callable[[], None] | None = None
        # message-level
        self.start_message: Any = None
        self.final_message: Any = None  # the SDK's own (MessageStream's message_stop)
        self.delta: dict[str, Any] = {}
        self.usage: dict[str, Any] = {}
        self.model: str | None = None
        self.stop_reason: str | None = None
        self.complete = False
        self.resumed = False
        self.retry: dict[str, Any] | None = None
        self.retry_pending = False
        self.started = False  # saw a first event (state connecting → streaming)
        self.reset_pending = False  # a reset happened: the view re-syncs its snapshot

    # ---- hot path
    def feed(self, ev: Any) -> bool | None:
        t = ev.type
        if t == "content_block_delta":
            d = ev.delta
            dt = d.type
            if dt == "text_delta":
                s = d.text
            elif dt == "thinking_delta":
                s = d.thinking
            elif dt == "input_json_delta":
                s = d.partial_json
            else:
                self._other_delta(ev.index, d)
                return None
            if self.retry_pending:
                self.retry_pending = False
                self.retry = None
                self._append(ev.index, s)
                return True
            self._append(ev.index, s)
            return None
        if t in _DERIVED:
            return None
        return self._feed_other(t, ev)

    def _append(self, i: int, s: str) -> None:
        if not s:
            return
        n = len(s) if s.isascii() else len(s.encode("utf-16-le")) >> 1
        with self.lock:
            b = self.blocks.get(i)
            if b is None:  # a delta without its start: make the block up
                b = self._new_block(i, "text", None, None, None)
            if self._open is not b:
                self._close_open()
                self._open = b
                self._open_i = i
                self._open_off = b.n16
                self._open_k = len(b.parts)
            b.parts.append(s)
            b.n16 += n
            if not self.dirty:
                self._mark_dirty()

    # ---- ops (call under self.lock)
    def _mark_dirty(self) -> None:
        self.dirty = True
        self.pacer.queued(self.clock())
        if self.on_dirty is not None:
            self.on_dirty()

    def _close_open(self) -> None:
        b = self._open
        if b is not None:
            k = self._open_k
            text = "".join(b.parts[k:])
            b.parts[k:] = [text]  # one part per flush, not per delta
            self._ops.append(["append", self._open_i, self._open_off, text])
            self._open = None

    def _queue(self, op: list[Any]) -> None:
        self._close_open()
        self._ops.append(op)
        if not self.dirty:
            self._mark_dirty()

    def take_ops(self) -> tuple[int, list[list[Any]]]:
        """Pending ops and their ``seq`` (0 when there are none). Call under ``lock``."""
        self._close_open()
        ops = self._ops
        self.dirty = False
        if not ops:  # nothing sent: no flush to space the next one from
            self.pacer.first_pending = None
            return 0, ops
        self.pacer.flushed(self.clock())
        self._ops = []
        self.seq += 1
        return self.seq, ops

    def _new_block(self, i: int, block_type: str, name: str | None, id: str | None, start: Any, *,
                   is_error: bool = False) -> _Block:
        b = _Block(_block_kind(block_type), name, id, start)
        if b.kind == "tool_use" and name is None:
            b.name = block_type
        b.is_error = is_error
        self.blocks[i] = b
        info: dict[str, Any] = {"type": b.kind, "name": b.name, "id": b.id}
        if is_error:
            info["is_error"] = True
        self._queue(["start", i, info])
        return b

    # ---- everything but text deltas
    def _feed_other(self, t: str, ev: Any) -> bool | None:
        changed: bool | None = None
        if t not in ("retry", "reset"):
            if self.retry_pending:
                self.retry_pending = False
                self.retry = None
                changed = True
            if not self.started:
                self.started = changed = True
        if t == "content_block_start":
            cb = ev.content_block
            if self.complete:  # a later step of a multi-request turn (Chat): not final any more
                self.complete = False
                self.final_message = None
            with self.lock:
                i = ev.index
                if i in self.blocks:  # a resumed attempt continues this block
                    self.blocks[i].done = False
                else:
                    b = self._new_block(i, cb.type, getattr(cb, "name", None), getattr(cb, "id", None), cb)
                    if b.kind == "tool_use" and cb.type.endswith("_result"):
                        data = cb.to_dict()
                        data.pop("type", None)
                        data.pop("tool_use_id", None)
                        b.input = data
        elif t == "content_block_stop":
            with self.lock:
                stopped = self.blocks.get(ev.index)
                if stopped is not None:
                    stopped.done = True
                    if stopped.kind == "tool_use" and stopped.parts:
                        stopped.input = _parse_json(stopped.text(), partial=True)
                    self._queue(["stop", ev.index, stopped.input])
        elif t == "message_start":
            m = ev.message
            first = self.start_message is None
            if first:
                self.start_message = m
                self.model = m.model
                self.usage = m.usage.to_dict()
            else:
                self.resumed = True
            return True if first else changed
        elif t == "message_delta":
            d = ev.delta
            self.stop_reason = d.stop_reason
            for key in ("stop_reason", "stop_sequence", "stop_details", "container"):
                v = getattr(d, key, None)
                if v is not None or key != "container":  # as the SDK's accumulate_event
                    self.delta[key] = v
            u = ev.usage
            self.usage["output_tokens"] = u.output_tokens
            for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens",
                        "server_tool_use", "output_tokens_details"):
                v = getattr(u, key, None)
                if v is not None:
                    self.usage[key] = v.to_dict() if hasattr(v, "to_dict") else v
            with self.lock:
                self._queue(["status", {"output_tokens": u.output_tokens, "stop_reason": d.stop_reason}])
        elif t == "message_stop":
            self.complete = True
            self.final_message = getattr(ev, "message", None)
        elif t == "tool_result":  # a tool ran between two requests of a turn (Chat)
            with self.lock:
                b = self._new_block(ev.index, "tool_result", ev.name, ev.tool_use_id, None,
                                    is_error=bool(ev.is_error))
            self._append(ev.index, ev.content)
            with self.lock:
                b.done = True
                self._queue(["stop", ev.index, None])
        elif t == "retry":
            self.retry = {"attempt": ev.attempt, "max_attempts": ev.max_attempts,
                          "delay": float(ev.delay), "reason": ev.reason}
            self.retry_pending = True
            self.complete = False
            return True
        elif t == "reset":
            with self.lock:
                self._open = None
                self._ops = []
                self.blocks.clear()
                self._queue(["reset"])
            self.start_message = self.final_message = None
            self.delta = {}
            self.usage = {}
            self.stop_reason = None
            self.resumed = self.complete = False
            self.reset_pending = True
            return True
        return changed

    def _other_delta(self, i: int, d: Any) -> None:
        b = self.blocks.get(i)
        if b is None:
            return
        if d.type == "signature_delta":
            b.signature = d.signature
        elif d.type == "citations_delta":
            b.citations.append(d.citation)

    # ---- reading the state
    def nchars(self) -> int:
        with self.lock:
            return sum(len(b.text()) for b in self.blocks.values())

    def text(self) -> str:
        with self.lock:
            blocks = self.blocks
            return "".join(blocks[i].text() for i in sorted(blocks) if blocks[i].kind == "text")

    def snapshot(self) -> bytes:
        """The compressed full state; call under ``lock`` after ``take_ops``."""
        blocks = [self.blocks[i].to_json() for i in sorted(self.blocks)]
        raw = json.dumps({"seq": self.seq, "blocks": blocks}, ensure_ascii=False, separators=(",", ":"),
                         default=_json_default)
        return zlib.compress(raw.encode("utf-8"), 6)

    def record(self, status: dict[str, Any]) -> str:
        """The static HTML record of the answer (see ``_static``)."""
        with self.lock:
            blocks = [self.blocks[i] for i in sorted(self.blocks)]
            return record_html(blocks, status)

    def message(self) -> Message | None:
        """The answer as an SDK ``Message`` (partial if the stream did not complete)."""
        if self.final_message is not None and not self.resumed:
            return self.final_message  # type: ignore[no-any-return]
        if self.start_message is None:
            return None
        from anthropic._models import construct_type
        from anthropic.types import Message

        data = self.start_message.to_dict()
        content = []
        with self.lock:
            for i in sorted(self.blocks):
                b = self.blocks[i]
                if b.kind == "tool_result":  # part of the next request, not of this message
                    continue
                d = b.start.to_dict() if b.start is not None else {"type": "text"}
                if b.kind == "text":
                    d["text"] = b.text()
                    if b.citations:
                        d["citations"] = [c.to_dict() for c in b.citations]
                elif b.kind == "thinking":
                    d["thinking"] = b.text()
                    if b.signature is not None:
                        d["signature"] = b.signature
                elif b.kind == "tool_use" and b.parts:
                    d["input"] = b.input if b.done else _parse_json(b.text(), partial=True)
                content.append(d)
        data["content"] = content
        data.update(self.delta)
        data["usage"] = {**data.get("usage", {}), **self.usage}
        return cast("Message", construct_type(type_=Message, value=data))


def _json_default(o: Any) -> Any:
    if hasattr(o, "to_dict"):
        return o.to_dict()
    return str(o)


# --------------------------------------------------------------------------- errors

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


def describe_error(exc: BaseException, nchars: int = 0) -> str:
    """A short readable line for the status bar, e.g. ``Overloaded (529): Overloaded``."""
    import anthropic

    cause = exc.__cause__
    if hasattr(exc, "attempts") and hasattr(exc, "partial_text") and isinstance(cause, BaseException):
        # a resilient stream gave up: say why the last attempt failed
        return _short(f"{describe_error(cause, nchars)} (after {len(exc.attempts)} attempts)")
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
        return _short(f"Connection failed: {exc.message}")
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


# --------------------------------------------------------------------------- the widget


class StreamView(anywidget.AnyWidget):
    """A Claude answer shown while it streams; Stop cancels the HTTP stream.

    >>> view = StreamView()
    >>> view.consume(client.messages.create(stream=True, ...))   # doctest: +SKIP
    >>> message = view.wait()                                     # doctest: +SKIP
    """

    _esm = build_esm()  # static/view.js with its vendored libraries inlined
    _css = CSS_PATH

    snapshot = traitlets.Bytes(b"").tag(sync=True)
    status = traitlets.Dict().tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("status", _status("idle"))
        super().__init__(**kwargs)
        self._answer = _Answer()
        self._send_lock = threading.RLock()
        self._wake = threading.Event()
        self._halt = threading.Event()
        self._done = threading.Event()
        self._state = "idle"
        self._error: BaseException | None = None
        self._error_text: str | None = None
        self._message: Message | None = None
        self._started = 0.0
        self._elapsed = 0.0
        self._stop_requested = False
        self._source: Any = None  # what to close on Stop
        self._thread: threading.Thread | None = None
        self._flusher: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._display_ids: list[str] = []
        self._display_lock = threading.Lock()
        self._shown_in: set[str] = set()
        self.on_msg(self._on_custom_msg)

    # ---- public state
    @property
    def state(self) -> str:
        """idle, connecting, streaming, retrying, done, stopped or error."""
        return self._state

    @property
    def text(self) -> str:
        """All text blocks so far, joined (thinking and tool input left out)."""
        return self._answer.text()

    @property
    def message(self) -> Message | None:
        """The final SDK ``Message``; after Stop, the partial one (``stop_reason`` None)."""
        return self._message

    @property
    def error(self) -> BaseException | None:
        return self._error

    # ---- starting
    def consume(self, source: Any) -> StreamView:
        """Show ``source`` while it streams; returns at once (see the module docstring).

        ``source``: a ``MessageStream``/``AsyncMessageStream``, their ``…Manager`` (entered
        here), the ``Stream``/``AsyncStream`` of ``messages.create(stream=True)``, an
        awaitable of one, a zero-argument function that opens one (called in the
        background), or any iterable of such events with ``RetryEvent``/``ResetEvent``.
        """
        if self._state != "idle":
            raise RuntimeError(f"this StreamView already consumed a stream (state {self._state!r})")
        self._started = time.monotonic()
        self._state = "connecting"
        self.status = _status("connecting")
        self._answer.on_dirty = self._wake.set
        self._flusher = threading.Thread(target=self._flush_loop, name="StreamView-flush", daemon=True)
        self._flusher.start()
        if _is_async(source):
            try:
                self._loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop here (a script): run one in a thread
                self._thread = threading.Thread(
                    target=lambda: asyncio.run(self._run_async(source)), name="StreamView", daemon=True)
                self._thread.start()
            else:
                self._task = self._loop.create_task(self._run_async(source))
        else:
            self._thread = threading.Thread(target=self._run_sync, args=(source,), name="StreamView",
                                            daemon=True)
            self._thread.start()
        return self

    # ---- consumption
    def _run_sync(self, source: Any) -> None:
        exit_cm = None
        try:
            if callable(source) and not hasattr(source, "__iter__"):
                source = source()
            if hasattr(source, "__enter__") and not hasattr(source, "__iter__"):
                exit_cm = source
                source = source.__enter__()
            self._source = source
            if self._stop_requested:
                raise _Stopped
            feed = self._answer.feed
            for event in source:
                if feed(event):
                    self._publish_status()
                if self._stop_requested:
                    break
            self._end(None)
        except BaseException as e:  # noqa: BLE001 - reported, re-raised by wait()
            self._end(e)
        finally:
            with contextlib.suppress(Exception):
                if exit_cm is not None:
                    exit_cm.__exit__(None, None, None)
                elif hasattr(source, "close"):
                    source.close()
            self._finish()

    async def _run_async(self, source: Any) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        exit_cm = None
        try:
            if callable(source) and not hasattr(source, "__aiter__"):
                source = source()
            if inspect.isawaitable(source):
                source = await source
            if hasattr(source, "__aenter__") and not hasattr(source, "__aiter__"):
                exit_cm = source
                source = await source.__aenter__()
            self._source = source
            if self._stop_requested:
                raise _Stopped
            feed = self._answer.feed
            async for event in source:
                if feed(event):
                    self._publish_status()
                if self._stop_requested:
                    break
            self._end(None)
        except BaseException as e:  # noqa: BLE001 - CancelledError is our Stop
            self._end(e)
        finally:
            with contextlib.suppress(BaseException):
                if exit_cm is not None:
                    await exit_cm.__aexit__(None, None, None)
                elif hasattr(source, "close"):
                    res = source.close()
                    if inspect.isawaitable(res):
                        await res
                elif hasattr(source, "aclose"):
                    await source.aclose()
            # the final sends are quick but must not run twice or race the loop: do them here
            self._finish()

    def _end(self, exc: BaseException | None) -> None:
        """Decide the final state (the sends happen in ``_finish``)."""
        a = self._answer
        if self._stop_requested and not (exc is None and a.complete):  # a Stop after the end changes nothing
            self._state = "stopped"
        elif exc is None and not a.complete:
            n = a.nchars()
            exc = IncompleteStreamError(f"the stream ended before message_stop, after {n} characters")
        if self._state != "stopped":
            if exc is None:
                self._state = "done"
            else:
                self._state = "error"
                self._error = exc
                self._error_text = describe_error(exc, a.nchars())
        try:
            self._message = a.message()
        except Exception:  # noqa: BLE001 - a broken partial message must not hide the cause
            self._message = None

    def _publish_status(self) -> None:
        a = self._answer
        self._state = "retrying" if a.retry is not None else "streaming"
        with self._send_lock:
            if a.reset_pending:
                a.reset_pending = False
                self._sync_snapshot()
            else:
                self._flush_ops()
            self.status = self._status_dict()

    def _status_dict(self) -> dict[str, Any]:
        a = self._answer
        elapsed = (self._elapsed if self._state in _FINAL_STATES
                   else time.monotonic() - self._started if self._started else 0.0)
        return _status(self._state, model=a.model, input_tokens=a.usage.get("input_tokens", 0) or 0,
                       output_tokens=a.usage.get("output_tokens", 0) or 0, stop_reason=a.stop_reason,
                       elapsed=round(elapsed, 3), error=self._error_text, retry=a.retry)

    # ---- flushing
    def _flush_loop(self) -> None:
        a, wake, halt = self._answer, self._wake, self._halt
        while not halt.is_set():  # checked after every clear of `wake`: a halt is never missed
            wake.wait()
            with a.lock:
                due = a.pacer.due()
                if due is None:
                    wake.clear()
                    continue
            delay = due - a.clock()
            if delay > 0 and halt.wait(delay):
                return
            self._flush_ops()

    def _flush_ops(self) -> None:
        with self._send_lock:
            a = self._answer
            with a.lock:
                self._wake.clear()
                seq, ops = a.take_ops()
            if ops:
                self.send({"k": "ops", "seq": seq, "ops": ops})
                with a.lock:  # space flushes from the end of this send (it may have been delayed)
                    a.pacer.last_flush = max(a.pacer.last_flush, a.clock())

    def _sync_snapshot(self) -> None:
        """Flush pending ops, then set ``snapshot`` to the state they lead to."""
        with self._send_lock:
            a = self._answer
            with a.lock:
                self._wake.clear()
                seq, ops = a.take_ops()
                snap = a.snapshot()
            if ops:
                self.send({"k": "ops", "seq": seq, "ops": ops})
            if snap == self.snapshot:
                self.send_state("snapshot")
            else:
                self.snapshot = snap

    def _finish(self) -> None:
        try:
            self._elapsed = time.monotonic() - self._started
            self._halt.set()
            self._wake.set()
            if self._flusher is not None and self._flusher is not threading.current_thread():
                self._flusher.join()
            with self._send_lock:
                self._sync_snapshot()
                self.status = self._status_dict()
            self._update_displays()
        finally:
            self._done.set()
            for loop, fut in self._waiters:
                with contextlib.suppress(RuntimeError):  # loop closed
                    loop.call_soon_threadsafe(_resolve, fut)
            self._waiters.clear()

    # ---- stopping and waiting
    def stop(self) -> None:
        """Cancel the stream promptly (the server sees a disconnect); keep the partial answer."""
        if self._done.is_set() or self._state == "idle":
            return
        self._stop_requested = True
        task, loop = self._task, self._loop
        if task is not None and loop is not None:
            if _in_loop_thread(loop):
                task.cancel()
            else:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(task.cancel)
            return
        _interrupt(self._source)

    def wait(self, timeout: float | None = None) -> Message | None:
        """Block until the stream ends; return the ``Message`` or raise its error.

        A KeyboardInterrupt while waiting (the notebook's Stop) stops the stream, keeps
        the partial answer, and is re-raised.
        """
        if self._state == "idle":
            raise RuntimeError("nothing to wait for: call consume() first")
        if not self._done.is_set() and self._loop is not None and self._thread is None \
                and _in_loop_thread(self._loop):
            raise RuntimeError(
                "this stream runs on this thread's event loop: use `await view` instead of view.wait()")
        try:
            if not self._done.wait(timeout):
                raise TimeoutError(f"the stream did not end within {timeout} s")
        except KeyboardInterrupt:
            self.stop()
            self._done.wait(5)
            raise
        return self._result()

    def _result(self) -> Message | None:
        if self._state == "idle":
            raise RuntimeError("nothing to wait for: call consume() first")
        if self._error is not None:
            raise self._error
        return self._message

    def __await__(self) -> Generator[Any, None, Message | None]:
        return self._wait_async().__await__()

    async def _wait_async(self) -> Message | None:
        if not self._done.is_set() and self._state != "idle":
            loop = asyncio.get_running_loop()
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append((loop, fut))
            if self._done.is_set():
                _resolve(fut)
            try:
                await fut
            except (asyncio.CancelledError, KeyboardInterrupt):
                self.stop()
                raise
        return self._result()

    def close(self) -> None:
        """Close the widget; a stream still running is stopped first."""
        self.stop()
        super().close()

    # ---- browser → kernel
    def _on_custom_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        k = content.get("k") if isinstance(content, dict) else None
        if k == "stop":
            self.stop()
        elif k == "resync":
            self._sync_snapshot()

    # ---- display
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> tuple[
            dict[str, Any], dict[str, Any]]:
        """The live widget while streaming; once finished, the static record and the text.

        A finished view is shown as its record, not as a widget, so that every viewer of the
        saved notebook shows the answer (why: ``_static``'s docstring). The update that
        swaps them is published by ``_finish``; the model itself lives on, so a view of it
        inside another widget stays live.
        """
        if self._state in _FINAL_STATES:
            data: dict[str, Any] = {
                "text/html": self._answer.record(self._status_dict()),  # what the status line shows
                "text/plain": self._plain(),
            }
        else:
            data = {"text/plain": self._plain()}
            base = super()._repr_mimebundle_()
            if base is not None:
                data[_WIDGET_MIME] = base[0][_WIDGET_MIME]
        if include:
            data = {k: v for k, v in data.items() if k in include}
        if exclude:
            data = {k: v for k, v in data.items() if k not in exclude}
        return data, {}

    def __repr__(self) -> str:
        # deterministic (no address): containers show their children's reprs in saved notebooks
        model = self._answer.model
        return (f"<StreamView {self._state}: {self._answer.nchars():,} characters"
                + (f", {model}" if model else "") + ">")

    def _plain(self) -> str:
        if self._state not in _FINAL_STATES:
            return "[not started]" if self._state == "idle" else "[streaming…]"
        text = self.text
        if self._state == "stopped":
            return f"{text}\n\n[stopped]" if text else "[stopped]"
        if self._state == "error":
            return f"{text}\n\n[error: {self._error_text}]" if text else f"[error: {self._error_text}]"
        return text

    def _ipython_display_(self) -> None:
        """Display with a display id, updated with the final answer when the stream ends."""
        from IPython import get_ipython
        from IPython.display import display

        shell = get_ipython()
        if shell is None:
            return
        parent = getattr(shell, "parent_header", None) or {}
        cell = (parent.get("header") or parent).get("msg_id") if isinstance(parent, dict) else None
        if cell is not None:
            if cell in self._shown_in:  # e.g. `stream(...)` as a cell's last line: shown already
                return
            self._shown_in.add(cell)
        display_id = uuid.uuid4().hex
        with self._display_lock:  # the final update can't slip in before this display
            self._display_ids.append(display_id)
            data, md = self._repr_mimebundle_()
            display(data, raw=True, metadata=md, display_id=display_id)  # type: ignore[no-untyped-call]

    def _update_displays(self) -> None:
        if not self._display_ids:
            return
        from IPython.display import display

        with self._display_lock:
            data, md = self._repr_mimebundle_()
            for display_id in self._display_ids:
                display(data, raw=True, metadata=md, display_id=display_id,  # type: ignore[no-untyped-call]
                        update=True)


class _Stopped(Exception):
    pass


def _status(state: str, **fields: Any) -> dict[str, Any]:
    status: dict[str, Any] = {"state": state, "model": None, "input_tokens": 0, "output_tokens": 0,
                              "stop_reason": None, "elapsed": 0.0, "error": None, "retry": None}
    status.update(fields)
    return status


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def _in_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _is_async(source: Any) -> bool:
    return (hasattr(source, "__aiter__") or inspect.isawaitable(source)
            or (hasattr(source, "__aenter__") and not hasattr(source, "__iter__"))
            or inspect.iscoroutinefunction(source))


def _interrupt(source: Any) -> None:
    """Wake a consumer thread blocked reading ``source``'s HTTP response.

    A source with an ``interrupt()`` method (made to be called from another thread) is
    asked to stop. Otherwise shutting the socket down makes the blocked read return at
    once and the server see the disconnect; the consumer thread then closes the response
    itself (closing it from here would race the read). Without a socket to reach, close
    the response.
    """
    interrupt = getattr(source, "interrupt", None)
    if callable(interrupt):
        interrupt()
        return
    try:
        from ._resilient import ResilientStream
    except ImportError:  # pragma: no cover
        pass
    else:
        if isinstance(source, ResilientStream):  # its close() is for any thread (and won't retry)
            source.close()
            return
    response = None
    with contextlib.suppress(Exception):
        response = source.response
    if response is None:
        return
    interrupt_response(response)

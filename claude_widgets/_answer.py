"""The kernel-side state of a streamed answer, and when to flush it: no widgets here.

``_Answer.feed(event)`` is the hot path (a delta costs a list append); it
keeps the blocks, the message-level fields and the ops not yet sent (the wire format
is ``docs/widget-protocol.md``). ``_Pacer`` decides when the ops go out. ``StreamView``
(``_view``) ties them to threads, the comm and the display.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from anthropic import NotGiven

from ._sources import cite_info
from ._static import record_html

if TYPE_CHECKING:
    from anthropic.types import Message

FLUSH_INTERVAL = 0.033
"""Seconds between two flushes of ops at least (≤ ~30 messages/s)."""
MAX_DELAY = 0.05
"""An op is sent no later than this after it was queued (best effort: thread wake-up)."""
_DERIVED = frozenset({"text", "thinking", "input_json", "citation", "signature"})
"""Events a ``MessageStream`` adds after each raw delta: the raw delta already told us."""

def text_format_of(request: Mapping[str, Any]) -> str:
    """``json`` when a request asks for structured output, else ``markdown``.

    The API's ``output_config.format`` (``{"type": "json_schema", ...}``, the only type it
    accepts) or the SDK's ``output_format`` (a type it turns into that schema, and parses
    the text with): the answer's text is then JSON (platform.claude.com/docs/en/build-with-claude/structured-outputs).
    """
    fmt = request.get("output_format")
    if fmt is not None and not isinstance(fmt, NotGiven):
        return "json"
    config = request.get("output_config")
    if isinstance(config, Mapping) and isinstance(config.get("format"), Mapping):
        return "json" if config["format"].get("type") == "json_schema" else "markdown"
    return "markdown"


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
    __slots__ = ("citations", "done", "format", "id", "input", "is_error", "kind", "n16", "name", "parts",
                 "signature", "start")

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
        self.format: str | None = None  # "json": a text block that is a structured output (not Markdown)

    def text(self) -> str:
        return "".join(self.parts)

    def to_json(self) -> dict[str, Any]:
        block = {"type": self.kind, "text": self.text(), "name": self.name, "id": self.id,
                 "input": self.input, "done": self.done}
        if self.is_error:
            block["is_error"] = True
        if self.citations:
            block["citations"] = [cite_info(c) for c in self.citations]
        if self.format:
            block["format"] = self.format
        return block


MAX_SHOWN = 2000
"""Characters of one string of a server tool's result that the view shows (and saves)."""


def _shown(value: Any) -> Any:
    """A server tool's result (web search, web fetch, code execution…) as the view shows it.

    Why cut: it is input for the model, not the answer, and it can be large and opaque: a
    web search brings ~10 results each with kilobytes of ``encrypted_content`` (only the API
    can read it), a web fetch the whole page. Shown and saved whole, one search made a
    notebook's record tens of kilobytes of base64. Opaque ``encrypted_*`` strings are
    replaced by their length, other strings cut at ``MAX_SHOWN`` characters, both saying
    so; the ``Message`` keeps them whole (``message()`` rebuilds the block from the SDK's).
    """
    if isinstance(value, dict):
        return {k: f"[opaque: {len(v):,} characters]" if k.startswith("encrypted_") and isinstance(v, str)
                else _shown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(v) for v in value]
    if isinstance(value, str) and len(value) > MAX_SHOWN:
        return f"{value[:MAX_SHOWN]}… [{len(value) - MAX_SHOWN:,} more characters]"
    return value


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
        self._held: list[tuple[int, str]] = []
        """Deltas not yet put in their blocks: (index, text). Appended by the consumer without the
        lock; taken (``_drain``) under it, by whoever reads the blocks or takes the ops."""
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
        self.recovery: str | None = None
        """What the last retry did to the answer on screen: ``resumed (continuation)``, ``restarted``..."""
        self.retry: dict[str, Any] | None = None
        self.retry_pending = False
        self.started = False  # saw a first event (state connecting → streaming)
        self.reset_pending = False  # a reset happened: the view re-syncs its snapshot
        self.text_format = "markdown"
        """``json`` when the request asks for structured output: its text blocks are JSON."""

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
            if s:
                # Why held, not put in its block here: between two SDK events (~25 µs of parsing
                # each) the few objects a block update touches fall out of the CPU's caches; the
                # flusher puts ~1,000 held deltas in at a time, ~3× cheaper a delta.
                self._held.append((ev.index, s))
                if not self.dirty:
                    with self.lock:
                        if not self.dirty:
                            self._mark_dirty()
            return None
        if t in _DERIVED:
            return None
        self._drain_held()
        return self._feed_other(t, ev)

    def _append(self, i: int, s: str) -> None:
        if not s:
            return
        with self.lock:
            self._drain()
            self._put(i, s)
            if not self.dirty:
                self._mark_dirty()

    def _drain_held(self) -> None:
        """Before any event but a text delta: the deltas held before it go in first, in order."""
        if self._held:
            with self.lock:
                self._drain()

    def _drain(self) -> None:
        """Put the held deltas in their blocks (call under ``lock``).

        The consumer may append to ``_held`` meanwhile (without the lock): only the first
        ``n`` are taken, and the slice is deleted in one step, so none is lost.
        """
        held = self._held
        n = len(held)
        if n:
            taken = held[:n]
            del held[:n]
            dirty = self.dirty  # a block made up for a delta without its start queues an op: the
            for i, s in taken:  # delta's holder made sure a flush is due, take_ops may have cleared it
                self._put(i, s)
            self.dirty = dirty

    def _put(self, i: int, s: str) -> None:
        """Append ``s`` to block ``i`` (call under ``lock``)."""
        n = len(s) if s.isascii() else len(s.encode("utf-16-le")) >> 1
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
        self.dirty = False  # before draining: a delta held from now on marks the answer dirty again
        self._drain()
        self._close_open()
        ops = self._ops
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
        if b.kind == "text" and self.text_format == "json":
            b.format = info["format"] = "json"
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
                        b.input = _shown(data)
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
            strategy = getattr(ev, "strategy", "retry")
            if ev.resume:
                self.recovery = f"resumed ({strategy})"
            elif strategy == "restart":
                self.recovery = "restarted"
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
        self._drain_held()
        b = self.blocks.get(i)
        if b is None:
            return
        if d.type == "signature_delta":
            b.signature = d.signature
        elif d.type == "citations_delta":
            with self.lock:
                b.citations.append(d.citation)
                self._queue(["cite", i, cite_info(d.citation)])

    # ---- reading the state
    def nchars(self) -> int:
        with self.lock:
            self._drain()
            return sum(len(b.text()) for b in self.blocks.values())

    def estimated_output_tokens(self) -> int:
        """Output tokens as the live view estimates them: ~4 characters (UTF-16 units) a token.

        Why: the API counts output tokens only in ``message_delta``, at the end; a stream cut
        short (Stop, a dropped connection) never gets there, and ``message_start`` says 1.
        The view shows this estimate (``≈``) while streaming (``static/view.js``), so a
        stopped answer must not claim fewer. Tool results are left out: they are input of
        the next request, not output.
        """
        with self.lock:
            self._drain()
            n16 = sum(b.n16 for b in self.blocks.values() if b.kind != "tool_result")
        return int(n16 / 4 + 0.5)  # as JS Math.round

    def text(self) -> str:
        with self.lock:
            self._drain()
            blocks = self.blocks
            return "".join(blocks[i].text() for i in sorted(blocks) if blocks[i].kind == "text")

    def snapshot(self) -> bytes:
        """The compressed full state; call under ``lock`` after ``take_ops``.

        Not drained: deltas held since ``take_ops`` go in the next ops, so the snapshot is
        exactly the state the ops taken so far lead to (``seq``), and the next append starts
        at its end.
        """
        blocks = [self.blocks[i].to_json() for i in sorted(self.blocks)]
        raw = json.dumps({"seq": self.seq, "blocks": blocks}, ensure_ascii=False, separators=(",", ":"),
                         default=_json_default)
        return zlib.compress(raw.encode("utf-8"), 6)

    def record(self, status: dict[str, Any]) -> str:
        """The static HTML record of the answer (see ``_static``)."""
        with self.lock:
            self._drain()
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
            self._drain()
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

"""Merging the attempts of a resilient stream into the one event stream its consumer sees.

Why its own module: how events of a continued attempt are renumbered, swallowed and
rebuilt is the subtle part of :mod:`claude_widgets._resilient`, and it knows nothing of
HTTP, retries or waiting; the policy there decides *when* to resume or reset, this says
*what the consumer then sees*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from anthropic._models import construct_type
from anthropic.lib.streaming._messages import accumulate_event, build_events
from anthropic.types import Message, RawMessageStreamEvent

from ._events import ResetEvent


def _event(data: dict[str, Any]) -> Any:
    return construct_type(type_=RawMessageStreamEvent, value=data)


def _text_of(message: Any) -> str:
    if message is None:
        return ""
    return "".join(b.text for b in message.content if b.type == "text")


@dataclass
class _Plan:
    kept: int = 0
    """Blocks of what the consumer saw that the next attempt keeps."""
    reset: bool = False
    """The consumer must discard what it saw (the kept blocks are then replayed)."""
    prefill: str | None = None
    """The assistant turn the next attempt ends with (None: the caller's messages as given)."""


class _Merger:
    """Turns the events of successive attempts into the one event stream the consumer sees.

    ``snap`` is the message the consumer's events accumulate to, the single source of
    truth. While an attempt starts from nothing (the first, or after a reset to zero
    blocks) its events pass through untouched and ``snap`` *is* its ``MessageStream``'s
    snapshot ("fast" mode: no cost over the plain SDK). A continuation's events are mapped
    ("slow" mode): indices renumbered, its ``message_start`` and the re-sent whitespace
    swallowed, raw events accumulated into ``snap`` and the SDK's derived events
    (``TextEvent``...) rebuilt from it with the SDK's own ``build_events``.
    """

    def __init__(self, output_format: Any) -> None:
        self.output_format = output_format
        self.snap: Any = None
        self.start_event: Any = None
        self.stopped: set[int] = set()
        self.delta_seen = False
        self.complete = False
        self.json_bufs: dict[int, bytes] = {}
        self.carried: dict[int, int] = {}  # content deltas per kept block, from earlier attempts
        self.counts: dict[int, int] = {}  # ... from the current attempt
        self.fast = True
        self.pending_reset: tuple[str, list[tuple[str, list[Any]]]] | None = None
        # the continuation being merged
        self.map: dict[int, int] = {}
        self.next = 0
        self.first = True
        self.target: int | None = None  # open text block the continuation's first text block continues
        self.lazy_ok = False  # ... or a closed one: its continuation becomes a new block, if not empty
        self.merging: int | None = None
        self.held: Any = None
        self.ws = ""

    # ---- reading
    @property
    def text(self) -> str:
        return _text_of(self.snap)

    def message(self) -> Message | None:
        return None if self.snap is None else self.snap.model_copy(deep=True)

    # ---- feeding
    def _emit(self, raw: Any) -> list[Any]:
        self.snap = accumulate_event(event=raw, current_snapshot=self.snap, json_bufs=self.json_bufs,
                                     output_format=self.output_format)
        t = raw.type
        if t == "content_block_stop":
            self.stopped.add(raw.index)
        elif t == "message_delta":
            self.delta_seen = True
        elif t == "message_stop":
            self.complete = True
        elif t == "message_start":
            self.start_event = raw
        return build_events(event=raw, message_snapshot=self.snap)

    def start(self, ev: Any, ms: Any) -> list[Any]:
        """An attempt's ``message_start``: apply a pending reset, then pass it or swallow it."""
        out: list[Any] = self._reset_and_replay() if self.pending_reset is not None else []
        self.counts = {}
        if self.snap is None:
            self.fast = True
            self.snap = ms.current_message_snapshot
            self.start_event = ev
            out.append(ev)
        else:
            self.fast = False
        return out

    def track(self, ev: Any) -> None:
        """Fast mode: the event passes as is; note what the merge will need."""
        t = ev.type
        if t == "content_block_delta":
            i = ev.index
            self.counts[i] = self.counts.get(i, 0) + 1
        elif t == "content_block_stop":
            self.stopped.add(ev.index)
        elif t == "message_delta":
            self.delta_seen = True
        elif t == "message_stop":
            self.complete = True

    def feed(self, ev: Any) -> Sequence[Any]:
        """Slow mode: one event of a continuation, mapped onto the consumer's message."""
        t = ev.type
        if t == "content_block_delta":
            j = ev.index
            out: list[Any] = []
            if j == self.merging:
                if self.ws and ev.delta.type == "text_delta":
                    s = self._dedupe(ev.delta.text)
                    if not s:
                        return ()
                    ev = ev.model_copy(update={"delta": ev.delta.model_copy(update={"text": s})})
                if self.held is not None:
                    out = self._open(self.held)
                    self.held = None
            i = self.map[j]
            self.counts[i] = self.counts.get(i, 0) + 1
            return out + self._emit(ev if i == j else ev.model_copy(update={"index": i}))
        if t == "content_block_start":
            if self.first:
                self.first = False
                if ev.content_block.type == "text" and (self.target is not None or self.lazy_ok):
                    self.merging = ev.index
                    if self.target is not None:
                        self.map[ev.index] = self.target
                    else:
                        self.held = ev
                    return ()
            return self._close_target() + self._open(ev)
        if t == "content_block_stop":
            j = ev.index
            if j == self.merging:
                if self.held is not None:  # only re-sent whitespace: the block never opened
                    self.held = None
                    return ()
                if self.map[j] == self.target:
                    self.target = None
            return self._emit(_event({"type": "content_block_stop", "index": self.map[j]}))
        if t == "message_delta":
            return self._close_target() + self._emit(self._merged_delta(ev))
        if t == "message_stop":
            return self._close_target() + self._emit(_event({"type": "message_stop"}))
        return ()  # derived events: rebuilt by _emit

    def finish(self) -> list[Any]:
        """The connection failed after ``message_delta``: nothing is missing but ``message_stop``."""
        return self._emit(_event({"type": "message_stop"}))

    def _open(self, ev: Any) -> list[Any]:
        i = self.next
        self.next += 1
        self.map[ev.index] = i
        return self._emit(ev if i == ev.index else ev.model_copy(update={"index": i}))

    def _close_target(self) -> list[Any]:
        if self.target is None:
            return []
        i, self.target = self.target, None
        return self._emit(_event({"type": "content_block_stop", "index": i}))

    def _dedupe(self, s: str) -> str:
        """Drop the whitespace the consumer already saw from the start of the continuation."""
        i = 0
        while self.ws and i < len(s):
            c = s[i]
            if c == self.ws[0]:
                self.ws = self.ws[1:]
            elif not c.isspace():
                self.ws = ""
                break
            # else: different whitespace where the consumer already has some: drop it too
            i += 1
        return s[i:]

    def _merged_delta(self, ev: Any) -> Any:
        start = self.start_event.message.usage
        u = ev.usage
        update = {"output_tokens": sum(self.carried.values()) + u.output_tokens,
                  "input_tokens": start.input_tokens,
                  "cache_creation_input_tokens": start.cache_creation_input_tokens,
                  "cache_read_input_tokens": start.cache_read_input_tokens}
        return ev.model_copy(update={"usage": u.model_copy(update=update)})

    # ---- between attempts
    def prepare(self, *, prefill_ok: bool, base_prefill: str, reason: str) -> _Plan:
        """After a failure: what the next attempt keeps, and set up the merge of its events."""
        for i, c in self.counts.items():
            self.carried[i] = self.carried.get(i, 0) + c
        self.counts = {}
        blocks = list(self.snap.content) if self.snap is not None else []
        k = 0
        if prefill_ok:
            while k < len(blocks) and blocks[k].type == "text":
                k += 1
        reset = k < len(blocks)
        self.carried = {i: c for i, c in self.carried.items() if i < k}
        full = base_prefill + "".join(b.text for b in blocks[:k])
        stripped = full.rstrip()
        prefill = stripped if k and (stripped or base_prefill) else None
        self.map, self.next, self.first, self.merging, self.held = {}, k, True, None, None
        self.ws = full[len(stripped):] if k else ""
        last_open = k > 0 and (reset or (k - 1) not in self.stopped)
        self.target = k - 1 if last_open else None
        self.lazy_ok = k > 0 and not last_open
        kept = [(b.text, [c.to_dict() for c in (b.citations or [])]) for b in blocks[:k]]
        self.pending_reset = (reason, kept) if reset else None
        return _Plan(kept=k, reset=reset, prefill=prefill)

    def _reset_and_replay(self) -> list[Any]:
        assert self.pending_reset is not None
        reason, kept = self.pending_reset
        self.pending_reset = None
        start = self.start_event
        self.snap = self.start_event = None
        self.stopped, self.json_bufs = set(), {}
        self.delta_seen = self.complete = False
        out: list[Any] = [ResetEvent(reason)]
        if not kept:
            return out
        out += self._emit(start)
        for i, (text, citations) in enumerate(kept):
            out += self._emit(_event({"type": "content_block_start", "index": i,
                                      "content_block": {"type": "text", "text": "", "citations": None}}))
            if text:
                out += self._emit(_event({"type": "content_block_delta", "index": i,
                                          "delta": {"type": "text_delta", "text": text}}))
            for c in citations:
                out += self._emit(_event({"type": "content_block_delta", "index": i,
                                          "delta": {"type": "citations_delta", "citation": c}}))
            if i < len(kept) - 1:  # the last one stays open for the continuation
                out += self._emit(_event({"type": "content_block_stop", "index": i}))
        return out

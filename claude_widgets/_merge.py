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
from ._reconcile import Reconciler


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
    strategy: str = "fresh"
    """``fresh`` (from the start), ``prefill`` or ``continuation`` (see :mod:`claude_widgets._resilient`)."""
    shown: str = ""
    """The kept text (what a continuation must join), with the caller's own prefill in front."""
    thinking: str = ""
    """The kept thinking text (it counts against ``max_tokens``)."""


_THINKING = ("thinking", "redacted_thinking")


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
        self.pending_reset: tuple[str, list[dict[str, Any]]] | None = None
        # the continuation being merged
        self.map: dict[int, int] = {}
        self.next = 0
        self.first = True
        self.target: int | None = None  # open text block the continuation's first text block continues
        self.lazy_ok = False  # ... or a closed one: its continuation becomes a new block, if not empty
        self.merging: int | None = None
        self.held: Any = None
        self.ws = ""
        self.skip: set[int] = set()  # a continuation's own leading thinking blocks: not shown
        self.reconciler: Reconciler | None = None
        self.reconciled: str | None = None
        self.kept_tokens: int | None = None  # what the kept part cost, measured (see _resilient)

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
            if j in self.skip:
                return ()
            if j == self.merging and ev.delta.type == "citations_delta" and self._cited_already(j, ev.delta.citation):
                return ()  # the continued block's citation, sent again with its rest: one is enough
            if j == self.merging and ev.delta.type == "text_delta" and (self.ws or self.reconciler is not None):
                s = self._join(ev.delta.text)
                if not s:
                    return ()
                ev = ev.model_copy(update={"delta": ev.delta.model_copy(update={"text": s})})
            return self._deliver(j, ev)
        if t == "content_block_start":
            if self.first and self.reconciler is not None and ev.content_block.type in _THINKING:
                self.skip.add(ev.index)  # the model thinking about how to continue: not part of the answer
                return ()
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
            if j in self.skip:
                return ()
            out = []
            if j == self.merging:
                out = self._flush(j)
                if self.held is not None:  # only re-sent whitespace: the block never opened
                    self.held = None
                    return ()
                if self.map[j] == self.target:
                    self.target = None
            return out + self._emit(_event({"type": "content_block_stop", "index": self.map[j]}))
        if t == "message_delta":
            out = self._flush(self.merging) if self.merging is not None else []
            return out + self._close_target() + self._emit(self._merged_delta(ev))
        if t == "message_stop":
            return self._close_target() + self._emit(_event({"type": "message_stop"}))
        return ()  # derived events: rebuilt by _emit

    def _cited_already(self, j: int, citation: Any) -> bool:
        i = self.map.get(j)
        if i is None or self.snap is None or i >= len(self.snap.content):
            return False
        have = getattr(self.snap.content[i], "citations", None) or []
        return any(c.to_dict() == citation.to_dict() for c in have)

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

    def _join(self, s: str) -> str:
        """The part of a continuation's text delta to show (the seam's repeats dropped)."""
        if self.reconciler is None:
            return self._dedupe(s)
        out = self.reconciler.feed(s)
        if self.reconciler.decided and self.reconciled is None:
            self.reconciled = self.reconciler.how
        return out

    def _flush(self, j: int | None) -> list[Any]:
        """The continued block ends: release what the reconciler still holds."""
        r = self.reconciler
        if j is None or r is None or r.decided:
            return []
        s = r.finish()
        self.reconciled = r.how
        if not s:
            return []
        return self._deliver(j, _event({"type": "content_block_delta", "index": j,
                                        "delta": {"type": "text_delta", "text": s}}))

    def _deliver(self, j: int, ev: Any) -> list[Any]:
        """A continuation's content delta for its block ``j``, on the consumer's block (opened if held)."""
        out: list[Any] = []
        if j == self.merging and self.held is not None:
            out = self._open(self.held)
            self.held = None
        i = self.map[j]
        self.counts[i] = self.counts.get(i, 0) + 1
        return out + self._emit(ev if i == j else ev.model_copy(update={"index": i}))

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

    def kept_output_tokens(self) -> int:
        """Output tokens of the kept part: measured if it could be, else one per delta (a lower bound)."""
        return self.kept_tokens if self.kept_tokens is not None else sum(self.carried.values())

    def _merged_delta(self, ev: Any) -> Any:
        start = self.start_event.message.usage
        u = ev.usage
        update = {"output_tokens": self.kept_output_tokens() + u.output_tokens,
                  "input_tokens": start.input_tokens,
                  "cache_creation_input_tokens": start.cache_creation_input_tokens,
                  "cache_read_input_tokens": start.cache_read_input_tokens}
        return ev.model_copy(update={"usage": u.model_copy(update=update)})

    # ---- between attempts
    def prepare(self, *, strategy: str, base_prefill: str, reason: str) -> _Plan:
        """After a failure: what the next attempt keeps, and set up the merge of its events.

        ``prefill`` keeps the leading text blocks (an assistant turn can only be prefilled
        with text). ``continuation`` keeps everything up to the last text block that only
        complete thinking blocks precede: partial thinking and tool_use blocks cannot be
        continued, so the answer continues from the last text (the streaming guide's rule).
        """
        for i, c in self.counts.items():
            self.carried[i] = self.carried.get(i, 0) + c
        self.counts = {}
        blocks = list(self.snap.content) if self.snap is not None else []
        k = 0
        if strategy == "prefill":
            while k < len(blocks) and blocks[k].type == "text":
                k += 1
        elif strategy == "continuation":
            for i, b in enumerate(blocks):
                if b.type == "text":
                    k = i + 1
                elif not (b.type in _THINKING and i in self.stopped):
                    break
        # A cited text block (it starts with ``citations: []``) cut before its first character
        # holds nothing to continue: the text before it is continued, and the continuation
        # brings the block again, citations and all (kept, it became an empty block, with a
        # duplicate citation, beside the continued one).
        while k > 1 and blocks[k - 1].type == "text" and not blocks[k - 1].text and (k - 1) not in self.stopped \
                and getattr(blocks[k - 1], "citations", None) is not None and any(b.type == "text" and b.text for b in blocks[:k - 1]):
            k -= 1
        texts = [b.text for b in blocks[:k] if b.type == "text"]
        full = base_prefill + "".join(texts)
        stripped = full.rstrip()
        if not (stripped or base_prefill):
            # Nothing to continue from. Empty (or blank) text blocks are kept and the request
            # is made afresh, its text joining them; a thinking block alone cannot be resumed.
            if any(b.type != "text" for b in blocks[:k]):
                k = 0
            strategy = "fresh"
        reset = k < len(blocks)
        self.carried = {i: c for i, c in self.carried.items() if i < k}
        prefill = stripped if strategy == "prefill" and k else None
        self.map, self.next, self.first, self.merging, self.held = {}, k, True, None, None
        self.skip, self.reconciled, self.kept_tokens = set(), None, None
        self.ws = full[len(stripped):] if k and strategy != "continuation" else ""
        self.reconciler = Reconciler(full, texts[-1]) if k and strategy == "continuation" else None
        last_open = k > 0 and (reset or (k - 1) not in self.stopped)
        self.target = k - 1 if last_open else None
        self.lazy_ok = k > 0 and not last_open
        self.pending_reset = (reason, [_kept(b) for b in blocks[:k]]) if reset else None
        thinking = "".join(getattr(b, "thinking", "") or "" for b in blocks[:k] if b.type == "thinking")
        return _Plan(kept=k, reset=reset, prefill=prefill, strategy=strategy if k else "fresh",
                     shown=full if k and strategy != "fresh" else "", thinking=thinking)

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
        for i, block in enumerate(kept):
            kind = block["type"]
            empty = {"text": {"type": "text", "text": "", "citations": None},
                     "thinking": {"type": "thinking", "thinking": "", "signature": ""}}.get(kind, block)
            out += self._emit(_event({"type": "content_block_start", "index": i, "content_block": empty}))
            for delta in _replay_deltas(block):
                out += self._emit(_event({"type": "content_block_delta", "index": i, "delta": delta}))
            if i < len(kept) - 1:  # the last one stays open for the continuation
                out += self._emit(_event({"type": "content_block_stop", "index": i}))
        return out


def _kept(block: Any) -> dict[str, Any]:
    """A kept block as the data its replay after a reset needs."""
    return block.to_dict()  # type: ignore[no-any-return]


def _replay_deltas(block: dict[str, Any]) -> list[dict[str, Any]]:
    if block["type"] == "text":
        out: list[dict[str, Any]] = []
        if block.get("text"):
            out.append({"type": "text_delta", "text": block["text"]})
        out += [{"type": "citations_delta", "citation": c} for c in block.get("citations") or []]
        return out
    if block["type"] == "thinking":
        out = [{"type": "thinking_delta", "thinking": block["thinking"]}] if block.get("thinking") else []
        return out + [{"type": "signature_delta", "signature": block.get("signature", "")}]
    return []  # redacted_thinking: complete in its start event

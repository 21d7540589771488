"""Synthetic Messages API stream events, as the SDK would yield them.

``raw_events(blocks)`` builds what ``messages.create(stream=True)`` yields;
``message_stream_events(raw)`` adds what ``MessageStream`` derives from it (``text``,
``thinking``, ``input_json``… and the final ``message_stop`` carrying the message), with
the SDK's own ``accumulate_event``/``build_events``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from anthropic._models import construct_type
from anthropic.lib.streaming._messages import accumulate_event, build_events
from anthropic.types import RawMessageStreamEvent

MODEL = "claude-test-model"


def ev(data: dict[str, Any]) -> Any:
    return construct_type(type_=RawMessageStreamEvent, value=data)


def chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def raw_events(blocks: list[dict[str, Any]], *, size: int = 3, stop_reason: str = "end_turn",
               complete: bool = True, msg_id: str = "msg_test") -> list[Any]:
    """``blocks``: ``{"type": "text", "text": …}``, ``{"type": "thinking", "thinking": …}``,
    ``{"type": "tool_use", "name": …, "id": …, "input": {…}}``, ``{"type": "redacted_thinking"}``."""
    out = [ev({"type": "message_start", "message": {
        "id": msg_id, "type": "message", "role": "assistant", "model": MODEL, "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 11, "output_tokens": 1}}})]
    n_out = 0
    for i, b in enumerate(blocks):
        t = b["type"]
        if t == "text":
            start: dict[str, Any] = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": c} for c in chunks(b["text"], size)]
        elif t == "thinking":
            start = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [{"type": "thinking_delta", "thinking": c} for c in chunks(b["thinking"], size)]
            deltas.append({"type": "signature_delta", "signature": "sig-" + str(i)})
        elif t == "tool_use":
            start = {"type": "tool_use", "id": b["id"], "name": b["name"], "input": {}}
            deltas = [{"type": "input_json_delta", "partial_json": c}
                      for c in chunks(json.dumps(b["input"]), size)]
        else:
            start = {"type": "redacted_thinking", "data": "opaque"}
            deltas = []
        out.append(ev({"type": "content_block_start", "index": i, "content_block": start}))
        for d in deltas:
            out.append(ev({"type": "content_block_delta", "index": i, "delta": d}))
            n_out += 1
        out.append(ev({"type": "content_block_stop", "index": i}))
    if complete:
        out.append(ev({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                       "usage": {"output_tokens": n_out}}))
        out.append(ev({"type": "message_stop"}))
    return out


def message_stream_events(raw: Iterable[Any]) -> Iterator[Any]:
    """The events ``MessageStream`` yields for these raw events."""
    snapshot = None
    json_bufs: dict[int, bytes] = {}
    for e in raw:
        if snapshot is None and e.type != "message_start":
            yield e
            continue
        snapshot = accumulate_event(event=e, current_snapshot=snapshot, json_bufs=json_bufs)
        yield from build_events(event=e, message_snapshot=snapshot)


class Recorder:
    """Stands in for ``widget.send``: keeps each custom message with a timestamp."""

    def __init__(self, clock: Any = None) -> None:
        import time

        self.clock = clock or time.monotonic
        self.sent: list[tuple[float, dict[str, Any]]] = []

    def __call__(self, content: dict[str, Any], buffers: Any = None) -> None:
        self.sent.append((self.clock(), content))

    @property
    def ops_messages(self) -> list[dict[str, Any]]:
        return [c for _, c in self.sent if c.get("k") == "ops"]


class Browser:
    """The browser rules of docs/widget-protocol.md, in Python, to check what a view would show."""

    def __init__(self) -> None:
        self.blocks: list[dict[str, Any] | None] = []
        self.seq = 0
        self.status: dict[str, Any] = {}
        self.gaps = 0

    def apply_snapshot(self, snap: bytes) -> None:
        import zlib

        data = json.loads(zlib.decompress(snap))
        if data["seq"] >= self.seq:
            self.blocks = [dict(b) for b in data["blocks"]]
            self.seq = data["seq"]
            self._index = {i: i for i in range(len(self.blocks))}

    def apply(self, msg: dict[str, Any]) -> bool:
        """Apply one ops message; False when a gap means a resync is needed."""
        if msg["seq"] <= self.seq:
            return True
        if msg["seq"] != self.seq + 1:
            self.gaps += 1
            return False
        self.seq = msg["seq"]
        for op in msg["ops"]:
            kind = op[0]
            if kind == "start":
                _, i, meta = op
                while len(self.blocks) <= i:
                    self.blocks.append(None)
                self.blocks[i] = {**meta, "text": "", "input": None, "done": False}
            elif kind == "append":
                _, i, offset, text = op
                b = self.blocks[i]
                assert b is not None
                if utf16_len(b["text"]) != offset:
                    self.gaps += 1
                    return False
                b["text"] += text
            elif kind == "stop":
                _, i, value = op
                b = self.blocks[i]
                assert b is not None
                b["done"] = True
                b["input"] = value
            elif kind == "status":
                self.status.update(op[1])
            elif kind == "reset":
                self.blocks = []
        return True

    def texts(self) -> list[str]:
        return [b["text"] for b in self.blocks if b is not None]


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2

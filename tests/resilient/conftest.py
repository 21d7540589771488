"""Helpers for resilient-stream tests: scripted answers, a fake clock, and the consumer's view.

Every test streams from the real offline server over HTTP (the session ``server`` fixture).
The *baseline* of a scenario is its uninterrupted stream through the plain SDK; a resilient
stream under faults must end with exactly that message, and what its consumer saw, replayed
event by event (discarding on ``ResetEvent``), must be that message too.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import anthropic
import pytest

from claude_widgets import DEFAULT_MODEL
from claude_widgets.server import OfflineServer, RequestRecord

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Get the current weather for a city",
    "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
}
SCENARIOS: dict[str, dict[str, Any]] = {
    # text with paragraphs: partial texts ending in whitespace exercise the prefill stripping
    "text": {"model": DEFAULT_MODEL, "max_tokens": 1000,
             "messages": [{"role": "user", "content": "Tell me a story"}]},
    # text, then two tool_use blocks
    "tools": {"model": DEFAULT_MODEL, "max_tokens": 1000, "tools": [WEATHER_TOOL],
              "messages": [{"role": "user", "content": "What's the weather in Paris and London?"}]},
    # thinking, text, two tool_use blocks: nothing can be prefilled
    "thinking": {"model": "claude-haiku-4-5", "max_tokens": 4000, "tools": [WEATHER_TOOL],
                 "thinking": {"type": "enabled", "budget_tokens": 1024},
                 "messages": [{"role": "user", "content": "What's the weather in Paris and London?"}]},
}


@dataclass
class Baseline:
    """The uninterrupted answer of a scenario, and where each content delta falls."""

    message: anthropic.types.Message
    block_types: list[str]
    owners: list[int]
    """The block each content delta belongs to (deltas are the unit of ``*-after=K`` faults)."""

    @property
    def text(self) -> str:
        return "".join(b.text for b in self.message.content if b.type == "text")

    @property
    def deltas(self) -> int:
        return len(self.owners)

    def visible_types(self, k: int) -> list[str]:
        """Types of the blocks a fault before content delta k leaves on screen."""
        return self.block_types[: self.owners[k] + 1]

    def deltas_of(self, block_type: str, nth: int = 0) -> list[int]:
        """The content deltas of the nth block of this type."""
        block = [i for i, t in enumerate(self.block_types) if t == block_type][nth]
        return [k for k, o in enumerate(self.owners) if o == block]

    def text_before(self, k: int) -> str:
        """The text (of text blocks) shown before content delta k."""
        text = ""
        for block in self.message.content[: self.owners[k]]:
            if block.type == "text":
                text += block.text
        return text + self._partial_text(k)

    def _partial_text(self, k: int) -> str:
        return self._texts[k]

    _texts: list[str] = field(default_factory=list)


def make_baseline(client: anthropic.Anthropic, kwargs: dict[str, Any]) -> Baseline:
    owners: list[int] = []
    types: list[str] = []
    texts: list[str] = []  # text of the current block before each delta
    current = ""
    with client.messages.stream(**kwargs) as s:
        for ev in s:
            if ev.type == "content_block_start":
                types.append(ev.content_block.type)
                current = ""
            elif ev.type == "content_block_delta":
                owners.append(ev.index)
                texts.append(current if types[ev.index] == "text" else "")
                if ev.delta.type == "text_delta":
                    current += ev.delta.text
        message = s.get_final_message()
    return Baseline(message, types, owners, texts)


@pytest.fixture(scope="session")
def baselines(server: OfflineServer) -> dict[str, Baseline]:
    # closed here: its pooled socket, left to the garbage collector, raised a ResourceWarning in
    # whichever later test the collector happened to run (CI: test_async_faults)
    with anthropic.Anthropic(base_url=server.base_url, api_key="test-key", max_retries=0) as sdk:
        return {name: make_baseline(sdk, kwargs) for name, kwargs in SCENARIOS.items()}


class FakeClock:
    """``sleep``/``monotonic`` for resilient streams: sleeping only records and advances time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def fault_headers(specs: Sequence[str | None]) -> tuple[Callable[[int], dict[str, str]], str]:
    """An ``attempt_headers`` hook giving attempt n the fault ``specs[n-1]``, and the tag to find them.

    Every spec gets a unique ``id=`` (so ``times=N`` counters never leak between tests); attempts
    past the list, or with None, carry only the id, which injects nothing.
    """
    tag = uuid.uuid4().hex[:10]

    def headers(n: int) -> dict[str, str]:
        spec = specs[n - 1] if n <= len(specs) else None
        return {"x-offline-fault": f"{spec}; id={tag}-{n}" if spec else f"id={tag}-{n}"}

    return headers, tag


def requests_tagged(server: OfflineServer, tag: str) -> list[RequestRecord]:
    return [r for r in server.requests if tag in r.headers.get("x-offline-fault", "")]


def wait_for_outcome(record: RequestRecord, outcome: str, timeout: float = 3.0) -> str:
    deadline = time.monotonic() + timeout
    while record.outcome != outcome and time.monotonic() < deadline:
        time.sleep(0.01)
    return record.outcome


# --------------------------------------------------------------------------- the consumer's view

@dataclass
class View:
    """What a consumer reconstructs from the events, discarding everything at each ResetEvent."""

    blocks: list[dict[str, Any]] = field(default_factory=list)
    started: bool = False
    stopped: set[int] = field(default_factory=set)
    delta_seen: bool = False
    complete: bool = False
    resets: int = 0
    retries: list[Any] = field(default_factory=list)
    text_events: int = 0

    @property
    def text(self) -> str:
        return "".join(b["text"] for b in self.blocks if b["type"] == "text")

    def content(self) -> list[dict[str, Any]]:
        out = []
        for b in self.blocks:
            if b["type"] == "tool_use":
                out.append({"type": "tool_use", "id": b["id"], "name": b["name"], "input": json.loads(b["json"])})
            elif b["type"] == "thinking":
                out.append({"type": "thinking", "thinking": b["thinking"], "signature": b["signature"]})
            else:
                out.append({"type": "text", "text": b["text"]})
        return out


def consume(events: Iterator[Any] | list[Any]) -> View:
    """Replay events as a consumer would, asserting the sequence is one valid stream per epoch."""
    v = View()
    for ev in events:
        t = ev.type
        if t == "retry":
            v.retries.append(ev)
            continue
        if t == "reset":
            v.resets += 1
            v.blocks, v.stopped, v.started, v.delta_seen, v.complete = [], set(), False, False, False
            continue
        assert not v.complete, f"{t} after message_stop"
        if t == "message_start":
            assert not v.started, "message_start twice without a reset"
            v.started = True
            continue
        assert v.started, f"{t} before message_start"
        if t == "content_block_start":
            assert ev.index == len(v.blocks), f"block {ev.index} started, expected {len(v.blocks)}"
            assert not v.delta_seen
            assert all(i in v.stopped for i in range(len(v.blocks))), "a block started before the last stopped"
            cb = ev.content_block
            v.blocks.append({"type": cb.type, "text": "", "thinking": "", "signature": "", "json": "",
                             "id": getattr(cb, "id", None), "name": getattr(cb, "name", None)})
        elif t == "content_block_delta":
            assert ev.index < len(v.blocks) and ev.index not in v.stopped, f"delta for block {ev.index}"
            b, d = v.blocks[ev.index], ev.delta
            if d.type == "text_delta":
                assert d.text, "empty text delta"
                b["text"] += d.text
            elif d.type == "thinking_delta":
                b["thinking"] += d.thinking
            elif d.type == "signature_delta":
                b["signature"] = d.signature
            elif d.type == "input_json_delta":
                b["json"] += d.partial_json
        elif t == "text":
            v.text_events += 1
            # the SDK's derived event: its snapshot is the merged block's text
            assert ev.snapshot == next(b for b in reversed(v.blocks) if b["type"] == "text")["text"]
        elif t == "content_block_stop":
            assert ev.index < len(v.blocks) and ev.index not in v.stopped, f"stop for block {ev.index}"
            v.stopped.add(ev.index)
        elif t == "message_delta":
            assert not v.delta_seen and len(v.stopped) == len(v.blocks)
            v.delta_seen = True
        elif t == "message_stop":
            assert v.delta_seen
            v.complete = True
    return v


def content_of(message: Any) -> list[dict[str, Any]]:
    out = []
    for b in message.content:
        if b.type == "tool_use":
            out.append({"type": "tool_use", "id": b.id, "name": b.name, "input": b.input})
        elif b.type == "thinking":
            out.append({"type": "thinking", "thinking": b.thinking, "signature": b.signature})
        else:
            out.append({"type": "text", "text": b.text})
    return out

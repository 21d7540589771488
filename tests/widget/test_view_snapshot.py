"""The full sync: ``snapshot`` round-trips, and a browser that lost messages catches up."""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any

from ._factory import Browser, raw_events

BLOCKS = [
    {"type": "thinking", "thinking": "ponder 🤔"},
    {"type": "text", "text": "Answer with émojis 👍🏽 and more text. " * 20},
    {"type": "tool_use", "id": "toolu_9", "name": "calc", "input": {"expr": "6*7"}},
]


def decode(snap: bytes) -> dict[str, Any]:
    return json.loads(zlib.decompress(snap).decode("utf-8"))  # type: ignore[no-any-return]


def test_snapshot_round_trip(rv: Any) -> None:
    rv.view.consume(iter(raw_events(BLOCKS, size=7)))
    rv.view.wait(timeout=10)
    data = decode(rv.view.snapshot)
    assert set(data) == {"seq", "blocks"}
    assert data["seq"] == rv.ops_messages[-1]["seq"]
    assert data["blocks"] == [
        {"type": "thinking", "text": "ponder 🤔", "name": None, "id": None, "input": None, "done": True},
        {"type": "text", "text": BLOCKS[1]["text"], "name": None, "id": None, "input": None, "done": True},
        {"type": "tool_use", "text": '{"expr": "6*7"}', "name": "calc", "id": "toolu_9",
         "input": {"expr": "6*7"}, "done": True},
    ]
    # what the ops built is what the snapshot says
    b = Browser()
    for m in rv.ops_messages:
        assert b.apply(m)
    assert b.blocks == data["blocks"]


def test_snapshot_is_compressed(rv: Any) -> None:
    rv.view.consume(iter(raw_events([{"type": "text", "text": "Lorem ipsum dolor sit amet. " * 500}])))
    rv.view.wait(timeout=10)
    assert len(rv.view.snapshot) < len("Lorem ipsum dolor sit amet. " * 500) / 10


def test_ops_at_or_below_the_snapshot_seq_are_ignored(rv: Any) -> None:
    rv.view.consume(iter(raw_events(BLOCKS, size=5)))
    rv.view.wait(timeout=10)
    b = Browser()
    b.apply_snapshot(rv.view.snapshot)
    for m in rv.ops_messages:  # a late view replaying buffered messages changes nothing
        b.apply(m)
    assert b.blocks == decode(rv.view.snapshot)["blocks"]


def test_resync_after_a_lost_message(rv: Any) -> None:
    """Drop one ops message mid-stream: the browser sees the gap, asks, and catches up."""
    gate, release = threading.Event(), threading.Event()
    events = raw_events([{"type": "text", "text": "0123456789" * 30}], size=3)

    def source() -> Iterator[Any]:
        for k, e in enumerate(events):
            if k == 60:
                gate.set()
                release.wait(5)
            if k % 10 == 0:
                time.sleep(0.04)  # let a few flushes happen
            yield e

    rv.view.consume(source())
    assert gate.wait(5)
    time.sleep(0.1)  # the flusher sends what was fed so far
    msgs = rv.ops_messages
    assert len(msgs) >= 3
    b = Browser()
    for m in msgs[:1] + msgs[2:]:  # message 2 was lost on the way
        if not b.apply(m):
            break
    assert b.gaps == 1
    # the browser asks for a resync: the snapshot covers everything sent so far
    rv.view._handle_custom_msg({"k": "resync", "have_seq": b.seq}, [])
    b.apply_snapshot(rv.view.snapshot)
    assert b.seq == rv.ops_messages[-1]["seq"]
    release.set()
    rv.view.wait(timeout=10)
    later = [m for m in rv.ops_messages if m["seq"] > b.seq]
    for m in later:
        assert b.apply(m)
    assert b.texts() == ["0123456789" * 30]


def test_resync_after_the_end_resends_the_same_snapshot(rv: Any) -> None:
    rv.view.consume(iter(raw_events([{"type": "text", "text": "done"}])))
    rv.view.wait(timeout=10)
    sent: list[Any] = []
    rv.view.send_state = lambda key=None: sent.append(key)  # type: ignore[method-assign]
    before = rv.view.snapshot
    rv.view._handle_custom_msg({"k": "resync", "have_seq": 0}, [])
    assert rv.view.snapshot == before
    assert sent == ["snapshot"]  # unchanged value: re-sent explicitly

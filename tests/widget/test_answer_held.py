"""Deltas are held, then put in their blocks by whoever takes the ops or reads the answer.

``_Answer.feed`` appends a delta to ``_held`` without the lock (the consumer thread's hot
path); ``take_ops`` (the flusher) and every reader drain it under the lock. Nothing may be
lost or reordered, and a held delta must still get a flush.
"""

from __future__ import annotations

import json
import sys
import threading
import zlib
from typing import Any

from claude_widgets._answer import _Answer

from ._factory import ev, raw_events


def _delta(i: int, text: str) -> Any:
    return ev({"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": text}})


def _replay(ops: list[list[Any]], texts: dict[int, str]) -> None:
    """Apply append ops as the browser does, checking each op's offset (UTF-16 units)."""
    for op in ops:
        if op[0] == "append":
            _, i, off, text = op
            have = texts.get(i, "")
            assert off == len(have.encode("utf-16-le")) // 2, (off, len(have))
            texts[i] = have + text


def test_a_flusher_draining_meanwhile_loses_nothing() -> None:
    """One thread feeds 60,000 deltas (some non-ASCII) while another takes the ops in a loop."""
    a = _Answer()
    a.feed(raw_events([{"type": "text", "text": ""}], complete=False)[0])  # message_start
    a.feed(ev({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}))
    pieces = [f"{k}é " if k % 7 == 0 else f"{k} " for k in range(60_000)]
    deltas = [_delta(0, p) for p in pieces]
    texts: dict[int, str] = {}
    done = threading.Event()

    def flusher() -> None:
        while not done.is_set():
            with a.lock:
                _, ops = a.take_ops()
            _replay(ops, texts)

    t = threading.Thread(target=flusher)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can: races show
    try:
        t.start()
        for d in deltas:
            a.feed(d)
        done.set()
        t.join()
    finally:
        sys.setswitchinterval(interval)
    with a.lock:
        _, ops = a.take_ops()
    _replay(ops, texts)
    assert texts[0] == "".join(pieces) == a.text()


def test_other_events_come_after_the_deltas_before_them() -> None:
    a = _Answer()
    for e in raw_events([{"type": "text", "text": "abcdef"}, {"type": "text", "text": "xyz"}], size=2):
        a.feed(e)
    with a.lock:
        _, ops = a.take_ops()
    kinds = [(op[0], op[1]) for op in ops if op[0] != "status"]
    assert kinds == [("start", 0), ("append", 0), ("stop", 0), ("start", 1), ("append", 1), ("stop", 1)]
    assert a.text() == "abcdefxyz"


def test_a_held_delta_marks_the_answer_dirty_once() -> None:
    woken: list[int] = []
    a = _Answer()
    a.on_dirty = lambda: woken.append(1)
    a.feed(_delta(0, "a"))
    a.feed(_delta(0, "b"))
    assert a.dirty and len(woken) == 1
    with a.lock:
        _, ops = a.take_ops()
    # a delta without its start: the block is made up, as before holding
    assert ops == [["start", 0, {"type": "text", "name": None, "id": None}], ["append", 0, 0, "ab"]]
    assert not a.dirty  # the made-up block's op was taken with the rest: nothing is due
    woken.clear()  # (making the block up woke the flusher once more: it finds nothing due)
    a.feed(_delta(0, "c"))
    assert a.dirty and len(woken) == 1  # the next delta gets its own flush
    assert a.nchars() == 3 and a.estimated_output_tokens() == 1


def test_readers_see_held_deltas() -> None:
    a = _Answer()
    events = raw_events([{"type": "text", "text": "hello world"}], size=3, complete=False)
    for e in events:
        if e.type != "content_block_stop":  # (the block's stop would put them in)
            a.feed(e)
    assert a._held  # nothing took the ops: the deltas are still held
    assert a.text() == "hello world"
    assert not a._held
    message = a.message()
    assert message is not None and message.content[0].text == "hello world"  # type: ignore[union-attr]


def test_the_snapshot_is_what_the_taken_ops_lead_to() -> None:
    """A delta held while the flusher holds the lock between ``take_ops`` and ``snapshot``
    (``_sync_snapshot``) goes in the next ops, not in the snapshot: the browser applies an
    append only at its block's end, so a snapshot ahead of the ops made the next append a
    "lost message" and cost a resync."""
    a = _Answer()
    a.feed(_delta(0, "ab"))
    fed = threading.Thread(target=a.feed, args=(_delta(0, "cd"),))
    with a.lock:
        _, ops = a.take_ops()
        fed.start()  # holds "cd", then waits for the lock to mark the answer dirty
        while not a._held:
            pass
        snap = json.loads(zlib.decompress(a.snapshot()))
    fed.join()
    texts = {0: snap["blocks"][0]["text"]}
    assert texts[0] == "ab"
    with a.lock:
        _, ops = a.take_ops()
    _replay(ops, texts)  # checks each append's offset against the snapshot's text
    assert texts[0] == "abcd" == a.text()

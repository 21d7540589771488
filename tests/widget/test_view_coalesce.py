"""Coalescing: ≤ ~30 flushes a second, an op waits ≤ ~50 ms, the last op always goes out."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest

from claude_widgets._view import FLUSH_INTERVAL, MAX_DELAY, _Answer, _Pacer

from ._factory import ev, raw_events


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def simulate(times: list[float]) -> list[tuple[float, list[float]]]:
    """Run the pacer over ops queued at ``times``; return (flush time, op times) pairs."""
    pacer = _Pacer()
    flushes: list[tuple[float, list[float]]] = []
    pending: list[float] = []

    def flush_due_until(t: float) -> None:
        while (due := pacer.due()) is not None and due <= t:
            flushes.append((due, pending[:]))
            pending.clear()
            pacer.flushed(due)

    for t in times:
        flush_due_until(t)
        pacer.queued(t)
        pending.append(t)
    flush_due_until(float("inf"))
    return flushes


@pytest.mark.parametrize("pattern", ["steady-1ms", "steady-20ms", "bursty", "random", "single"])
def test_pacer_bounds(pattern: str) -> None:
    rng = random.Random(7)
    if pattern == "steady-1ms":
        times = [i * 0.001 for i in range(3000)]
    elif pattern == "steady-20ms":
        times = [i * 0.02 for i in range(200)]
    elif pattern == "bursty":
        times = [b * 0.5 + i * 0.0001 for b in range(6) for i in range(200)]
    elif pattern == "random":
        t, times = 0.0, []
        for _ in range(2000):
            t += rng.expovariate(200)
            times.append(t)
    else:
        times = [1.234]
    flushes = simulate(times)
    sent = [t for _, ops in flushes for t in ops]
    assert sent == times  # every op flushed once, in order; the last one too
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(flushes)]
    assert all(g >= FLUSH_INTERVAL - 1e-9 for g in gaps)
    latencies = [flush_t - t for flush_t, ops in flushes for t in ops]
    assert max(latencies) <= MAX_DELAY
    duration = times[-1] - times[0]
    assert len(flushes) <= duration * 30.5 + 1


def test_first_op_after_quiet_goes_out_at_once() -> None:
    flushes = simulate([1.0, 5.0])
    assert [f[0] for f in flushes] == [1.0, 5.0]


def _text_events(text: str, size: int) -> list[Any]:
    return raw_events([{"type": "text", "text": text}], size=size)


def test_answer_merges_appends_with_fake_clock() -> None:
    clock = FakeClock()
    a = _Answer(clock=clock)
    events = _text_events("abcdefghij" * 10, size=1)
    flush_times = []
    ops_seen: list[list[Any]] = []
    for e in events:
        clock.now += 0.001  # one delta a millisecond
        a.feed(e)
        due = a.pacer.due()
        if due is not None and clock.now >= due:
            with a.lock:
                _seq, ops = a.take_ops()
            flush_times.append(clock.now)
            ops_seen.extend(ops)
    with a.lock:
        _, ops = a.take_ops()
    ops_seen.extend(ops)
    appends = [op for op in ops_seen if op[0] == "append"]
    # 100 deltas over 100 ms at ≤ 1 flush / 33 ms: a handful of appends, not 100
    assert len(appends) <= 6
    assert "".join(op[3] for op in appends) == "abcdefghij" * 10
    assert all(b - a_ >= FLUSH_INTERVAL - 1e-9 for a_, b in itertools.pairwise(flush_times))
    kinds = [op[0] for op in ops_seen]
    assert kinds[0] == "start" and kinds[-2:] == ["stop", "status"]


def test_ops_of_different_blocks_keep_their_order() -> None:
    a = _Answer(clock=FakeClock())
    for e in raw_events([{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "yes"}], size=1):
        a.feed(e)
    with a.lock:
        _, ops = a.take_ops()
    assert [op[0] for op in ops] == ["start", "append", "stop", "start", "append", "stop", "status"]
    assert ops[1][3] == "hmm" and ops[4][3] == "yes"


def paced(events: list[Any], every: float, log: list[float]) -> Iterator[Any]:
    for e in events:
        time.sleep(every)
        log.append(time.monotonic())
        yield e


def test_flusher_thread_real_time(rv: Any) -> None:
    """A real stream of 1 delta / 2 ms for ~0.6 s: rate and latency hold on a real clock."""
    events = _text_events("x" * 300, size=1)
    fed: list[float] = []
    t0 = time.monotonic()
    rv.view.consume(paced(events, 0.002, fed))
    rv.view.wait(timeout=30)
    duration = time.monotonic() - t0
    sends = [t for (kind, c), t in zip(rv.log, rv.times) if kind == "msg" and c.get("k") == "ops"]
    msgs = rv.ops_messages
    assert "".join(op[3] for m in msgs for op in m["ops"] if op[0] == "append") == "x" * 300
    assert len(msgs) <= duration * 30 + 3
    gaps = [b - a for a, b in itertools.pairwise(sends[:-1])]  # the end flushes at once: not counted
    assert min(gaps) >= 0.025
    # each delta went out within ~50 ms (slack for a loaded 2-core CI machine)
    content_fed = fed[2:-3]  # the text deltas (after message_start, content_block_start)
    sent_by = []
    count = 0
    for m, t in zip(msgs, sends):
        for op in m["ops"]:
            if op[0] == "append":
                count += len(op[3])
                sent_by.append((count, t))
    lat = []
    for k, t_fed in enumerate(content_fed, start=1):
        t_sent = next(t for c, t in sent_by if c >= k)
        lat.append(t_sent - t_fed)
    lat.sort()
    assert lat[len(lat) // 2] <= MAX_DELAY
    assert lat[-1] <= MAX_DELAY + 0.1


def test_last_op_flushed_before_the_final_sync(rv: Any) -> None:
    rv.view.consume(iter(_text_events("one", size=10)))
    rv.view.wait(timeout=10)
    kinds = [kind if kind != "msg" else c["k"] for kind, c in rv.log]
    # ops…, then the snapshot, then the final status, nothing after
    assert kinds[-2:] == ["snapshot", "status"]
    last_ops = max(i for i, k in enumerate(kinds) if k == "ops")
    assert last_ops < kinds.index("snapshot")
    appends = [op for m in rv.ops_messages for op in m["ops"] if op[0] == "append"]
    assert "".join(op[3] for op in appends) == "one"


def test_no_flush_per_delta_at_zero_pacing(rv: Any) -> None:
    """20,000 deltas as fast as they come: a few messages, not 20,000."""
    events = _text_events("y" * 20_000, size=1)
    rv.view.consume(iter(events))
    rv.view.wait(timeout=60)
    assert rv.view.text == "y" * 20_000
    assert len(rv.ops_messages) < 100


def test_status_event_alone_is_flushed() -> None:
    a = _Answer(clock=FakeClock())
    a.feed(raw_events([], complete=True)[0])  # message_start
    a.feed(ev({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
               "usage": {"output_tokens": 3}}))
    assert a.dirty
    with a.lock:
        _, ops = a.take_ops()
    assert ops == [["status", {"output_tokens": 3, "stop_reason": "end_turn"}]]


def test_many_short_streams_end_cleanly() -> None:
    """The flusher's halt can race its wake-ups; hundreds of tiny streams must all end."""
    import threading

    from claude_widgets._view import StreamView

    for k in range(300):
        view = StreamView()
        view.send = lambda content, buffers=None: None  # type: ignore[method-assign]
        view.consume(iter(_text_events("ab" * (k % 7 + 1), size=1)))
        view.wait(timeout=5)
        view.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("StreamView")]


def test_a_status_transition_does_not_delay_the_first_text(rv: Any) -> None:
    """The `streaming` status goes out at message_start; the first delta still goes at once."""
    fed: list[float] = []
    rv.view.consume(paced(_text_events("abc", size=1), 0.005, fed))
    rv.view.wait(timeout=10)
    first_ops = next(t for (kind, c), t in zip(rv.log, rv.times) if kind == "msg")
    assert first_ops - fed[1] < 0.02  # content_block_start was fed second

"""Stop, close() from another thread, Ctrl-C, and the StreamView: prompt, partial answer kept, nothing left behind."""

from __future__ import annotations

import signal
import threading
import time

import anthropic
import pytest

from claude_widgets._resilient import StreamClosed, resilient_stream
from claude_widgets._view import StreamView
from claude_widgets.server import OfflineServer

from .conftest import (
    SCENARIOS,
    Baseline,
    FakeClock,
    content_of,
    fault_headers,
    requests_tagged,
    wait_for_outcome,
)

TEXT = SCENARIOS["text"]


def pool_is_quiet(client: anthropic.Anthropic) -> bool:
    """No connection of the client's pool is still busy with a response."""
    pool = client._client._transport._pool  # type: ignore[attr-defined]
    return all(c.is_idle() or c.is_closed() for c in pool.connections)


def test_close_from_another_thread_mid_stream(client: anthropic.Anthropic, server: OfflineServer,
                                              baselines: dict[str, Baseline]) -> None:
    threads = threading.active_count()
    headers, tag = fault_headers(["trickle=20"])
    s = resilient_stream(client, attempt_headers=headers, **TEXT)
    events = []
    t0 = 0.0
    for ev in s:
        events.append(ev)
        if ev.type == "text" and len(s.partial_text) > 20 and not t0:
            t0 = time.monotonic()
            threading.Timer(0.1, s.close).start()  # a Stop button, pressed while the read blocks
    assert time.monotonic() - t0 < 0.6  # the blocked read woke at once (the next event was 20 ms away)
    assert not any(ev.type in ("retry", "reset") for ev in events)
    record = requests_tagged(server, tag)[0]
    assert wait_for_outcome(record, "disconnected") == "disconnected"
    assert s.partial_text and baselines["text"].text.startswith(s.partial_text)
    with pytest.raises(StreamClosed) as info:
        s.get_final_message()
    assert info.value.partial_text == s.partial_text and s.attempts[-1].outcome == "closed"
    assert pool_is_quiet(client)
    deadline = time.monotonic() + 2
    while threading.active_count() > threads and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == threads


def test_close_from_another_thread_during_the_backoff_wait(client: anthropic.Anthropic, fault_id: str) -> None:
    spec = f"status=529; retry-after=30; id={fault_id}"
    s = resilient_stream(client, extra_headers={"x-offline-fault": spec}, **TEXT)
    t0 = time.monotonic()
    events = []
    for ev in s:
        events.append(ev)
        threading.Timer(0.1, s.close).start()
    assert time.monotonic() - t0 < 2 and [e.type for e in events] == ["retry"] and events[0].delay == 30
    assert len(s.attempts) == 1


def test_close_in_the_loop_and_on_exit(client: anthropic.Anthropic, server: OfflineServer,
                                       baselines: dict[str, Baseline]) -> None:
    headers, tag = fault_headers(["trickle=20"])
    with resilient_stream(client, attempt_headers=headers, **TEXT) as s:
        for text in s.text_stream:
            if len(s.partial_text) > 10:
                break
    assert wait_for_outcome(requests_tagged(server, tag)[0], "disconnected") == "disconnected"
    assert baselines["text"].text.startswith(s.partial_text) and len(s.partial_text) > 10
    assert list(s) == [] and list(s.text_stream) == []  # closed for good


def test_keyboard_interrupt_while_reading(client: anthropic.Anthropic, server: OfflineServer,
                                          baselines: dict[str, Baseline]) -> None:
    """A real SIGINT while the read blocks: it propagates, the server sees the disconnect, the text stays."""
    headers, tag = fault_headers(["trickle=30"])
    s = resilient_stream(client, attempt_headers=headers, **TEXT)
    main = threading.main_thread().ident
    assert main is not None
    timer = threading.Timer(0.3, signal.pthread_kill, args=(main, signal.SIGINT))
    seen = []
    with pytest.raises(KeyboardInterrupt):
        timer.start()
        for text in s.text_stream:
            seen.append(text)  # noqa: PERF402 - kept up to the failure
    timer.join()
    assert seen and "".join(seen) == s.partial_text and baselines["text"].text.startswith(s.partial_text)
    assert wait_for_outcome(requests_tagged(server, tag)[0], "disconnected") == "disconnected"
    assert s.attempts[-1].outcome == "closed" and pool_is_quiet(client)
    with pytest.raises(StreamClosed):
        s.get_final_text()


def test_keyboard_interrupt_during_the_backoff_wait(client: anthropic.Anthropic, fault_id: str) -> None:
    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    spec = f"drop-after=4; id={fault_id}"
    s = resilient_stream(client, sleep=interrupted, extra_headers={"x-offline-fault": spec}, **TEXT)
    with pytest.raises(KeyboardInterrupt):
        s.get_final_message()
    assert s.partial_text and len(s.attempts) == 1 and pool_is_quiet(client)


# --------------------------------------------------------------------------- the StreamView

def recorded_view() -> StreamView:
    view = StreamView()
    view.send = lambda *a, **k: None
    return view


@pytest.mark.parametrize("specs,resets", [(["drop-after=20", "error-after=3"], 0), (["stall-after=7; seconds=1"], 0),
                                          (["status=529", "drop-after=0"], 0)])
def test_stream_view_shows_each_character_once(client: anthropic.Anthropic, baselines: dict[str, Baseline],
                                               clock: FakeClock, specs: list[str], resets: int) -> None:
    headers, _ = fault_headers(specs)
    s = resilient_stream(client, attempt_headers=headers, sleep=clock.sleep, stall_timeout=0.25, **TEXT)
    view = recorded_view()
    view.consume(s)
    message = view.wait(10)
    assert view.state == "done" and view.text == baselines["text"].text
    assert message is not None and content_of(message) == content_of(baselines["text"].message)
    view.close()


@pytest.mark.parametrize("scenario,spec", [("tools", "drop-after=9"), ("thinking", "error-after=25")])
def test_stream_view_after_a_reset(client: anthropic.Anthropic, baselines: dict[str, Baseline], clock: FakeClock,
                                   scenario: str, spec: str) -> None:
    headers, _ = fault_headers([spec])
    s = resilient_stream(client, attempt_headers=headers, sleep=clock.sleep, **SCENARIOS[scenario])
    view = recorded_view()
    view.consume(s)
    message = view.wait(10)
    assert view.text == baselines[scenario].text
    assert message is not None and content_of(message) == content_of(baselines[scenario].message)
    view.close()


def test_stream_view_stop(client: anthropic.Anthropic, server: OfflineServer, baselines: dict[str, Baseline]) -> None:
    headers, tag = fault_headers(["trickle=20"])
    s = resilient_stream(client, attempt_headers=headers, **TEXT)
    view = recorded_view()
    view.consume(s)
    deadline = time.monotonic() + 5
    while len(s.partial_text) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    view.stop()
    assert view.wait(5) is not None
    assert view.state == "stopped" and view.text and baselines["text"].text.startswith(view.text)
    assert wait_for_outcome(requests_tagged(server, tag)[0], "disconnected") == "disconnected"
    assert len(requests_tagged(server, tag)) == 1  # no retry after a Stop
    view.close()

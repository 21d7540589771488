"""StreamView fed by ``resilient_stream`` from the offline server: retries, resumes, Stop."""

from __future__ import annotations

import threading
import time
from typing import Any

import anthropic

from claude_widgets import DEFAULT_MODEL, THINKING_ENABLED_MODEL
from claude_widgets._resilient import resilient_stream
from claude_widgets.server import OfflineServer

REQUEST: dict[str, Any] = {"model": DEFAULT_MODEL, "max_tokens": 2000,
                           "messages": [{"role": "user", "content": "Tell me a story."}]}
THINKING: dict[str, Any] = {**REQUEST, "model": THINKING_ENABLED_MODEL,
                            "thinking": {"type": "enabled", "budget_tokens": 1024}}


def clean_message(client: anthropic.Anthropic, request: dict[str, Any]) -> anthropic.types.Message:
    with client.messages.stream(**request, extra_headers={"x-offline-scenario": "story"}) as s:
        return s.get_final_message()


def test_resumed_answer_shows_once(rv: Any, client: anthropic.Anthropic, fault_id: str) -> None:
    """Dropped mid-text: the next attempt continues it; nothing is shown twice."""
    headers = {"x-offline-scenario": "story", "x-offline-fault": f"drop-after=10; id={fault_id}"}
    source = resilient_stream(client, base_delay=0.01, max_delay=0.02, **REQUEST, extra_headers=headers)
    rv.view.consume(source)
    msg = rv.view.wait(timeout=30)
    clean = clean_message(client, REQUEST)
    assert rv.view.state == "done"
    assert rv.view.text == clean.content[0].text  # type: ignore[union-attr]
    assert msg is not None and msg.stop_reason == "end_turn"
    retrying = [s for s in rv.statuses if s["state"] == "retrying"]
    assert retrying and retrying[0]["retry"]["attempt"] == 2
    assert rv.states[-1] == "done" and rv.statuses[-1]["retry"] is None
    ops = [op for m in rv.ops_messages for op in m["ops"]]
    assert ["reset"] not in ops


def test_restarted_answer_is_reset(rv: Any, client: anthropic.Anthropic, fault_id: str) -> None:
    """Dropped during thinking: a full restart, announced by a reset that empties the view."""
    headers = {"x-offline-scenario": "story", "x-offline-fault": f"drop-after=5; id={fault_id}"}
    source = resilient_stream(client, base_delay=0.01, max_delay=0.02, **THINKING, extra_headers=headers)
    rv.view.consume(source)
    msg = rv.view.wait(timeout=30)
    clean = clean_message(client, THINKING)
    assert msg is not None and [b.type for b in msg.content] == [b.type for b in clean.content]
    assert rv.view.text == "".join(b.text for b in clean.content if b.type == "text")  # type: ignore[union-attr]
    ops = [op for m in rv.ops_messages for op in m["ops"]]
    assert ["reset"] in ops
    import json
    import zlib

    blocks = json.loads(zlib.decompress(rv.view.snapshot))["blocks"]
    assert [b["type"] for b in blocks] == [b.type for b in clean.content]


def test_gave_up(rv: Any, client: anthropic.Anthropic, fault_id: str) -> None:
    headers = {"x-offline-fault": f"status=529; times=9; id={fault_id}"}
    source = resilient_stream(client, max_attempts=2, base_delay=0.01, max_delay=0.02, **REQUEST,
                              extra_headers=headers)
    rv.view.consume(source)
    try:
        rv.view.wait(timeout=30)
    except Exception as e:  # noqa: BLE001
        assert type(e).__name__ == "RetriesExhausted"
    assert rv.view.state == "error"
    assert rv.statuses[-1]["error"] == "Overloaded (529): Overloaded (after 2 attempts)"


def test_stop_closes_the_resilient_stream_without_a_retry(rv: Any, client: anthropic.Anthropic,
                                                          server: OfflineServer, fault_id: str) -> None:
    spec = f"stall-after=20; seconds=30; id={fault_id}"
    headers = {"x-offline-scenario": "long", "x-offline-fault": spec}
    source = resilient_stream(client, stall_timeout=60, **REQUEST, extra_headers=headers)
    rv.view.consume(source)
    deadline = time.monotonic() + 10
    while not rv.view.text and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)
    t0 = time.monotonic()
    rv.view.stop()
    rv.view.wait(timeout=10)
    assert time.monotonic() - t0 < 2
    assert rv.view.state == "stopped" and rv.view.text
    assert "retrying" not in rv.states
    assert len([r for r in server.requests if r.headers.get("x-offline-fault") == spec]) == 1
    assert not [t for t in threading.enumerate() if t.name.startswith("StreamView")]


def test_stream_passes_resilient_options_through(client: anthropic.Anthropic, fault_id: str) -> None:
    """`cw.stream(client, max_attempts=1, ...)`: the option reaches resilient_stream, not the request."""
    from claude_widgets import stream

    headers = {"x-offline-scenario": "story", "x-offline-fault": f"status=529; id={fault_id}"}
    view = stream(client, display=False, max_attempts=1, base_delay=0.01, **REQUEST, extra_headers=headers)
    import pytest

    from claude_widgets import RetriesExhausted

    with pytest.raises(RetriesExhausted, match=r"after 1 attempt\(s\): overloaded \(529\)"):
        view.wait(timeout=30)
    assert view.state == "error"


def test_status_says_how_a_resumed_answer_was_continued(rv: Any, client: anthropic.Anthropic,
                                                        fault_id: str) -> None:
    """Claude Sonnet 4.6 refuses prefill: resumed by the continuation message, and the status says so."""
    request = {**REQUEST, "model": "claude-sonnet-4-6"}
    headers = {"x-offline-scenario": "story", "x-offline-fault": f"drop-after=12; id={fault_id}"}
    source = resilient_stream(client, base_delay=0.01, max_delay=0.02, attempt_headers=lambda n: (
        headers if n == 1 else {"x-offline-scenario": "story",
                                "x-offline-fault": f"continue=repeat; repeat=20; id={fault_id}-{n}"}), **request)
    rv.view.consume(source)
    rv.view.wait(timeout=30)
    clean = clean_message(client, request)
    assert rv.view.text == "".join(b.text for b in clean.content if b.type == "text")
    final = rv.statuses[-1]
    assert final["state"] == "done"
    assert final["recovery"] == "resumed (continuation): repeated the last 20 characters: dropped"
    ops = [op for m in rv.ops_messages for op in m["ops"]]
    assert ["reset"] not in ops
    from claude_widgets._static import record_html

    assert "resumed (continuation)" in record_html([], final)

"""StreamView's state from event sequences: what it keeps, sends, and reports."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import httpx2
import pytest

from claude_widgets._events import ResetEvent, RetryEvent
from claude_widgets._view import IncompleteStreamError, StreamView, describe_error

from .._ports import free_port
from ._factory import Browser, message_stream_events, raw_events

THINK = "Let me think: 2 + 2 is 4."
ANSWER = "The answer is **4**.\n\nAnd that's final."
TOOLS = [
    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris", "unit": "C"}},
    {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"city": "London"}},
    {"type": "tool_use", "id": "toolu_3", "name": "get_time", "input": {"tz": "Europe/Paris", "n": [1, 2]}},
]


def replay(rv: Any, events: Any) -> StreamView:
    rv.view.consume(iter(list(events)))
    rv.view.wait(timeout=10)
    return rv.view  # type: ignore[no-any-return]


def browser_after(rv: Any) -> Browser:
    b = Browser()
    for msg in rv.ops_messages:
        assert b.apply(msg), "ops out of sequence or offset mismatch"
    return b


def test_text_only(rv: Any) -> None:
    view = replay(rv, raw_events([{"type": "text", "text": ANSWER}]))
    assert view.state == "done"
    assert view.text == ANSWER
    assert view.error is None
    msg = view.message
    assert isinstance(msg, anthropic.types.Message)
    assert [b.type for b in msg.content] == ["text"]
    assert msg.content[0].text == ANSWER  # type: ignore[union-attr]
    assert msg.stop_reason == "end_turn"
    assert msg.usage.input_tokens == 11
    assert rv.states[0] == "connecting" and rv.states[1] == "streaming" and rv.states[-1] == "done"
    final = rv.statuses[-1]
    assert final["stop_reason"] == "end_turn" and final["model"] == "claude-test-model"
    assert final["input_tokens"] == 11 and final["output_tokens"] > 0 and final["error"] is None
    assert browser_after(rv).texts() == [ANSWER]


def test_thinking_text_and_several_tools(rv: Any) -> None:
    blocks = [{"type": "thinking", "thinking": THINK}, {"type": "text", "text": "Checking."}, *TOOLS]
    view = replay(rv, raw_events(blocks, stop_reason="tool_use"))
    msg = view.message
    assert msg is not None
    assert [b.type for b in msg.content] == ["thinking", "text", "tool_use", "tool_use", "tool_use"]
    assert msg.content[0].thinking == THINK  # type: ignore[union-attr]
    assert msg.content[0].signature == "sig-0"  # type: ignore[union-attr]
    for block, tool in zip(msg.content[2:], TOOLS, strict=True):
        assert block.input == tool["input"] and block.name == tool["name"] and block.id == tool["id"]  # type: ignore[union-attr]
    assert view.text == "Checking."  # thinking and tool input are not "text"
    b = browser_after(rv)
    assert [x["type"] for x in b.blocks if x] == ["thinking", "text", "tool_use", "tool_use", "tool_use"]
    assert [x["input"] for x in b.blocks[2:] if x] == [t["input"] for t in TOOLS]
    assert all(x["done"] for x in b.blocks if x)
    assert json.loads(b.blocks[3]["text"]) == TOOLS[1]["input"]  # type: ignore[index]


def test_message_stream_events_match_raw(rv: Any) -> None:
    """A MessageStream's extra events (text, thinking, input_json…) change nothing."""
    blocks = [{"type": "thinking", "thinking": THINK}, {"type": "text", "text": ANSWER}, TOOLS[0]]
    view = replay(rv, message_stream_events(raw_events(blocks)))
    other = StreamView()
    other.consume(iter(raw_events(blocks)))
    other.wait(timeout=10)
    assert view.text == other.text == ANSWER
    assert view.message is not None and other.message is not None
    assert view.message.to_dict() == other.message.to_dict()
    assert zlib.decompress(view.snapshot) == zlib.decompress(other.snapshot)


def test_redacted_thinking_block(rv: Any) -> None:
    view = replay(rv, raw_events([{"type": "redacted_thinking"}, {"type": "text", "text": "ok"}]))
    assert [b.type for b in view.message.content] == ["redacted_thinking", "text"]  # type: ignore[union-attr]
    assert browser_after(rv).blocks[0]["type"] == "redacted_thinking"  # type: ignore[index]


def test_retry_then_reset(rv: Any) -> None:
    first = raw_events([{"type": "text", "text": "A partial answer that will be"}], complete=False)[:5]
    second = raw_events([{"type": "text", "text": ANSWER}], msg_id="msg_2")
    retry = RetryEvent(attempt=2, max_attempts=3, delay=0.5, reason="connection dropped", resume=False)
    view = replay(rv, [*first, retry, ResetEvent(reason="cannot resume"), *second])
    assert view.state == "done"
    assert view.text == ANSWER
    assert view.message is not None and view.message.id == "msg_2"
    retrying = [s for s in rv.statuses if s["state"] == "retrying"]
    assert retrying and retrying[0]["retry"] == {"attempt": 2, "max_attempts": 3, "delay": 0.5,
                                                 "reason": "connection dropped"}
    assert rv.states[-2:] == ["streaming", "done"]
    assert rv.statuses[-1]["retry"] is None
    # the reset went out as an op, and re-set the snapshot to no blocks
    ops = [op for m in rv.ops_messages for op in m["ops"]]
    assert ["reset"] in ops
    empty = [s for s in rv.snapshots if json.loads(zlib.decompress(s))["blocks"] == []]
    assert empty
    assert browser_after(rv).texts() == [ANSWER]


def test_retry_resume_continues_the_block(rv: Any) -> None:
    """A resumed attempt (new message_start, same block index) continues the text."""
    head, tail = ANSWER[:15], ANSWER[15:]
    first = raw_events([{"type": "text", "text": head}], complete=False)
    second = raw_events([{"type": "text", "text": tail}], msg_id="msg_2")
    retry = RetryEvent(attempt=2, max_attempts=3, delay=0.1, reason="overloaded (529)", resume=True)
    view = replay(rv, [*first, retry, *second])
    assert view.text == ANSWER
    assert view.message is not None and view.message.content[0].text == ANSWER  # type: ignore[union-attr]
    assert view.message.stop_reason == "end_turn"
    assert browser_after(rv).texts() == [ANSWER]


def test_utf16_offsets_with_emoji(rv: Any) -> None:
    text = "Hi 👋🏽 — café ☕, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and 家族 👨‍👩‍👧!" * 3
    replay(rv, raw_events([{"type": "text", "text": text}], size=2))
    offsets = [op[2] for m in rv.ops_messages for op in m["ops"] if op[0] == "append"]
    texts = [op[3] for m in rv.ops_messages for op in m["ops"] if op[0] == "append"]
    expected, pos = [], 0
    for t in texts:
        expected.append(pos)
        pos += len(t.encode("utf-16-le")) // 2
    assert offsets == expected
    assert "".join(texts) == text
    assert browser_after(rv).texts() == [text]


def test_utf16_offsets_when_split_inside_a_surrogate_pair_boundary(rv: Any) -> None:
    """Deltas that each hold one astral character: every offset counts 2 per emoji."""
    emoji = "😀🎉🚀"
    replay(rv, raw_events([{"type": "text", "text": emoji}], size=1))
    appends = [op for m in rv.ops_messages for op in m["ops"] if op[0] == "append"]
    total = sum(len(op[3]) for op in appends)
    assert total == 3
    b = browser_after(rv)
    assert b.texts() == [emoji]


def test_incomplete_stream_is_an_error(rv: Any) -> None:
    events = raw_events([{"type": "text", "text": "x" * 812}], size=100, complete=False)
    rv.view.consume(iter(events))
    with pytest.raises(IncompleteStreamError):
        rv.view.wait(timeout=10)
    assert rv.view.state == "error"
    assert rv.statuses[-1]["error"] == "Connection dropped after 812 characters"
    assert rv.view.text == "x" * 812
    assert rv.view.message is not None and rv.view.message.stop_reason is None


def test_error_mid_stream_keeps_partial_text_and_reraises(rv: Any) -> None:
    class Boom(RuntimeError):
        pass

    def source() -> Iterator[Any]:
        yield from raw_events([{"type": "text", "text": "partial"}], complete=False)
        raise Boom("kaput")

    rv.view.consume(source())
    with pytest.raises(Boom):
        rv.view.wait(timeout=10)
    assert rv.view.text == "partial"
    assert isinstance(rv.view.error, Boom)
    assert rv.statuses[-1]["error"] == "Boom: kaput"


def _status_error(status: int, body: Any) -> anthropic.APIStatusError:
    req = httpx2.Request("POST", "http://offline/v1/messages")
    resp = httpx2.Response(status, request=req, headers={"request-id": "req_1"})
    return anthropic.APIStatusError("Error", response=resp, body=body)


@pytest.mark.parametrize(("status", "body", "expected"), [
    (529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
     "Overloaded (529): Overloaded"),
    (401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}},
     "Authentication failed (401): invalid x-api-key"),
    # an `event: error` inside a 200 stream: the status comes from the error type
    (200, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
     "Overloaded (529): Overloaded"),
    (429, {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
     "Rate limited (429): slow down"),
])
def test_describe_status_errors(status: int, body: Any, expected: str) -> None:
    assert describe_error(_status_error(status, body)) == expected


def test_describe_dropped_connection() -> None:
    assert describe_error(httpx2.RemoteProtocolError("peer closed"), 812) == \
        "Connection dropped after 812 characters"
    assert describe_error(IncompleteStreamError("x"), 3) == "Connection dropped after 3 characters"


def test_a_drop_through_the_sdk_reads_as_a_drop(rv: Any, client: anthropic.Anthropic, fault_id: str) -> None:
    """The real SDK over the offline server: anthropic>=2.17 raises a body's failed read as
    APIConnectionError (``_streaming.py`` ``iter_response_bytes``); the line still says what happened."""
    spec = f"drop-after=5; id={fault_id}"
    stream = client.messages.stream(model="claude-haiku-4-5", max_tokens=200,
                                    messages=[{"role": "user", "content": "haiku"}],
                                    extra_headers={"x-offline-fault": spec})
    rv.view.consume(stream)
    with pytest.raises(anthropic.APIConnectionError) as raised:
        rv.view.wait(timeout=10)
    assert isinstance(raised.value.__cause__, httpx2.TransportError)
    n = len(rv.view.text)
    assert n > 0 and rv.view.state == "error"
    assert rv.statuses[-1]["error"] == f"Connection dropped after {n} characters"


def test_a_refused_connection_names_the_host(rv: Any) -> None:
    port = free_port()  # nothing listens on it
    with anthropic.Anthropic(api_key="test-key", base_url=f"http://127.0.0.1:{port}", max_retries=0) as c:
        rv.view.consume(c.messages.stream(model="claude-haiku-4-5", max_tokens=20,
                                          messages=[{"role": "user", "content": "hi"}]))
        with pytest.raises(anthropic.APIConnectionError):
            rv.view.wait(timeout=10)
    line = rv.statuses[-1]["error"]
    assert line.startswith(f"Connection to 127.0.0.1:{port} failed: "), line
    assert "test-key" not in line


def test_a_stream_read_after_its_with_block_says_so(rv: Any, client: anthropic.Anthropic) -> None:
    with client.messages.stream(model="claude-haiku-4-5", max_tokens=20,
                                messages=[{"role": "user", "content": "hi"}]) as stream:
        pass
    rv.view.consume(stream)
    with pytest.raises(anthropic.APIConnectionError):
        rv.view.wait(timeout=10)
    assert rv.statuses[-1]["error"] == "Stream read after it was closed: read it inside its `with` block"


def test_stop_from_another_thread_keeps_partial_text(rv: Any) -> None:
    gate = threading.Event()
    closed = threading.Event()

    def source() -> Iterator[Any]:
        events = raw_events([{"type": "text", "text": "0123456789" * 10}], size=10, complete=False)
        try:
            yield from events[:5]
            gate.set()
            while True:  # a slow server: one event a while
                time.sleep(0.01)
                yield events[5]
        finally:
            closed.set()

    rv.view.consume(source())
    assert gate.wait(5)
    rv.view.stop()
    msg = rv.view.wait(timeout=5)
    assert rv.view.state == "stopped"
    assert rv.view.error is None
    assert rv.view.text.startswith("0123456789" * 3)
    assert msg is not None and msg.stop_reason is None  # the partial message
    assert closed.wait(5), "the source was not closed"
    assert rv.states[-1] == "stopped"
    assert not [t for t in threading.enumerate() if t.name.startswith("StreamView")]


def test_stop_message_from_the_browser(rv: Any) -> None:
    gate = threading.Event()

    def source() -> Iterator[Any]:
        events = raw_events([{"type": "text", "text": "abc"}], complete=False)
        yield from events
        gate.set()
        while True:
            time.sleep(0.01)
            yield events[2]

    rv.view.consume(source())
    assert gate.wait(5)
    rv.view._handle_custom_msg({"k": "stop"}, [])
    rv.view.wait(timeout=5)
    assert rv.view.state == "stopped"


def test_manager_is_entered_and_exited(rv: Any) -> None:
    calls: list[str] = []
    events = raw_events([{"type": "text", "text": ANSWER}])

    class Manager:
        def __enter__(self) -> Iterator[Any]:
            calls.append("enter")
            return iter(events)

        def __exit__(self, *exc: object) -> None:
            calls.append("exit")

    rv.view.consume(Manager())
    rv.view.wait(timeout=10)
    assert calls == ["enter", "exit"]
    assert rv.view.text == ANSWER


def test_consume_twice_is_refused(rv: Any) -> None:
    replay(rv, raw_events([{"type": "text", "text": "x"}]))
    with pytest.raises(RuntimeError):
        rv.view.consume(iter([]))


async def test_async_source_and_await(rv: Any) -> None:
    events = message_stream_events(raw_events([{"type": "thinking", "thinking": THINK},
                                               {"type": "text", "text": ANSWER}]))

    async def source() -> AsyncIterator[Any]:
        for e in events:
            await asyncio.sleep(0)
            yield e

    rv.view.consume(source())
    assert rv.view._task is not None  # a task on this loop, not a thread
    with pytest.raises(RuntimeError, match="await view"):
        rv.view.wait()
    msg = await rv.view
    assert msg is not None and msg.content[1].text == ANSWER  # type: ignore[union-attr]
    assert rv.view.state == "done"


async def test_async_stop_cancels_the_task(rv: Any) -> None:
    cancelled = asyncio.Event()
    events = raw_events([{"type": "text", "text": "abc"}], complete=False)

    async def source() -> AsyncIterator[Any]:
        try:
            for e in events:
                yield e
            await asyncio.sleep(3600)  # a stalled server
        except asyncio.CancelledError:
            cancelled.set()
            raise

    rv.view.consume(source())
    for _ in range(100):
        await asyncio.sleep(0.005)
        if rv.view.text == "abc":
            break
    rv.view.stop()
    await asyncio.wait_for(rv.view._wait_async(), 5)
    assert rv.view.state == "stopped" and rv.view.text == "abc"
    assert cancelled.is_set()


async def test_async_error_is_raised_by_await(rv: Any) -> None:
    async def source() -> AsyncIterator[Any]:
        for e in raw_events([{"type": "text", "text": "partial"}], complete=False):
            yield e
        raise ValueError("bad")

    rv.view.consume(source())
    with pytest.raises(ValueError, match="bad"):
        await rv.view
    assert rv.view.text == "partial" and rv.view.state == "error"


def test_a_turn_with_tool_results(rv: Any) -> None:
    """A Chat turn: step 1 calls a tool, its result is shown, step 2 answers (one message_start)."""
    from claude_widgets._events import ToolResultEvent

    step1 = list(message_stream_events(raw_events(
        [{"type": "text", "text": "Let me check."}, TOOLS[0]], stop_reason="tool_use")))
    step2 = [e for e in message_stream_events(raw_events([{"type": "text", "text": "It is 21 °C."}]))
             if e.type != "message_start"]
    step2 = [e.model_copy(update={"index": e.index + 4}) if hasattr(e, "index") else e for e in step2]
    result = ToolResultEvent(index=2, tool_use_id="toolu_1", name="get_weather", content='{"temp": 21}')
    error = ToolResultEvent(index=3, tool_use_id="toolu_x", name="oops", content="boom", is_error=True)
    view = replay(rv, [*step1, result, error, *step2])
    assert view.state == "done"
    assert view.text == "Let me check.It is 21 °C."
    b = browser_after(rv)
    assert [x["type"] for x in b.blocks if x] == ["text", "tool_use", "tool_result", "tool_result", "text"]
    assert b.blocks[2]["text"] == '{"temp": 21}' and b.blocks[2]["id"] == "toolu_1"  # type: ignore[index]
    assert b.blocks[3]["is_error"] is True  # type: ignore[index]
    snap = json.loads(zlib.decompress(view.snapshot))["blocks"]
    assert snap[2]["type"] == "tool_result" and snap[3]["is_error"] is True and "is_error" not in snap[2]
    page = view._repr_mimebundle_()[0]["text/html"]
    assert ('<div class="cw-block cw-tool cw-tool-result"><div class="cw-tool-head"><span class="cw-tool-label">'
            'Tool result</span><span class="cw-tool-name">get_weather</span></div>'
            '<pre class="cw-tool-input">{\n  "temp": 21\n}</pre>') in page
    assert '<span class="cw-tool-label">Tool error</span><span class="cw-tool-name">oops</span>' in page
    # the final message is the last request's, as the SDK gave it
    assert view.message is not None and [c.type for c in view.message.content] == ["text"]


def test_stop_calls_a_sources_interrupt(rv: Any) -> None:
    """A source with interrupt() (e.g. a Chat turn) is asked to stop from the stopping thread."""
    interrupted = threading.Event()

    class Turn:
        def __iter__(self) -> Iterator[Any]:
            yield from raw_events([{"type": "text", "text": "abc"}], complete=False)
            interrupted.wait(10)

        def interrupt(self) -> None:
            interrupted.set()

    rv.view.consume(Turn())
    for _ in range(200):
        if rv.view.text == "abc":
            break
        time.sleep(0.01)
    t0 = time.monotonic()
    rv.view.stop()
    rv.view.wait(timeout=5)
    assert interrupted.is_set() and time.monotonic() - t0 < 1
    assert rv.view.state == "stopped" and rv.view.text == "abc"


def test_wait_before_consume_is_an_error() -> None:
    view = StreamView()
    with pytest.raises(RuntimeError, match="consume"):
        view.wait(timeout=1)
    view.close()


def test_stop_after_the_end_changes_nothing(rv: Any) -> None:
    replay(rv, raw_events([{"type": "text", "text": "complete"}]))
    rv.view.stop()
    assert rv.view.state == "done" and rv.view.message is not None

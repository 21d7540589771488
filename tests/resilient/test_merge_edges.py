"""Merge edge cases the offline server cannot produce, scripted with an ``httpx2.MockTransport``.

The server injects faults only just before a content delta, and continues a prefill exactly;
a real connection can also break between a block's stop and the next start, after
``message_delta``, or cleanly before ``message_stop``, and a real model can continue with
different whitespace or, restarted, with a different answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import pytest

from claude_widgets._backoff import classify, full_jitter, parse_retry_after
from claude_widgets._resilient import ResilientStream, TextStreamDiverged, resilient_stream

from .conftest import FakeClock, consume

KW: dict[str, Any] = {"model": "claude-haiku-4-5", "max_tokens": 200, "messages": [{"role": "user", "content": "Hi"}]}
DROP = object()


def start(i: int, kind: str = "text", **extra: Any) -> dict[str, Any]:
    blocks: dict[str, dict[str, Any]] = {
        "text": {"type": "text", "text": ""},
        "thinking": {"type": "thinking", "thinking": "", "signature": ""},
        "tool_use": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}},
    }
    block = blocks[kind]
    return {"type": "content_block_start", "index": i, "content_block": {**block, **extra}}


def text(i: int, s: str) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": s}}


def thinking(i: int, s: str) -> list[dict[str, Any]]:
    return [{"type": "content_block_delta", "index": i, "delta": {"type": "thinking_delta", "thinking": s}},
            {"type": "content_block_delta", "index": i, "delta": {"type": "signature_delta", "signature": "sig"}}]


def tool_json(i: int, s: str) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": i, "delta": {"type": "input_json_delta", "partial_json": s}}


def stop(i: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": i}


def msg_start(n: int = 1, input_tokens: int = 10) -> dict[str, Any]:
    return {"type": "message_start", "message": {
        "id": f"msg_{n}", "type": "message", "role": "assistant", "model": "claude-haiku-4-5", "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": 1}}}


def msg_end(output_tokens: int, stop_reason: str = "end_turn", input_tokens: int = 10) -> list[dict[str, Any]]:
    return [{"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None},
             "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens}},
            {"type": "message_stop"}]


class Script:
    """A fake API: request n gets ``responses[n]``, an ``httpx2.Response`` or a list of events (DROP cuts it)."""

    def __init__(self, *responses: Any) -> None:
        self.responses = list(responses)
        self.bodies: list[dict[str, Any]] = []
        self.counted: list[int] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/count_tokens"):
            # a resume measures what it keeps: 10 tokens of overhead plus one per word
            words = json.loads(request.content)["messages"][0]["content"].split()
            self.counted.append(len(words))
            return httpx2.Response(200, json={"input_tokens": 10 + len(words)})
        self.bodies.append(json.loads(request.content))
        r = self.responses[len(self.bodies) - 1]
        if isinstance(r, httpx2.Response):
            return r

        def body() -> Iterator[bytes]:
            for ev in r:
                if ev is DROP:
                    raise httpx2.RemoteProtocolError("peer closed connection")
                yield f"event: {ev['type']}\ndata: {json.dumps(ev)}\n\n".encode()

        return httpx2.Response(200, headers={"content-type": "text/event-stream", "request-id": "req_x"},
                               content=body())

    def client(self) -> anthropic.Anthropic:
        return anthropic.Anthropic(api_key="k", base_url="http://fake.test", max_retries=0,
                                   http_client=httpx2.Client(transport=httpx2.MockTransport(self)))

    def prefill(self, n: int) -> Any:
        last = self.bodies[n]["messages"][-1]
        return last["content"] if last["role"] == "assistant" else None


def stream(script: Script, clock: FakeClock, **kw: Any) -> ResilientStream:
    return resilient_stream(script.client(), sleep=clock.sleep, monotonic=clock.monotonic, random=lambda: 0.5,
                            **{**KW, **kw})


def test_break_between_blocks_continues_in_a_new_block(clock: FakeClock) -> None:
    script = Script([msg_start(), start(0), text(0, "Hello, "), stop(0), DROP],
                    [msg_start(2, 14), start(0), text(0, " wor"), text(0, "ld."), stop(0), *msg_end(3, input_tokens=14)])
    s = stream(script, clock)
    events = list(s)
    assert script.prefill(1) == "Hello,"
    view = consume(events)
    assert view.complete and view.resets == 0
    msg = s.get_final_message()
    assert [getattr(b, "text", None) for b in msg.content] == ["Hello, ", "world."] == [b["text"] for b in view.blocks]
    assert msg.id == "msg_1" and msg.usage.input_tokens == 10
    assert msg.usage.output_tokens == 1 + 3  # the kept part as counted (one word), plus attempt 2's count
    assert script.counted == [1, 1]  # "Hello," and the baseline "."


def test_resent_whitespace_alone_opens_no_block(clock: FakeClock) -> None:
    script = Script([msg_start(), start(0), text(0, "Checking. "), stop(0), DROP],
                    [msg_start(2), start(0), text(0, " "), stop(0), start(1, "tool_use"), tool_json(1, '{"location"'),
                     tool_json(1, ': "Paris"}'), stop(1), *msg_end(5, "tool_use")])
    s = stream(script, clock, tools=[{"name": "get_weather", "input_schema": {"type": "object"}}])
    view = consume(list(s))
    msg = s.get_final_message()
    assert [b.type for b in msg.content] == ["text", "tool_use"] == [b["type"] for b in view.blocks]
    assert msg.content[1].input == {"location": "Paris"}  # type: ignore[union-attr]
    assert msg.stop_reason == "tool_use" and msg.content[0].text == "Checking. "  # type: ignore[union-attr]


def test_continuation_that_starts_with_another_block_closes_the_open_text(clock: FakeClock) -> None:
    script = Script([msg_start(), start(0), text(0, "Let me check"), DROP],
                    [msg_start(2), start(0, "tool_use"), tool_json(0, '{"location": "Oslo"}'), stop(0),
                     *msg_end(4, "tool_use")])
    s = stream(script, clock, tools=[{"name": "get_weather", "input_schema": {"type": "object"}}])
    view = consume(list(s))  # asserts a stop for block 0 came before block 1 started
    assert view.content()[1]["input"] == {"location": "Oslo"}
    assert [b.type for b in s.get_final_message().content] == ["text", "tool_use"]


def test_different_whitespace_in_the_continuation_is_dropped(clock: FakeClock) -> None:
    script = Script([msg_start(), start(0), text(0, "Hello "), DROP],
                    [msg_start(2), start(0), text(0, "\n"), text(0, "\nworld"), stop(0), *msg_end(2)])
    s = stream(script, clock)
    view = consume(list(s))
    assert script.prefill(1) == "Hello"
    assert s.get_final_text() == view.text == "Hello world"


def test_break_after_message_delta_needs_no_retry(clock: FakeClock) -> None:
    script = Script([msg_start(), start(0), text(0, "Done."), stop(0), *msg_end(2)[:1], DROP])
    s = stream(script, clock)
    view = consume(list(s))
    assert view.complete and not view.retries and len(s.attempts) == 1
    assert s.get_final_text() == "Done." and s.get_final_message().stop_reason == "end_turn"


def test_clean_end_before_message_stop_is_resumed(clock: FakeClock) -> None:
    script = Script([msg_start(), start(0), text(0, "One,")],
                    [msg_start(2), start(0), text(0, " two."), stop(0), *msg_end(2)])
    s = stream(script, clock)
    view = consume(list(s))
    assert view.retries[0].reason == "stream ended before message_stop" and view.retries[0].resume
    assert s.get_final_text() == "One, two."


STORY = "Once upon a time there was a lighthouse keeper who counted ships"


def test_restart_with_a_different_answer(clock: FakeClock) -> None:
    """A continuation that starts over with other words cannot be joined: the stream resets, honestly.

    Events carry the reset; ``text_stream`` cannot unprint, so it raises rather than show both.
    """
    first = [msg_start(), start(0, "thinking"), *thinking(0, "Hmm."), stop(0), start(1), text(1, STORY), DROP]
    again = [msg_start(2), start(0, "thinking"), *thinking(0, "Hm."), stop(0), start(1),
             text(1, "Sure. " + STORY + " for forty years."), stop(1), *msg_end(9)]
    restart = [msg_start(3), start(0, "thinking"), *thinking(0, "Well."), stop(0), start(1), text(1, "Goodbye"),
               stop(1), *msg_end(4)]
    thinking_on = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
    script = Script(first, again, restart)
    s = stream(script, clock, **thinking_on)
    view = consume(list(s))
    assert view.resets == 1 and view.text == "Goodbye" == s.get_final_text()
    assert view.blocks[0]["thinking"] == "Well."
    assert [a.strategy for a in s.attempts] == ["fresh", "continuation", "restart"]
    assert "started over" in (s.attempts[1].reason or "")
    assert script.bodies[2]["messages"] == KW["messages"]  # the restart asks the original question

    s = stream(Script(first, again, restart), clock, **thinking_on)
    seen = []
    with pytest.raises(TextStreamDiverged) as info:
        for chunk in s.text_stream:
            seen.append(chunk)  # noqa: PERF402 - kept up to the failure
    assert seen == [STORY] and info.value.partial_text == STORY

    same = [msg_start(3), start(0, "thinking"), *thinking(0, "Hmm."), stop(0), start(1), text(1, STORY[:10]),
            text(1, STORY[10:] + " there"), stop(1), *msg_end(4)]
    s = stream(Script(first, again, same), clock, **thinking_on)
    assert list(s.text_stream) == [STORY, " there"]


def test_x_should_retry_overrides_the_status(clock: FakeClock) -> None:
    error = {"type": "error", "error": {"type": "invalid_request_error", "message": "try again"}}
    ok = [msg_start(), start(0), text(0, "Fine."), stop(0), *msg_end(2)]
    s = stream(Script(httpx2.Response(400, json=error, headers={"x-should-retry": "true"}), ok), clock)
    assert s.get_final_text() == "Fine." and len(s.attempts) == 2

    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "no"}}
    s = stream(Script(httpx2.Response(529, json=overloaded, headers={"x-should-retry": "false"}), ok), clock)
    with pytest.raises(anthropic.APIStatusError):
        s.get_final_message()
    assert len(s.attempts) == 1


def _status_error(status: int, body: Any, headers: dict[str, str] | None = None) -> anthropic.APIStatusError:
    response = httpx2.Response(status, json=body, headers=headers or {},
                               request=httpx2.Request("POST", "http://x/v1/messages"))
    return anthropic.APIStatusError("err", response=response, body=body)


@pytest.mark.parametrize("error_type,retryable", [
    ("overloaded_error", True), ("api_error", True), ("rate_limit_error", True), ("timeout_error", True),
    ("invalid_request_error", False), ("authentication_error", False), ("something_new", True),
])
def test_classify_error_events(error_type: str, retryable: bool) -> None:
    f = classify(_status_error(200, {"type": "error", "error": {"type": error_type, "message": "m"}}))
    assert f.retryable is retryable and f.error_type == error_type and error_type in f.reason


@pytest.mark.parametrize("status,retryable", [(408, True), (409, True), (429, True), (500, True), (529, True),
                                              (400, False), (401, False), (403, False), (404, False), (413, False)])
def test_classify_statuses_like_the_sdk(status: int, retryable: bool) -> None:
    assert classify(_status_error(status, {})).retryable is retryable


def test_classify_transport_errors() -> None:
    assert classify(httpx2.ReadTimeout("t"), stall_timeout=2).reason == "stalled: no data for 2 s"
    assert classify(httpx2.RemoteProtocolError("x")).reason == "connection dropped"
    wrapped = RuntimeError("wrapper")
    wrapped.__cause__ = httpx2.ConnectError("refused")
    assert classify(wrapped).retryable
    assert not classify(ValueError("bad json")).retryable


def test_retry_after_parsing() -> None:
    assert parse_retry_after(httpx2.Headers({"retry-after-ms": "1500", "retry-after": "9"})) == 1.5
    assert parse_retry_after(httpx2.Headers({"retry-after": "2.5"})) == 2.5
    assert parse_retry_after(httpx2.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:10 GMT"}),
                             now=lambda: 1445412480.0) == 10.0
    assert parse_retry_after(httpx2.Headers({"retry-after": "soon"})) is None
    assert parse_retry_after(httpx2.Headers({})) is None


def test_full_jitter_is_uniform_up_to_the_capped_exponential() -> None:
    assert [full_jitter(n, base=0.5, cap=8, random=lambda: 1.0) for n in range(7)] == [0.5, 1, 2, 4, 8, 8, 8]
    assert full_jitter(3, base=0.5, cap=8, random=lambda: 0.0) == 0.0
    assert full_jitter(10_000, base=0.5, cap=8, random=lambda: 0.5) == 4.0

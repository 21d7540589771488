"""Streaming text, thinking, limits and stop sequences, through the real SDK over HTTP."""

from __future__ import annotations

import anthropic
import httpx
import pytest

from claude_widgets import DEFAULT_MODEL, THINKING_ENABLED_MODEL
from claude_widgets.server import OfflineServer
from claude_widgets.server._scenarios import HAIKU, MARKDOWN_TOUR

HAIKU_PROMPT = [{"role": "user", "content": "Write a haiku about streaming"}]


def test_text_stream_arrives_in_small_deltas(client: anthropic.Anthropic) -> None:
    with client.messages.stream(model=DEFAULT_MODEL, max_tokens=300, messages=HAIKU_PROMPT) as stream:
        deltas = list(stream.text_stream)
        message = stream.get_final_message()
    assert "".join(deltas) == HAIKU == message.content[0].text
    assert len(deltas) >= 5 and max(len(d) for d in deltas) <= 30
    assert message.model == DEFAULT_MODEL  # the requested model is echoed
    assert message.stop_reason == "end_turn" and message.stop_sequence is None
    assert message.id.startswith("msg_01") and message.usage.input_tokens > 0
    assert 10 <= message.usage.output_tokens <= 40


def test_event_sequence_matches_the_api(client: anthropic.Anthropic) -> None:
    with client.messages.create(model=DEFAULT_MODEL, max_tokens=300, messages=HAIKU_PROMPT, stream=True) as raw:
        types = [e.type for e in raw]
    assert types[0] == "message_start" and types[1] == "content_block_start"
    assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(types[2:-3]) == {"content_block_delta"}


def test_raw_wire_has_ping_request_id_and_sse_framing(server: OfflineServer) -> None:
    body = {"model": DEFAULT_MODEL, "max_tokens": 100, "stream": True, "messages": HAIKU_PROMPT}
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
    with httpx.stream("POST", server.base_url + "/v1/messages", json=body, headers=headers) as r:
        raw = r.read().decode()
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["request-id"].startswith("req_")
    events = raw.split("\n\n")
    assert events[0].startswith("event: message_start\ndata: {")
    assert events[2] == 'event: ping\ndata: {"type":"ping"}'
    assert raw.endswith('event: message_stop\ndata: {"type":"message_stop"}\n\n')


async def test_async_stream(aclient: anthropic.AsyncAnthropic) -> None:
    async with aclient.messages.stream(model=DEFAULT_MODEL, max_tokens=300, messages=HAIKU_PROMPT) as stream:
        text = "".join([t async for t in stream.text_stream])
        message = await stream.get_final_message()
    assert text == HAIKU and message.stop_reason == "end_turn"


def test_markdown_scenario_by_header(client: anthropic.Anthropic) -> None:
    with client.messages.stream(model=DEFAULT_MODEL, max_tokens=2000, messages=[{"role": "user", "content": "hi"}],
                                extra_headers={"x-offline-scenario": "markdown-tour"}) as stream:
        assert stream.get_final_text() == MARKDOWN_TOUR


def test_max_tokens_cuts_the_answer(client: anthropic.Anthropic) -> None:
    with client.messages.stream(model=DEFAULT_MODEL, max_tokens=5, messages=HAIKU_PROMPT) as stream:
        message = stream.get_final_message()
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 5
    assert HAIKU.startswith(message.content[0].text) and message.content[0].text != HAIKU


def test_stop_sequence_stops_before_it(client: anthropic.Anthropic) -> None:
    messages = [{"role": "user", "content": "Count to 20"}]
    with client.messages.stream(model=DEFAULT_MODEL, max_tokens=200, messages=messages,
                                stop_sequences=["7", "12"]) as stream:
        message = stream.get_final_message()
    assert message.content[0].text == "1, 2, 3, 4, 5, 6, "
    assert message.stop_reason == "stop_sequence" and message.stop_sequence == "7"


def test_long_answer_fills_max_tokens(client: anthropic.Anthropic) -> None:
    with client.messages.stream(model=DEFAULT_MODEL, max_tokens=5000, messages=[{"role": "user", "content": "x"}],
                                extra_headers={"x-offline-scenario": "long"}) as stream:
        message = stream.get_final_message()
    assert message.stop_reason == "max_tokens" and message.usage.output_tokens == 5000
    assert message.content[0].text.startswith("## Section 1")


def test_thinking_block_with_signature_before_text(client: anthropic.Anthropic) -> None:
    with client.messages.stream(model=THINKING_ENABLED_MODEL, max_tokens=4000,
                                thinking={"type": "enabled", "budget_tokens": 2000},
                                messages=[{"role": "user", "content": "Is 1,001 a prime number?"}]) as stream:
        kinds = [e.type for e in stream]
        message = stream.get_final_message()
    thinking, text = message.content
    assert thinking.type == "thinking" and "7 × 11 × 13" in thinking.thinking and len(thinking.signature) > 50
    assert text.type == "text" and "not prime" in text.text
    assert "thinking" in kinds and "signature" in kinds and kinds.index("thinking") < kinds.index("text")


def test_sonnet_5_5_thinks_by_default_with_thinking_omitted(client: anthropic.Anthropic) -> None:
    message = client.messages.create(model="claude-sonnet-5-5", max_tokens=2000, messages=HAIKU_PROMPT)
    thinking, text = message.content
    assert thinking.type == "thinking" and thinking.thinking == "" and thinking.signature
    assert text.text == HAIKU


def test_adaptive_thinking_on_sonnet_5(client: anthropic.Anthropic) -> None:
    message = client.messages.create(model="claude-sonnet-5", max_tokens=2000, thinking={"type": "adaptive"},
                                     messages=HAIKU_PROMPT)
    assert [b.type for b in message.content] == ["thinking", "text"] and message.content[0].thinking


@pytest.mark.parametrize("model,kwargs,message", [
    ("claude-sonnet-5", {"thinking": {"type": "enabled", "budget_tokens": 2000}},
     '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive"'),
    ("claude-sonnet-5", {"extra_body": {"temperature": 0.2}}, "`temperature` is deprecated for this model."),
    ("claude-sonnet-5-5", {"thinking": {"type": "disabled"}}, '"thinking.type.disabled" is not supported'),
    ("claude-haiku-4-5", {"thinking": {"type": "adaptive"}}, '"thinking.type.adaptive" is not supported'),
])
def test_model_family_rules_match_the_real_api(client: anthropic.Anthropic, model: str, kwargs: dict,  # type: ignore[type-arg]
                                               message: str) -> None:
    with pytest.raises(anthropic.BadRequestError, match=message.replace(".", "\\.").replace('"', '.')):
        client.messages.create(model=model, max_tokens=4000, messages=HAIKU_PROMPT, **kwargs)


def test_sonnet_5_5_rejects_prefill(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="This model does not support assistant message prefill. "
                                                        "The conversation must end with a user message."):
        client.messages.create(model="claude-sonnet-5-5", max_tokens=100, messages=[
            *HAIKU_PROMPT, {"role": "assistant", "content": "Tokens"}])


def test_non_streaming_equals_the_accumulated_stream(client: anthropic.Anthropic) -> None:
    kwargs = {"model": DEFAULT_MODEL, "max_tokens": 2000, "messages": [{"role": "user", "content": "Tell me a story"}]}
    created = client.messages.create(**kwargs)  # type: ignore[arg-type]
    with client.messages.stream(**kwargs) as stream:  # type: ignore[arg-type]
        streamed = stream.get_final_message()
    assert created.model_dump(exclude={"id"}) == streamed.model_dump(exclude={"id"})


def test_count_tokens_matches_usage(client: anthropic.Anthropic) -> None:
    counted = client.messages.count_tokens(model=DEFAULT_MODEL, messages=HAIKU_PROMPT)
    message = client.messages.create(model=DEFAULT_MODEL, max_tokens=100, messages=HAIKU_PROMPT)
    assert counted.input_tokens == message.usage.input_tokens > 0


def test_system_prompt_and_multi_turn_history(client: anthropic.Anthropic) -> None:
    history = [
        {"role": "user", "content": "Hello, my name is Ada."},
        {"role": "assistant", "content": "Nice to meet you, Ada!"},
        {"role": "user", "content": "What is my name?"},
    ]
    message = client.messages.create(model=DEFAULT_MODEL, max_tokens=200, system="Be brief.", messages=history)
    assert "Your name is **Ada**" in message.content[0].text


def test_generic_answer_is_deterministic_and_honest(client: anthropic.Anthropic) -> None:
    kwargs = {"model": DEFAULT_MODEL, "max_tokens": 500, "messages": [{"role": "user", "content": "Plan my garden"}]}
    first = client.messages.create(**kwargs)  # type: ignore[arg-type]
    second = client.messages.create(**kwargs)  # type: ignore[arg-type]
    assert first.content == second.content and first.id == second.id
    assert "offline stand-in" in first.content[0].text and "Plan my garden" in first.content[0].text

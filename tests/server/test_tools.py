"""Tool use: input streamed as input_json_delta, several calls, tool_choice, and the full loop."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest

from claude_widgets import DEFAULT_MODEL, THINKING_ENABLED_MODEL

WEATHER = {
    "name": "get_weather",
    "description": "Get the current weather for a city.",
    "input_schema": {"type": "object", "properties": {"location": {"type": "string"},
                                                      "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                     "required": ["location"]},
}
CALCULATOR = {
    "name": "calculator",
    "description": "Evaluate an arithmetic expression.",
    "input_schema": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]},
}
FORCE_MODEL = THINKING_ENABLED_MODEL


def _stream(client: anthropic.Anthropic, **kwargs: Any) -> tuple[list[Any], anthropic.types.Message]:
    kwargs.setdefault("model", DEFAULT_MODEL)
    kwargs.setdefault("max_tokens", 1000)
    with client.messages.stream(**kwargs) as stream:
        events = list(stream)
        return events, stream.get_final_message()


def test_one_tool_call_streams_its_input(client: anthropic.Anthropic) -> None:
    events, message = _stream(client, tools=[WEATHER],
                              messages=[{"role": "user", "content": "What's the weather in Paris?"}])
    assert message.stop_reason == "tool_use"
    text, call = message.content
    assert text.type == "text" and call.type == "tool_use"
    assert call.name == "get_weather" and call.input == {"location": "Paris"} and call.id.startswith("toolu_01")
    pieces = [e.delta.partial_json for e in events if e.type == "content_block_delta"
              and e.delta.type == "input_json_delta"]
    assert pieces[0] == "" and len(pieces) >= 3
    assert json.loads("".join(pieces)) == call.input
    with pytest.raises(json.JSONDecodeError):
        json.loads("".join(pieces[:2]))  # partial JSON is not JSON until the block stops
    snapshots = [e.snapshot for e in events if e.type == "input_json"]
    assert snapshots[-1] == {"location": "Paris"}


def test_several_tool_calls_in_one_message(client: anthropic.Anthropic) -> None:
    _, message = _stream(client, tools=[WEATHER],
                         messages=[{"role": "user", "content": "What's the weather in Paris and London?"}])
    calls = [b for b in message.content if b.type == "tool_use"]
    assert [c.input["location"] for c in calls] == ["Paris", "London"]
    assert len({c.id for c in calls}) == 2


def test_full_tool_loop_uses_the_results(client: anthropic.Anthropic) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "What's the weather in Paris and London?"}]
    _, first = _stream(client, tools=[WEATHER], messages=messages)
    results = {"Paris": "18 °C and sunny", "London": "12 °C with light rain"}
    messages += [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": b.id, "content": results[b.input["location"]]}
                                     for b in first.content if b.type == "tool_use"]},
    ]
    _, final = _stream(client, tools=[WEATHER], messages=messages)
    assert final.stop_reason == "end_turn"
    assert "18 °C and sunny" in final.content[0].text and "12 °C with light rain" in final.content[0].text


def test_two_step_loop_chains_tools(client: anthropic.Anthropic) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "What's the weather in Paris, and what is that temperature in Fahrenheit?"}]
    tools = [WEATHER, CALCULATOR]
    steps = []
    for _ in range(4):
        _, msg = _stream(client, tools=tools, messages=messages)
        steps.append(msg)
        if msg.stop_reason != "tool_use":
            break
        calls = [b for b in msg.content if b.type == "tool_use"]
        out = {"get_weather": "18 °C, sunny", "calculator": "64.4"}
        messages += [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in msg.content]},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": c.id, "content": out[c.name]}
                                                  for c in calls]}]
    names = [[b.name for b in m.content if b.type == "tool_use"] for m in steps]
    assert names == [["get_weather"], ["calculator"], []]
    assert steps[1].content[-1].input == {"expression": "18 * 9 / 5 + 32"}
    assert "64.4" in steps[-1].content[0].text


def test_tool_error_result_is_acknowledged(client: anthropic.Anthropic) -> None:
    _, first = _stream(client, tools=[WEATHER], messages=[{"role": "user", "content": "Weather in Oslo?"}])
    call = first.content[-1]
    messages = [{"role": "user", "content": "Weather in Oslo?"},
                {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "is_error": True,
                                              "content": "ConnectionError: weather service down"}]}]
    _, final = _stream(client, tools=[WEATHER], messages=messages)
    assert "failed" in final.content[0].text and "weather service down" in final.content[0].text


@pytest.mark.parametrize("choice,expect_tool", [({"type": "auto"}, False), ({"type": "any"}, True),
                                                ({"type": "tool", "name": "calculator"}, True),
                                                ({"type": "none"}, False)])
def test_tool_choice_is_honoured_for_an_unrelated_question(
    client: anthropic.Anthropic, choice: dict[str, Any], expect_tool: bool
) -> None:
    _, message = _stream(client, model=FORCE_MODEL, tools=[WEATHER, CALCULATOR], tool_choice=choice,
                         messages=[{"role": "user", "content": "Write a haiku about streaming"}])
    calls = [b for b in message.content if b.type == "tool_use"]
    assert bool(calls) == expect_tool
    if choice["type"] == "tool":
        assert calls[0].name == "calculator"
    assert message.stop_reason == ("tool_use" if expect_tool else "end_turn")


def test_tool_choice_none_answers_in_text_even_when_a_tool_fits(client: anthropic.Anthropic) -> None:
    _, message = _stream(client, tools=[WEATHER], tool_choice={"type": "none"},
                         messages=[{"role": "user", "content": "What's the weather in Paris?"}])
    assert [b.type for b in message.content] == ["text"]


def test_forced_tool_choice_is_rejected_on_sonnet_5_5(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match=r"tool_choice: type \"tool\" and \"any\" are not supported for this model"):
        client.messages.create(model="claude-sonnet-5-5", max_tokens=100, tools=[WEATHER],
                               tool_choice={"type": "any"}, messages=[{"role": "user", "content": "hi"}])


def test_tool_result_without_matching_tool_use_is_400(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="tool_use_id"):
        client.messages.create(model=DEFAULT_MODEL, max_tokens=100, messages=[
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_nope", "content": "x"}]}])


def test_unanswered_tool_use_is_400_as_the_api_says(client: anthropic.Anthropic) -> None:
    """A tool_use followed by a turn that doesn't answer it: the API's 400 and wording."""
    call = {"type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {"location": "Paris"}}
    other = {"type": "tool_use", "id": "toolu_b", "name": "get_weather", "input": {"location": "Rome"}}
    with pytest.raises(anthropic.BadRequestError) as err:
        client.messages.create(model=DEFAULT_MODEL, max_tokens=100, tools=[WEATHER], messages=[
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": [call, other]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_a", "content": "18 °C"}]}])
    assert err.value.body["error"]["message"] == (  # type: ignore[index]
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_b. "
        "Each `tool_use` block must have a corresponding `tool_result` block in the next message.")
    # a plain text answer instead of the results: the same error, both ids
    with pytest.raises(anthropic.BadRequestError, match="immediately after: toolu_a, toolu_b"):
        client.messages.create(model=DEFAULT_MODEL, max_tokens=100, tools=[WEATHER], messages=[
            {"role": "user", "content": "weather?"}, {"role": "assistant", "content": [call, other]},
            {"role": "user", "content": "never mind"}])


def test_stray_tool_result_names_its_block(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as err:
        client.messages.create(model=DEFAULT_MODEL, max_tokens=100, messages=[
            {"role": "user", "content": [{"type": "text", "text": "see:"},
                                         {"type": "tool_result", "tool_use_id": "toolu_nope", "content": "x"}]}])
    assert err.value.body["error"]["message"].startswith(  # type: ignore[index]
        "messages.0.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_nope.")

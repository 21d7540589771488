"""Tool-use semantics the API documents: ``disable_parallel_tool_use``, no text before a forced
tool call, a tool call cut by ``max_tokens`` reads the same streamed or not, and the
Anthropic-defined client tools (``bash``, text editor, ``memory``). Streaming and not.
"""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from claude_widgets import DEFAULT_MODEL

WEATHER = {"name": "get_weather", "description": "Weather for a city.",
           "input_schema": {"type": "object", "properties": {"location": {"type": "string"}},
                            "required": ["location"]}}
TWO_CITIES = [{"role": "user", "content": "What's the weather in Paris and London?"}]


def _send(client: anthropic.Anthropic, stream: bool, **kwargs: Any) -> anthropic.types.Message:
    kwargs = {"model": DEFAULT_MODEL, "max_tokens": 1024, **kwargs}
    if stream:
        with client.messages.stream(**kwargs) as s:
            return s.get_final_message()
    return client.messages.create(**kwargs)


@pytest.mark.parametrize("stream", [False, True])
def test_disable_parallel_tool_use_gives_one_call(client: anthropic.Anthropic, stream: bool) -> None:
    both = _send(client, stream, tools=[WEATHER], messages=TWO_CITIES)
    assert [b.type for b in both.content].count("tool_use") == 2
    one = _send(client, stream, tools=[WEATHER], messages=TWO_CITIES,
                tool_choice={"type": "auto", "disable_parallel_tool_use": True})
    assert [b.type for b in one.content].count("tool_use") == 1


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("choice", [{"type": "any"}, {"type": "tool", "name": "get_weather"}])
def test_forced_tool_use_has_no_text_before_it(client: anthropic.Anthropic, stream: bool, choice: Any) -> None:
    message = _send(client, stream, tools=[WEATHER], tool_choice=choice,
                    messages=[{"role": "user", "content": "What's the weather in Paris?"}])
    assert [b.type for b in message.content] == ["tool_use"]


def test_max_tokens_cuts_a_tool_call_alike_streamed_or_not(client: anthropic.Anthropic) -> None:
    kwargs: dict[str, Any] = {"tools": [WEATHER], "tool_choice": {"type": "any"}, "max_tokens": 4,
                              "messages": [{"role": "user", "content": "What's the weather in San Francisco?"}]}
    created = _send(client, False, **kwargs)
    streamed = _send(client, True, **kwargs)
    assert created.stop_reason == streamed.stop_reason == "max_tokens"
    assert created.content[-1].type == "tool_use" == streamed.content[-1].type
    assert created.content[-1].input == streamed.content[-1].input != {"location": "San Francisco"}


@pytest.mark.parametrize("stream", [False, True])
def test_bash_text_editor_and_memory_are_client_tools(client: anthropic.Anthropic, stream: bool) -> None:
    tools: list[Any] = [{"type": "bash_20250124", "name": "bash"},
                        {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"},
                        {"type": "memory_20250818", "name": "memory"}]
    message = _send(client, stream, tools=tools,
                    messages=[{"role": "user", "content": "Run bash to list the files: 'ls -la'"}])
    (call,) = [b for b in message.content if b.type == "tool_use"]
    assert call.name == "bash" and call.input == {"command": "ls -la"}

"""Requests the API refuses: thinking blocks dropped or altered in a tool loop, thinking with forced
tool use, ``temperature`` or ``top_k``, and more than four ``cache_control`` breakpoints.

Each is sent streaming and not, through the real SDK, and must come back as the API's 400
with its wording.
"""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from claude_widgets import THINKING_ENABLED_MODEL

WEATHER = {"name": "get_weather", "description": "Weather for a city.",
           "input_schema": {"type": "object", "properties": {"location": {"type": "string"}},
                            "required": ["location"]}}
THINKING = {"type": "enabled", "budget_tokens": 1024}
BASE: dict[str, Any] = {"model": THINKING_ENABLED_MODEL, "max_tokens": 2048}


def _send(client: anthropic.Anthropic, stream: bool, **kwargs: Any) -> Any:
    if stream:
        with client.messages.stream(**{**BASE, **kwargs}) as s:
            return s.get_final_message()
    return client.messages.create(**{**BASE, **kwargs})


def _tool_turn(client: anthropic.Anthropic) -> tuple[list[dict[str, Any]], Any]:
    question = {"role": "user", "content": "What's the weather in Paris?"}
    first = client.messages.create(**BASE, thinking=THINKING, tools=[WEATHER], messages=[question])  # type: ignore[arg-type]
    assert next(b.type for b in first.content) == "thinking" and first.stop_reason == "tool_use"
    call = next(b for b in first.content if b.type == "tool_use")
    result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "18°C"}]}
    return [question, result], [b.model_dump(exclude_none=True) for b in first.content]


@pytest.mark.parametrize("stream", [False, True])
def test_tool_loop_needs_the_thinking_block_back_unmodified(client: anthropic.Anthropic, stream: bool) -> None:
    (question, result), content = _tool_turn(client)
    ok = _send(client, stream, thinking=THINKING, tools=[WEATHER],
               messages=[question, {"role": "assistant", "content": content}, result])
    assert ok.stop_reason == "end_turn"
    dropped = [b for b in content if b["type"] != "thinking"]
    with pytest.raises(anthropic.BadRequestError, match="Expected `thinking` or `redacted_thinking`, but found `text`"):
        _send(client, stream, thinking=THINKING, tools=[WEATHER],
              messages=[question, {"role": "assistant", "content": dropped}, result])
    altered = [{**b, "thinking": b["thinking"] + " (edited)"} if b["type"] == "thinking" else b for b in content]
    with pytest.raises(anthropic.BadRequestError, match=r"messages\.1\.content\.0: Invalid `signature` in `thinking`"):
        _send(client, stream, thinking=THINKING, tools=[WEATHER],
              messages=[question, {"role": "assistant", "content": altered}, result])


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(("extra", "wording"), [
    ({"tool_choice": {"type": "any"}}, "Thinking may not be enabled when tool_choice forces tool use."),
    ({"tool_choice": {"type": "tool", "name": "get_weather"}},
     "Thinking may not be enabled when tool_choice forces tool use."),
    ({"extra_body": {"temperature": 0.2}}, "`temperature` may only be set to 1 when thinking is enabled."),
    ({"extra_body": {"top_k": 5}}, "`top_k` must be unset when thinking is enabled."),
])
def test_thinking_refuses_forced_tools_and_sampling(client: anthropic.Anthropic, stream: bool, extra: dict[str, Any],
                                                    wording: str) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        _send(client, stream, thinking=THINKING, tools=[WEATHER],
              messages=[{"role": "user", "content": "Weather in Paris?"}], **extra)
    assert info.value.body["error"]["message"].startswith(wording)  # type: ignore[index]


@pytest.mark.parametrize("stream", [False, True])
def test_at_most_four_cache_breakpoints(client: anthropic.Anthropic, stream: bool) -> None:
    marked = {"type": "ephemeral"}
    system = [{"type": "text", "text": f"Rule {i}.", "cache_control": marked} for i in range(3)]
    user = {"role": "user", "content": [{"type": "text", "text": "Hello", "cache_control": marked}]}
    assert _send(client, stream, system=system, messages=[user]).stop_reason == "end_turn"
    with pytest.raises(anthropic.BadRequestError) as info:
        _send(client, stream, system=system, tools=[{**WEATHER, "cache_control": marked}], messages=[user])
    assert info.value.body["error"]["message"] == (  # type: ignore[index]
        "A maximum of 4 blocks with cache_control may be provided. Found 5.")

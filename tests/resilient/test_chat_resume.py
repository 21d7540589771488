"""A conversation stays valid history after a resumed turn, thinking blocks included.

Claude Sonnet 5.5 thinks by default and rejects prefill, so a drop mid-answer is resumed
with the continuation message; the merged message (its signed thinking block first) goes
into ``Chat.messages`` and the server — which, like the API, refuses a tool loop whose
assistant turn lost or altered its thinking block — accepts the next steps and turns.
"""

from __future__ import annotations

import uuid

import anthropic

import claude_widgets as cw
from claude_widgets.server import OfflineServer


def get_weather(location: str) -> str:
    """Get the current weather for a city."""
    return f"12°C and cloudy in {location}"


def test_a_resumed_turn_leaves_valid_history(client: anthropic.Anthropic, server: OfflineServer) -> None:
    tag = uuid.uuid4().hex[:10]
    chat = cw.Chat(client, model="claude-sonnet-5-5", tools=[get_weather],
                   extra_headers={"x-offline-fault": f"drop-after=3; id={tag}"})
    first = chat("What's the weather in Paris?", display=False)
    assert first is not None and first.stop_reason == "end_turn"
    tagged = [r for r in server.requests if tag in r.headers.get("x-offline-fault", "")]
    assert [r.outcome for r in tagged][:2] == ["dropped", "completed"]
    resumed = tagged[1].body["messages"]
    assert resumed[-1]["role"] == "user" and "Continue from where you left off" in resumed[-1]["content"]

    step = chat.messages[1]  # the tool-calling step: thinking, text, tool_use
    assert [b["type"] for b in step["content"]] == ["thinking", "text", "tool_use"]
    text = step["content"][1]["text"]
    assert text == "I'll use the `get_weather` tool for Paris."  # shown once, nothing lost

    second = chat("And in Oslo?", display=False)  # the history goes back as is: accepted
    assert second is not None and second.stop_reason == "end_turn"
    assert "Oslo" in "".join(b.text for b in second.content if b.type == "text")

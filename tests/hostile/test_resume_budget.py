"""Finding 3: a resumed answer respects ``max_tokens`` and stops as an uninterrupted one would.

The resumed attempt used to get ``max_tokens`` minus the number of *deltas* received (a
delta holds one to four tokens), so the merged answer ran past the budget and ended with
``end_turn`` where the uninterrupted stream said ``max_tokens``. Now the kept part is
measured with ``count_tokens``: the merged answer is exactly the uninterrupted one, on
prefill (Haiku 4.5) and on the continuation message (Sonnet 4.6).
"""

from __future__ import annotations

import uuid

import anthropic
import pytest

from claude_widgets import resilient_stream


@pytest.mark.parametrize("model", ["claude-haiku-4-5", "claude-sonnet-4-6"])
@pytest.mark.parametrize("budget,drop", [(30, 4), (60, 10), (90, 25), (100, 2)])
def test_resumed_answer_stops_where_the_uninterrupted_one_does(client: anthropic.Anthropic, model: str,
                                                             budget: int, drop: int) -> None:
    request = {"model": model, "max_tokens": budget, "messages": [{"role": "user", "content": "Tell me a story"}]}
    whole = client.messages.create(**request)
    tag = uuid.uuid4().hex[:10]
    stream = resilient_stream(client, sleep=lambda _: None, attempt_headers=lambda n: {
        "x-offline-fault": f"drop-after={drop}; id={tag}" if n == 1 else f"id={tag}-{n}"}, **request)
    final = stream.get_final_message()
    text = "".join(b.text for b in final.content if b.type == "text")
    assert [a.strategy for a in stream.attempts][1] in ("prefill", "continuation")
    assert text == "".join(b.text for b in whole.content if b.type == "text")
    assert final.stop_reason == whole.stop_reason == "max_tokens"
    assert final.usage.output_tokens == whole.usage.output_tokens == budget

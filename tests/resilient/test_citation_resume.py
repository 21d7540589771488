"""A cited answer cut anywhere and resumed is the uninterrupted answer: same text blocks, same
citations, none twice (the view's marks and sources follow from them).

Seen before: on a prefill model, a cut inside a cited block gave its citation twice (the
continuation sends it again with the block's rest), and a cut between a cited block's start
and its text left an empty cited block beside the continued one; on a continuation model the
offline server answered the continuation without the documents' citations at all.
"""

from __future__ import annotations

import uuid
from typing import Any

import anthropic
import pytest

import claude_widgets

GRASS = "The grass is green. The sky is blue."
DOC = {"type": "document", "title": "My Document", "citations": {"enabled": True},
       "source": {"type": "text", "media_type": "text/plain", "data": GRASS}}


def _kwargs(model: str, **extra: Any) -> dict[str, Any]:
    return {"model": model, "max_tokens": 1024, **extra,
            "messages": [{"role": "user", "content": [DOC, {"type": "text", "text": "What color is the grass and sky?"}]}]}


def _shape(message: Any) -> list[tuple[str, list[dict[str, Any]]]]:
    return [(b.text, [c.to_dict() for c in b.citations or []]) for b in message.content]


@pytest.mark.parametrize("model", ["claude-haiku-4-5", "claude-sonnet-4-6"])  # prefill / continuation
def test_a_cited_answer_cut_anywhere_resumes_exactly(client: anthropic.Anthropic, model: str) -> None:
    with client.messages.stream(**_kwargs(model)) as s:
        events = len(list(s))
        whole = s.get_final_message()
    want = _shape(whole)
    assert sum(len(c) for _, c in want) == 2
    for k in range(2, events - 2):
        fault = {"x-offline-fault": f"drop-after={k}; times=1; id={uuid.uuid4().hex}"}
        view = claude_widgets.stream(client, display=False, max_attempts=3, **_kwargs(model, extra_headers=fault))
        message = view.wait(timeout=30)
        assert message is not None and view.state == "done", (k, view.error)
        assert _shape(message) == want, k
        record = view._repr_mimebundle_()[0]["text/html"]
        assert record.count('class="cw-cite"') == 2 and record.count("<li>") == 2, k

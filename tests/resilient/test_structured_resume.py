"""A structured output cut mid-stream is asked for again whole, never continued.

Constrained decoding makes every answer one whole document valid for the schema
(platform.claude.com/docs/en/build-with-claude/structured-outputs): a continuation would
start a second document after the partial first, and the offline server, like the API,
answers a continuation request with a new document. Seen before this fix on Sonnet 4.6:
``{"product": "Order", "quantity": 3, "note": "Order 3 Acme{"product": …}`` (invalid JSON).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import anthropic
import pydantic
import pytest

import claude_widgets

SCHEMA = {"type": "object", "properties": {"product": {"type": "string"}, "quantity": {"type": "integer"},
                                           "note": {"type": "string"}},
          "required": ["product", "quantity", "note"], "additionalProperties": False}


class Order(pydantic.BaseModel):
    product: str
    quantity: int
    note: str


def _kwargs(model: str, how: str, drop_after: int) -> dict[str, Any]:
    fmt: dict[str, Any] = ({"output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}}
                           if how == "output_config" else {"output_format": Order})
    return {"model": model, "max_tokens": 1024, "messages": [{"role": "user", "content": "Order 3 Acme anvils"}],
            # a unique id: the server counts times=1 per id (the session's server is shared)
            "extra_headers": {"x-offline-fault": f"drop-after={drop_after}; times=1; id={uuid.uuid4().hex}"}, **fmt}


# Haiku 4.5 takes prefill, Sonnet 4.6 is resumed by continuation (the catalogue's rule)
@pytest.mark.parametrize("model", ["claude-haiku-4-5", "claude-sonnet-4-6"])
@pytest.mark.parametrize("how", ["output_config", "output_format"])
@pytest.mark.parametrize("drop_after", [4, 6, 8])
def test_a_dropped_structured_output_restarts_and_ends_valid(client: anthropic.Anthropic, model: str, how: str,
                                                             drop_after: int) -> None:
    view = claude_widgets.stream(client, display=False, max_attempts=3, **_kwargs(model, how, drop_after))
    message = view.wait(timeout=30)
    assert view.state == "done" and message is not None
    value = json.loads(view.text)  # one whole document
    assert value["quantity"] == 3
    assert view.status["recovery"] == "restarted"
    if how == "output_format":
        assert message.content[-1].parsed_output == Order(**value)  # type: ignore[union-attr]


def test_the_attempts_say_restart(client: anthropic.Anthropic) -> None:
    with claude_widgets.resilient_stream(client, max_attempts=3, **_kwargs("claude-sonnet-4-6", "output_config", 8)) as s:
        text = s.get_final_text()
    assert [a.strategy for a in s.attempts] == ["fresh", "restart"]
    assert json.loads(text)["quantity"] == 3

"""Structured outputs: ``output_config.format`` answers schema-valid JSON, streamed; strict tools conform.

Through the real SDK: ``messages.parse()`` validates the whole document, the stream's
``parsed_snapshot()`` parses every prefix, and the API's refusals (unknown format types,
invalid schemas, models without the feature) come back as 400s.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import jiter
import jsonschema
import pydantic
import pytest

from claude_widgets import DEFAULT_MODEL

PROMPT = ('Extract the product name, price, and quantity from this customer message:\n'
          '"Hi, I\'d like to order 2 packs of Green Tea for 5.50 dollars each."')


class Order(pydantic.BaseModel):
    product_name: str
    price: float
    quantity: int


def test_parse_returns_the_values_of_the_prompt(client: anthropic.Anthropic) -> None:
    message = client.messages.parse(model=DEFAULT_MODEL, max_tokens=1024, output_format=Order,
                                    messages=[{"role": "user", "content": PROMPT}])
    assert message.parsed_output == Order(product_name="Green Tea", price=5.5, quantity=2)
    assert message.stop_reason == "end_turn"


def test_stream_parses_every_prefix(client: anthropic.Anthropic) -> None:
    snapshots = []
    with client.messages.stream(model=DEFAULT_MODEL, max_tokens=1024, output_format=Order,
                                messages=[{"role": "user", "content": PROMPT}]) as stream:
        for event in stream:
            if event.type == "text":
                snapshots.append(event.parsed_snapshot())
        final = stream.get_final_message()
    assert len(snapshots) >= 3, "the JSON document arrives in several text deltas"
    assert snapshots[-1] == {"product_name": "Green Tea", "price": 5.5, "quantity": 2}
    assert final.parsed_output == Order(product_name="Green Tea", price=5.5, quantity=2)


@pytest.mark.parametrize("stream", [False, True])
def test_nested_schema_is_honoured(client: anthropic.Anthropic, stream: bool) -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "customer": {"type": "object", "properties": {"email": {"type": "string", "format": "email"}},
                         "required": ["email"], "additionalProperties": False},
            "tags": {"type": "array", "items": {"type": "string", "enum": ["urgent", "billing", "other"]},
                     "minItems": 1},
            "priority": {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 5}, {"type": "null"}]},
            "refund": {"type": "boolean"},
        },
        "required": ["customer", "tags", "priority", "refund"],
        "additionalProperties": False,
    }
    kwargs: dict[str, Any] = {"model": DEFAULT_MODEL, "max_tokens": 1024,
                                  "output_config": {"format": {"type": "json_schema", "schema": schema}},
                                  "messages": [{"role": "user", "content":
                                             "Triage this billing e-mail from ana@example.org, priority 9."}]}
    if stream:
        with client.messages.stream(**kwargs) as s:
            message = s.get_final_message()
    else:
        message = client.messages.create(**kwargs)
    (text,) = [b.text for b in message.content if b.type == "text"]
    document = json.loads(text)
    jsonschema.validate(document, schema)
    assert document["customer"]["email"] == "ana@example.org"
    assert document["tags"] == ["billing"]


@pytest.mark.parametrize("stream", [False, True])
def test_unsupported_format_type_is_rejected(client: anthropic.Anthropic, stream: bool) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model=DEFAULT_MODEL, max_tokens=64, stream=stream,  # type: ignore[call-overload]
                               output_config={"format": {"type": "yaml", "schema": {"type": "object"}}},
                               messages=[{"role": "user", "content": "hi"}])
    assert info.value.body["error"]["message"] == (  # type: ignore[index]
        "output_config.format: Input tag 'yaml' found using 'type' does not match any of the expected tags: "
        "'json_schema'")


@pytest.mark.parametrize("stream", [False, True])
def test_invalid_schema_and_unsupported_model_are_rejected(client: anthropic.Anthropic, stream: bool) -> None:
    with pytest.raises(anthropic.BadRequestError, match="Invalid JSON schema"):
        client.messages.create(model=DEFAULT_MODEL, max_tokens=64, stream=stream,  # type: ignore[call-overload]
                               output_config={"format": {"type": "json_schema", "schema": {"type": "objekt"}}},
                               messages=[{"role": "user", "content": "hi"}])
    # Every model without structured outputs (Claude 3.x, Sonnet/Opus 4) is retired today
    # (the catalogue): the API answers those with the 404 for the model, before any feature.
    with pytest.raises(anthropic.NotFoundError, match="model: claude-3-5-haiku-20241022"):
        client.messages.create(model="claude-3-5-haiku-20241022", max_tokens=64,  # type: ignore[call-overload]
                               stream=stream, messages=[{"role": "user", "content": "hi"}],
                               output_config={"format": {"type": "json_schema", "schema": {"type": "object"}}})


STRICT_TOOL = {
    "name": "file_ticket",
    "description": "File a support ticket.",
    "strict": True,
    "input_schema": {
        "type": "object",
        "properties": {"title": {"type": "string"},
                       "labels": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                       "severity": {"type": "integer", "minimum": 1, "maximum": 4}},
        "required": ["title", "labels", "severity"],
        "additionalProperties": False,
    },
}


@pytest.mark.parametrize("stream", [False, True])
def test_strict_tool_input_is_valid_for_its_schema(client: anthropic.Anthropic, stream: bool) -> None:
    kwargs: dict[str, Any] = {"model": DEFAULT_MODEL, "max_tokens": 1024, "tools": [STRICT_TOOL],
                                  "tool_choice": {"type": "tool", "name": "file_ticket"},
                                  "messages": [{"role": "user", "content": "File a ticket: the login page is down."}]}
    if stream:
        with client.messages.stream(**kwargs) as s:
            partial = "".join(e.partial_json for e in s if e.type == "input_json")
            message = s.get_final_message()
        assert jiter.from_json(partial.encode()) == next(b.input for b in message.content if b.type == "tool_use")
    else:
        message = client.messages.create(**kwargs)
    (call,) = [b for b in message.content if b.type == "tool_use"]
    jsonschema.validate(call.input, STRICT_TOOL["input_schema"])  # type: ignore[arg-type]

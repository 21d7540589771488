"""Structured outputs in StreamView: the answer's text is JSON, shown as JSON code, never as Markdown.

``output_config.format`` (or the SDK's ``output_format``) makes the API answer JSON text
(platform.claude.com/docs/en/build-with-claude/structured-outputs); read as Markdown, a
``*`` or ``[x](…)`` inside a JSON string would become emphasis or a link. Through the
real SDK against the offline server; the live side is tests/browser/test_structured_view.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

import anthropic
import pydantic
import pytest

import claude_widgets
from claude_widgets import DEFAULT_MODEL, StreamView

SCHEMA = {"type": "object", "properties": {"product": {"type": "string"}, "quantity": {"type": "integer"}},
          "required": ["product", "quantity"], "additionalProperties": False}


class Order(pydantic.BaseModel):
    product: str
    quantity: int


def _kwargs(**extra: Any) -> dict[str, Any]:
    return {"model": DEFAULT_MODEL, "max_tokens": 1024,
            "messages": [{"role": "user", "content": "Order 3 *Acme* anvils, see [the shop](javascript:alert(1))"}],
            **extra}


def _blocks(html: str) -> str:
    m = re.search(r'<div class="cw-blocks">(.*)</div></div></div>$', html, re.DOTALL)
    assert m, html
    return m[1]


@pytest.mark.parametrize("how", ["output_config", "output_format"])
def test_a_structured_output_is_json_code_in_the_record(client: anthropic.Anthropic, how: str) -> None:
    extra = ({"output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}} if how == "output_config"
             else {"output_format": Order})
    view = claude_widgets.stream(client, display=False, **_kwargs(**extra))
    message = view.wait(timeout=30)
    assert message is not None and view.text_format == "json"
    value = json.loads(view.text)
    data, _ = view._repr_mimebundle_()
    assert data["text/plain"] == view.text  # the text as it came
    blocks = _blocks(data["text/html"])
    assert blocks.startswith('<div class="cw-block cw-text cw-md cw-json jp-RenderedHTMLCommon"><pre>'
                             '<code class="hljs language-json">')
    shown = re.sub(r"<[^>]+>", "", blocks)
    assert json.loads(shown.replace("&quot;", '"').replace("&amp;", "&")) == value
    assert shown.startswith("{\n  ")  # pretty-printed
    assert "<em>" not in blocks and "<a " not in blocks and "<p>" not in blocks


def test_a_plain_request_stays_markdown(client: anthropic.Anthropic) -> None:
    view = claude_widgets.stream(client, display=False, **_kwargs())
    view.wait(timeout=30)
    assert view.text_format == "markdown"
    assert "cw-json" not in view._repr_mimebundle_()[0]["text/html"]


def test_text_format_is_checked() -> None:
    with pytest.raises(ValueError, match="text_format"):
        StreamView(text_format="yaml")


def test_a_chat_turn_that_asks_for_json_shows_json(client: anthropic.Anthropic) -> None:
    chat = claude_widgets.Chat(client, output_config={"format": {"type": "json_schema", "schema": SCHEMA}})
    view = chat.stream("Order 3 anvils", display=False)
    view.wait(timeout=30)
    assert view.text_format == "json" and json.loads(view.text)["quantity"] == 3
    plain = claude_widgets.Chat(client).stream("hello", display=False)
    plain.wait(timeout=30)
    assert plain.text_format == "markdown"


def test_a_chat_with_tools_shows_the_preamble_as_text_and_the_answer_as_json(client: anthropic.Anthropic) -> None:
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return "18 °C, sunny"

    schema = {"type": "object", "properties": {"city": {"type": "string"}, "summary": {"type": "string"}},
              "required": ["city", "summary"], "additionalProperties": False}
    chat = claude_widgets.Chat(client, tools=[get_weather], output_config={"format": {"type": "json_schema",
                                                                                      "schema": schema}})
    view = chat.stream("What's the weather in Paris?", display=False)
    message = view.wait(timeout=30)
    assert message is not None and view.state == "done"
    blocks = _blocks(view._repr_mimebundle_()[0]["text/html"])
    assert "<p>I’ll use the <code>get_weather</code> tool" in blocks.replace("'", "’")
    assert blocks.count("cw-json") == 1 and blocks.index("cw-tool-call") < blocks.index("cw-json")
    assert json.loads(message.content[-1].text)["city"]  # type: ignore[union-attr]

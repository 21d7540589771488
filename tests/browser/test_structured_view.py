"""A structured output in view.js: JSON text grows as code, then is shown pretty-printed and
highlighted, as its record shows it; never read as Markdown (the kernel side:
tests/widget/test_structured_view.py).
"""

from __future__ import annotations

import re
from typing import Any

import anthropic
import pytest

from claude_widgets import DEFAULT_MODEL
from claude_widgets._answer import _Answer
from claude_widgets.server import OfflineServer

from .test_citations_view import LIVE_JS
from .test_view_unit import _setup, unit  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

SCHEMA = {"type": "object", "properties": {"note": {"type": "string"}, "items": {"type": "array", "items": {
    "type": "object", "properties": {"name": {"type": "string"}, "qty": {"type": "integer"}},
    "required": ["name", "qty"], "additionalProperties": False}}},
    "required": ["note", "items"], "additionalProperties": False}


def _flushes(stop_after: int | None = None) -> tuple[list[list[Any]], str, str]:
    request = {"model": DEFAULT_MODEL, "max_tokens": 1024,
               "messages": [{"role": "user", "content": "List *two* items, see [x](javascript:alert(1))"}],
               "output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}}
    with (OfflineServer(delay_ms=0) as srv,
          anthropic.Anthropic(base_url=srv.base_url, api_key="test-key", max_retries=0) as client,
          client.messages.stream(**request) as s):
        events = list(s)
    a = _Answer()
    a.text_format = "json"
    flushes = []
    for k, ev in enumerate(events):
        if stop_after is not None and k >= stop_after:
            break
        a.feed(ev)
        with a.lock:
            _, ops = a.take_ops()
        if ops:
            flushes.append(ops)
    state = "done" if stop_after is None else "stopped"
    status = {"state": state, "stop_reason": None, "input_tokens": 1, "output_tokens": 1,
              "model": DEFAULT_MODEL, "error": None, "elapsed": 1.0}
    m = re.search(r'<div class="cw-blocks">(.*)</div></div></div>$', a.record(status), re.DOTALL)
    assert m
    return flushes, m[1], a.text()


def _shape(html: str) -> str:
    """The markup without highlighting spans (highlight.js and Pygments split tokens differently)."""
    return re.sub(r"</?span[^>]*>", "", html)


def test_json_grows_as_code_then_is_pretty_and_highlighted(unit: Any) -> None:  # noqa: F811
    flushes, record, text = _flushes()
    _setup(unit)
    mid = unit.evaluate("""async (flushes) => {
        for (const ops of flushes.slice(0, Math.floor(flushes.length / 2))) { h.ops(ops); await h.settle(); }
        const el = h.views[0].querySelector('.cw-json');
        return {code: el.querySelector('pre > code.language-json').textContent, html: el.innerHTML};
    }""", flushes)
    assert text.startswith(mid["code"]) and mid["code"]  # the JSON as it came, so far
    assert "<span" not in mid["html"]  # plain text while it grows
    live = unit.evaluate(LIVE_JS, flushes[len(flushes) // 2:])
    assert _shape(live["html"]) == _shape(record)
    assert "hljs-attr" in live["html"] and "hljs-attr" in record  # keys coloured alike
    assert "<em>" not in live["html"] and "<a " not in live["html"]
    assert int(live["chars"]) == len(text)


def test_a_stopped_structured_output_shows_what_came(unit: Any) -> None:  # noqa: F811
    flushes, record, text = _flushes(stop_after=12)
    _setup(unit)
    live = unit.evaluate(LIVE_JS.replace('state: "done"', 'state: "stopped"'), flushes)
    assert _shape(live["html"]) == _shape(record)
    assert text and text in live["text"]  # partial JSON, as it came (not pretty-printed)


def test_a_preamble_before_a_tool_call_is_markdown_live_and_saved(unit: Any) -> None:  # noqa: F811
    """In a turn with tools, a structured output's request may bring text before the tool call:
    not JSON, so shown as Markdown (the block's format is dropped once its text starts otherwise)."""
    from types import SimpleNamespace

    from claude_widgets._static import record_html

    ops = [["start", 0, {"type": "text", "format": "json"}], ["append", 0, 0, "I'll use the `get_weather` tool."],
           ["stop", 0, None], ["start", 1, {"type": "tool_use", "name": "get_weather", "id": "t1"}],
           ["append", 1, 0, '{"city": "Paris"}'], ["stop", 1, {"city": "Paris"}],
           ["start", 2, {"type": "text", "format": "json"}], ["append", 2, 0, ' {"city": "Paris", "t": 18}'],
           ["stop", 2, None]]
    _setup(unit)
    live = unit.evaluate(LIVE_JS, [[op] for op in ops])

    def block(kind: str, text: str, fmt: str | None, data: Any = None) -> SimpleNamespace:
        return SimpleNamespace(kind=kind, text=lambda: text, format=fmt, citations=[], done=True, name="get_weather",
                               input=data, is_error=False)

    status = {"state": "done", "stop_reason": "end_turn", "input_tokens": 1, "output_tokens": 1, "model": "m",
              "error": None, "elapsed": 1.0}
    record = record_html([block("text", "I'll use the `get_weather` tool.", "json"),
                          block("tool_use", '{"city": "Paris"}', None, {"city": "Paris"}),
                          block("text", ' {"city": "Paris", "t": 18}', "json")], status)
    m = re.search(r'<div class="cw-blocks">(.*)</div></div></div>$', record, re.DOTALL)
    assert m
    assert "<p>I'll use the <code>get_weather</code> tool.</p>" in live["html"]
    assert live["html"].count("cw-json") == 1 and m[1].count("cw-json") == 1
    assert _shape(live["html"]) == _shape(m[1])

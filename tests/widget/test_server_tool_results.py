"""A server tool's result (web search here) in StreamView: shown without its opaque payloads,
kept whole in the ``Message`` (the SDK's own block).

The offline server has no server tools, so the events are the API's shapes built from the
SDK's types (``WebSearchToolResultBlock``, ``CitationsWebSearchResultLocation``), fed to
the view's ``_Answer`` as a stream would deliver them.
"""

from __future__ import annotations

import zlib
from typing import Any

from anthropic.types import RawMessageStreamEvent
from pydantic import TypeAdapter

from claude_widgets._answer import MAX_SHOWN, _Answer

ENCRYPTED = "Eq8C" + "x" * 6000
PAGE = "word " * 1000

EVENTS: list[dict[str, Any]] = [
    {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
                                          "content": [], "stop_reason": None, "stop_sequence": None,
                                          "usage": {"input_tokens": 10, "output_tokens": 1}}},
    {"type": "content_block_start", "index": 0, "content_block": {
        "type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": '{"query": "sky"}'}},
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1, "content_block": {
        "type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": [
            {"type": "web_search_result", "title": "Why the sky is blue", "url": "https://example.com/sky",
             "encrypted_content": ENCRYPTED, "page_age": "May 1, 2026"},
            {"type": "web_search_result", "title": PAGE, "url": "https://example.com/long",
             "encrypted_content": ENCRYPTED, "page_age": None}]}},
    {"type": "content_block_stop", "index": 1},
    {"type": "content_block_start", "index": 2, "content_block": {"type": "text", "text": "", "citations": []}},
    {"type": "content_block_delta", "index": 2, "delta": {"type": "citations_delta", "citation": {
        "type": "web_search_result_location", "cited_text": "The sky is blue.", "url": "https://example.com/sky",
        "title": "Why the sky is blue", "encrypted_index": "Eo8B" + "y" * 300}}},
    {"type": "content_block_delta", "index": 2, "delta": {"type": "text_delta", "text": "It is blue."}},
    {"type": "content_block_stop", "index": 2},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 20}},
    {"type": "message_stop"},
]


def _answer() -> _Answer:
    adapter: TypeAdapter[Any] = TypeAdapter(RawMessageStreamEvent)
    a = _Answer()
    for raw in EVENTS:
        a.feed(adapter.validate_python(raw))
    return a


STATUS = {"state": "done", "stop_reason": "end_turn", "input_tokens": 10, "output_tokens": 20,
          "model": "claude-sonnet-4-6", "error": None, "elapsed": 1.0}


def test_search_results_are_shown_without_their_encrypted_content() -> None:
    a = _answer()
    record = a.record(STATUS)
    assert "Why the sky is blue" in record and "https://example.com/sky" in record
    assert "[opaque: 6,004 characters]" in record and "xxxxxxxxxx" not in record
    assert f"… [{len(PAGE) - MAX_SHOWN:,} more characters]" in record
    assert len(record) < 20_000  # was ~20 KB of base64 for two results
    with a.lock:
        snapshot = a.snapshot()
    assert len(zlib.decompress(snapshot)) < 6_000  # what a late view (and saved widget state) gets


def test_the_message_keeps_every_byte() -> None:
    message = _answer().message()
    assert message is not None
    result = message.content[1]
    assert result.type == "web_search_tool_result"
    assert [r.encrypted_content for r in result.content] == [ENCRYPTED, ENCRYPTED]  # type: ignore[union-attr]
    assert result.content[1].title == PAGE  # type: ignore[union-attr]
    cite = message.content[2].citations[0]  # type: ignore[union-attr]
    assert cite.encrypted_index.startswith("Eo8B")  # the next request may need it


def test_a_web_search_citation_links_to_its_page() -> None:
    record = _answer().record(STATUS)
    assert 'It is blue.<sup class="cw-cite">[1]</sup>' in record
    assert '<a class="cw-source-title" href="https://example.com/sky"' in record

"""Citations: documents and search results with ``citations.enabled`` get answers that cite them.

Through the real SDK, streamed and not: the answer's text blocks carry ``char_location``,
``content_block_location`` or ``search_result_location`` citations that point at real
text of the request; streamed, a cited block starts with ``citations: []`` and its
``citations_delta`` comes before its text; ``get_final_message()`` rebuilds the body that
``messages.create()`` returns; claude_widgets' StreamView keeps the citations too.
"""

from __future__ import annotations

from typing import Any

import anthropic
from anthropic.types import CitationCharLocation, CitationContentBlockLocation, CitationsSearchResultLocation

import claude_widgets
from claude_widgets import DEFAULT_MODEL

GRASS = "The grass is green. The sky is blue."
QUESTION = "What color is the grass and sky?"


def _document(data: str = GRASS, *, enabled: bool = True, title: str | None = "My Document") -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": data},
                           "citations": {"enabled": enabled}}
    if title:
        doc["title"] = title
    return doc


def _kwargs(*blocks: dict[str, Any], question: str = QUESTION) -> dict[str, Any]:
    return {"model": DEFAULT_MODEL, "max_tokens": 1024,
            "messages": [{"role": "user", "content": [*blocks, {"type": "text", "text": question}]}]}


def _dump(message: Any) -> list[dict[str, Any]]:
    return [b.model_dump(exclude={"parsed_output"}) for b in message.content]


def _created_and_streamed(client: anthropic.Anthropic, kwargs: dict[str, Any]) -> Any:
    created = client.messages.create(**kwargs)
    with client.messages.stream(**kwargs) as stream:
        streamed = stream.get_final_message()
    assert _dump(streamed) == _dump(created)
    return created


def _cited(message: Any) -> list[tuple[str, Any]]:
    return [(b.text, c) for b in message.content if b.type == "text" for c in b.citations or []]


def test_plain_text_document_is_cited_by_characters(client: anthropic.Anthropic) -> None:
    message = _created_and_streamed(client, _kwargs(_document()))
    cited = _cited(message)
    assert [text for text, _ in cited] == ["The grass is green.", "The sky is blue."]
    for text, citation in cited:
        assert isinstance(citation, CitationCharLocation)
        assert citation.document_index == 0 and citation.document_title == "My Document"
        assert citation.cited_text == GRASS[citation.start_char_index:citation.end_char_index]
        assert citation.cited_text.strip() == text
    # the sentence chunk keeps its trailing space, as the API's does
    assert (cited[0][1].start_char_index, cited[0][1].end_char_index) == (0, 20)
    # only cited blocks carry citations; the answer reads as one text
    assert "".join(b.text for b in message.content).endswith("The grass is green. The sky is blue.")
    assert [b.citations for b in message.content if not b.text.strip().endswith(".")] == [None, None]
    # without citations enabled, nothing is cited
    assert not _cited(client.messages.create(**_kwargs(_document(enabled=False))))


def test_the_best_matching_sentence_of_the_right_document(client: anthropic.Anthropic) -> None:
    first = _document("Paris is the capital of France. It has many museums.", title="France")
    second = _document("Berlin is the capital of Germany.\nThe Spree river flows through Berlin.", title="Germany")
    message = _created_and_streamed(client, _kwargs(first, second, question="Which river flows through Berlin?"))
    ((text, citation),) = _cited(message)
    assert text == "The Spree river flows through Berlin."
    assert citation.document_index == 1 and citation.document_title == "Germany"
    assert second["source"]["data"][citation.start_char_index:citation.end_char_index] == text


def test_streamed_citations_come_before_the_cited_text(client: anthropic.Anthropic) -> None:
    events = list(client.messages.create(stream=True, **_kwargs(_document())))
    starts = {e.index: e.content_block for e in events if e.type == "content_block_start"}
    cited = {i for i, block in starts.items() if block.citations is not None}
    assert cited and all(starts[i].citations == [] for i in cited)
    for i in starts:
        deltas = [e.delta.type for e in events if e.type == "content_block_delta" and e.index == i]
        if i in cited:
            assert deltas[0] == "citations_delta" and set(deltas[1:]) == {"text_delta"}
        else:
            assert set(deltas) == {"text_delta"}


def test_content_document_is_cited_by_blocks(client: anthropic.Anthropic) -> None:
    doc = {"type": "document", "title": "Minutes", "citations": {"enabled": True},
           "source": {"type": "content", "content": [{"type": "text", "text": "Budget approved: 40,000 euros."},
                                                     {"type": "text", "text": "Next meeting on the 3rd of May."}]}}
    message = _created_and_streamed(client, _kwargs(doc, question="When is the next meeting?"))
    ((text, citation),) = _cited(message)
    assert isinstance(citation, CitationContentBlockLocation)
    assert (citation.start_block_index, citation.end_block_index) == (1, 2)
    assert citation.cited_text == text == "Next meeting on the 3rd of May."
    assert (citation.document_index, citation.document_title) == (0, "Minutes")


def test_search_results_are_cited_in_messages_and_tool_results(client: anthropic.Anthropic) -> None:
    def result(source: str, title: str, *texts: str) -> dict[str, Any]:
        return {"type": "search_result", "source": source, "title": title, "citations": {"enabled": True},
                "content": [{"type": "text", "text": t} for t in texts]}

    tool = {"name": "search_docs", "description": "Search the docs.",
            "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}
    kwargs: dict[str, Any] = {"model": DEFAULT_MODEL, "max_tokens": 1024, "tools": [tool], "messages": [
        {"role": "user", "content": [result("https://example.com/a", "Intro", "Claude writes answers."),
                                     {"type": "text", "text": "Search the docs: how long is the cache TTL?"}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_01", "name": "search_docs",
                                           "input": {"query": "cache TTL"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": [
            result("https://example.com/cache", "Prompt caching", "Caching saves money.",
                   "The cache TTL is 5 minutes by default.")]}]},
    ]}
    message = _created_and_streamed(client, kwargs)
    ((text, citation),) = _cited(message)
    assert isinstance(citation, CitationsSearchResultLocation)
    assert citation.search_result_index == 1  # the second search result of the request
    assert (citation.source, citation.title) == ("https://example.com/cache", "Prompt caching")
    assert (citation.start_block_index, citation.end_block_index) == (1, 2)
    assert citation.cited_text == text == "The cache TTL is 5 minutes by default."


def test_stream_view_keeps_the_citations(client: anthropic.Anthropic) -> None:
    created = client.messages.create(**_kwargs(_document()))
    view = claude_widgets.stream(client, display=False, **_kwargs(_document()))
    message = view.wait(timeout=30)
    assert message is not None
    assert [b.citations for b in message.content] == [b.citations for b in created.content]
    data, _ = view._repr_mimebundle_()
    assert data["text/plain"] == "".join(b.text for b in created.content)
    assert "The grass is green." in data["text/html"]
    # the record: one paragraph with the marks, the sources after it (live: tests/browser/test_citations_view.py)
    html = data["text/html"]
    assert "<p>According to “My Document”: The grass is green.<sup class=\"cw-cite\">[1]</sup> The sky is blue." \
           "<sup class=\"cw-cite\">[2]</sup></p>" in html
    assert html.count('<span class="cw-source-title">My Document</span>') == 2


def test_record_of_a_cited_answer_keeps_model_text_and_plain_fallbacks_honest() -> None:
    """The model's own mark characters are not citations; a plain-text fallback has no marks."""
    from types import SimpleNamespace

    from claude_widgets._static import record_html

    def block(text: str, cites: int = 0, done: bool = True) -> SimpleNamespace:
        c = {"type": "char_location", "cited_text": "q", "document_index": 0, "document_title": None}
        return SimpleNamespace(kind="text", text=lambda: text, citations=[c] * cites, done=done)

    status = {"state": "done", "stop_reason": "end_turn", "input_tokens": 1, "output_tokens": 1, "model": "m",
              "error": None, "elapsed": 1.0}
    html = record_html([block("Fake\uf005 mark. "), block("Cited.", 1)], status)
    assert "Fake\ufffd mark. Cited.<sup class=\"cw-cite\">[1]</sup>" in html
    assert '<span class="cw-source-title">Document 1</span>' in html
    deep = "> " * 40 + "too deep"
    html = record_html([block("Intro.\n\n"), block(deep, 2)], status)
    assert "cw-plain" in html and "cw-cite" not in html.split("<style>")[0] + html.split("</style>")[1]
    assert "\uf000" not in html and "\uf001" not in html


SCHEMA = {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"],
          "additionalProperties": False}


def test_citations_and_structured_outputs_are_incompatible(client: anthropic.Anthropic) -> None:
    """The API answers 400 to both at once (its structured outputs guide; anthropics/claude-code#19417)."""
    import pytest

    search = {"type": "search_result", "source": "https://example.com", "title": "Sky", "citations": {"enabled": True},
              "content": [{"type": "text", "text": "The sky is blue."}]}
    for block in (_document(), search):
        kwargs = {**_kwargs(block), "output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}}
        with pytest.raises(anthropic.BadRequestError, match="Citations cannot be used with structured outputs"):
            client.messages.create(**kwargs)
        with pytest.raises(anthropic.BadRequestError), client.messages.stream(**kwargs) as s:
            s.get_final_message()
    # citations off: a document is just context
    plain = {**_kwargs(_document(enabled=False)), "output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}}
    assert client.messages.create(**plain).content[0].type == "text"


def test_a_mark_inside_a_link_never_becomes_markup_there() -> None:
    """A block boundary inside a link's URL or title puts a mark in an attribute: dropped there."""
    from claude_widgets._sources import marks_html

    html = '<p><a href="https://x.test/\uf000" title="a>b\uf001">t\uf002</a> end\uf003</p>'
    assert marks_html(html) == ('<p><a href="https://x.test/" title="a>b">t<sup class="cw-cite">[3]</sup></a> '
                                'end<sup class="cw-cite">[4]</sup></p>')

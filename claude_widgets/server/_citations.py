"""Citations: an answer that quotes the request's documents and search results, and says where from.

The API's rules (platform.claude.com/docs/en/build-with-claude/citations and
.../search-results), and the shapes of the SDK's types (``anthropic.types.Citation*``):

- A ``document`` or ``search_result`` block with ``citations: {"enabled": true}`` can be
  cited. A plain-text document is chunked into sentences and cited as ``char_location``
  (0-based, end exclusive; a sentence's chunk keeps its trailing whitespace); a
  ``content`` document is chunked by its text blocks and cited as
  ``content_block_location``; a search result by its text blocks, as
  ``search_result_location``. ``document_index`` counts every document of the request and
  ``search_result_index`` every search result (in messages and tool results), in order.
  PDFs are cited by page after text extraction, which the offline server cannot do, so
  they are not cited.
- The answer is split into text blocks: uncited text, and blocks that carry
  ``citations``. Streamed, a cited block starts with ``"citations": []`` and its
  ``citations_delta`` events come before the cited text's ``text_delta`` events; an
  uncited block has no ``citations`` at all. (A recording of the real API in
  prism-php/prism, tests/Fixtures/anthropic/stream-with-citations-1.sse, and its
  non-streaming twin generate-text-with-text-document-citations-1.json.)

What is cited is deterministic: the chunks that share the most words with the question
(up to :data:`MAX_CITED`, in document order), or the first chunk when none does. The
answer quotes them, so it says something true about the document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._answer import Answer, Block

if TYPE_CHECKING:  # _request asks this module whether citations were requested
    from ._request import MessagesRequest

MAX_CITED = 2
_SENTENCE = re.compile(r"\S.*?(?:[.!?]+(?=\s|$)|(?=\n)|$)\s*", re.DOTALL)
_WORD = re.compile(r"[^\W\d_]{3,}")
_STOP = frozenset({
    "the", "and", "for", "are", "was", "were", "what", "which", "who", "whom", "whose", "when", "where", "why",
    "how", "does", "did", "has", "have", "had", "this", "that", "these", "those", "with", "from", "into", "about",
    "there", "their", "they", "them", "you", "your", "can", "could", "would", "should", "will", "tell", "say",
    "says", "said", "please", "document", "documents", "text", "source", "sources", "according", "answer",
    "use", "using", "cite", "citations", "citation", "search", "result", "results", "give", "its", "any", "all",
})


@dataclass(frozen=True)
class Chunk:
    """One citable unit and the citation that points at it."""

    text: str
    citation: dict[str, Any]
    label: str
    """How the answer names the source: “its title”, or “the document”."""


def _enabled(block: dict[str, Any]) -> bool:
    config = block.get("citations")
    return isinstance(config, dict) and config.get("enabled") is True


def _text_blocks(content: Any) -> list[str | None]:
    """The text of each block of a content list (None for blocks that are not text: not citable)."""
    if isinstance(content, str):
        return [content]
    if not isinstance(content, list):
        return []
    return [b.get("text") if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)
            else None for b in content]


def _label(title: Any, default: str) -> str:
    return f"“{title}”" if isinstance(title, str) and title else default


def _document_chunks(doc: dict[str, Any], index: int) -> Iterator[Chunk]:
    source = doc.get("source") if isinstance(doc.get("source"), dict) else {}
    assert isinstance(source, dict)
    title = doc.get("title") if isinstance(doc.get("title"), str) else None
    label = _label(title, "the document")
    common = {"document_index": index, "document_title": title, "file_id": None}
    if source.get("type") == "text" and isinstance(source.get("data"), str):
        for m in _SENTENCE.finditer(source["data"]):
            yield Chunk(m.group(), {"type": "char_location", "cited_text": m.group(), **common,
                                    "start_char_index": m.start(), "end_char_index": m.end()}, label)
    elif source.get("type") == "content":
        for j, text in enumerate(_text_blocks(source.get("content"))):
            if text:
                yield Chunk(text, {"type": "content_block_location", "cited_text": text, **common,
                                   "start_block_index": j, "end_block_index": j + 1}, label)


def _search_result_chunks(result: dict[str, Any], index: int) -> Iterator[Chunk]:
    title = result.get("title") if isinstance(result.get("title"), str) else None
    for j, text in enumerate(_text_blocks(result.get("content"))):
        if text:
            yield Chunk(text, {"type": "search_result_location", "cited_text": text, "search_result_index": index,
                               "source": str(result.get("source", "")), "title": title,
                               "start_block_index": j, "end_block_index": j + 1},
                        _label(title, "the search result"))


def _citable(req: MessagesRequest) -> Iterator[tuple[str, dict[str, Any], int]]:
    """Every document and search result of the request, in order, with its index among its kind."""
    documents = results = 0
    for message in req.conversation:
        blocks = list(message["content"])
        while blocks:
            block = blocks.pop(0)
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_result" and isinstance(block.get("content"), list):
                blocks[:0] = block["content"]  # search results returned by a tool count in place
            elif block.get("type") == "document":
                yield "document", block, documents
                documents += 1
            elif block.get("type") == "search_result":
                yield "search_result", block, results
                results += 1


def chunks(req: MessagesRequest) -> list[Chunk]:
    """Every citable chunk of the request, in order."""
    out: list[Chunk] = []
    for kind, block, index in _citable(req):
        if _enabled(block):
            out.extend(_document_chunks(block, index) if kind == "document" else _search_result_chunks(block, index))
    return out


def requested(req: MessagesRequest) -> bool:
    """Whether any document or search result of the request has citations enabled."""
    return any(_enabled(block) for _, block, _ in _citable(req))


def _words(text: str) -> set[str]:
    return {w.lower().removesuffix("s") for w in _WORD.findall(text) if w.lower() not in _STOP}


def _question(req: MessagesRequest) -> str:
    for message in reversed(req.conversation):
        texts = [b["text"] for b in message["content"] if b.get("type") == "text"]
        if message["role"] == "user" and texts:
            return "\n".join(texts)
    return ""


def chosen(req: MessagesRequest, found: list[Chunk]) -> list[Chunk]:
    """The chunks the answer cites: the best matches for the question, in document order."""
    asked = _words(_question(req))
    scores = [len(asked & _words(c.text)) for c in found]
    best = max(scores, default=0)
    if best == 0:
        return found[:1]
    return [c for c, s in zip(found, scores, strict=True) if s == best][:MAX_CITED]


def cite(answer: Answer, req: MessagesRequest, scenario: str | None) -> Answer:
    """``answer`` with its text replaced by a cited answer, when the request has citable sources.

    Tool calls go first (the search-results flow: a tool returns the results, the next
    answer cites them), and a scenario asked for by header keeps its script.
    """
    if scenario is not None or answer.stop_reason == "tool_use":
        return answer
    found = chunks(req)
    if not found:
        return answer
    cited = chosen(req, found)
    labels = list(dict.fromkeys(c.label for c in cited))
    intro = f"According to {labels[0]}: " if len(labels) == 1 else "According to the sources: "
    blocks = [b for b in answer.blocks if b.type == "thinking"] + [Block("text", intro)]
    for i, chunk in enumerate(cited):
        if i:
            blocks.append(Block("text", " "))
        blocks.append(Block("text", chunk.text.strip(), citations=[chunk.citation]))
    return Answer(blocks, answer.stop_reason)

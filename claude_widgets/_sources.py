"""Citations, as the view and the record show them: numbered marks in the text, sources after it.

Why here and not left in the ``Message``: a cited answer arrives as several text blocks
(``According to “My Document”: `` / ``The grass is green.`` [cited] / `` `` /
``The sky is blue.`` [cited]); shown block by block it became three paragraphs and an
empty one, with nothing saying where a claim came from. The API's text blocks are one
answer split where citations start and end (platform.claude.com/docs/en/build-with-claude/citations),
so a *run* of adjacent text blocks is rendered as one Markdown text, each cited block
followed by its marks ``[1]``, and the run by a numbered list of its sources.

How a mark gets into rendered Markdown without being Markdown: each is one character of
the Private Use Area (``MARK_BASE`` + its index in the answer) appended to its block's
text, which every renderer passes through as plain text (even inside code); the rendered,
sanitised HTML then has each such character in a text node replaced by
``<sup class="cw-cite">[n]</sup>``. The model's own characters in that range are shown as
U+FFFD in a run (they would otherwise read as marks). ``static/view.js`` does the same:
``TextRun``, ``citeMarks``, ``SourcesItem``.

A citation's display fields are computed here once (``cite_info``), sent to the browser
as they are (the ``cite`` op, the snapshot's ``citations``), and used by the record.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["MARK_BASE", "cite_info", "mark", "marks_html", "run_source", "sources_html", "strip_marks"]

MARK_BASE = 0xF000
_MARK_COUNT = 0x900  # U+F000–U+F8FF: the last 2,304 characters of the Private Use Area
_MARKS = re.compile("[\uf000-\uf8ff]")
# a tag (its attribute values quoted, as nh3 writes them: a ">" may sit inside one), or a mark
_TAG_OR_MARK = re.compile("<(?:[^>\"']|\"[^\"]*\"|'[^']*')*>|[\uf000-\uf8ff]")


def _get(c: Any, name: str) -> Any:
    return c.get(name) if isinstance(c, dict) else getattr(c, name, None)


def _http(url: Any) -> str | None:
    return url if isinstance(url, str) and re.match(r"https?://", url, re.IGNORECASE) else None


def cite_info(c: Any) -> dict[str, Any]:
    """What the view shows of a citation (an SDK ``TextCitation`` or its dict): its source's
    title, a link when the source is a web page, where in it (pages), and the quoted text.

    The fields by type (``anthropic.types``: ``CitationCharLocation``, ``CitationPageLocation``
    (pages 1-based, end exclusive), ``CitationContentBlockLocation``,
    ``CitationsWebSearchResultLocation``, ``CitationsSearchResultLocation``).
    """
    kind = _get(c, "type")
    title = _get(c, "document_title") or _get(c, "title")
    url = _http(_get(c, "url")) or _http(_get(c, "source"))
    if not title:
        if kind == "search_result_location":
            title = _get(c, "source") or f"Search result {int(_get(c, 'search_result_index') or 0) + 1}"
        elif kind == "web_search_result_location":
            title = url or "Web page"
        else:
            title = f"Document {int(_get(c, 'document_index') or 0) + 1}"
    where = ""
    if kind == "page_location":
        start, end = _get(c, "start_page_number"), _get(c, "end_page_number")
        if isinstance(start, int) and isinstance(end, int):
            where = f"p. {start}" if end <= start + 1 else f"pp. {start}–{end - 1}"
    # a sentence's chunk keeps its trailing whitespace in ``cited_text``: not worth showing
    return {"title": str(title), "url": url, "where": where, "quote": str(_get(c, "cited_text") or "").strip()}


def mark(n: int) -> str:
    """The character that stands for citation ``n`` (0-based, in the answer) in a run's text."""
    return chr(MARK_BASE + n) if n < _MARK_COUNT else ""


def run_source(texts: Sequence[str], citations: Sequence[Sequence[Any]], done: Sequence[bool],
               start: int) -> str:
    """A run's Markdown: its blocks' texts, each done block followed by its citations' marks
    (numbered from ``start``). The model's own characters in the marks' range become U+FFFD."""
    out: list[str] = []
    n = start
    for text, cites, finished in zip(texts, citations, done, strict=True):
        out.append(_MARKS.sub("\ufffd", text))
        if finished:
            out.extend(mark(n + k) for k in range(len(cites)))
        n += len(cites)
    return "".join(out)


def _mark_html(m: re.Match[str]) -> str:
    s = m[0]
    if s.startswith("<"):
        return _MARKS.sub("", s)  # a mark inside a tag (an attribute): dropped, never markup there
    return f'<sup class="cw-cite">[{ord(s) - MARK_BASE + 1}]</sup>'


def marks_html(rendered: str) -> str:
    """Rendered, sanitised HTML of a run → each mark in its text a ``[n]`` superscript."""
    return _TAG_OR_MARK.sub(_mark_html, rendered) if _MARKS.search(rendered) else rendered


def strip_marks(text: str) -> str:
    """A run's text without its marks (the plain-text fallback shows the text as it came)."""
    return _MARKS.sub("", text)


def sources_html(infos: Sequence[dict[str, Any]], start: int) -> str:
    """The numbered list of a run's sources (view.js: ``SourcesItem``, the same markup)."""
    items = []
    for info in infos:
        title = html.escape(info["title"], quote=False)
        url = info.get("url")
        head = (f'<a class="cw-source-title" href="{html.escape(url)}">{title}</a>' if url
                else f'<span class="cw-source-title">{title}</span>')
        where = f'<span class="cw-source-where">{html.escape(info["where"], quote=False)}</span>' if info["where"] else ""
        quote = html.escape(info["quote"], quote=False)
        items.append(f'<li>{head}{where}<span class="cw-source-quote">{quote}</span></li>')
    return f'<ol class="cw-sources-list" start="{start + 1}">{"".join(items)}</ol>'

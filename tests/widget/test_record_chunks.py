"""A long record's text in lazily laid-out chunks (``_chunks``): the same HTML, only wrapped,
and wrapped only where the wrapping cannot move anything.

That the page then lays the record out as the live view, box for box, is
``tests/browser/test_look_lab.py[long]``; what it saves the page,
``tests/browser/test_browser_costs.py``.
"""

from __future__ import annotations

import itertools
import re

from claude_widgets._chunks import CHUNK_CHARS, MIN_CHARS, chunked
from claude_widgets._static import markdown_html
from claude_widgets._view import StreamView
from claude_widgets.server import _tokens
from claude_widgets.server._scenarios import _long_sections

from ._factory import raw_events

WRAPPER = re.compile(r'<div class="cw-chunk" style="contain-intrinsic-size:auto (\d+)px">')


def long_answer(tokens: int) -> str:
    pieces: list[str] = []
    for section in _long_sections():
        pieces += _tokens.pieces(section)
        if len(pieces) >= tokens:
            break
    return "".join(pieces[:tokens])


def top_level(html: str) -> list[tuple[int, str]]:
    """(offset, name) of each top-level element."""
    depth, out = 0, []
    for m in re.finditer(r"<(/?)([a-z][a-z0-9]*)[^>]*>", html):
        if m[1]:
            depth -= 1
            continue
        if depth == 0:
            out.append((m.start(), m[2]))
        if m[2] not in ("br", "hr", "img"):
            depth += 1
    return out


def test_a_short_text_is_left_as_it_is() -> None:
    html = markdown_html(long_answer(1500))
    assert len(html) < MIN_CHARS
    assert chunked(html) == html


def test_a_long_text_is_the_same_html_wrapped_where_nothing_can_move() -> None:
    html = markdown_html(long_answer(20_000))
    out = chunked(html)
    heights = [int(h) for h in WRAPPER.findall(out)]
    assert len(heights) >= len(html) // (2 * CHUNK_CHARS), len(heights)
    assert all(20 <= h < 20_000 for h in heights)
    # the wrappers are the only change
    assert re.sub(r"</div>", "", WRAPPER.sub("", out)) == re.sub(r"</div>", "", html)
    # each chunk is whole top-level blocks, starts with a paragraph, code block or table not
    # after a heading, and neither the first nor the last block is in one
    tops = top_level(out)
    names = [n for _, n in tops]
    assert names[0] != "div" and names[-1] != "div"
    for k, (at, name) in enumerate(tops):
        if name != "div":
            continue
        inner = top_level(out[out.index(">", at) + 1:])
        assert inner[0][1] in ("p", "pre", "table"), inner[:2]
        assert names[k - 1] not in ("h1", "h2", "h3", "h4", "h5", "h6"), names[k - 1:k + 1]
    # the chunks are about CHUNK_CHARS each
    starts = [at for at, name in tops if name == "div"]
    assert all(b - a >= CHUNK_CHARS for a, b in itertools.pairwise(starts))


def test_a_quoted_greater_than_in_an_attribute_does_not_cut_inside_a_tag() -> None:
    para = '<p><a href="https://example.com/?q=a>b" title="x > y">link</a> ' + "word " * 400 + "</p>\n"
    html = "<h2>Title</h2>\n" + para * 12 + "<ul>\n<li><p>nested</p></li>\n</ul>\n"
    out = chunked(html)
    assert WRAPPER.search(out)
    for m in WRAPPER.finditer(out):
        assert out[m.end():].startswith("<p><a href=")
    assert out.endswith("<ul>\n<li><p>nested</p></li>\n</ul>\n")  # the last block: outside, and its p not a cut


def test_the_record_of_a_long_answer_has_chunks_and_their_style() -> None:
    view = StreamView()
    view.consume(raw_events([{"type": "text", "text": long_answer(20_000)}], size=40))
    view.wait(timeout=60)
    record = view._repr_mimebundle_()[0]["text/html"]
    assert len(WRAPPER.findall(record)) >= 10
    assert ".cw-chunk{content-visibility:auto" in record.replace(" ", "")


def test_the_record_drops_only_the_newlines_between_blocks() -> None:
    """The renderer's newline before a block tag lays out as nothing and costs the page a text
    node per block; the newlines that show (a code block's lines, a paragraph's soft breaks,
    which ``.cw-md p`` keeps as pre-line) stay."""
    src = ("# Title\n\nline one\nline two\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n"
           "> quoted\n\n```python\ndef f():\n    return 1\n```\n\nafter")
    html = markdown_html(src)
    between = re.findall(r">\n</?(\w+)", html)
    assert between == ["code"], (between, html)  # only the code's last line end, which is the code's
    assert "line one\nline two" in html
    code = re.search(r"<pre[^>]*><code[^>]*>(.*?)</code></pre>", html, re.DOTALL)
    assert code and code[1].count("\n") == 2, html
    # a long answer: none before any block (code lines between highlighted spans keep theirs)
    long = markdown_html(long_answer(20_000))
    blocks = {"p", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "blockquote", "pre", "div",
              "hr", "h1", "h2", "h3", "h4", "h5", "h6"}
    assert not blocks & set(re.findall(r">\n</?(\w+)", long))
    assert long.count("</p>") > 100 and long.count("<pre") > 10

"""A long record's text in chunks the page may leave unrendered while they are off screen.

Why: when a finished view is replaced by its record, JupyterLab renders the record's HTML in
one task, and its cell then reads the output's height (``updatePromptOverlayIcon``), which
forces the style and layout of all of it at once: for a 50k-token answer (12,600 elements)
a 160-190 ms task, and a frame as long (``bench/profile_burst.py --sink record-html``). The
middle of a long text is wrapped in chunks of ``content-visibility: auto`` (view.css,
``.cw-chunk``): the browser skips the style and layout of a chunk's contents while it is off
screen, and sizes it by its ``contain-intrinsic-size`` (an estimate here; once rendered the
browser remembers the real size: the ``auto`` keyword). The text stays in the document:
find-in-page, selection, copying and screen readers see all of it.

Layout-neutral by construction, so the record still lays out box for box as the live view
(which has no chunks): a chunk's contents do not share margins with what is outside it
(layout containment), so a chunk starts only at a top-level paragraph, code block or table,
whose top margin is 0 (view.css says so wherever the host's stylesheet might not): the gap
before it is the previous block's bottom margin, with or without the chunk; and
the first and last blocks of the text are never in one (their outer margins stay as they
are). Nor does a chunk end with a heading: JupyterLab halves a last child heading's bottom
margin (``.jp-RenderedHTMLCommon h2:last-child``), which it would then become. A chunk scrolls sideways (view.css) rather than clip a wide table (paint containment).

Where the stylesheet is stripped (GitHub, a sanitising viewer) a chunk is a plain ``div``.
"""

from __future__ import annotations

import itertools
import re

__all__ = ["chunked"]

CHUNK_CHARS = 4_000
"""A chunk's size in HTML characters, at least: ~30-60 elements, a screen or two of text."""
MIN_CHARS = 3 * CHUNK_CHARS
"""Shorter texts are left as they are: they render fast enough whole."""

# a tag of well-formed HTML (the sanitiser's output; quoted attribute values may hold "<" and
# ">"), or a whole code block (its code is escaped text in the highlighter's spans)
_TAG = re.compile(r"""<pre\b[^>]*>.*?</pre>|<(/?)([a-z][a-z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>""",
                  re.DOTALL)  # names: lower case, as the sanitiser writes them
_VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
_STARTS = frozenset({"p", "pre", "table"})  # blocks with no top margin (view.css)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

# The estimate of a chunk's height (px): a sum over what the chunk holds, with weights fitted
# to real heights (bench/chunk_heights.py: JupyterLab 4 in headless Chromium, an output 848 px
# wide in a 1280 px window, JupyterLab's 14 px text; six shapes of answer, each chunk's height
# once rendered). Used only until the chunk is first shown: where it is right, the page's
# height (and its scrollbar) does not move when the chunk renders. Other widths and fonts wrap
# prose differently; code lines, rows and margins stay.
_PX_PER_CHAR = 0.204  # a character of text outside code blocks (a wrapped line: ~110 of them)
_PX_PER_CODE_LINE = 18.5
_PX_PER_BLOCK = {"pre": 16.9, "p": 21.2, "li": 13.8, "tr": 11.5, "h": 52.7, "table": 79.9}
_CODE_BLOCK = re.compile(r"<pre\b.*?</pre>", re.DOTALL)
_ANY_TAG = re.compile(r"<[^>]*>")
_BLOCK_TAG = re.compile(r"<(p|li|tr|h[1-6]|table)[\s>]")  # outside code blocks (counted apart)


def chunked(body: str) -> str:
    """``body`` (a text's sanitised HTML) with its middle in ``.cw-chunk`` wrappers, if long."""
    if len(body) < MIN_CHARS:
        return body
    cuts = _cuts(body)
    if len(cuts) < 2:
        return body
    out = [body[:cuts[0]]]
    for a, b in itertools.pairwise(cuts):
        piece = body[a:b]
        out.append(f'<div class="cw-chunk" style="contain-intrinsic-size:auto {_height(piece)}px">{piece}</div>')
    out.append(body[cuts[-1]:])
    return "".join(out)


def _cuts(body: str) -> list[int]:
    """Where chunks start and the last one ends: at top-level ``p``, ``pre`` or ``table`` tags not
    after a heading, ≥ CHUNK_CHARS apart (the last cut leaves the text's last block outside)."""
    cuts: list[int] = []
    last_top = 0  # the last top-level element's start
    prev = ""  # the last top-level element's name
    depth = 0
    mark = 0
    for m in _TAG.finditer(body):
        closing, name = m[1], m[2] or "pre"
        if closing:
            depth -= 1
            continue
        if depth == 0:
            at = m.start()
            last_top = at
            if name in _STARTS and prev and prev not in _HEADINGS and at - mark >= CHUNK_CHARS:
                cuts.append(at)
                mark = at
            prev = name
        if m[2] and name not in _VOID and not m[3].rstrip().endswith("/"):
            depth += 1
    while cuts and cuts[-1] >= last_top:  # the last block stays out of every chunk
        cuts.pop()
    return cuts


def _features(piece: str) -> dict[str, float]:
    """What a chunk's height is made of: text, code lines and block tags, counted, not laid out
    (a few milliseconds over a whole long answer)."""
    code = _CODE_BLOCK.findall(piece)
    rest = _CODE_BLOCK.sub("", piece)
    counts: dict[str, float] = dict.fromkeys(_PX_PER_BLOCK, 0)
    for m in _BLOCK_TAG.finditer(rest):
        name = m[1]
        counts["h" if name[0] == "h" else name] += 1
    counts["pre"] = len(code)
    counts["chars"] = len(_ANY_TAG.sub("", rest))
    counts["code_lines"] = sum(c.count("\n") + 1 for c in code)
    return counts


def _height(piece: str) -> int:
    f = _features(piece)
    px = (f["chars"] * _PX_PER_CHAR + f["code_lines"] * _PX_PER_CODE_LINE
          + sum(f[k] * w for k, w in _PX_PER_BLOCK.items()))
    return max(20, int(px + 0.5))

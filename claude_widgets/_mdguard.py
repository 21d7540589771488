"""Is a Markdown text too deeply nested to render? One linear pre-pass, before any parser runs.

Why: model output is untrusted, and Markdown parsers recurse once per nesting level.
markdown-it-pyrs (the record's renderer) overflows its native stack on ~50,000 nested
list or quote markers and kills the kernel (SIGSEGV, nothing to catch); marked (the live
view's) throws ``RangeError`` at ~3,000 levels, and both spend time quadratic in the depth
well before that (20,000 nested ``- `` take pyrs 8 s; 1,000 nested ``_a`` … ``a_`` take
marked 0.3 s for 6 KB). No real answer nests 20 lists, quotes or emphases deep, so a text
that does is shown as plain text, with a note saying why, by the record and by the live
view alike. ``static/view.js`` (``NestingGuard``) implements the same rules; a browser
test checks that both give the same verdict.

The rules, per line (``\\n``-separated; text inside fenced code is skipped):

- *Containers*: the markers a line opens with — ``>``, a bullet (``-``, ``+``, ``*``) or
  an ordered marker (1–9 digits, then ``.`` or ``)``), each followed by a space, a tab
  or the line's end — plus, when there is at least one, the indentation before the first
  one, counted as one level per 2 columns (how nesting is written across lines).
- *Emphasis*: runs of ``*``, ``_`` or ``~`` that can open or close emphasis (CommonMark's
  flanking rules, with ASCII whitespace and punctuation), paired like brackets whatever
  their kind, within a paragraph (a blank line ends one): the deepest pair counts.
  Unpaired openers cost nothing, so ``*.py *.js`` or prices are never a problem.

A level above ``MAX_NESTING`` makes the text too deep. The check over-estimates rather
than under-estimates: a false alarm shows a legitimate text as plain text, a miss could
crash the kernel.
"""

from __future__ import annotations

import re

__all__ = ["MAX_LINE", "MAX_NESTING", "TOO_DEEP", "TOO_LONG", "too_deep", "too_long"]

MAX_NESTING = 20
"""Deepest nesting rendered as Markdown (containers, or paired emphasis)."""

TOO_DEEP = "nesting too deep to render"
"""The reason shown when :func:`too_deep` finds a level above ``MAX_NESTING``."""

MAX_LINE = 20_000
"""Longest line rendered as Markdown. Inline parsing is superlinear on crafted lines
(1 MB of ``[x``: marked, re-rendering the growing tail, held the page for 55 s; the
record 1.2 s), and no answer a reader reads has a 20,000-character line; such a block is
shown as plain text, all of it, live (``view.js``, the same constant) and in the record."""

TOO_LONG = "a line too long to render as Markdown"


def too_long(text: str) -> str | None:
    """:data:`TOO_LONG` if a line of ``text`` is longer than :data:`MAX_LINE`, else None (linear)."""
    start = 0
    n = len(text)
    while start < n:
        end = text.find("\n", start)
        if end < 0:
            end = n
        if end - start > MAX_LINE:
            return TOO_LONG
        start = end + 1
    return None

_PREFIX = re.compile(r"[ \t]*(?:(?:>|[-+*](?=[ \t]|$)|[0-9]{1,9}[.)](?=[ \t]|$))[ \t]*)")
_LEAD = re.compile(r"[ \t]*")
_QUOTE = re.compile(r"[ \t]{0,3}> ?")
_FENCE_OPEN = re.compile(r"[ \t]{0,3}(`{3,}|~{3,})([^\n]*)")
_RUNS = re.compile(r"\*+|_+|~+")
_WS = frozenset(" \t\r\n\f\v")
_MAY_OPEN = frozenset(" \t>-+*0123456789")
"""The characters a line's container prefix (``_PREFIX``) or its indentation can start with."""
_MAY_FENCE = frozenset(" \t`~")
_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_PAIR_AFTER = MAX_NESTING
"""Emphasis is paired only when it could matter: while a paragraph holds at most this many
delimiter characters, no pair in it can be deeper than ``MAX_NESTING`` (each run opens one
level at most), so its lines wait unpaired; past it, they are paired, then the rest as
they come."""


def _columns(ws: str) -> int:
    col = 0
    for c in ws:
        col = col + 4 - col % 4 if c == "\t" else col + 1
    return col


def _prefix(line: str) -> tuple[int, int]:
    """(container depth, where the content starts); stops counting past ``MAX_NESTING``."""
    markers, pos = 0, 0
    while markers <= MAX_NESTING:
        m = _PREFIX.match(line, pos)
        if not m:
            break
        markers += 1
        pos = m.end()
    if not markers:
        return 0, _LEAD.match(line).end()  # type: ignore[union-attr]
    return markers + _columns(_LEAD.match(line).group()) // 2, pos  # type: ignore[union-attr]


def _emphasis(line: str, start: int, depth: int) -> tuple[int, int]:
    """Pair the line's delimiter runs; (open runs left, deepest pair) after it."""
    deepest = 0
    for m in _RUNS.finditer(line, start):
        i, j = m.span()
        prev = line[i - 1] if i > 0 else "\n"
        nxt = line[j] if j < len(line) else "\n"
        left = nxt not in _WS and (nxt not in _PUNCT or prev in _WS or prev in _PUNCT)
        right = prev not in _WS and (prev not in _PUNCT or nxt in _WS or nxt in _PUNCT)
        if m.group()[0] == "_":
            can_open, can_close = left and (not right or prev in _PUNCT), right and (not left or nxt in _PUNCT)
        else:
            can_open, can_close = left, right
        if can_close and depth:
            deepest = max(deepest, depth)
            depth -= 1
        elif can_open:
            depth += 1
    return depth, deepest


def _quotes(line: str, want: int) -> tuple[int, int]:
    """Strip up to ``want`` leading ``>`` markers; (how many, where the rest starts)."""
    n, pos = 0, 0
    while n < want:
        m = _QUOTE.match(line, pos)
        if not m:
            break
        n, pos = n + 1, m.end()
    return n, pos


def too_deep(text: str) -> str | None:
    """``TOO_DEEP`` if ``text`` nests deeper than ``MAX_NESTING``, else None. Linear time.

    A fenced code block is skipped (only its lines' container markers count) until its
    closing fence, or until a line leaves the container the fence was opened in: fewer
    ``>`` than the opening line, or less indentation than a list item's content.
    """
    fence: tuple[str, int, int, int] | None = None  # (char, length, quotes, content indent)
    open_runs = 0
    delimiters = 0  # the paragraph's delimiter characters so far, counted up to _PAIR_AFTER + 1
    pending: list[tuple[str, int]] = []  # its lines with delimiters, not paired yet
    for line in text.split("\n"):
        # Most lines start with a letter: no container marker, no indentation, no fence, and
        # the regexes would only confirm it (the record is made before view.wait() returns).
        if line and line[0] not in _MAY_OPEN:
            depth = start = 0
        else:
            depth, start = _prefix(line)
            if depth > MAX_NESTING:
                return TOO_DEEP
        if fence is not None:
            ch, length, quotes, indent = fence
            n, pos = _quotes(line, quotes)
            rest = line[pos:]
            blank = not rest.strip(" \t\r\f\v")
            if blank or (n == quotes and _columns(_LEAD.match(rest).group()) >= indent):  # type: ignore[union-attr]
                run = rest.strip(" \t\r")
                if run and run[0] == ch and run == ch * len(run) and len(run) >= length:
                    fence = None
                continue
            fence = None  # the line left the fence's container: it ends there
        content = line[start:] if start else line
        m = _FENCE_OPEN.match(content) if content[:1] in _MAY_FENCE else None
        if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
            quotes, pos = _quotes(line, MAX_NESTING + 1)
            indent = _columns(line[pos:start]) if depth > quotes else 0
            fence, open_runs = (m.group(1)[0], len(m.group(1)), quotes, indent), 0
            delimiters = 0
            pending.clear()
            continue
        if not content.strip(" \t\r\f\v"):
            open_runs = 0  # a blank line ends the paragraph
            delimiters = 0
            pending.clear()
            continue
        if "*" in content or "_" in content or "~" in content:  # else no delimiter run: nothing changes
            if delimiters <= _PAIR_AFTER:
                delimiters += content.count("*") + content.count("_") + content.count("~")
                pending.append((line, start))
                if delimiters <= _PAIR_AFTER:
                    continue
                # pair the paragraph's lines so far (open_runs is still 0: nothing was paired), then
                # the rest as they come
                for held, held_start in pending[:-1]:
                    open_runs, deepest = _emphasis(held, held_start, open_runs)
                    if deepest > MAX_NESTING:
                        return TOO_DEEP
                pending.clear()
            open_runs, deepest = _emphasis(line, start, open_runs)
            if deepest > MAX_NESTING:
                return TOO_DEEP
    return None

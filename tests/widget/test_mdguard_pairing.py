"""``too_deep`` defers pairing emphasis until a paragraph has more delimiters than levels allowed.

The verdict must not change (the live view's ``NestingGuard`` gives the same one, see
``tests/browser/test_view_hostile.py``): checked against the previous implementation, which
paired every line with a delimiter as it came, on random Markdown dense in delimiter runs,
container markers, fences and blank lines.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from claude_widgets._mdguard import (
    _FENCE_OPEN,
    _LEAD,
    _MAY_FENCE,
    _MAY_OPEN,
    MAX_NESTING,
    TOO_DEEP,
    _columns,
    _emphasis,
    _prefix,
    _quotes,
    too_deep,
)


def reference(text: str) -> str | None:
    """``too_deep`` as it was before pairing was deferred: every delimiter line paired at once."""
    fence: tuple[str, int, int, int] | None = None  # (char, length, quotes, content indent)
    open_runs = 0
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
            continue
        if not content.strip(" \t\r\f\v"):
            open_runs = 0  # a blank line ends the paragraph
            continue
        if "*" in content or "_" in content or "~" in content:  # else no delimiter run: nothing changes
            open_runs, deepest = _emphasis(line, start, open_runs)
            if deepest > MAX_NESTING:
                return TOO_DEEP
    return None


_PIECES = st.sampled_from(["*", "**", "_", "__", "~", "~~", "a", " ", "\t", ".", "(", "\n", "\n\n", "> ", "- ",
                           "* ", "1. ", "  ", "```", "~~~", "`", "x*", "*x", "_x_", "**a**", "\\"])


@settings(max_examples=1500, deadline=None)
@given(pieces=st.lists(_PIECES, max_size=300))
def test_the_verdict_is_the_same_as_pairing_every_line(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert too_deep(text) == reference(text)


@given(depth=st.integers(MAX_NESTING - 2, MAX_NESTING + 3), first=st.integers(0, MAX_NESTING + 3),
       shallow=st.integers(0, 30))
def test_as_few_delimiters_as_a_too_deep_pair_needs(depth: int, first: int, shallow: int) -> None:
    """``depth`` openers then one closer, the openers split over two lines after balanced pairs:
    past the budget the paragraph's earlier lines are paired too, in order, from the first."""
    first = min(first, depth)
    text = "*a* " * shallow + "\n" + "_a " * first + "\n" + "_a " * (depth - first) + "a_"
    assert too_deep(text) == reference(text) == (TOO_DEEP if depth > MAX_NESTING else None)


@given(before=st.integers(0, MAX_NESTING), depth=st.integers(1, MAX_NESTING + 2), pairs=st.integers(0, 30),
       end=st.sampled_from(["\n\n", "\n   \n", "\n```\ncode\n```\n"]))
def test_a_paragraph_is_paired_on_its_own(before: int, depth: int, pairs: int, end: str) -> None:
    """Openers left unclosed by the previous paragraph (ended by a blank line or a fence) do not count."""
    text = "_a " * before + end + "*a* " * pairs + "_a " * depth + "a_"
    assert too_deep(text) == reference(text) == (TOO_DEEP if depth > MAX_NESTING else None)

"""The nesting guard's shortcuts never change its verdict.

``too_deep`` takes three shortcuts on the record's path: it skips the container and fence
regexes for a line whose first character cannot start them (``_MAY_OPEN``, ``_MAY_FENCE``:
character sets that must track the regexes by hand), and it pairs a paragraph's emphasis
only once the paragraph holds more than ``_PAIR_AFTER`` delimiter characters. A wrong
shortcut would let a deep text through to the parser (a kernel crash, on the record's
side) or flag a legitimate one. The reference is the same function with every shortcut
off (sets that contain every character; every line paired as it comes), so that the rest
of the guard is not copied here; the live view's ``NestingGuard`` is held to the same
verdicts by ``tests/browser/test_view_hostile.py``.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from claude_widgets import _mdguard
from claude_widgets._mdguard import MAX_NESTING, TOO_DEEP, too_deep


class _Everything:
    def __contains__(self, _: object) -> bool:
        return True


def reference(text: str) -> str | None:
    """``too_deep`` without its shortcuts: every line through the regexes, every delimiter line paired at once."""
    with mock.patch.multiple(_mdguard, _MAY_OPEN=_Everything(), _MAY_FENCE=_Everything(), _PAIR_AFTER=-1):
        return too_deep(text)


_CONTAINERS = st.sampled_from(["> ", "- ", "* ", "+ ", "1. ", "12) ", "  ", "\t", " ", "```", "~~~", "`", "*", "_", "~",
                               "**", "__", "a", "x y", ".", "\n", "\n\n", ">", "-", "9.", "\u00a0", "#"])
_EMPHASIS = st.sampled_from(["*", "**", "_", "__", "~", "~~", "a", " ", "\t", ".", "(", "\n", "\n\n", "> ", "- ",
                             "* ", "1. ", "  ", "```", "~~~", "`", "x*", "*x", "_x_", "**a**", "\\"])
# deep prefixes and emphasis make the verdict flip around MAX_NESTING, where a wrong shortcut shows
_NEAR = st.sampled_from([MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1])


@st.composite
def _near_the_bound(draw: Any) -> str:
    parts = draw(st.lists(_CONTAINERS, max_size=80))
    if draw(st.booleans()):
        lead = draw(st.sampled_from(["", " ", "  ", "\t", "a "]))
        marker = draw(st.sampled_from(["> ", "- ", "1. ", "* ", "_", "*"]))
        parts.insert(draw(st.integers(0, len(parts))), lead + marker * draw(_NEAR) + "x")
    return "".join(parts)


@settings(max_examples=3000, deadline=None)
@given(_near_the_bound())
def test_containers_and_fences_near_the_bound(text: str) -> None:
    assert too_deep(text) == reference(text)


@settings(max_examples=1500, deadline=None)
@given(pieces=st.lists(_EMPHASIS, max_size=300))
def test_paragraphs_dense_in_delimiters(pieces: list[str]) -> None:
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


def test_both_verdicts_are_reached() -> None:
    """A property over texts that are never too deep would prove nothing."""
    assert too_deep("- " * (MAX_NESTING + 1) + "x") == TOO_DEEP
    assert reference("  " + "> " * (MAX_NESTING + 1) + "x") == TOO_DEEP
    assert too_deep("- " * MAX_NESTING + "x") is None

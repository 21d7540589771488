"""The nesting guard's shortcuts never change its verdict.

``too_deep`` skips the container and fence regexes for a line whose first character
cannot start them (``_MAY_OPEN``, ``_MAY_FENCE``): those character sets must track the
regexes by hand, and a character missing from them would let a deep text through to the
parser (a kernel crash, on the record's side). Here the shortcuts are switched off (sets
that contain every character) and both verdicts must agree on texts built from the
characters Markdown nests with.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_widgets import _mdguard
from claude_widgets._mdguard import MAX_NESTING, TOO_DEEP, too_deep


class _Everything:
    def __contains__(self, _: object) -> bool:
        return True


def _reference(text: str, monkeypatch: pytest.MonkeyPatch) -> str | None:
    with monkeypatch.context() as m:
        m.setattr(_mdguard, "_MAY_OPEN", _Everything())
        m.setattr(_mdguard, "_MAY_FENCE", _Everything())
        return too_deep(text)


PIECES = st.sampled_from(["> ", "- ", "* ", "+ ", "1. ", "12) ", "  ", "\t", " ", "```", "~~~", "`", "*", "_", "~",
                          "**", "__", "a", "x y", ".", "\n", "\n\n", ">", "-", "9.", "\u00a0", "#"])
# deep prefixes and emphasis make the verdict flip around MAX_NESTING, where a wrong shortcut shows
NEAR = st.sampled_from([MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1])


@st.composite
def texts(draw: Any) -> str:
    parts = draw(st.lists(PIECES, max_size=80))
    if draw(st.booleans()):
        lead = draw(st.sampled_from(["", " ", "  ", "\t", "a "]))
        marker = draw(st.sampled_from(["> ", "- ", "1. ", "* ", "_", "*"]))
        at = draw(st.integers(0, len(parts)))
        parts.insert(at, lead + marker * draw(NEAR) + "x")
    return "".join(parts)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts())
def test_shortcuts_give_the_full_checks_verdict(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    assert too_deep(text) == _reference(text, monkeypatch)


def test_the_generator_reaches_both_verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A property over texts that are never too deep would prove nothing."""
    assert too_deep("- " * (MAX_NESTING + 1) + "x") == TOO_DEEP
    assert _reference("  " + "> " * (MAX_NESTING + 1) + "x", monkeypatch) == TOO_DEEP
    assert too_deep("- " * MAX_NESTING + "x") is None

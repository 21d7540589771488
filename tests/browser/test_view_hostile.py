"""The live view never shows less than it received under "Done" (issue 13.2).

marked throws RangeError on ~10 KB of nested list or quote markers, and its regexes
overflow on a 10 MB single line: before, the view stayed blank, or lost the text it had
not shown yet, and said "Done". Now a block that cannot be rendered is shown as plain
text, all of it, with a note, and the status line says so; the nesting rule is the
record's (claude_widgets/_mdguard.py), checked here to give the same verdict.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from claude_widgets._mdguard import MAX_NESTING, too_deep

from . import test_view_unit
from .test_view_unit import DOCS, TRICKY

unit = test_view_unit.unit  # the fixture: view.js in a blank page with the fake model

pytestmark = pytest.mark.browser

STREAM_JS = """async ([text, chunks]) => {
    const h = (await cwHarness()).initialize();
    const el = await h.addView();
    h.setStatus({state: "streaming"});
    h.ops([["start", 0, {type: "text", name: null, id: null}]]);
    const step = Math.ceil(text.length / chunks);
    for (let o = 0; o < text.length; o += step) {
        h.ops([["append", 0, o, text.slice(o, o + step)]]);
        await h.settle();
    }
    h.ops([["stop", 0, null]]);
    h.setStatus({state: "done"});
    await h.settle();
    const block = el.querySelector('.cw-text');
    const plain = block.querySelector('.cw-plain-text');
    const r = {
        plainText: plain ? plain.textContent === text : null,
        shown: el.querySelector('.cw-blocks').textContent.length,
        note: block.querySelector('.cw-render-note')?.textContent ?? null,
        fallback: el.querySelector('.cw-fallback').textContent,
        state: el.querySelector('.cw-state').textContent,
    };
    el.remove();
    return r;
}"""

HOSTILE = {
    "nested-list": ("'- '.repeat(5000) + 'x'", "nesting too deep to render"),
    "nested-quote": ("'>'.repeat(10000)", "nesting too deep to render"),
    "nested-emphasis": ("'_a '.repeat(3000) + 'a_ '.repeat(3000)", "nesting too deep to render"),
    "10MB-line": ("'abcdefghij'.repeat(1000000)", "a line too long to render as Markdown"),
    # marked's inline parsing is superlinear on brackets: 1 MB held the page for 55 s
    "1MB-brackets": ("'[x'.repeat(500000)", "a line too long to render as Markdown"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_is_shown_whole_with_a_note(unit: Any, page_events: Any, name: str) -> None:
    expr, reason = HOSTILE[name]
    result = unit.evaluate(f"() => (({STREAM_JS}))([{expr}, 50])")
    assert result["plainText"] is True, result
    assert result["note"] == f"Shown as plain text: {reason}"
    assert result["fallback"] == "1 block shown as plain text"
    assert result["state"] == "Done"
    assert page_events.errors == []


def test_plain_text_is_text_never_html(unit: Any) -> None:
    text = "- " * 30 + "<img src=x onerror=alert(1)> <b>bold</b>"
    result = unit.evaluate("(args) => ({STREAM_JS})(args)".replace("{STREAM_JS}", STREAM_JS), [text, 7])
    assert result["plainText"] is True
    assert unit.evaluate("() => document.querySelectorAll('img, b').length") == 0


def test_normal_answers_are_not_flagged(unit: Any) -> None:
    for name, text in DOCS.items():
        result = unit.evaluate(f"(args) => ({STREAM_JS})(args)", [text, 40])
        assert result["note"] is None and result["fallback"] == "", name


def _corpus() -> list[str]:
    rng = random.Random(13)
    pieces = ["- ", "> ", "1. ", "  ", "* ", "_a ", "a_ ", "*b ", "b* ", "~~c ", "c~~ ", "x ", "\n", "\n\n",
              "```\n", "~~~\n", "- ```\n", "> ```\n", "\t", "__", "**", "snake_case ", "$5 ", "(", ")", "`"]
    texts = [TRICKY, "- " * MAX_NESTING + "x", "- " * (MAX_NESTING + 1) + "x", "> " * (MAX_NESTING + 1),
             "_a " * MAX_NESTING + "a_ " * MAX_NESTING, "_a " * (MAX_NESTING + 1) + "a_ " * (MAX_NESTING + 1),
             "```\n" + "- " * 30 + "\n```\n", "- ```\n" + "_a " * 30 + "a_ " * 30,
             "".join("  " * i + "- x\n" for i in range(MAX_NESTING + 2)), "*a " * 30 + "\n\n" + "a* " * 30]
    for _ in range(300):
        texts.append("".join(rng.choice(pieces) for _ in range(rng.randint(5, 120))))
    return texts


def test_live_guard_gives_the_records_verdict(unit: Any) -> None:
    """Fed in random chunks, the view's NestingGuard ends where _mdguard.too_deep does."""
    texts = _corpus()
    want = [too_deep(t) for t in texts]
    assert any(want) and not all(want)
    got = unit.evaluate("""(texts) => texts.map((text, k) => {
        const g = new cw.__test__.NestingGuard();
        let n = 0;
        let verdict = null;
        while (n < text.length && !verdict) {
            n = Math.min(text.length, n + 1 + ((k * 7 + n) % 13));
            verdict = g.check(text.slice(0, n), false);
        }
        return verdict || g.check(text, true);
    })""", texts)
    mismatches = [(t, w, g) for t, w, g in zip(texts, want, got) if w != g]
    assert mismatches == [], mismatches[:5]

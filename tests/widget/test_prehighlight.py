"""Code blocks highlighted while the answer streams: the record is the same, only cheaper.

``_prehighlight`` guesses, from the text as it arrives, which fenced code blocks the
record will highlight; the record reuses a guess only when its code and language are
exactly those of a block it renders. The property: whatever the Markdown (paragraphs,
lists, quotes, fences of every kind, tables, math, reference links), however it is cut
into appends, and whenever the worker runs, the record is byte-identical to the one
rendered without guesses.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_widgets import _static
from claude_widgets._answer import _Answer
from claude_widgets._prehighlight import MAX_CODE, Prehighlighter
from claude_widgets._static import markdown_html, record_html
from claude_widgets._view import StreamView, _status

from ._factory import raw_events

STATUS = _status("done", model="m", input_tokens=3, output_tokens=5, stop_reason="end_turn", elapsed=1.0)
CODE = "def f(x: int) -> int:\n    return x * 2  # <&>\n"


def _now() -> float:
    return 0.0


def fed(text: str, cuts: list[int], work_after: list[bool], *, index: int = 0) -> Prehighlighter:
    """A Prehighlighter given ``text`` as appends cut at ``cuts``, worked after the flagged ones."""
    pre = Prehighlighter()
    pre.feed([["start", index, {"type": "text", "name": None, "id": None}]])
    bounds = [0, *sorted({c for c in cuts if 0 < c < len(text)}), len(text)]
    for k, (a, b) in enumerate(itertools.pairwise(bounds)):
        pre.feed([["append", index, a, text[a:b]]])
        if work_after[k % len(work_after)]:
            pre.work(float("inf"), _now)
    return pre


# ---------------------------------------------------------------- Markdown, every kind of block

_WORDS = st.sampled_from(["alpha", "*em*", "**strong**", "`code`", "[ref][r]", "[link](https://x.org)",
                          "$x^2$", "\\(y\\)", "a & b", "<b>", "~~del~~", "_u_", "```", "~~~", "é", "\t"])
_LANGS = st.sampled_from(["python", "py", "javascript", "", "nosuchlang", "python extra", "py{.x}",
                          "&#112;ython", "\\python", "PYTHON", "c++"])
_CODE_LINES = st.sampled_from(["x = 1", "def f():", "    return 'a' & 2", "", "```", "~~~", "  ```", "````",
                               "   ~~~ ", "\tindented", "# comment <tag>", "s = \"unterminated",
                               "> quoted", "- item", "| a | b |", "$$", "\r", "é ü"])


@st.composite
def fences(draw: st.DrawFn) -> str:
    char = draw(st.sampled_from("`~"))
    n = draw(st.integers(3, 5))
    opening = char * n
    lines = draw(st.lists(_CODE_LINES, max_size=6))
    close_n = draw(st.sampled_from([n, n + 1, n - 1 if n > 3 else n]))
    closing = draw(st.sampled_from(["", " ", "   "])) + char * close_n + draw(st.sampled_from(["", "  "]))
    indent = draw(st.sampled_from(["", " ", "   "]))
    body = "\n".join([f"{indent}{opening}{draw(_LANGS)}", *(indent + line for line in lines),
                      *([] if draw(st.integers(0, 5)) == 0 else [closing])])
    where = draw(st.sampled_from(["top", "list", "quote", "ordered"]))
    if where == "list":
        return "- item\n\n" + "\n".join("  " + line for line in body.split("\n"))
    if where == "ordered":
        return "1. item\n" + "\n".join("   " + line for line in body.split("\n"))
    if where == "quote":
        return "\n".join("> " + line for line in body.split("\n"))
    return body


_PARAGRAPH = st.lists(_WORDS, min_size=1, max_size=6).map(" ".join)
_BLOCKS = st.one_of(
    _PARAGRAPH,
    st.lists(_PARAGRAPH, min_size=1, max_size=3).map(lambda items: "\n".join(f"- {i}" for i in items)),
    st.lists(_PARAGRAPH, min_size=1, max_size=3).map(lambda items: "\n".join(f"> {i}" for i in items)),
    st.just("| a | b |\n|---|:-:|\n| 1 | `x` |"),
    st.just("$$\nx^2 + y\n$$"),
    st.just("[r]: https://example.com/r"),
    st.just("## Heading"),
    st.just(f"```python\n{CODE}```"),  # the same block again: each occurrence needs its own guess
    fences(),
)


@st.composite
def markdown(draw: st.DrawFn) -> str:
    blocks = draw(st.lists(_BLOCKS, min_size=1, max_size=8))
    seps = draw(st.lists(st.sampled_from(["\n\n", "\n", "\n\n\n"]), min_size=len(blocks), max_size=len(blocks)))
    return "".join(b + s for b, s in zip(blocks, seps)).rstrip("\n") + draw(st.sampled_from(["", "\n"]))


class _Text:
    kind = "text"
    name = id = input = None
    done = True
    is_error = False

    def __init__(self, text: str) -> None:
        self._text = text

    def text(self) -> str:
        return self._text


@settings(max_examples=300, deadline=None)
@given(text=markdown(), cuts=st.lists(st.integers(0, 400), max_size=12),
       work_after=st.lists(st.booleans(), min_size=1, max_size=4))
def test_the_record_is_the_same_with_or_without_prehighlighting(text: str, cuts: list[int],
                                                                work_after: list[bool]) -> None:
    pre = fed(text, cuts, work_after)
    pre.work(float("inf"), _now)
    assert markdown_html(text, pre.results()) == markdown_html(text)
    assert record_html([_Text(text)], STATUS, pre.results()) == record_html([_Text(text)], STATUS)


def test_closed_fences_are_highlighted_ahead_and_used(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (f"Intro.\n\n```python\n{CODE}```\n\nMiddle.\n\n~~~~js\nlet a = 1;\n~~~~\n\n"
            f"```python\n{CODE}```\n\n```python\nstill open")
    expected = markdown_html(text)
    pre = fed(text, list(range(0, len(text), 7)), [False, True])
    pre.work(float("inf"), _now)
    done = pre.results()
    assert done == {("python", CODE): [done[("python", CODE)][0]] * 2,
                    ("js", "let a = 1;\n"): [done[("js", "let a = 1;\n")][0]]}
    calls: list[tuple[str, str]] = []
    real = _static.highlight

    def counted(code: str, lang: str) -> str | None:
        calls.append((lang, code))
        return real(code, lang)

    monkeypatch.setattr(_static, "highlight", counted)
    assert markdown_html(text, done) == expected
    assert calls == [("python", "still open\n")]  # only the unclosed tail was left for the end
    assert done == {("python", CODE): [], ("js", "let a = 1;\n"): []}  # each guess used once


def test_a_block_that_occurs_twice_is_highlighted_twice() -> None:
    text = f"```python\n{CODE}```\n\n```python\n{CODE}```\n"
    once = fed(text[: len(text) // 2 + 1], [], [True])
    once.work(float("inf"), _now)
    assert [len(v) for v in once.results().values()] == [1]
    twice = fed(text, [], [True])
    assert [len(v) for v in twice.results().values()] == [2]


def test_work_stops_at_the_deadline_and_resumes() -> None:
    text = "".join(f"```python\nx = {i}\n```\n\n" for i in range(5))
    pre = fed(text, [], [False])
    ticks = iter(range(100))
    pre.work(2.5, lambda: float(next(ticks)))  # clock 0, 1, 2: three blocks started before 2.5
    assert sum(len(v) for v in pre.results().values()) == 3
    assert pre.pending()
    pre.work(float("inf"), _now)
    assert sum(len(v) for v in pre.results().values()) == 5
    assert not pre.pending()


def test_long_blocks_other_blocks_and_resets() -> None:
    long = "x = 1\n" * (MAX_CODE // 6 + 1)
    pre = Prehighlighter()
    pre.feed([["start", 0, {"type": "thinking"}], ["append", 0, 0, f"```python\n{CODE}```\n"],
              ["start", 1, {"type": "text"}], ["append", 1, 0, f"```python\n{long}```\n```py\na\n```\n"]])
    pre.work(float("inf"), _now)
    assert list(pre.results()) == [("py", "a\n")]  # thinking is not Markdown; a long block waits for the end
    pre.feed([["reset"], ["start", 0, {"type": "text"}], ["append", 0, 0, "```js\nb\n```\n"]])
    pre.work(float("inf"), _now)
    assert list(pre.results()) == [("js", "b\n")]


def test_the_answer_feeds_its_ops_and_renders_with_them() -> None:
    a = _Answer()
    text = f"Some code:\n\n```python\n{CODE}```\n\nDone."
    for e in raw_events([{"type": "text", "text": text}], size=5):
        a.feed(e)
    with a.lock:
        a.take_ops()
    a.prehighlight.work(float("inf"), _now)
    assert list(a.prehighlight.results()) == [("python", CODE)]
    assert a.record(STATUS) == record_html([a.blocks[0]], STATUS)


def test_a_streaming_view_highlights_ahead_and_its_record_is_unchanged(rv: Any) -> None:
    """The flusher does the work between flushes while the source is slow (a real model is)."""
    text = "".join(f"Step {i}.\n\n```python\ndef step_{i}(x):\n    return x + {i}\n```\n\n" for i in range(8))
    events = raw_events([{"type": "text", "text": text}], size=12)

    def slow() -> Iterator[Any]:
        for e in events:
            time.sleep(0.002)
            yield e

    view: StreamView = rv.view
    view.consume(slow())
    view.wait(10)
    done = view._answer.prehighlight.results()
    assert sum(len(v) for v in done.values()) >= 6  # all but the last ones, whose fence came at the end
    blocks = [view._answer.blocks[0]]
    status = view._status_dict()
    assert view._answer.record(status) == record_html(blocks, status)

"""Citations in StreamView: a cited answer reads as one text with numbered marks and its sources,
live (view.js, fed the kernel's own ops) exactly as in its record (``_static``).

The answer comes from the offline server through the real SDK (a plain-text document and a
search result, both with citations enabled): text blocks split where citations start and
end, a cited block's ``citations_delta`` before its text. The kernel's ``_Answer`` turns
the events into ops, flushed after every event (the most incremental a view can get), and
view.js in Chromium applies them.
"""

from __future__ import annotations

import random
import re
from itertools import pairwise
from typing import Any

import anthropic
import pytest

from claude_widgets import DEFAULT_MODEL
from claude_widgets._answer import _Answer
from claude_widgets.server import OfflineServer

from .test_view_unit import _setup, unit  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

GRASS = "The grass is green. The sky is blue."
SKY = "The sky is blue because air scatters blue light more than red."


def _request(question: str, *, prefix: str = "") -> dict[str, Any]:
    content = [
        {"type": "document", "title": "My Document", "citations": {"enabled": True},
         "source": {"type": "text", "media_type": "text/plain", "data": GRASS}},
        {"type": "search_result", "source": "https://example.com/sky", "title": "Why the sky is blue",
         "citations": {"enabled": True}, "content": [{"type": "text", "text": SKY}]},
        {"type": "text", "text": question},
    ]
    return {"model": DEFAULT_MODEL, "max_tokens": 1024, "messages": [{"role": "user", "content": content}]}


def _flushes(question: str) -> tuple[list[list[Any]], str, str]:
    """The ops of each flush, the record's blocks (HTML) and the text, for a cited answer."""
    with (OfflineServer(delay_ms=0) as srv,
          anthropic.Anthropic(base_url=srv.base_url, api_key="test-key", max_retries=0) as client,
          client.messages.stream(**_request(question)) as s):
        events = list(s)
    a = _Answer()
    flushes = []
    for ev in events:
        a.feed(ev)
        with a.lock:
            _, ops = a.take_ops()
        if ops:
            flushes.append(ops)
    status = {"state": "done", "stop_reason": "end_turn", "input_tokens": 1, "output_tokens": 1,
              "model": DEFAULT_MODEL, "error": None, "elapsed": 1.0}
    record = a.record(status)
    blocks = re.search(r'<div class="cw-blocks">(.*)</div></div></div>$', record, re.DOTALL)
    assert blocks, record
    return flushes, blocks[1], a.text()


# The first view's blocks as the record writes them: without the live view's own wrappers,
# its .cw-last mark and its copy buttons.
BLOCKS_JS = """const blocks = () => {
    const el = h.views[0].querySelector('.cw-blocks').cloneNode(true);
    for (const w of el.querySelectorAll('.cw-committed, .cw-tail')) w.replaceWith(...w.childNodes);
    for (const m of el.querySelectorAll('.cw-last')) {
        m.classList.remove('cw-last');
        if (!m.classList.length) m.removeAttribute('class');
    }
    for (const b of el.querySelectorAll('.cw-copy')) b.remove();
    return el;
};"""

LIVE_JS = """async (flushes) => {
    """ + BLOCKS_JS + """
    for (const ops of flushes) { h.ops(ops); await h.settle(); }
    h.setStatus({state: "done"});
    await h.settle();
    const el = blocks();
    return {html: el.innerHTML, text: el.textContent, chars: h.views[0].querySelector('.cw-root').dataset.cwTextChars};
}"""


def _norm(html: str) -> str:
    html = re.sub(r"\s+", " ", html)
    html = re.sub(r" ?(<[^>]+>) ?", r"\1", html)
    # attribute order differs between nh3 and the DOM serialiser: compare sorted attributes
    return re.sub(r"<(\w+)((?: [\w-]+=\"[^\"]*\")+)>",
                  lambda m: "<" + m[1] + "".join(sorted(re.findall(r' [\w-]+="[^"]*"', m[2]))) + ">", html).strip()


@pytest.mark.parametrize("question", ["What color is the grass and sky?", "Why is the sky blue?"])
def test_cited_answer_live_as_in_its_record(unit: Any, question: str) -> None:  # noqa: F811
    flushes, record, text = _flushes(question)
    assert any(op[0] == "cite" for ops in flushes for op in ops), "the answer should be cited"
    _setup(unit)
    live = unit.evaluate(LIVE_JS, flushes)
    assert _norm(live["html"]) == _norm(record)
    assert int(live["chars"]) == len(text)  # the marks are not the answer's characters


def test_one_sentence_one_paragraph_with_marks_and_sources(unit: Any) -> None:  # noqa: F811
    flushes, _, _ = _flushes("What color is the grass and sky?")
    _setup(unit)
    live = unit.evaluate(LIVE_JS, flushes)
    assert live["html"].count("<p>") == 1, live["html"]  # one flow, not a paragraph per block
    assert "According to “My Document”: The grass is green.[1] The sky is blue.[2]" in live["text"]
    sources = unit.evaluate("""() => [...document.querySelectorAll('.cw-sources-list > li')].map(
        (li) => [li.querySelector('.cw-source-title').textContent, li.querySelector('.cw-source-quote').textContent])""")
    assert sources == [["My Document", "The grass is green."], ["My Document", "The sky is blue."]]


def test_a_search_result_source_links_to_its_page(unit: Any) -> None:  # noqa: F811
    flushes, record, _ = _flushes("Why is the sky blue?")
    _setup(unit)
    unit.evaluate(LIVE_JS, flushes)
    link = unit.evaluate("""() => { const a = document.querySelector('.cw-sources a.cw-source-title');
        return a && [a.textContent, a.getAttribute('href'), a.target, a.rel]; }""")
    assert link == ["Why the sky is blue", "https://example.com/sky", "_blank", "noopener noreferrer"]
    assert 'href="https://example.com/sky"' in record


def test_marks_in_the_model_text_are_not_citations(unit: Any) -> None:  # noqa: F811
    """A model that writes the marks' own characters gets U+FFFD, never a fake [n]."""
    fake = "Trust me\uf003 and\uf000"
    _setup(unit)
    live = unit.evaluate("""async (fake) => {
        h.ops([["start", 0, {type: "text"}], ["append", 0, 0, "Intro. "], ["stop", 0, null],
               ["start", 1, {type: "text"}], ["cite", 1, {title: "Doc", url: null, where: "", quote: "q"}],
               ["append", 1, 0, fake], ["stop", 1, null]]);
        h.setStatus({state: "done"});
        await h.settle();
        return h.views[0].querySelector('.cw-text').textContent;
    }""", fake)
    assert live.strip() == "Intro. Trust me\ufffd and\ufffd[1]"


def _split_ops(text: str, cuts: list[int], cited: set[int], sizes: list[int]) -> list[list[Any]]:
    """Ops for ``text`` split into text blocks at ``cuts`` (blocks in ``cited`` carry a citation,
    sent before their text, as the API does), appended in chunks of ``sizes`` characters."""
    bounds = [0, *cuts, len(text)]
    flushes: list[list[Any]] = []
    for i, (a, b) in enumerate(pairwise(bounds)):
        ops: list[Any] = [["start", i, {"type": "text"}]]
        if i in cited:
            ops.append(["cite", i, {"title": f"Source {i}", "url": None, "where": "", "quote": f"quote {i}"}])
        flushes.append(ops)
        pos, k = a, 0
        while pos < b:
            n = sizes[k % len(sizes)]
            k += 1
            flushes.append([["append", i, pos - a, text[pos:min(b, pos + n)]]])
            pos += n
        flushes.append([["stop", i, None]])
    return flushes


@pytest.mark.parametrize("doc", ["tour", "tricky", "math"])
def test_a_run_streamed_in_pieces_ends_as_rendered_at_once(unit: Any, doc: str) -> None:  # noqa: F811
    """Block boundaries anywhere (mid-word, mid-list, mid-fence), chunks of any size: the run
    ends exactly as the same blocks delivered in one message."""
    from .test_view_unit import DOCS

    text = DOCS[doc]
    rng = random.Random(doc)
    cuts = sorted(rng.sample(range(1, len(text)), 5))
    cited = {1, 3, 4}
    pieces = _split_ops(text, cuts, cited, [rng.randint(1, 30) for _ in range(200)])
    whole = [op for ops in _split_ops(text, cuts, cited, [len(text)]) for op in ops]
    _setup(unit, views=1)
    streamed = unit.evaluate(LIVE_JS, pieces)
    _setup(unit, views=1)
    at_once = unit.evaluate(LIVE_JS, [whole])
    assert streamed["html"] == at_once["html"]
    assert int(streamed["chars"]) == len(text)
    assert streamed["text"].count("[") >= 3  # the marks are there


def test_a_reloaded_page_shows_the_citations_from_the_snapshot(unit: Any) -> None:  # noqa: F811
    """No ops, just the kernel's final snapshot (a reload, a second view): the same marks and sources."""
    with (OfflineServer(delay_ms=0) as srv,
          anthropic.Anthropic(base_url=srv.base_url, api_key="test-key", max_retries=0) as client,
          client.messages.stream(**_request("What color is the grass and sky?")) as s):
        events = list(s)
    a = _Answer()
    for ev in events:
        a.feed(ev)
    with a.lock:
        seq, _ = a.take_ops()
        snap = list(a.snapshot())
    _, record, _ = _flushes("What color is the grass and sky?")
    html = unit.evaluate("""async (b) => {
        """ + BLOCKS_JS + """
        window.h = await cwHarness({status: {state: "done"}, snapshot: new DataView(new Uint8Array(b).buffer)});
        h.initialize();
        await h.addView();
        await h.settle();
        return blocks().innerHTML;
    }""", snap)
    assert seq > 0
    assert _norm(html) == _norm(record)

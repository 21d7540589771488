"""One look live and saved (issue 14.1): the record that replaces a finished view in JupyterLab
lays out exactly as the live view did — same boxes, same styles, the same status line.

The same answer is shown twice in one notebook: as its record (what a finished view's
output becomes) and as the live widget (its model displayed again: a view held by a
container widget is kept open when it finishes, see ``StreamView._retire``), then every element
of the two is compared: position relative to its output, size, and the computed styles
a reader would notice.
"""

from __future__ import annotations

from typing import Any

import pytest

from ._helpers import setup_cell, stream_cell

pytestmark = pytest.mark.browser

LIVE_AGAIN = ("view.wait()\n"
              "from IPython.display import display\n"
              "display({'application/vnd.jupyter.widget-view+json': {'version_major': 2, 'version_minor': 0, "
              "'model_id': view.model_id}, 'text/plain': 'live'}, raw=True)")

STYLES = ["fontSize", "fontWeight", "fontFamily", "lineHeight", "color", "backgroundColor", "textAlign",
          "paddingLeft", "paddingTop", "marginLeft", "marginTop", "borderLeftWidth", "whiteSpace"]

# text as rendered (innerText): the record leaves out the Markdown renderer's newlines
# between blocks (_static._NEWLINE_BEFORE_BLOCK), which lay out as nothing
BOXES_JS = r"""([panel, cell, styles]) => {
    const out = document.querySelectorAll(panel + ' .jp-Cell')[cell].querySelector('.jp-OutputArea-child');
    const root = out.querySelector('.cw-root');
    const o = out.getBoundingClientRect();
    const sel = '.cw-bar, .cw-bar span, .cw-blocks, .cw-blocks *:not(.cw-copy)';
    return [...root.querySelectorAll(sel)].filter((el) => el.getClientRects().length)
        .map((el) => {
            const r = el.getBoundingClientRect();
            const cs = getComputedStyle(el);
            const s = {};
            for (const k of styles) s[k] = cs[k];
            return {tag: el.tagName.toLowerCase(), cls: el.className, text: el.innerText.replace(/\s+/g, ' ').trim().slice(0, 30),
                    x: Math.round(r.left - o.left), y: Math.round(r.top - root.getBoundingClientRect().top),
                    w: Math.round(r.width), h: Math.round(r.height), s};
        });
}"""


KEEP = ")\n_keep = __import__('ipywidgets').VBox([view])\nview.wait(), (view"
# a cited answer: text blocks split at the citations, read as one text with marks and sources
CITED = ("view = stream(client, model=MODEL, max_tokens=1024, messages=[{'role': 'user', 'content': ["
         "{'type': 'document', 'title': 'My Document', 'citations': {'enabled': True}, 'source': {'type': 'text', "
         "'media_type': 'text/plain', 'data': 'The grass is green. The sky is blue.'}}, "
         "{'type': 'search_result', 'source': 'https://example.com/sky', 'title': 'Why the sky is blue', "
         "'citations': {'enabled': True}, 'content': [{'type': 'text', 'text': 'The sky is blue: air scatters blue light.'}]}, "
         "{'type': 'text', 'text': 'What color are the grass and the sky, and why is the sky blue?'}]}]" + KEEP + ")")


# a structured output: JSON text, shown as JSON code
STRUCTURED = ("view = stream(client, model=MODEL, max_tokens=1024, messages=[{'role': 'user', 'content': 'An order'}], "
              "output_config={'format': {'type': 'json_schema', 'schema': {'type': 'object', 'properties': {"
              "'product': {'type': 'string'}, 'tags': {'type': 'array', 'items': {'type': 'string'}}}, "
              "'required': ['product', 'tags'], 'additionalProperties': False}}}" + KEEP + ")")


# a long answer: its record's text has chunks the page lays out lazily (_chunks.py), the live view none
LONG = stream_cell(scenario="long", max_tokens=6000, extra=KEEP)


@pytest.mark.parametrize("answer", ["markdown-tour", "citations", "structured", "long"])
def test_record_lays_out_as_the_live_view(lab_notebook: Any, answer: str) -> None:
    cell = {"citations": CITED, "structured": STRUCTURED, "long": LONG}.get(answer) or stream_cell(
        scenario=answer, extra=KEEP)
    nb = lab_notebook([setup_cell(delay_ms=5), cell, LIVE_AGAIN])
    nb.run_all()
    nb.wait_idle()
    nb.page.wait_for_selector(f"{nb.panel} .jp-Cell >> nth=1 >> .cw-record")
    nb.page.wait_for_function("""(panel) => {
        const r = document.querySelectorAll(panel + ' .jp-Cell')[2].querySelector('.cw-root');
        return r && r.dataset.cwState === 'done' && r.querySelector('table, .cw-sources, .cw-json .hljs');
    }""", arg=nb.panel)
    # a chunk off screen has its estimated size (_chunks.py); shown, it lays out as the live view
    nb.page.evaluate("() => { for (const c of document.querySelectorAll('.cw-chunk')) c.style.contentVisibility = 'visible'; }")
    record = nb.page.evaluate(BOXES_JS, [nb.panel, 1, STYLES])
    live = nb.page.evaluate(BOXES_JS, [nb.panel, 2, STYLES])
    # the status line: state, model, tokens, elapsed time and rate, in both
    names = lambda boxes: [b["cls"] for b in boxes if b["cls"].startswith("cw-") and b["tag"] == "span"]
    assert names(record) == names(live)
    assert {"cw-elapsed", "cw-rate"} <= set(names(record)) or answer != "markdown-tour"  # too short for a rate
    chunks = [b for b in record if b["cls"] == "cw-chunk"]
    assert (len(chunks) >= 3) == (answer == "long"), [b["h"] for b in chunks]
    # (the two highlighters split code into tokens differently: the code block's box counts)
    skip = lambda b: b["cls"] in ("cw-committed", "cw-tail", "cw-chunk") or b["cls"].startswith("hljs-")
    record_blocks = [b for b in record if not skip(b)]
    live_blocks = [b for b in live if not skip(b)]
    assert [(b["tag"], b["text"]) for b in record_blocks] == [(b["tag"], b["text"]) for b in live_blocks], (
        [(b["tag"], b["cls"], b["text"]) for b in record_blocks][:16], [(b["tag"], b["cls"], b["text"]) for b in live_blocks][:16])
    diffs = []
    for a, b in zip(record_blocks, live_blocks):
        for k in ("x", "y", "w", "h"):
            if abs(a[k] - b[k]) > 1 and not (b["cls"] in ("cw-elapsed", "cw-rate") and k == "w"):
                diffs.append((a["tag"], a["cls"], a["text"], k, a[k], b[k]))
        for k, v in a["s"].items():
            if v != b["s"][k]:
                diffs.append((a["tag"], a["cls"], a["text"], k, v, b["s"][k]))
    assert diffs == [], "\n".join(map(str, diffs[:40]))


MATH_CELL = """\
from claude_widgets._view import StreamView
from tests.widget._factory import raw_events
from tests.browser.test_view_unit import MATH
view = StreamView()
_keep = __import__('ipywidgets').VBox([view])  # held by a container: still live when finished
display(view)
view.consume(iter(raw_events([{'type': 'text', 'text': MATH}], size=7)))
view.wait()"""

STRUCTURE_JS = """([panel, cell]) => {
    const root = document.querySelectorAll(panel + ' .jp-Cell')[cell].querySelector('.cw-root');
    return {
        math: [...root.querySelectorAll('.cw-math')].map((m) => [m.tagName, m.className, !!m.querySelector('math'),
                                                                 Math.round(m.getBoundingClientRect().height) > 8]),
        code: [...root.querySelectorAll('pre > code')].map((c) => [c.className,
            [...new Set([...c.querySelectorAll('span')].map((s) => s.className))].sort()]),
        text: root.querySelector('.cw-blocks').innerText.length,
    };
}"""


def test_math_code_and_copy(lab: Any, lab_notebook: Any, browser: Any) -> None:
    """TeX typeset as MathML live and in the record, code highlighted with the same classes,
    and the copy buttons put a code block and the whole answer on the clipboard."""
    from .test_view_unit import MATH

    browser.grant_permissions(["clipboard-read", "clipboard-write"], origin=lab.base_url.rstrip("/"))
    nb = lab_notebook([MATH_CELL, LIVE_AGAIN])
    nb.run_all()
    nb.wait_idle()
    nb.page.wait_for_selector(f"{nb.panel} .jp-Cell >> nth=0 >> .cw-record")
    nb.page.wait_for_function("""(panel) => {
        const r = document.querySelectorAll(panel + ' .jp-Cell')[1].querySelector('.cw-root');
        return r && r.dataset.cwState === 'done' && r.querySelector('math');
    }""", arg=nb.panel)
    record = nb.page.evaluate(STRUCTURE_JS, [nb.panel, 0])
    live = nb.page.evaluate(STRUCTURE_JS, [nb.panel, 1])
    assert record["math"] == live["math"]
    assert [m[1] for m in live["math"]].count("cw-math cw-math-error") == 1  # the bad formula, as its source
    assert sum(1 for m in live["math"] if m[2] and m[3]) == 7  # typeset and laid out
    assert len(live["code"]) == len(record["code"]) == 1
    assert live["code"][0][0] == record["code"][0][0] == "hljs language-python"
    shared = set(live["code"][0][1]) & set(record["code"][0][1])
    assert {"hljs-keyword", "hljs-number", "hljs-comment", "hljs-title function_"} <= shared, (live, record)
    assert "$" not in nb.output(1).locator(".cw-math").first.inner_text()

    live_root = nb.output(1).locator(".cw-root")
    pre = live_root.locator("pre").first
    pre.hover()
    pre.locator(".cw-copy").click()
    nb.page.wait_for_function("(el) => el.dataset.copied === 'yes'", arg=pre.locator(".cw-copy").element_handle())
    code = nb.page.evaluate("() => navigator.clipboard.readText()")
    assert code == MATH[MATH.index("def area"):MATH.index("```\nDone")]
    live_root.locator(".cw-bar").hover()
    live_root.locator(".cw-copy-all").click()
    nb.page.wait_for_function("(el) => el.dataset.copied === 'yes'",
                              arg=live_root.locator(".cw-copy-all").element_handle())
    assert nb.page.evaluate("() => navigator.clipboard.readText()") == MATH

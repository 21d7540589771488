"""One look live and saved (issue 14.1): the record that replaces a finished view in JupyterLab
lays out exactly as the live view did — same boxes, same styles, the same status line.

The same answer is shown twice in one notebook: as its record (what a finished view's
output becomes) and as the live widget (its model displayed again), then every element
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

BOXES_JS = """([panel, cell, styles]) => {
    const out = document.querySelectorAll(panel + ' .jp-Cell')[cell].querySelector('.jp-OutputArea-child');
    const root = out.querySelector('.cw-root');
    const o = out.getBoundingClientRect();
    const sel = '.cw-bar, .cw-bar span, .cw-blocks, .cw-blocks *';
    return [...root.querySelectorAll(sel)].filter((el) => el.getClientRects().length)
        .map((el) => {
            const r = el.getBoundingClientRect();
            const cs = getComputedStyle(el);
            const s = {};
            for (const k of styles) s[k] = cs[k];
            return {tag: el.tagName.toLowerCase(), cls: el.className, text: el.textContent.replace(/\s+/g, ' ').trim().slice(0, 30),
                    x: Math.round(r.left - o.left), y: Math.round(r.top - root.getBoundingClientRect().top),
                    w: Math.round(r.width), h: Math.round(r.height), s};
        });
}"""


def test_record_lays_out_as_the_live_view(lab_notebook: Any) -> None:
    nb = lab_notebook([setup_cell(delay_ms=5),
                       stream_cell(scenario="markdown-tour", extra=")\nview.wait(), (view"),
                       LIVE_AGAIN])
    nb.run_all()
    nb.wait_idle()
    nb.page.wait_for_selector(f"{nb.panel} .jp-Cell >> nth=1 >> .cw-record")
    nb.page.wait_for_function("""(panel) => {
        const r = document.querySelectorAll(panel + ' .jp-Cell')[2].querySelector('.cw-root');
        return r && r.dataset.cwState === 'done' && r.querySelector('table');
    }""", arg=nb.panel)
    record = nb.page.evaluate(BOXES_JS, [nb.panel, 1, STYLES])
    live = nb.page.evaluate(BOXES_JS, [nb.panel, 2, STYLES])
    # the status line: state, model, tokens, elapsed time and rate, in both
    names = lambda boxes: [b["cls"] for b in boxes if b["cls"].startswith("cw-") and b["tag"] == "span"]  # noqa: E731
    assert names(record) == names(live)
    assert {"cw-elapsed", "cw-rate"} <= set(names(record))
    record_blocks = [b for b in record if b["cls"] not in ("cw-committed", "cw-tail")]
    live_blocks = [b for b in live if b["cls"] not in ("cw-committed", "cw-tail")]
    assert [(b["tag"], b["text"]) for b in record_blocks] == [(b["tag"], b["text"]) for b in live_blocks]
    diffs = []
    for a, b in zip(record_blocks, live_blocks):
        for k in ("x", "y", "w", "h"):
            if abs(a[k] - b[k]) > 1 and not (b["cls"] in ("cw-elapsed", "cw-rate") and k == "w"):
                diffs.append((a["tag"], a["cls"], a["text"], k, a[k], b[k]))
        for k, v in a["s"].items():
            if v != b["s"][k]:
                diffs.append((a["tag"], a["cls"], a["text"], k, v, b["s"][k]))
    assert diffs == [], "\n".join(map(str, diffs[:40]))

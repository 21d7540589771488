"""A reader following a long answer at its end keeps their place when the record replaces the view.

The record lays out the middle of a long text in chunks sized by an estimate until shown
(``claude_widgets/_chunks.py``); a reader at the end has them all above the screen. With
the estimates alone, for this 12,000-token answer, the page grew by 5,256 px at the swap
and the reader saw another section (rough estimates then; fitted since, bench/chunk_heights.py,
they are within a few percent: still hundreds of pixels over a long answer). The finished
view measures its blocks and gives its record's chunks those heights as the record comes in
(view.js, ``watchSwap``).

JupyterLab only: Notebook 7 turns a cell's long output into a scrolled box of ~300 px once
the cell has run (its own choice, for any long output, ``print``'s too), and the reader is
then at the top of that box whatever the record's heights; the chunks are sized there too.
"""

from __future__ import annotations

from typing import Any

import pytest

from ._helpers import setup_cell, stream_cell

pytestmark = pytest.mark.browser

# Every frame: keep the end of the live view at the bottom of the screen until it says Done
# (a reader following the stream), then log which paragraph is on screen and where.
FOLLOW_JS = r"""([panel, cell]) => {
    const cellEl = document.querySelectorAll(panel + ' .jp-Cell')[cell];
    let sc = cellEl.parentElement;
    while (sc && !(sc.scrollHeight > sc.clientHeight && /auto|scroll/.test(getComputedStyle(sc).overflowY))) {
        sc = sc.parentElement;
    }
    const log = window.__cwFollow = [];
    let following = true;
    const tick = () => {
        const out = cellEl.querySelector('.jp-OutputArea');
        const root = out && (out.querySelector('.cw-record') || out.querySelector('.cw-root'));
        if (root) {
            const record = root.classList.contains('cw-record');
            if (following && !record) {
                const below = out.getBoundingClientRect().bottom - sc.getBoundingClientRect().bottom;
                if (below > 0) sc.scrollTop += below;
                if (root.dataset.cwState === 'done') following = false;
            }
            const top = sc.getBoundingClientRect().top;
            let seen = null; // the last paragraph wholly on screen: its text and its offset
            const ps = root.querySelectorAll('.cw-blocks p');
            for (let i = ps.length - 1; i >= 0 && !seen; i--) {
                const r = ps[i].getBoundingClientRect();
                if (r.top > top && r.bottom < top + sc.clientHeight) seen = [ps[i].textContent, Math.round(r.top - top)];
                if (r.bottom < top) break;
            }
            log.push({record, following, state: root.dataset.cwState, behind: root.dataset.cwBehind, scrollTop: Math.round(sc.scrollTop), seen,
                      sized: window.__claudeWidgetsStats.chunksSized});
        }
        if (log.filter((l) => l.record).length < 30) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
}"""


def test_the_end_of_a_long_answer_stays_in_place_at_the_swap(lab_notebook: Any) -> None:
    nb = lab_notebook([setup_cell(delay_ms=1), stream_cell(scenario="long", max_tokens=12_000)])
    nb.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-cell')")  # the setup
    nb.wait_idle()
    nb.page.evaluate("() => { const n = window.jupyterapp.shell.currentWidget.content; n.activeCellIndex = 1; "
                     "window.jupyterapp.commands.execute('notebook:run-cell'); }")
    nb.page.wait_for_selector(f"{nb.panel} .jp-Cell >> nth=1 >> .cw-root", timeout=60_000)
    nb.page.evaluate(FOLLOW_JS, [nb.panel, 1])
    nb.page.wait_for_function("() => window.__cwFollow.filter((l) => l.record).length >= 30", timeout=300_000)
    log = nb.page.evaluate("() => window.__cwFollow")
    live = [entry for entry in log if not entry["record"]]
    record = [entry for entry in log if entry["record"]]
    # the reader was at the end of the live view in its last frame: following it, or done (the
    # end is laid in with the final status, in that task, and JupyterLab can replace the view
    # with its record before the next frame, so the last frame may still say streaming)
    assert live[-1]["seen"] and (live[-1]["following"] or live[-1]["state"] == "done"), live[-1]
    assert record[0]["sized"] >= 10, record[0]  # the record has chunks, sized as measured
    # from the record's first frame on, the same paragraph at the same place
    for entry in record:
        assert entry["scrollTop"] == live[-1]["scrollTop"], (live[-1], entry)
        assert entry["seen"][0] == live[-1]["seen"][0], (live[-1]["seen"][0][:60], entry["seen"][0][:60])
        assert abs(entry["seen"][1] - live[-1]["seen"][1]) <= 1, (live[-1], entry)

"""What docs/widget.md tells a reader of very long answers about JupyterLab's table of contents.

JupyterLab's notebook table of contents reads the headings of every code cell's HTML output
each time the output changes (``CodeCell.getHeadings``: the HTML sanitised and parsed whole),
whether its panel is shown or not: after a long answer, a pass as long as rendering the record
(bench/toc_setting.py). The docs advise turning "Include cell output in headings" off for very
long answers, and say that an answer's own headings are never listed. Both are JupyterLab's
behaviour, read here through its own objects, so that a JupyterLab release that changes them
fails here rather than leaves the advice wrong.
"""

from __future__ import annotations

from typing import Any

import pytest

from ._helpers import setup_cell, stream_cell

pytestmark = pytest.mark.browser

# Every call of a code cell's getHeadings after this, with whether the cell's outputs hold a
# record, the headings the table of contents lists from them, and how many it skips.
WRAP_JS = """() => {
    const cell = window.jupyterapp.shell.currentWidget.content.widgets[0];
    let proto = Object.getPrototypeOf(cell);
    while (proto && !Object.prototype.hasOwnProperty.call(proto, 'getHeadings')) proto = Object.getPrototypeOf(proto);
    window.__cwHeadingCalls = [];
    if (proto.__cwWrapped) return;
    const original = proto.getHeadings;
    proto.__cwWrapped = true;
    proto.getHeadings = async function (...args) {
        const headings = await original.apply(this, args);
        const outputs = this.model.outputs;
        let record = false;
        for (let i = 0; i < outputs.length; i++) {
            record ||= String(outputs.get(i).data['text/html'] || '').includes('cw-record');
        }
        // the table of contents leaves out a heading marked skip (TableOfContentsUtils.filterHeadings)
        window.__cwHeadingCalls.push({record, listed: headings.filter((h) => !h.skip).map((h) => h.text),
                                      skipped: headings.filter((h) => h.skip).length});
        return headings;
    };
}"""


def run_answer(nb: Any) -> list[dict[str, Any]]:
    """Run the notebook (an answer with headings in cell 1), wait for its record; the calls seen."""
    nb.page.evaluate(WRAP_JS)
    nb.run_all()
    nb.wait_state(1, "done")
    nb.wait_idle()
    nb.page.wait_for_timeout(1500)  # the table of contents refreshes after the change, not in it
    return list(nb.page.evaluate("() => window.__cwHeadingCalls"))


def test_output_headings_setting(lab_notebook: Any) -> None:
    nb = lab_notebook([setup_cell(delay_ms=0), stream_cell("show me Markdown", scenario="markdown-tour")])
    calls = run_answer(nb)
    assert nb.output(1).locator(".cw-record h1, .cw-record h2").count() >= 3, "the answer has no headings to test with"
    # by default: the record's HTML is read for headings, and none of the answer's is listed
    on_record = [c for c in calls if c["record"]]
    assert on_record, calls
    assert all(c["listed"] == [] and c["skipped"] >= 3 for c in on_record), on_record
    try:
        nb.include_output_headings(False)
        calls = run_answer(nb)
        # off: no output is read for headings at all, the record's included
        assert [c for c in calls if c["record"]] == [], calls
        assert nb.output(1).locator(".cw-record").count() == 1
    finally:
        nb.include_output_headings(True)

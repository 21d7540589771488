"""What JupyterLab spends on a finished answer's record, pass by pass, for three builds of it.

The record of a long answer is handled by JupyterLab twice after the stream ends, each
pass over the whole HTML: the swap (the output area parses it, MathJax looks for math in
it, the cell reads its height: style and layout) and the table of contents
(``CodeCell.getHeadings`` sanitises the output's HTML again and parses it for headings).
Both scale with the record's nodes. This bench times the two passes in a real JupyterLab
page, with JupyterLab's own sanitiser and typesetter, for the record as built
(``_static._NEWLINE_BEFORE_BLOCK`` leaves out the renderer's newline before each block
tag) against the same record with those newlines kept, and against it without the root's
``data-mjx`` (which keeps MathJax from walking it), interleaved so that drift hits all
alike; medians of ``--runs`` runs. A fourth build, for scale only, drops every ``class`` and
``style`` attribute (no highlighting colours, no chunk sizes: not a build anyone would ship):
JupyterLab's sanitiser spends much of its pass on attributes.

    python bench/record_in_lab.py [--tokens 50000] [--runs 8]

Prints a Markdown table (it writes nothing to the repository); bench/results/browser.md
quotes it.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _lab import lab_in_chromium

from claude_widgets import _static
from tests.browser._helpers import Notebook
from tests.widget.test_hostile_render import record_of
from tests.widget.test_record_chunks import long_answer

# one run of both passes; the host is attached (as the output area is) but out of sight
PASSES_JS = """async (html) => {
    const nb = window.jupyterapp.shell.currentWidget.content;
    const rm = nb.rendermime;
    const t = {};
    let t0 = performance.now();
    const clean = rm.sanitizer.sanitize(html);          // the table of contents: sanitise,
    t.sanitize = performance.now() - t0;
    new DOMParser().parseFromString(clean, 'text/html'); // then parse for headings
    t.toc = performance.now() - t0;
    const host = document.createElement('div');
    host.className = 'jp-RenderedHTMLCommon jp-RenderedHTML jp-OutputArea-output';
    host.style.cssText = 'position:absolute;left:0;top:0;width:900px;visibility:hidden';
    document.body.appendChild(host);
    t0 = performance.now();
    host.innerHTML = html;                               // the swap: parse,
    t.parse = performance.now() - t0;
    let t1 = performance.now();
    if (rm.latexTypesetter) await rm.latexTypesetter.typeset(host); // look for math,
    t.typeset = performance.now() - t1;
    t1 = performance.now();
    void host.offsetHeight;                              // and lay out
    t.layout = performance.now() - t1;
    t.swap = t.parse + t.typeset + t.layout;
    host.remove();
    return t;
}"""

NEVER = re.compile(r"(?!)")


def record(tokens: int, keep_newlines: bool) -> str:
    built = _static._NEWLINE_BEFORE_BLOCK
    if keep_newlines:
        _static._NEWLINE_BEFORE_BLOCK = NEVER
    try:
        return record_of(long_answer(tokens))
    finally:
        _static._NEWLINE_BEFORE_BLOCK = built


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=8)
    args = ap.parse_args()
    built = record(args.tokens, False)
    variants = {"kept": record(args.tokens, True), "walked": built.replace(' data-mjx="skip"', "", 1),
                "dropped": built, "bare": re.sub(r' (?:class|style)="[^"]*"', "", built)}
    times: dict[str, list[dict[str, float]]] = {v: [] for v in variants}
    with lab_in_chromium("record-in-lab-") as (server, ctx):
        page = ctx.new_page()
        Notebook(server, page, "record.ipynb", [""]).open()
        for name, html in variants.items():  # warm-up: JIT, MathJax loaded
            page.evaluate(PASSES_JS, html)
        for i in range(args.runs):
            order = list(variants) if i % 2 == 0 else list(reversed(variants))
            for name in order:
                page.evaluate("() => new Promise((r) => setTimeout(r, 200))")
                times[name].append(page.evaluate(PASSES_JS, variants[name]))
    med = {v: {k: statistics.median(t[k] for t in ts) for k in ts[0]} for v, ts in times.items()}
    nodes = {v: len(re.findall(r"<[a-z]", h)) + len(re.findall(r">[^<]", h)) for v, h in variants.items()}
    print(f"Record of a {args.tokens:,}-token answer in JupyterLab, medians of {args.runs} interleaved runs (ms)\n")
    print("| record | chars | ~nodes | TOC pass | TOC: sanitise | swap | swap: parse | typeset | layout |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for v, m in med.items():
        label = {"kept": "renderer's newlines kept", "walked": "without `data-mjx` (MathJax walks it)",
                 "dropped": "**as built** (newlines before blocks dropped, `data-mjx`)",
                 "bare": "as built without `class` and `style` attributes (for scale only)"}[v]
        print(f"| {label} | {len(variants[v]):,} | {nodes[v]:,} | {m['toc']:.1f} | {m['sanitize']:.1f} | {m['swap']:.1f} "
              f"| {m['parse']:.1f} | {m['typeset']:.1f} | {m['layout']:.1f} |")


if __name__ == "__main__":
    main()

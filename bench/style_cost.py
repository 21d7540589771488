"""What one DOM change in a long live answer costs in style recalculation, in JupyterLab.

Why: a flush changes a few elements at the end of a text block, and what it costs must
not grow with the answer. A single CSS rule can break that: view.css had
``.cw-committed:has(+ .cw-tail:empty) > :last-child``, with which every change of a
block's DOM restyled the whole block. This streams a long answer into a StreamView (kept
live in a VBox), then times, with the page's stylesheets as they are, the style
recalculation that follows appending one paragraph to the block (best of 4): once as
is, and once with that old rule added back.

    python bench/style_cost.py [--tokens 20000]

Prints the figures (it writes nothing to the repository).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _lab import lab_in_chromium

from tests.browser._costs import SETUP
from tests.browser._helpers import Notebook

CELL = """\
from ipywidgets import VBox
TEXT = markdown({tokens})
view = StreamView()
display(VBox([view]))
view.consume(raw_events([{{'type': 'text', 'text': TEXT}}], size=4000))
view.wait(timeout=600)"""

OLD_RULE = (".claude-widgets-streamview .cw-md.cw-text > .cw-committed:has(+ .cw-tail:empty) > :last-child "
            "{ margin-bottom: 0; }")

COST_JS = """async (oldRule) => {
    const root = document.querySelector('.cw-root');
    const committed = root.querySelector('.cw-committed');
    const tail = root.querySelector('.cw-tail');
    const cost = async () => {
        const ts = [];
        for (let i = 0; i < 4; i++) {
            await new Promise((r) => requestAnimationFrame(r));
            const p = document.createElement('p');
            p.textContent = 'one more paragraph';
            committed.append(p);
            const t = performance.now();
            getComputedStyle(tail).color;  // forces the style recalculation
            ts.push(performance.now() - t);
            p.remove();
        }
        return Math.min(...ts);
    };
    const asIs = await cost();
    const style = document.createElement('style');
    style.textContent = oldRule;
    document.head.append(style);
    const withOld = await cost();
    style.remove();
    return {elements: root.querySelectorAll('*').length, asIs, withOld};
}"""


def main() -> None:

    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=20000)
    args = ap.parse_args()
    with lab_in_chromium("style-cost-") as (server, ctx):
        page = ctx.new_page()
        nb = Notebook(server, page, "style.ipynb", [SETUP, CELL.format(tokens=args.tokens)]).open()
        nb.run_all()
        nb.wait_idle(timeout=600_000)
        page.wait_for_function("() => document.querySelector('.cw-root')?.dataset.cwState === 'done'",
                               timeout=120_000)
        r = page.evaluate(COST_JS, OLD_RULE)
        print(f"{args.tokens:,} tokens, {r['elements']:,} elements in the view: appending one paragraph "
              f"restyles in {r['asIs']:.1f} ms; with the old :has() rule, {r['withOld']:.1f} ms (best of 4)")


if __name__ == "__main__":
    main()

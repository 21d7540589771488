"""What JupyterLab's "Include cell output in headings" costs the page after a long answer.

JupyterLab's notebook table of contents is always active, shown or not (its model's
``isAlwaysActive``: it also drives collapsible headings and the running-cell marks). With
its setting ``includeOutput`` on (the default: Settings → Table of Contents → "Include cell
output in headings"), every change to a cell's outputs has ``CodeCell.getHeadings`` sanitise
and parse each HTML output whole, a single task (``bench/record_in_lab.py`` times it alone).
A finished StreamView changes its output once, to its record, so a 50k-token answer pays
that pass once, after its last delta, as would ``display(HTML(...))`` of the same HTML.

This bench streams a 50k-token answer unpaced through StreamView, and shows the same record
with ``display(HTML(record))`` (the control: what JupyterLab spends on that HTML at all),
with the setting on and off, in fresh pages and kernels, interleaved (the order reversed
every other round), and prints the page's longest task and frame after the last delta,
per run and as medians. It measures as tests/browser/test_browser_costs.py does
(tests/browser/_costs.py), each page first showing a 5k-token answer.

    python bench/toc_setting.py [--runs 3]

Prints a Markdown table (it writes nothing to the repository); bench/results/browser.md
quotes it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _lab import cpu_reference_s, lab_in_chromium

from tests.browser._costs import Result, cells_for, measure
from tests.browser._helpers import Notebook


def after_last_delta(r: Result) -> int:
    """The page's longest task that started after the last delta (JupyterLab's passes over the record)."""
    return max((d for d, at in r.long_task_at or [] if at >= 0), default=0)


def one_round(server: Any, ctx: Any, i: int, on: bool) -> tuple[Result, Result]:
    server.shutdown_kernels()
    page = ctx.new_page()
    try:
        nb = Notebook(server, page, f"toc_{i}_{'on' if on else 'off'}.ipynb", cells_for(3)).open()
        nb.include_output_headings(on)
        nb.run_all()
        nb.wait_idle()
        measure(nb, 1, "streamview", 5000, paced=False)
        return measure(nb, 2, "streamview", 50000, paced=False), measure(nb, 3, "record-html", 50000, paced=False)
    finally:
        page.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    got: dict[bool, list[tuple[Result, Result]]] = {True: [], False: []}
    print(f"host: a CPython loop of 10^7 additions takes {cpu_reference_s():.2f} s (cpu_reference_s)", flush=True)
    with lab_in_chromium("toc-setting-") as (server, ctx):
        for i in range(args.runs):
            for on in ((True, False) if i % 2 == 0 else (False, True)):
                view, control = one_round(server, ctx, i, on)
                got[on].append((view, control))
                print(f"round {i + 1}, includeOutput {on}: StreamView {after_last_delta(view)} ms "
                      f"(frame {view.longest_frame_ms:.0f}), control {after_last_delta(control)} ms "
                      f"(frame {control.longest_frame_ms:.0f})", flush=True)

    def cell(values: list[float]) -> str:
        return f"{statistics.median(values):.0f} ({', '.join(f'{v:.0f}' for v in values)})"

    print(f"\nA 50k-token answer, unpaced, in JupyterLab: the page's longest task after the last delta, and its "
          f"longest frame, ms: median (each of {args.runs} runs)\n")
    print("| \"Include cell output in headings\" | StreamView: longest task | StreamView: longest frame "
          "| control `display(HTML(record))`: longest task | control: longest frame |")
    print("|---|---:|---:|---:|---:|")
    for on in (True, False):
        views = [v for v, _ in got[on]]
        controls = [c for _, c in got[on]]
        label = "on (JupyterLab's default)" if on else "off"
        print(f"| {label} | {cell([after_last_delta(v) for v in views])} | {cell([v.longest_frame_ms for v in views])} "
              f"| {cell([after_last_delta(c) for c in controls])} | {cell([c.longest_frame_ms for c in controls])} |")


if __name__ == "__main__":
    main()

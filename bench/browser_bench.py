"""What showing a stream costs the page: JupyterLab in headless Chromium (issue 14.9).

For each sink (StreamView, ``display(Markdown)`` updates, ``HTML.value +=``, ``print``),
one cell streams an answer while the page is measured (tests/browser/_costs.py says
how): paced at 20 ms a delta (5k tokens of prose: DOM lag), and unpaced (5k and 50k
tokens of the offline server's long Markdown: main-thread time, last delta to final, JS
heap growth after GC, long tasks and the longest frame). Every wait is bounded: a run
whose cell has not ended on the page in time (4 min, 5 for a full-resend sink) is a row
saying so and why; a sink that has not settled 60 s (5 min) after its cell ended is
reported as not final. The server runs with jupyter_server's iopub rate limits off, so
each row is the cost of showing the whole answer.

A second table: the static record and the live view rendering 1 MB adversarial answers
(issue 13): the record in this process (``_static.render_markdown``), the live view in
Chromium on its own (view.js with a fake model, as tests/browser/test_view_unit.py).

    python bench/browser_bench.py [--quick]      # --quick: StreamView and print only
    python bench/browser_bench.py --sink print --tokens 50000 --no-paced   # one row, printed only

Writes bench/results/browser.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _lab import cpu_reference_s, lab_in_chromium

from tests._chromium import CHROMIUM_ARGS, require_chromium
from tests.browser._costs import CONTROLS, SINK_LABELS, SINKS, Result, cells_for, measure
from tests.browser._helpers import Notebook

RUNS = [(5000, True), (5000, False), (50000, False)]
# Each update resends the whole answer: 50k tokens would be ~3.6 GB through iopub (over
# jupyter_server's rate limits, so it drops output) and minutes of page time.
QUADRATIC = ("markdown", "html")
# How long a run may take: the cell to end (idle), then the page to settle (final)
IDLE_S = {False: 240, True: 300}  # a full-resend sink that has not ended in 5 min is reported as such
FINAL_S = {False: 60, True: 300}
# jupyter_server drops a cell's iopub messages above 1,000 a second (or 10 MB/s) over 3 s:
# `print` at 50k tokens (~20,000 messages) and the full-resend sinks' updates would reach
# the page only in part. Off here, so every sink's row is the cost of showing all of it.
NO_RATE_LIMIT = ("--ZMQChannelsWebsocketConnection.iopub_msg_rate_limit=0",
                 "--ZMQChannelsWebsocketConnection.iopub_data_rate_limit=0")
# Before each measured run, the same sink shows a short answer in the same notebook: the
# first answer on a page also loads what the sink needs (for StreamView, its libraries),
# a cost paid once per page, not per answer (its heap growth is reported apart).
WARM_TOKENS = 500
RECORD_BOUND_MS = 10_000
LIVE_BOUND_MS = 30_000
MB = 1_000_000


def _fill(unit: str) -> str:
    return (unit * (MB // len(unit) + 1))[:MB]


ADVERSARIAL = {
    "lists nested 19 deep, repeated": _fill("- " * 19 + "x\n\n"),
    "quotes nested 20 deep, repeated": _fill(">" * 20 + " x\n\n"),
    "emphasis nested 20 deep, repeated": _fill("_a " * 20 + "a_ " * 20 + "\n\n"),
    "one 1 MB line": _fill("word "),
    "`&` entities": _fill("&#"),
    "brackets `[x`": _fill("[x"),
    "nested too deep (plain-text fallback)": _fill("- "),
    "table 1 column, 60k rows": "| a |\n|---|\n" + _fill("| x |\n"),
}


CPU_REF: list[float] = []  # cpu_reference_s() before the browser runs


def _load_note() -> str:
    cores = os.cpu_count() or 1
    note = f"{cores} cores shared with other work"
    if CPU_REF:
        note += f"; a CPython loop of 10^7 additions took {CPU_REF[0]:.2f} s before the runs (`cpu_reference_s`)"
    if not LOAD:
        return note + "."
    note += f"; load average (1 min) {LOAD[0]:.1f} at the start of the browser runs, {LOAD[-1]:.1f} at the end"
    if max(LOAD) > cores:
        note += (": above the core count, other processes took part of the CPU, so the figures are noisy, "
                 "within a run and between runs")
    return note + "."


def _fmt(v: float | None, unit: str = "") -> str:
    return "–" if v is None else f"{v:,.0f}{unit}"


failed: list[tuple[str, int, bool, str]] = []
WARM_HEAP: dict[str, list[float]] = {}  # per sink: the warm-up runs' heap growth (MB)
LOAD: list[float] = []  # the machine's 1-minute load average at the start and the end of the browser runs


def run_browser(quick: bool, only_sink: str | None = None, only_tokens: int | None = None,
                only_paced: bool | None = None) -> list[Result]:
    sinks = (only_sink,) if only_sink else ("streamview", "print") if quick else SINKS
    runs = [(t, p) for t, p in RUNS if (only_tokens is None or t == only_tokens)
            and (only_paced is None or p == only_paced)]
    CPU_REF.append(cpu_reference_s())
    LOAD.append(os.getloadavg()[0])
    results: list[Result] = []
    try:
        with lab_in_chromium("browser-bench-", server_args=NO_RATE_LIMIT) as (server, ctx):
            for sink in sinks:
                for tokens, paced in runs:
                    if sink in QUADRATIC and tokens > 5000:
                        continue  # see QUADRATIC
                    # a fresh notebook (and kernel) per run: nothing of the last run on the heap but
                    # the warm-up's short answer (WARM_TOKENS)
                    page = ctx.new_page()
                    # a full-resend sink re-renders the whole answer on every update: its page may
                    # take minutes to catch up (unpaced, ~2,000 updates of up to 18 KB at 5k tokens)
                    slow = sink in QUADRATIC
                    t0 = time.monotonic()
                    try:
                        nb = Notebook(server, page, f"bench_{sink}_{tokens}_{int(paced)}.ipynb", cells_for(2)).open()
                        nb.run_all()
                        nb.wait_idle()
                        warm = measure(nb, 1, sink, WARM_TOKENS, paced=False, final_timeout_s=FINAL_S[slow],
                                       idle_timeout_s=IDLE_S[slow])
                        WARM_HEAP.setdefault(sink, []).append(warm.heap_growth_mb)
                        r = measure(nb, 2, sink, tokens, paced, final_timeout_s=FINAL_S[slow],
                                    idle_timeout_s=IDLE_S[slow])
                    except Exception as e:  # noqa: BLE001 - a sink that never finishes is a result too
                        why = str(e).splitlines()[0][:300].replace("|", "/")
                        print(sink, tokens, paced, f"did not finish in {time.monotonic() - t0:.0f} s:", why, flush=True)
                        failed.append((sink, tokens, paced, f"{time.monotonic() - t0:.0f} s: {why}"))
                    else:
                        print(r, flush=True)
                        results.append(r)
                    finally:
                        page.close()
                        server.shutdown_kernels()
    finally:
        LOAD.append(os.getloadavg()[0])
    return results


def run_adversarial() -> list[tuple[str, float, float, str]]:
    """(name, record ms, live ms, how each showed it)."""
    from playwright.sync_api import sync_playwright

    from claude_widgets._esm import build_esm
    from claude_widgets._static import render_markdown

    harness = (REPO / "tests" / "browser" / "harness.js").read_text()
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_content("<!doctype html><html><body></body></html>")
        page.evaluate("src => import(URL.createObjectURL(new Blob([src], {type: 'text/javascript'})))"
                      ".then(m => { window.cw = m; })", build_esm())
        page.add_script_tag(content=harness)
        for name, text in ADVERSARIAL.items():
            t = time.perf_counter()
            _, reason = render_markdown(text)
            record_ms = (time.perf_counter() - t) * 1000
            live = page.evaluate("""async (text) => {
                const h = (await cwHarness()).initialize();
                const el = await h.addView();
                h.setStatus({state: "streaming"});
                h.ops([["start", 0, {type: "text"}]]);
                const t = performance.now();
                const step = 4096;  // as the kernel batches an unpaced burst (~30 flushes/s)
                for (let o = 0; o < text.length; o += step) {
                    h.ops([["append", 0, o, text.slice(o, o + step)]]);
                    await h.settle();
                }
                h.ops([["stop", 0, null]]);
                h.setStatus({state: "done"});
                await h.settle();
                el.getBoundingClientRect();  // layout included
                const ms = performance.now() - t;
                const plain = el.querySelector('.cw-render-note');
                el.remove();
                return {ms, plain: plain ? plain.textContent : ""};
            }""", text)
            how = f"record: {'plain text (' + reason + ')' if reason else 'Markdown'}; live: " + (
                live["plain"] or "Markdown")
            print(name, round(record_ms), round(live["ms"]), how, flush=True)
            rows.append((name, record_ms, live["ms"], how))
        browser.close()
    return rows


def write(results: list[Result], adversarial: list[tuple[str, float, float, str]]) -> str:
    lines = [
        "# Showing a stream in JupyterLab: what it costs the page",
        "",
        (f"Measured by `python bench/browser_bench.py` on {datetime.date.today().isoformat()}: JupyterLab in headless "
        "Chromium, one fresh notebook and kernel per run, each measured after a warm-up answer of "
        f"{WARM_TOKENS} tokens through the same sink, CDP metrics (tests/browser/_costs.py)."),
        "",
        ("| sink | answer | main thread (ms) | last delta → final (ms) | DOM lag p50 / p95 (ms) | JS heap growth (MB) "
        "| long tasks n / total (ms) | longest task (ms) | longest frame (ms) | StreamView's longest task / frame (ms) "
        "| StreamView's script in a frame (ms) |"),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        answer = f"{r.tokens // 1000}k tokens, " + ("paced 20 ms/delta (prose)" if r.paced else "unpaced (Markdown)")
        lag = f"{_fmt(r.lag_p50_ms)} / {_fmt(r.lag_p95_ms)}" if r.paced else "–"
        final = (_fmt(r.last_delta_to_final_ms) if r.last_delta_to_final_ms is not None
                 else f"not final after {FINAL_S[r.sink in QUADRATIC]} s")
        own = f"{_fmt(r.own_longest_task_ms)} / {_fmt(r.own_longest_frame_ms)}" if r.sink == "streamview" else "–"
        script = _fmt(r.own_frame_script_ms) if r.sink == "streamview" else "–"
        lines.append(f"| {SINK_LABELS[r.sink]} | {answer} | {_fmt(r.main_thread_ms)} | {final} | {lag} "
                     f"| {r.heap_growth_mb:.1f} | {r.long_tasks} / {_fmt(r.long_task_ms)} | {_fmt(r.longest_task_ms)} "
                     f"| {_fmt(r.longest_frame_ms)} | {own} | {script} |")
    for sink, tokens, paced, why in failed:
        answer = f"{tokens // 1000}k tokens, " + ("paced 20 ms/delta (prose)" if paced else "unpaced (Markdown)")
        lines.append(f"| {SINK_LABELS[sink]} | {answer} | did not finish in {why} |" + " |" * 8)
    lines += [
        "",
        ("- *main thread*: CDP `TaskDuration` from the cell's start until the page settled (no DOM change for 1.5 s), "
        "JupyterLab's own work included (and, in paced runs, the sampling of the page's text at every DOM change). *last delta → final*: the page's last DOM change minus the time the kernel "
        "handed over the last delta. *DOM lag*: for each delta, the first time the output showed all the non-space "
        "characters received up to it, minus the time it was handed over (page and kernel share the clock). "
        "*JS heap growth*: `JSHeapUsedSize` after a forced GC, after the run minus before. *long tasks*: "
        "PerformanceObserver `longtask` (≥ 50 ms); *longest frame*: the longest gap between animation frames."),
        ("- *StreamView's longest task / frame*: the longest long task, and the longest long animation frame, in "
        "which StreamView's code ran (a `long-animation-frame` entry listing a script from its anywidget modules, "
        "blob: URLs; JupyterLab's code comes from /static/). Conservative: the whole task or frame counts, "
        "including the layout of what the flush added and any JupyterLab work that shared it, and time the page's "
        "thread spent off the CPU (on a 2-core machine, the kernel, the server and Chromium's raster threads share "
        "it). *StreamView's script in a frame*: the most time its scripts took in one long animation frame (not counting a module's evaluation: its libraries', once per page, before the warm-up answer), what "
        "its frame budget governs. The *longest task* "
        "and *longest frame* columns are the whole page's: for StreamView they include JupyterLab's swap of the "
        "finished view for its static record (one task that parses the answer's HTML and lays out what is on "
        "screen, forced by JupyterLab's `updatePromptOverlayIcon`, and a call to MathJax, which the record's "
        "`data-mjx` keeps out of it (on a page that has typeset nothing yet, MathJax loads first); then a "
        "task in which the table of contents sanitises and parses that HTML again, "
        "looking for headings: `CodeCell.getHeadings`, for any HTML output); `print` alone shows what "
        "JupyterLab's own output handling costs. What the long tasks are: `python bench/profile_burst.py` (a CDP "
        "trace, task by task)."),
        ("- Bounds (issue 14.9), checked for StreamView by tests/browser/test_browser_costs.py: paced DOM lag p95 ≤ 60 ms; "
        "a 50k-token burst grows the heap ≤ 10 MB, runs ≤ 100 ms of StreamView's script in any frame (and ≤ 40 ms "
        "in the page's first StreamView's frames, paced), has no task over 100 ms while it streams, and after it "
        "the page's longest task is at most twice that of the control `display(HTML(record))`. The whole page's longest frame is not bounded there: JupyterLab's own work on "
        "the record (above) can share a frame, and its `print` handling exceeds 100 ms on this machine by itself."),
        ("- The full-resend sinks (`display(Markdown)` updates, `HTML.value +=`) are run at 5k tokens only, with "
        f"{IDLE_S[True] // 60} min for the cell and {FINAL_S[True] // 60} min for the page to settle. At 50k tokens every "
        "update would resend the whole answer: ~3.6 GB through iopub, above jupyter_server's rate limits, and "
        "minutes of page time."),
        ("- The Jupyter server runs with its iopub rate limits off (`ZMQChannelsWebsocketConnection."
         "iopub_msg_rate_limit=0`, `iopub_data_rate_limit=0`): with the defaults (1,000 messages/s, 10 MB/s over 3 s) "
         "it drops most of `print`'s 50k-token output (~20,000 messages) and the page shows only part of it (and, "
         "seen here, may never see the cell end). StreamView's ~30 updates/s stay far below them. A row *did not "
         "finish* when the page had not shown the cell's end in time; it says what the page and the server showed."),
        ("- Each run opens a fresh notebook and first shows a warm-up answer of "
        f"{WARM_TOKENS} tokens through the same sink: the first answer on a page also loads what the sink needs, "
        "once per page. That first answer's heap growth (median of the warm-ups, MB): "
        + ", ".join(f"{SINK_LABELS[k]} {statistics.median(v):.1f}" for k, v in WARM_HEAP.items())
        + ". For StreamView it is mostly its libraries (marked, DOMPurify, Temml, highlight.js), loaded with its "
        "first view. tests/browser/test_browser_costs.py measures its 50k burst on a freshly loaded page after one 5k answer."),
        f"- Machine: {platform.machine()}, Python {platform.python_version()}, {_load_note()}",
        "",
        "## 1 MB adversarial answers (issue 13)",
        "",
        "| answer (1 MB) | record, Python (ms) | live view, Chromium (ms) | shown as |",
        "|---|---:|---:|---|",
    ]
    for name, rec_ms, live_ms, how in adversarial:
        lines.append(f"| {name} | {rec_ms:,.0f} | {live_ms:,.0f} | {how} |")
    bound_rec = max(r for _, r, _, _ in adversarial)
    bound_live = max(live for _, _, live, _ in adversarial)
    held = "holds" if bound_rec <= RECORD_BOUND_MS and bound_live <= LIVE_BOUND_MS else "DOES NOT HOLD"
    lines += [
        "",
        (f"Stated bound: a 1 MB answer of any of these shapes renders in ≤ {RECORD_BOUND_MS // 1000} s in the record "
        f"and ≤ {LIVE_BOUND_MS // 1000} s live on this machine: {held} in this run (largest: record "
        f"{bound_rec:,.0f} ms, live {bound_live:,.0f} ms). The record is `_static.render_markdown` (nesting guard, "
        "markdown-it-pyrs or markdown-it-py with math, Pygments, nh3); live is view.js fed in 4 KB batches with a "
        "fake model, each batch rendered before the next, layout at the end. Live, a block may spend 3 s + 10 µs a "
        "character in the Markdown renderer before it is shown as plain text (`TIME_BASE_MS`, `TIME_PER_CHAR_MS` "
        "in view.js); deep lists and quotes spend most of their time in layout, outside that budget."),
    ]
    return "\n".join(lines) + "\n"


RECORD_PASSES = "## The record's passes in JupyterLab"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="StreamView and print only")
    ap.add_argument("--adversarial-only", action="store_true")
    ap.add_argument("--sink", choices=SINKS + CONTROLS, help="this sink (or control) only: printed, nothing written")
    ap.add_argument("--tokens", type=int, choices=sorted({t for t, _ in RUNS}), help="this answer size only")
    ap.add_argument("--paced", action=argparse.BooleanOptionalAction, default=None, help="paced runs only / unpaced only")
    args = ap.parse_args()
    if args.sink or args.tokens or args.paced is not None:
        for r in run_browser(args.quick, args.sink, args.tokens, args.paced):
            print(r)
        print("did not finish:", failed)
        return
    results = [] if args.adversarial_only else run_browser(args.quick)
    adversarial = run_adversarial()
    out = write(results, adversarial)
    path = REPO / "bench" / "results" / "browser.md"
    path.parent.mkdir(exist_ok=True)
    marker = "## 1 MB adversarial answers"
    last = path.read_text() if path.exists() else ""
    if args.adversarial_only and marker in last:
        # keep the browser table of the last full run; replace only the adversarial section
        out = last.split(marker)[0] + marker + out.split(marker)[1]
    elif RECORD_PASSES in last:
        # bench/record_in_lab.py's section is quoted by hand (its own run): keep it
        kept = last.split(RECORD_PASSES)[1].split("\n## ")[0]
        head, tail = out.split(marker)
        out = f"{head}{RECORD_PASSES}{kept.rstrip()}\n\n{marker}{tail}"
    path.write_text(out)
    print(out)


if __name__ == "__main__":
    main()

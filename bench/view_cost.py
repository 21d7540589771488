"""Where StreamView's kernel time goes, for the 20,000-delta answer of ``widget_bench.py``.

``widget_bench.py`` gives the ratio to the bare loop; this breaks the difference down:

1. *In a real kernel*, interleaved rounds of five cells: the bare ``create(stream=True)``
   loop; the same loop in a ``threading.Thread`` (StreamView must read the stream off the
   cell's thread); that thread feeding each event to an ``_Answer`` and taking its ops every
   1,000 events (the view's hot path and its flusher's share, interleaved with the SDK's
   parsing as in a view: dearer than feeding recorded events, step 2); ``stream(client, …, resume=False, display=False)`` (no display, so no
   record); and ``stream(client, …, resume=False)`` + ``view.wait()``. For the views:
   when its stream ended (``_finish`` starts) and how long ``_finish`` took (last flush,
   snapshot, status, the record and its display update, retiring the model), and the CPU
   time of each thread (the consumer's includes ``_finish``).
2. *In this process*, the record's steps on that answer's text, best of 7 (CPU-bound work
   measured on its own: what each step costs, not what a shared machine adds).

Run::

    python bench/view_cost.py            # writes bench/results/view_cost.md
    python bench/view_cost.py --rounds 5
"""

from __future__ import annotations

import argparse
import html
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
import widget_bench as wb  # the same server, kernel setup and sinks

from claude_widgets import DEFAULT_MODEL
from tests._kernel import Kernel

TOKENS = 50_000

INSTRUMENT = r'''
import time, threading
from claude_widgets import _view as _V
_phase = {}
def _wrap(name, key):
    orig = getattr(_V.StreamView, name)
    def wrapped(self, *a):
        c0, t0 = time.thread_time(), time.perf_counter()
        if name == "_finish":
            _phase["stream_end"] = t0
        try:
            return orig(self, *a)
        finally:
            _phase[key + "_cpu"] = time.thread_time() - c0
            _phase[key + "_wall"] = time.perf_counter() - t0
    setattr(_V.StreamView, name, wrapped)
_wrap("_run_sync", "consumer"); _wrap("_flush_loop", "flusher"); _wrap("_finish", "finish")
'''

CELLS = {
    "bare loop": """
_m0 = time.thread_time(); _t0 = time.perf_counter(); _parts = []
for e in client.messages.create(stream=True, **kw({tokens})):
    if e.type == "content_block_delta":
        _parts.append(e.delta.text)
_ph = {{"main_cpu": time.thread_time() - _m0}}
""",
    "bare loop in a thread": """
import threading
_m0 = time.thread_time(); _t0 = time.perf_counter(); _box = {{}}
def _loop():
    c0 = time.thread_time(); parts = []
    for e in client.messages.create(stream=True, **kw({tokens})):
        if e.type == "content_block_delta":
            parts.append(e.delta.text)
    _box["cpu"] = time.thread_time() - c0
_th = threading.Thread(target=_loop); _th.start(); _th.join()
_ph = {{"main_cpu": time.thread_time() - _m0, "consumer_cpu": _box["cpu"]}}
""",
    "… in a thread, each event fed to an `_Answer`": """
import threading
from claude_widgets._answer import _Answer
_m0 = time.thread_time(); _t0 = time.perf_counter(); _box = {{}}
def _loop():
    c0 = time.thread_time(); a = _Answer(); feed = a.feed; n = 0
    for e in client.messages.create(stream=True, **kw({tokens})):
        feed(e); n += 1
        if n % 1000 == 0:  # what the flusher does ~30 times a second: put the held deltas in
            with a.lock:
                a.take_ops()
    a.text()
    _box["cpu"] = time.thread_time() - c0
_th = threading.Thread(target=_loop); _th.start(); _th.join()
_ph = {{"main_cpu": time.thread_time() - _m0, "consumer_cpu": _box["cpu"]}}
""",
    "StreamView, `display=False` (no record)": """
_phase.clear(); _m0 = time.thread_time(); _t0 = time.perf_counter()
view = stream(client, resume=False, display=False, **kw({tokens}))
view.wait()
_ph = {{"main_cpu": time.thread_time() - _m0, "stream_end": _phase["stream_end"] - _t0,
       "finish": _phase["finish_wall"], "consumer_cpu": _phase["consumer_cpu"],
       "flusher_cpu": _phase["flusher_cpu"]}}
""",
    "StreamView `stream(client, …, resume=False)`": """
_phase.clear(); _m0 = time.thread_time(); _t0 = time.perf_counter()
view = stream(client, resume=False, **kw({tokens}))
view.wait()
_ph = {{"main_cpu": time.thread_time() - _m0, "stream_end": _phase["stream_end"] - _t0,
       "finish": _phase["finish_wall"], "consumer_cpu": _phase["consumer_cpu"],
       "flusher_cpu": _phase["flusher_cpu"]}}
""",
}
CLOCKS = "_p0 = time.process_time()\n{code}\n_t = time.perf_counter() - _t0; _p = time.process_time() - _p0\n"


def kernel_rounds(rounds: int) -> dict[str, list[dict[str, float]]]:
    url = wb.SERVER.start()
    kernel = wb.SERVER.kernel = Kernel(block=False, front_end=True)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in CELLS}
    try:
        kernel.check(wb.SETUP.format(url=url, model=DEFAULT_MODEL))
        kernel.check(INSTRUMENT)
        names = list(CELLS)
        for name in names:  # warm up
            kernel.check(CLOCKS.format(code=CELLS[name].format(tokens=TOKENS)), timeout=900)
        for r in range(rounds):
            for name in names if r % 2 == 0 else names[::-1]:
                wb.SERVER.ensure()
                run = kernel.check(CLOCKS.format(code=CELLS[name].format(tokens=TOKENS)), timeout=900,
                                   user_expressions={"r": "json.dumps({**_ph, 'wall': _t, 'cpu': _p})"})
                runs[name].append(run.expression("r"))
    finally:
        kernel.close()
        wb.SERVER.stop()
        wb.SERVER.kernel = None
    return runs


def _best(f: Callable[[], Any], n: int = 7) -> float:
    best = float("inf")
    for _ in range(n):
        t0 = time.thread_time()
        f()
        best = min(best, time.thread_time() - t0)
    return best


def record_steps() -> tuple[list[tuple[str, float]], int, int]:
    """The record's steps on the benchmark answer's text, CPU ms each (best of 7)."""
    import anthropic

    from claude_widgets import _static as S
    from claude_widgets._answer import _Answer
    from claude_widgets._mathcode import highlight
    from claude_widgets._mdguard import too_deep, too_long
    from claude_widgets._record_css import prune
    from claude_widgets._view import _status

    url = wb.SERVER.start()
    try:
        client = anthropic.Anthropic(base_url=url, api_key="bench", max_retries=0)
        events = list(client.messages.create(stream=True, model=DEFAULT_MODEL, max_tokens=TOKENS,
                                             messages=[{"role": "user", "content": "benchmark"}],
                                             extra_headers={"x-offline-scenario": "long"}))
    finally:
        wb.SERVER.stop()
    answers: list[_Answer] = []

    def feed() -> None:
        a = _Answer()
        for e in events:
            a.feed(e)
        answers.append(a)

    steps = [("feed 20,000 deltas (`_Answer.feed`)", _best(feed))]
    a = answers[-1]

    def snapshot() -> None:
        with a.lock:
            a.take_ops()
            a.snapshot()

    text = a.text()
    rendered = S._renderer()(text)
    codes = [(html.unescape(m[2]), html.unescape(m[1])) for m in S._CODE.finditer(rendered)]
    highlighted = S._CODE.sub(S._highlighted, rendered)
    body = S.markdown_html(text)
    status = _status("done", model=a.model, input_tokens=1, output_tokens=2, stop_reason="end_turn", elapsed=1.0)
    steps += [
        ("snapshot (JSON + zlib)", _best(snapshot)),
        ("nesting guard (`too_deep`)", _best(lambda: too_deep(text))),
        ("long lines (`too_long`)", _best(lambda: too_long(text))),
        ("Markdown → HTML (markdown-it-pyrs)", _best(lambda: S._renderer()(text))),
        (f"Pygments, {len(codes)} code blocks (`highlight`)", _best(lambda: [highlight(c, lang) for c, lang in codes])),
        ("sanitising (nh3)", _best(lambda: S._cleaner().clean(highlighted.replace("&amp;", S._AMP)))),
        ("`markdown_html` in all", _best(lambda: S.markdown_html(text))),
        ("CSS pruning (`prune`)", _best(lambda: prune(S._css(), body))),
        ("**`record_html` in all**", _best(lambda: a.record(status))),
        ("the final `Message` (`_Answer.message`)", _best(a.message)),
    ]
    return [(name, t * 1e3) for name, t in steps], len(text), len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=9, help="interleaved kernel rounds (median)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    runs = kernel_rounds(args.rounds)
    steps, chars, html_chars = record_steps()

    def med(name: str, key: str) -> str:
        values = [r[key] for r in runs[name] if key in r]
        return f"{statistics.median(values) * 1e3:,.0f}" if values else "–"

    bare = statistics.median(r["wall"] for r in runs["bare loop"])
    bare_cpu = statistics.median(r["cpu"] for r in runs["bare loop"])
    lines = [
        "# Where StreamView's kernel time goes (20,000 deltas, `resume=False`)",
        "",
        (f"Measured by `python bench/view_cost.py` on {time.strftime('%Y-%m-%d')} ({args.rounds} interleaved rounds, "
        f"medians; load average {load:.1f} / {os.getloadavg()[0]:.1f} at the start / end)."),
        "",
        "In a real kernel (ms; *stream end*: when `_finish` started, from the cell's start):",
        "",
        ("| cell | wall | ÷ bare | process CPU | ÷ bare | main thread CPU | consumer thread CPU | flusher CPU "
        "| stream end | `_finish` |"),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rows in runs.items():
        wall = statistics.median(r["wall"] for r in rows)
        cpu = statistics.median(r["cpu"] for r in rows)
        lines.append(f"| {name} | {wall * 1e3:,.0f} | {wall / bare:.2f}× | {cpu * 1e3:,.0f} | {cpu / bare_cpu:.2f}× | "
                     f"{med(name, 'main_cpu')} | {med(name, 'consumer_cpu')} | {med(name, 'flusher_cpu')} | "
                     f"{med(name, 'stream_end')} | {med(name, 'finish')} |")
    lines += [
        "",
        (f"In this process, on the same answer ({chars:,} characters of Markdown, {html_chars:,} of HTML; "
        "CPU ms, best of 7):"),
        "",
        "| step | ms |",
        "|---|---:|",
        *(f"| {name} | {ms:.1f} |" for name, ms in steps),
        "",
    ]
    out = "\n".join(lines)
    print(out)
    (REPO / "bench" / "results" / "view_cost.md").write_text(out, encoding="utf-8")


if __name__ == "__main__":
    main()

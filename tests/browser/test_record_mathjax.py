"""JupyterLab's MathJax leaves a record alone: it does not even walk it.

JupyterLab typesets every HTML output with MathJax. A record has its math as MathML already,
so its root carries MathJax's ignore classes; those stop MathJax reading TeX, yet it still
walks every node below them, looking for a ``mathjax_process`` inside (33 ms of the swap's
task for a 50k-token record). The root's ``data-mjx`` keeps MathJax out (``_static.py``).
Seen here by a ``mathjax_process`` planted in a record: MathJax typesets it in the control
(the same record without ``data-mjx``), and not in the record as built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.widget.test_hostile_render import record_of

from ._shapes import record_cells

pytestmark = pytest.mark.browser

PLANT = '<span class="mathjax_process">\\(x^2\\)</span>'
CONTAINERS_JS = """([panel, cell]) => document.querySelectorAll(panel + ' .jp-Cell')[cell]
    .querySelectorAll('.jp-OutputArea mjx-container').length"""


def test_mathjax_does_not_walk_a_record(lab_notebook: Any, tmp_path: Path) -> None:
    built = record_of("Euler: $$e^{i\\pi} + 1 = 0$$\n\nand some prose.")
    assert 'data-mjx="skip"' in built and "<math" in built
    planted = built.replace('<div class="cw-blocks">', '<div class="cw-blocks">' + PLANT, 1)
    assert PLANT in planted
    control = planted.replace(' data-mjx="skip"', "", 1)
    nb = lab_notebook(record_cells(tmp_path, {"built": planted, "control": control}))
    nb.run_all()
    nb.wait_idle()
    # the control first: MathJax loaded, and typesets what is marked for it inside ignore classes
    nb.page.wait_for_function(f"(a) => ({CONTAINERS_JS})(a) > 0", arg=[nb.panel, 1], timeout=60_000)
    assert nb.page.evaluate(CONTAINERS_JS, [nb.panel, 0]) == 0
    # the record's own math is its MathML, shown as it is
    assert nb.page.evaluate("""([panel, cell]) => document.querySelectorAll(panel + ' .jp-Cell')[cell]
        .querySelectorAll('.jp-OutputArea .cw-blocks math').length""", [nb.panel, 0]) >= 1

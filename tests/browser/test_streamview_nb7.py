"""StreamView in Jupyter Notebook 7 (same widget code, a different application shell)."""

from __future__ import annotations

from typing import Any

import pytest

from ._helpers import setup_cell, stream_cell, xss_findings

pytestmark = pytest.mark.browser


def test_streams_in_notebook7(nb7_notebook: Any) -> None:
    nb = nb7_notebook([setup_cell(delay_ms=30), stream_cell(scenario="markdown-tour")])
    nb.start_sampling(1)
    nb.run_all()
    nb.wait_state(1, "done", timeout=90_000)
    samples = nb.stop_sampling()
    shown = sorted({s["shown"] for s in samples if s["state"] == "streaming" and s["shown"] > 0})
    assert len(shown) >= 10, shown
    view = nb.view(1)
    assert view.locator("h2").all_inner_texts() == ["Lists", "Code", "A table"]
    assert view.locator("pre > code.language-python").count() == 1
    assert view.locator("table tbody tr").count() == 3
    assert xss_findings(view) == []


def test_stop_in_notebook7(nb7_notebook: Any) -> None:
    nb = nb7_notebook([setup_cell(delay_ms=50), stream_cell("long answer", scenario="long", max_tokens=3000)])
    nb.run_all()
    view = nb.view(1)
    nb.page.wait_for_function("el => Number(el.dataset.cwTextChars) > 200", arg=view.element_handle())
    view.locator(".cw-stop").click()
    nb.wait_state(1, "stopped", timeout=15_000)
    assert "Section 1" in view.locator(".cw-blocks").inner_text()

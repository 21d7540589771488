"""The page ``jupyter nbconvert --to html`` makes of an executed notebook, opened in Chromium.

What a reader of the exported page sees: the answer, rendered, from the view's static
record; with widget state saved or not (nbclient saves it by default), and with the
page's CDN scripts unreachable, as offline. Model output in it runs no script.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from ._helpers import SCREENSHOTS, setup_cell, stream_cell, xss_findings

pytestmark = pytest.mark.browser

PAYLOADS_SHOWN = ["<script>alert('xss-script')</script>", "<img src=x onerror=\"alert('xss-img')\">",
                  "<svg onload=\"alert('xss-svg')\">", "<iframe srcdoc=", "End of payloads."]


def export(tmp_path: Path, store_widget_state: bool) -> Path:
    nb = nbformat.v4.new_notebook()
    cells = [setup_cell(delay_ms=0), stream_cell(scenario="markdown-tour"), stream_cell("xss", scenario="xss")]
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    env = {**os.environ, "CLAUDE_WIDGETS_BLOCK": "1"}
    NotebookClient(nb, kernel_name="python3", timeout=120, store_widget_state=store_widget_state).execute(env=env)
    assert ("widgets" in nb.metadata) == store_widget_state
    path = tmp_path / "exported.ipynb"
    nbformat.write(nb, path)
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(path)],
                   check=True, capture_output=True)
    return path.with_suffix(".html")


@pytest.mark.parametrize("store_widget_state", [True, False], ids=["state", "no-state"])
def test_exported_page_shows_the_answers(page: Any, page_events: Any, tmp_path: Path,
                                         store_widget_state: bool) -> None:
    html = export(tmp_path, store_widget_state)
    blocked: list[str] = []

    def offline(route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)  # time for any injected handler to fire

    records = page.locator(".cw-root.cw-record")
    assert records.count() == 2
    tour, xss = records.nth(0), records.nth(1)
    assert tour.locator("h1").inner_text() == "A tour of Markdown"
    assert tour.locator("h2").all_inner_texts() == ["Lists", "Code", "A table"]
    assert tour.locator("pre > code.language-python").count() == 1
    assert tour.locator("table tbody tr").count() == 3
    assert "Done" in tour.locator(".cw-bar").inner_text()
    # styled by the record's own CSS (JupyterLab's page CSS is not what colours the bar)
    assert tour.locator(".cw-bar").evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"

    text = xss.locator(".cw-blocks").inner_text()
    for shown in PAYLOADS_SHOWN:
        assert shown in text, f"payload not shown as text: {shown}"
    assert xss_findings(xss) == []
    assert page_events.dialogs == []
    if store_widget_state:
        assert any("html-manager" in u for u in blocked)  # the page tried to load the widget renderer
    page.screenshot(path=str(SCREENSHOTS / f"nbconvert_page_{'state' if store_widget_state else 'no_state'}.png"),
                    full_page=True)

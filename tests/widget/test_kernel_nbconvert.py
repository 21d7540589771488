"""A notebook run by nbclient and converted by ``jupyter nbconvert --to html`` shows the answer.

When the stream ends, the view's output is updated to its static record (``text/html``)
and ``text/plain``, without the widget: nbconvert would pick a widget whose state is saved
over any fallback, and anywidget cannot load in nbconvert's page, so the answer would be
blank. Checked with and without saved widget state (nbclient saves it by default): the finished
view's model is closed and its saved state is small (no code, no second copy of the answer).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from claude_widgets import DEFAULT_MODEL
from claude_widgets.server import OfflineServer

pytestmark = pytest.mark.kernel

ANSWER_MD = "The capital of France is **Paris**."
ANSWER_HTML = "The capital of France is <strong>Paris</strong>."
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def make_notebook(base_url: str, layout: str) -> Any:
    request = (f"view = stream(client, model={DEFAULT_MODEL!r}, max_tokens=300, "
               "messages=[{'role': 'user', 'content': 'What is the capital of France?'}], "
               "extra_headers={'x-offline-scenario': 'capital', 'x-offline-delay-ms': '20'})")
    cells = {
        "same-cell": [request + "\nview.wait();"],
        "next-cell": [request, "view.wait();"],  # the update comes while the next cell runs
        "blocking": [request],  # CLAUDE_WIDGETS_BLOCK=1: stream() itself waits (the repo's nbval mode)
    }[layout]
    nb = nbformat.v4.new_notebook()
    setup = ("import anthropic\nfrom claude_widgets._stream import stream\n"
             f"client = anthropic.Anthropic(base_url={base_url!r}, api_key='offline', max_retries=0)")
    nb.cells = [nbformat.v4.new_code_cell(c) for c in [setup, *cells]]
    return nb


def to_html(nb: Any, path: Path) -> str:
    nbformat.write(nb, path)
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(path)],
                   check=True, capture_output=True)
    return path.with_suffix(".html").read_text()


def stream_output(nb: Any) -> dict[str, Any]:
    outputs = [o for o in nb.cells[1].outputs if "text/plain" in o.get("data", {})]
    assert len(outputs) == 1
    return outputs[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize("layout", ["same-cell", "next-cell", "blocking"])
@pytest.mark.parametrize("store_widget_state", [False, True], ids=["no-state", "state"])
def test_answer_in_nbconvert_html(server: OfflineServer, tmp_path: Path, store_widget_state: bool,
                                  layout: str) -> None:
    nb = make_notebook(server.base_url, layout)
    env = {k: v for k, v in os.environ.items() if k != "CLAUDE_WIDGETS_BLOCK"}
    if layout == "blocking":
        env["CLAUDE_WIDGETS_BLOCK"] = "1"
    NotebookClient(nb, kernel_name="python3", timeout=120, store_widget_state=store_widget_state).execute(env=env)

    # the saved output was updated at the end: the record and the text of the final answer
    out = stream_output(nb)
    assert set(out["data"]) == {"text/html", "text/plain"}
    assert out["data"]["text/plain"] == ANSWER_MD
    assert ANSWER_HTML in out["data"]["text/html"]

    page = to_html(nb, tmp_path / "answer.ipynb")
    assert ANSWER_HTML in page
    assert 'class="cw-root cw-record" data-cw-state="done"' in page
    assert "[streaming" not in page
    assert f'<script type="{WIDGET_VIEW}">' not in page
    if not store_widget_state:
        assert WIDGET_STATE not in page
        return

    # the finished view's model was closed, emptied first (nbclient keeps the last state of
    # closed models): no code and no second copy of the answer in the saved state
    match = re.search(rf'<script type="{re.escape(WIDGET_STATE)}">\s*(.*?)\s*</script>', page, re.DOTALL)
    assert match
    states = json.loads(match.group(1))["state"].values()
    (view,) = [s for s in states if s["model_name"] == "AnyModel"]
    assert view["state"]["status"]["state"] == "done"
    assert [b for b in view.get("buffers", []) if b["path"] == ["snapshot"] and b["data"]] == []
    assert len(json.dumps(view)) < 5_000

"""Unattended runs store every answer, with no environment variable to set.

nbclient, ``jupyter nbconvert --execute`` and papermill send no ``cellId`` with their
execute requests, so a StreamView cell waits for its answer there and the saved output
is the answer's record, not ``[streaming…]`` (``claude_widgets/_frontend.py``). The
streams are paced (20 ms an event) so that a cell that did not wait would end first.
The first cell's offline notice is on stdout (a notebook shows stderr as a red box).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.kernel

CELLS = [
    "import claude_widgets as cw\nclient = cw.client()",
    "%load_ext claude_widgets",
    "%%claude\nWrite a haiku about streaming",
    ("view = cw.stream(client, model=cw.DEFAULT_MODEL, max_tokens=300,\n"
    "                 messages=[{'role': 'user', 'content': 'What is the capital of France?'}])"),
]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CLAUDE_WIDGETS_BLOCK" and not k.startswith("ANTHROPIC_")}
    env.update(CLAUDE_WIDGETS_OFFLINE="1", CLAUDE_WIDGETS_DELAY_MS="20")
    return env


def _notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _check_answers(nb: Any) -> None:
    first = nb.cells[0].outputs
    assert [o.get("name") for o in first if o.output_type == "stream"] == ["stdout"]
    assert "offline mode" in first[0].text and "offline-no-key" not in first[0].text
    for cell, answer in ((nb.cells[2], "Tokens drift like snow"), (nb.cells[3], "The capital of France is **Paris**.")):
        (out,) = [o for o in cell.outputs if o.output_type in ("display_data", "execute_result")]
        assert "[streaming" not in out.data["text/plain"]
        assert out.data["text/plain"].startswith(answer)
        assert 'class="cw-root cw-record" data-cw-state="done"' in out.data["text/html"]
        assert "application/vnd.jupyter.widget-view+json" not in out.data


def test_nbclient(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = nbformat.read(_notebook(tmp_path / "answers.ipynb"), as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=120).execute(env=_env())
    _check_answers(nb)


def test_nbconvert_execute(tmp_path: Path) -> None:
    path = _notebook(tmp_path / "answers.ipynb")
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", str(path),
                    "--output", "executed.ipynb"], check=True, capture_output=True, env=_env(), timeout=300)
    nb = nbformat.read(tmp_path / "executed.ipynb", as_version=4)
    _check_answers(nb)
    # and the saved widget state holds the view's code once, no copy per answer
    state = json.dumps(nb.metadata.get("widgets", {}))
    assert state.count('"_model_name": "AnyModel"') == 2
    assert len(state) < 90_000


def test_papermill(tmp_path: Path) -> None:
    path = _notebook(tmp_path / "answers.ipynb")
    subprocess.run([sys.executable, "-m", "papermill", str(path), str(tmp_path / "out.ipynb"), "-k", "python3"],
                   check=True, capture_output=True, env=_env(), timeout=300)
    _check_answers(nbformat.read(tmp_path / "out.ipynb", as_version=4))

"""Re-execute the tutorial notebooks and store their outputs (what nbval then compares).

Runs each notebook top to bottom in a fresh kernel, offline and unpaced (as the test
suite, see ``conftest.py``), and saves it in place. StreamView cells wait for their
streams by themselves: nbclient names no cell in its execute requests, which is how a
StreamView knows it runs unattended (``claude_widgets/_frontend.py``); no
``CLAUDE_WIDGETS_BLOCK`` needed. Run after editing a notebook::

    .venv/bin/python scripts/execute_notebooks.py [notebooks/03_raw_sse.ipynb ...]
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import time
import zlib
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
ENV = {"CLAUDE_WIDGETS_OFFLINE": "1", "CLAUDE_WIDGETS_DELAY_MS": "0"}


def _coalesce_streams(outputs: list) -> list:  # type: ignore[type-arg]
    """Join consecutive stdout/stderr pieces: how a streamed print was chunked is not the lesson,
    and storing the pieces would make every re-execution a diff."""
    merged: list = []  # type: ignore[type-arg]
    for out in outputs:
        if (out.output_type == "stream" and merged and merged[-1].output_type == "stream"
                and merged[-1].name == out.name):
            merged[-1].text += out.text
        else:
            merged.append(out)
    return merged


STATE_MIME = "application/vnd.jupyter.widget-state+json"


def _canonical_widget_state(nb: nbformat.NotebookNode, stem: str) -> nbformat.NotebookNode:
    """Keep the saved widget state small and the same on every run (re-executing is no diff).

    Model ids are random: each becomes a hash of the notebook's name and the model's rank
    (everywhere it appears: state, references between models, outputs). A finished
    StreamView's timing (``status.elapsed``) and flush count (its snapshot's ``seq``)
    depend on the machine's speed: zeroed.
    """
    state = nb.metadata.get("widgets", {}).get(STATE_MIME, {}).get("state", {})
    # keep only models an output shows (and the models those refer to, e.g. the one
    # ViewCode that holds the StreamView's code): a finished StreamView's output is its
    # static record and its model was closed, so its state would only weigh the file down
    outputs = json.dumps([cell.get("outputs", []) for cell in nb.cells])
    keep = {mid for mid in state if mid in outputs}
    todo = list(keep)
    while todo:
        refs = json.dumps(state[todo.pop()])
        for mid in state:
            if mid not in keep and f"IPY_MODEL_{mid}" in refs:
                keep.add(mid)
                todo.append(mid)
    for mid in [m for m in state if m not in keep]:
        del state[mid]
    if not state and "widgets" in nb.metadata:
        del nb.metadata["widgets"]
    for model in state.values():
        if model.get("model_name") != "AnyModel" or "status" not in model.get("state", {}):
            continue
        status = model["state"]["status"]
        if status.get("state") in ("done", "stopped", "error"):
            status["elapsed"] = 0.0
            status["retry"] = None
        for buffer in model.get("buffers", []):
            if buffer.get("path") == ["snapshot"] and buffer.get("encoding") == "base64" and buffer.get("data"):
                snap = json.loads(zlib.decompress(base64.b64decode(buffer["data"])))
                snap["seq"] = 0
                raw = json.dumps(snap, ensure_ascii=False, separators=(",", ":")).encode()
                buffer["data"] = base64.b64encode(zlib.compress(raw, 6)).decode()
    text = nbformat.writes(nb)
    for rank, old in enumerate(list(state)):
        text = text.replace(old, hashlib.sha256(f"{stem}:{rank}".encode()).hexdigest()[:32])
    return nbformat.reads(text, as_version=4)


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                            store_widget_state=True, record_timing=False)
    client.execute()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = _coalesce_streams(cell.outputs)
    nbformat.write(_canonical_widget_state(nb, path.stem), path)
    return time.perf_counter() - t0


def main(argv: list[str]) -> int:
    os.environ.update(ENV)
    os.environ.pop("CLAUDE_WIDGETS_BLOCK", None)
    os.environ.pop("ANTHROPIC_API_KEY", None)
    os.environ.pop("ANTHROPIC_BASE_URL", None)
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"{path.name}: {execute(path.resolve()):.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

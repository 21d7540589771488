"""Re-execute the tutorial notebooks and store their outputs (what nbval then compares).

Runs each notebook top to bottom in a fresh kernel, offline, unpaced, with StreamView
cells waiting for their streams (the same environment as the test suite, see
``conftest.py``), and saves it in place. Run after editing a notebook::

    .venv/bin/python scripts/execute_notebooks.py [notebooks/03_raw_sse.ipynb ...]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
ENV = {"CLAUDE_WIDGETS_OFFLINE": "1", "CLAUDE_WIDGETS_DELAY_MS": "0", "CLAUDE_WIDGETS_BLOCK": "1"}


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


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                            store_widget_state=True, record_timing=False)
    client.execute()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = _coalesce_streams(cell.outputs)
    nbformat.write(nb, path)
    return time.perf_counter() - t0


def main(argv: list[str]) -> int:
    os.environ.update(ENV)
    os.environ.pop("ANTHROPIC_API_KEY", None)
    os.environ.pop("ANTHROPIC_BASE_URL", None)
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"{path.name}: {execute(path.resolve()):.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

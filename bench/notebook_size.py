"""What a saved notebook weighs after an unattended run: ``jupyter nbconvert --execute``.

Two measurements, default nbconvert settings, no ``CLAUDE_WIDGETS_BLOCK``:

1. ``notebooks/06_reuse_the_widget.ipynb`` (22 StreamViews, 6 of them inside other
   widgets) executed as a user would: the file's size, its widget state, its outputs.
2. The marginal cost of one finished StreamView: notebooks with 1 and 11 answer cells
   (``cw.stream(...)``, each displayed by itself), executed the same way; the growth per
   answer against the size of its output (the record and its text).

Run::

    python bench/notebook_size.py        # prints the table, writes bench/results/notebook_size.md
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import nbformat

REPO = Path(__file__).resolve().parents[1]
STATE = "application/vnd.jupyter.widget-state+json"
GOAL_06 = 300_000
GOAL_PER_VIEW = 5_000  # bytes beyond the answer's output


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CLAUDE_WIDGETS_BLOCK" and not k.startswith("ANTHROPIC_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def execute(path: Path) -> Path:
    out = path.with_name(path.stem + "_executed.ipynb")
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", str(path),
                    "--output", out.name], check=True, capture_output=True, env=_env(), timeout=600)
    return out


def weigh(path: Path) -> dict[str, Any]:
    nb = nbformat.read(path, as_version=4)
    state = nb.metadata.get("widgets", {}).get(STATE, {}).get("state", {})
    outputs = sum(len(json.dumps(c.get("outputs", []), indent=1)) for c in nb.cells)
    by_model: dict[str, list[int]] = {}
    for model in state.values():
        entry = by_model.setdefault(model["model_name"], [0, 0])
        entry[0] += 1
        entry[1] += len(json.dumps(model, indent=1))
    return {"file": path.stat().st_size, "widget_state": len(json.dumps(nb.metadata.get("widgets", {}), indent=1)),
            "outputs": outputs, "by_model": by_model}


def answers_notebook(path: Path, n: int) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = ["import claude_widgets as cw\nclient = cw.client()"]
    cells += [f"cw.stream(client, model=cw.DEFAULT_MODEL, max_tokens=300, messages=[{{'role': 'user', "
              f"'content': 'Write a haiku about streaming ({i})'}}])" for i in range(n)]
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


def answer_output_bytes(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    sizes = [len(json.dumps(c.outputs, indent=1)) for c in nb.cells[1:]]
    return sum(sizes) / len(sizes)


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="nbsize-"))
    try:
        shutil.copy(REPO / "notebooks" / "06_reuse_the_widget.ipynb", tmp / "06.ipynb")
        nb06 = weigh(execute(tmp / "06.ipynb"))
        small = execute(answers_notebook(tmp / "one.ipynb", 1))
        large = execute(answers_notebook(tmp / "eleven.ipynb", 11))
        per_view = (large.stat().st_size - small.stat().st_size) / 10
        record = answer_output_bytes(large)
        state_per_view = (weigh(large)["widget_state"] - weigh(small)["widget_state"]) / 10
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    models = ", ".join(f"{name} {n}× {size / 1000:.1f} KB" for name, (n, size) in
                       sorted(nb06["by_model"].items(), key=lambda kv: -kv[1][1]))
    lines = [
        "# Saved notebook size after `jupyter nbconvert --to notebook --execute`",
        "",
        (f"Measured by `python bench/notebook_size.py` on {date.today().isoformat()} (default nbconvert settings, "
        "no `CLAUDE_WIDGETS_BLOCK`; offline server at its default pacing)."),
        "",
        "| measurement | value | goal |",
        "|---|---:|---:|",
        f"| notebook 06 executed: file | {nb06['file'] / 1000:.1f} KB | < {GOAL_06 / 1000:.0f} KB |",
        f"| notebook 06: widget state | {nb06['widget_state'] / 1000:.1f} KB | |",
        f"| notebook 06: outputs | {nb06['outputs'] / 1000:.1f} KB | |",
        f"| one more finished StreamView: file growth | {per_view / 1000:.2f} KB | ≤ its output + 5 KB |",
        f"| … of which its output (record + text) | {record / 1000:.2f} KB | |",
        f"| … of which widget state | {state_per_view / 1000:.2f} KB | |",
        f"| … beyond its output | {(per_view - record) / 1000:.2f} KB | ≤ {GOAL_PER_VIEW / 1000:.0f} KB |",
        "",
        f"Notebook 06's widget state by model: {models}.",
        "",
        ("- Before (issue 14): notebook 06 executed the same way wrote 2,448 KB, 2.2 MB of it widget state "
        "(the view's ES module and CSS, ~100 KB, once per StreamView: 22 copies)."),
        ("- Now the view's code travels once per kernel in one `ViewCode` model (`claude_widgets/_code.py`, "
        "zlib-compressed); a finished view whose outputs became its record is closed, after one update that "
        "empties its snapshot and loader (nbclient keeps the last state of closed models); its `Layout` opens "
        "with the set properties only. Views inside other widgets stay open and live (6 in notebook 06)."),
        f"- Machine: {platform.machine()}, Python {platform.python_version()}.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    (REPO / "bench" / "results" / "notebook_size.md").write_text(text)
    ok = nb06["file"] < GOAL_06 and per_view - record <= GOAL_PER_VIEW
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""How tall a record's chunks are before they are shown, against how tall they are: the fit behind
``claude_widgets/_chunks.py``'s weights.

A long record's chunks are sized by an estimate until the page first renders them. This
renders the record of a long answer of each shape (tests/browser/_shapes.py, seed 0) in
JupyterLab in headless Chromium, reads each chunk's estimate and real height, and prints,
per shape, the estimate over the real height (whole answer, and the worst chunk), then the
weights that a least-squares fit over all the chunks gives, for ``_chunks.py``.
tests/browser/test_chunk_heights.py checks the weights on other answers (seed 1).

    python bench/chunk_heights.py [--chars 80000]

Writes bench/results/chunk_heights.md.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _lab import lab_in_chromium

from claude_widgets import _chunks
from tests.browser._helpers import Notebook
from tests.browser._shapes import SHAPES, chunks_of, record_cells
from tests.widget.test_hostile_render import record_of

FEATURES = ["chars", "code_lines", *_chunks._PX_PER_BLOCK]


def least_squares(rows: list[list[float]], y: list[float]) -> list[float]:
    """Weights w minimising |Xw - y|: the normal equations, by Gauss-Jordan elimination."""
    n = len(rows[0])
    a = [[sum(r[i] * r[j] for r in rows) for j in range(n)] + [sum(r[i] * t for r, t in zip(rows, y, strict=True))]
         for i in range(n)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(a[r][c]))
        a[c], a[p] = a[p], a[c]
        for r in range(n):
            if r != c and a[c][c]:
                f = a[r][c] / a[c][c]
                a[r] = [x - f * z for x, z in zip(a[r], a[c], strict=True)]
    return [a[i][n] / a[i][i] if a[i][i] else 0.0 for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chars", type=int, default=80_000)
    args = ap.parse_args()
    cells = record_cells(Path(tempfile.mkdtemp(prefix="chunk-heights-")),
                         {name: record_of(shape(args.chars, 0)) for name, shape in SHAPES.items()})
    rows: list[list[float]] = []
    real: list[float] = []
    lines = ["# A record's chunks: estimated height against real height", "",
             (f"Measured by `python bench/chunk_heights.py` on {datetime.date.today().isoformat()}: the record of an "
             f"answer of ~{args.chars:,} characters of each shape (tests/browser/_shapes.py, seed 0) shown in "
             "JupyterLab in headless Chromium (1280x1000), each chunk's estimate (`_chunks._height`) against its "
             "height once rendered."), "",
             "| shape | chunks | estimate / real, whole answer | worst chunk (over / under) |", "|---|---:|---:|---:|"]
    with lab_in_chromium("chunk-heights-") as (server, ctx):
        page = ctx.new_page()
        nb = Notebook(server, page, "chunks.ipynb", cells).open()
        nb.run_all()
        nb.wait_idle(timeout=300_000)
        for i, name in enumerate(SHAPES):
            chunks = chunks_of(nb, i)
            total = sum(e for e, _, _ in chunks) / sum(r for _, r, _ in chunks)
            worst = max((e - r) / r for e, r, _ in chunks), min((e - r) / r for e, r, _ in chunks)
            lines.append(f"| {name} | {len(chunks)} | {total:.3f} | {worst[0]:+.0%} / {worst[1]:+.0%} |")
            for _, r, html in chunks:
                f = _chunks._features(html)
                rows.append([f[k] for k in FEATURES])
                real.append(r)
        width = page.evaluate("() => document.querySelector('.cw-chunk').getBoundingClientRect().width")
    w = least_squares(rows, real)
    lines += ["", f"- Output width {width:.0f} px; Python {platform.python_version()}.",
              f"- Least-squares weights (px) over these {len(rows)} chunks, for `_chunks.py`: "
              + ", ".join(f"{k} {v:.3f}" for k, v in zip(FEATURES, w, strict=True)) + ".",
              ("- tests/browser/test_chunk_heights.py checks the weights on other answers (seed 1): "
              "within 10 % for each whole answer, 25 % for each chunk.")]
    out = "\n".join(lines) + "\n"
    (REPO / "bench" / "results" / "chunk_heights.md").write_text(out)
    print(out)


if __name__ == "__main__":
    main()

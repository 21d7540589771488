"""Long answers of one shape each (prose, code, lists, headed sections, tables, and the long
scenario's mix), deterministic for a seed: what a record's chunk-height estimate is fitted to
(bench/chunk_heights.py) and checked against (test_chunk_heights.py), with other seeds; and
records shown in JupyterLab as any HTML output, their chunks read back."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.widget.test_record_chunks import long_answer


def _fill(n: int, seed: int, block: Callable[[random.Random, int], str]) -> str:
    rng, out, size = random.Random(seed), [], 0
    while size < n:
        b = block(rng, len(out))
        out.append(b)
        size += len(b)
    return "".join(out)


def _words(rng: random.Random, lo: int, hi: int) -> str:
    vocab = ["the", "stream", "shows", "each", "token", "as", "it", "arrives", "so", "readers", "start", "before", "the", "answer", "ends"]
    return " ".join(rng.choice(vocab) for _ in range(rng.randint(lo, hi)))


def prose(n: int, seed: int) -> str:
    return _fill(n, seed, lambda rng, i: _words(rng, 30, 90).capitalize() + ".\n\n")


def code(n: int, seed: int) -> str:
    def block(rng: random.Random, i: int) -> str:
        lines = "\n".join(f"    x_{j} = compute(x_{j - 1}, {rng.randint(0, 99)})  # step {j}"
                          for j in range(rng.randint(3, 25)))
        return f"Step {i}:\n\n```python\ndef f():\n{lines}\n    return x\n```\n\n"
    return _fill(n, seed, block)


def lists(n: int, seed: int) -> str:
    def block(rng: random.Random, i: int) -> str:
        items = "\n".join(f"- item {j}: {_words(rng, 2, 40)}" for j in range(rng.randint(3, 12)))
        return f"Some points:\n\n{items}\n\n"
    return _fill(n, seed, block)


def sections(n: int, seed: int) -> str:
    def block(rng: random.Random, i: int) -> str:
        b = f"## Part {i}\n\n" + "\n\n".join(_words(rng, 10, 120) for _ in range(rng.randint(1, 4)))
        if rng.random() < 0.4:
            b += "\n\n### Detail\n\n" + _words(rng, 5, 60)
        return b + "\n\n"
    return _fill(n, seed, block)


def tables(n: int, seed: int) -> str:
    def block(rng: random.Random, i: int) -> str:
        cols = rng.randint(2, 5)
        head = "| " + " | ".join(f"col {c}" for c in range(cols)) + " |\n|" + "---|" * cols + "\n"
        rows = "".join("| " + " | ".join(_words(rng, 1, 25) for _ in range(cols)) + " |\n"
                       for _ in range(rng.randint(2, 10)))
        return f"Table {i}:\n\n{head}{rows}\n"
    return _fill(n, seed, block)


def mixed(n: int, seed: int) -> str:
    """The offline server's long scenario (headings, prose, code, tables), cut where the seed says."""
    return long_answer(n // 4 + 97 * seed)


SHAPES: dict[str, Callable[[int, int], str]] = {
    "prose": prose, "code": code, "lists": lists, "sections": sections, "tables": tables, "mixed": mixed,
}


def record_cells(directory: Path, records: dict[str, str]) -> list[str]:
    """Cells that show each record (saved in ``directory``) as JupyterLab shows any HTML output."""
    cells = []
    for name, html in records.items():
        path = directory / f"{name}.html"
        path.write_text(html)
        cells.append(f"from IPython.display import HTML, display\ndisplay(HTML(open({str(path)!r}).read()))")
    return cells


# Each chunk of the cell's output: its estimate, then its real height (rendered: a chunk
# off screen is not laid out, so each is made visible first), and its HTML.
_CHUNKS_JS = """([panel, cell]) => {
    const chunks = document.querySelectorAll(panel + ' .jp-Cell')[cell].querySelectorAll('.jp-OutputArea .cw-chunk');
    return [...chunks].map((c) => {
        const estimate = parseInt(c.style.containIntrinsicSize.split(' ').pop(), 10);
        c.style.contentVisibility = 'visible';
        return [estimate, c.getBoundingClientRect().height, c.innerHTML];
    });
}"""


def chunks_of(nb: Any, cell: int) -> list[tuple[int, float, str]]:
    """(estimate, real height, HTML) of each chunk in cell ``cell``'s output, once it is shown."""
    nb.page.wait_for_function("([panel, cell]) => document.querySelectorAll(panel + ' .jp-Cell')[cell]"
                              ".querySelector('.cw-chunk')", arg=[nb.panel, cell], timeout=60_000)
    return [tuple(c) for c in nb.page.evaluate(_CHUNKS_JS, [nb.panel, cell])]

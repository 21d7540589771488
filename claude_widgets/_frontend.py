"""Who runs this cell: a notebook front end, an unattended executor, a terminal, a script.

A StreamView streams in the background so that its Stop button works, and its cell
returns at once. That is right only when a front end shows the widget and the user
stays. Otherwise the cell must behave differently:

- ``"widgets"``: a front end that renders widgets runs the cell. JupyterLab, Notebook 7
  and VS Code send the cell's id in the ``execute_request``'s metadata (``cellId``:
  JupyterLab since PR #5033, VS Code since vscode-python PR #13288). Stream in the
  background.
- ``"unattended"``: a kernel whose execute request names no cell: nbclient (so
  ``jupyter nbconvert --execute`` and papermill) and nbval send no metadata at all. The
  saved notebook keeps what the cell produced *before it ended*, so the cell waits for
  its answer (the widget still streams live, an interrupt still stops it). A front end
  that sends no ``cellId`` (classic Notebook 6) lands here too: the answer still streams
  live, and the kernel's interrupt is the Stop button.
- ``"terminal"``: IPython without a kernel (``ipython`` in a terminal): no widgets at all;
  the text is written to stdout as it arrives and the cell waits for the end.
- ``"script"``: no IPython: nothing is displayed and nothing waits (``view.wait()``).

Why the cell id and not "has a front end rendered a view": a comm message from the
browser reaches the kernel only after the running cell ends, too late for the first
cell's choice. ``CLAUDE_WIDGETS_BLOCK=1`` forces waiting (scripts included), ``=0``
forbids it in a kernel; a terminal always waits.
"""

from __future__ import annotations

import os
from typing import Any, Literal

__all__ = ["FrontEnd", "cell_id", "front_end", "should_wait"]

FrontEnd = Literal["widgets", "unattended", "terminal", "script"]


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    return get_ipython()


def _parent(shell: Any) -> dict[str, Any]:
    kernel = getattr(shell, "kernel", None)
    try:
        parent = kernel.get_parent() if kernel is not None else None
    except Exception:  # noqa: BLE001 - an older or unusual kernel: no metadata to go by
        parent = None
    return parent if isinstance(parent, dict) else {}


def cell_id(shell: Any = None) -> str | None:
    """The front end's id of the cell being run, if it sent one."""
    shell = shell if shell is not None else _shell()
    metadata = _parent(shell).get("metadata") or {}
    value = metadata.get("cellId") or metadata.get("cell_id")
    return str(value) if value else None


def front_end(shell: Any = None) -> FrontEnd:
    """What runs the current cell (see the module docstring)."""
    shell = shell if shell is not None else _shell()
    if shell is None:
        return "script"
    if getattr(shell, "kernel", None) is None:
        return "terminal"
    return "widgets" if cell_id(shell) else "unattended"


def should_wait(kind: FrontEnd) -> bool:
    """Whether a cell that starts a stream should return only when it has ended."""
    if kind == "terminal":  # text printed after the prompt came back would be lost in the next input
        return True
    forced = os.environ.get("CLAUDE_WIDGETS_BLOCK", "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    return kind == "unattended"

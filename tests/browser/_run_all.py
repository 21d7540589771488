"""Run All in a real front end, then read the page like a learner would: what looks like an error?

Used by ``test_run_all.py``. nbval runs the tutorials headless and compares stored outputs;
it never sees what JupyterLab or Notebook 7 shows after *Run → Run All Cells*: widgets
streaming in the background while later cells run, a red stderr box, a view left in an
error state. This module does what a user does (copy the notebook next to its support
files, clear its outputs, open it, click Run All) and lists every error-looking thing on
the page, cell by cell. Only code cells tagged ``failure-demo`` (cell metadata ``tags``)
may show one: they are the tutorials' intended failures.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat

from ._helpers import REPO, Notebook

if TYPE_CHECKING:
    from .conftest import JupyterServer

TUTORIALS = REPO / "notebooks"
FAILURE_DEMO = "failure-demo"

# What the kernel gets before the first cell runs, like nbval's conftest.py: the embedded
# server answers, unpaced. Not CLAUDE_WIDGETS_BLOCK: a user's Run All streams in the background.
KERNEL_ENV = {"CLAUDE_WIDGETS_OFFLINE": "1", "CLAUDE_WIDGETS_DELAY_MS": "0"}

# Text that reads as an error at the start of a line: a traceback, or "Error:" /
# "ValueError:" / "anthropic.APIStatusError:" (a caught exception printed as a failure).
ERROR_LINE = re.compile(r"^\s*(Traceback\b.*|[\w.]*Error:.*)$", re.MULTILINE)
# Left where an answer should be: the plain-text stand-ins of a view that never rendered
# or never finished, and Jupyter's own widget failure.
PLACEHOLDERS = ("[streaming…]", "[not started]", "<StreamView", "Error displaying widget")
BAD_VIEW_STATES = {"error", "stopped"}
FINAL_VIEW_STATES = {"done", "stopped", "error"}
QUIET_S = 1.0  # everything must stay settled this long: a late comm message restarts the wait


def copy_tutorial(source: Path, server: JupyterServer, folder: str) -> str:
    """Copy ``source`` into ``server``'s root as nbval sees it, outputs cleared; return its path there.

    nbval runs the notebooks with notebooks/ as the working directory, and a kernel's
    working directory is its notebook's folder, so the copy gets the same neighbours:
    web/ (copied) and node/ (copied, with node_modules a symlink to the installed one).
    """
    dest = server.root / folder
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copytree(TUTORIALS / "web", dest / "web")
    shutil.copytree(TUTORIALS / "node", dest / "node", ignore=shutil.ignore_patterns("node_modules"))
    modules = TUTORIALS / "node" / "node_modules"
    if modules.exists():  # missing: notebook 08 fails in the browser as it does under nbval
        (dest / "node" / "node_modules").symlink_to(modules.resolve(), target_is_directory=True)
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, dest / source.name)
    return f"{folder}/{source.name}"


# Everything the checks need, read from the open notebook: the model (outputs, counts,
# tags) and, cell by cell, what the page shows (text, views, the prompt).
_SNAPSHOT_JS = """() => {
    const w = window.jupyterapp.shell.currentWidget;
    const k = w.sessionContext.session && w.sessionContext.session.kernel;
    const cells = w.content.widgets.map((cell) => {
        const out = cell.node.querySelector('.jp-OutputArea');
        const prompt = cell.node.querySelector('.jp-InputPrompt');
        return {
            text: out ? out.innerText : '',
            prompt: prompt ? prompt.textContent.trim() : '',
            views: out ? [...out.querySelectorAll('.cw-root')].map((v) => ({
                state: v.dataset.cwState || '', record: v.classList.contains('cw-record'),
                text: (v.querySelector('.cw-error') || {}).innerText || ''})) : [],
        };
    });
    return {kernel: k ? k.status : 'none', model: w.context.model.toJSON(), cells,
            kernelLog: window.__cwKernelLog || []};
}"""


# What the kernel did that the page's cells may not show: a restart, a dead kernel, a reply
# other than "ok" (an "aborted" reply leaves a queued cell without a count and says nothing).
_KERNEL_LOG_JS = """() => {
    const w = window.jupyterapp.shell.currentWidget;
    const log = window.__cwKernelLog = [];
    w.sessionContext.statusChanged.connect((_, s) => { if (s !== 'busy' && s !== 'idle') log.push('status ' + s); });
    w.sessionContext.kernelChanged.connect(() => log.push('kernel changed'));
    w.sessionContext.session.kernel.anyMessage.connect((_, {msg, direction}) => {
        if (direction === 'recv' && msg.header.msg_type === 'execute_reply' && msg.content.status !== 'ok') {
            log.push('execute_reply ' + msg.content.status + ' (count ' + msg.content.execution_count + ')'
                     + (msg.content.ename ? ': ' + msg.content.ename + ': ' + msg.content.evalue : ''));
        }
    });
}"""


_STARTED_JS = """() => {
    const w = window.jupyterapp.shell.currentWidget;
    return w.content.widgets.some((cell) => {
        const prompt = cell.node.querySelector('.jp-InputPrompt');
        return (prompt && prompt.textContent.includes('*')) || cell.model.executionCount != null;
    });
}"""


def _settled(snap: dict[str, Any]) -> bool:
    if snap["kernel"] != "idle":
        return False
    for cell in snap["cells"]:
        if "*" in cell["prompt"]:
            return False
        if any(v["state"] not in FINAL_VIEW_STATES for v in cell["views"]):
            return False
    return True


def run_all_and_wait(nb: Notebook, timeout_s: float) -> tuple[dict[str, Any], float, bool]:
    """Set the kernel's env, click Run → Run All Cells, wait until all is settled.

    Returns the last snapshot, the seconds it took, and whether it settled (if not, the
    checks report what was still running or streaming).
    """
    env = ", ".join(f"{k!r}: {v!r}" for k, v in KERNEL_ENV.items())
    nb.execute(f"import os; os.environ.update({{{env}}})")
    page = nb.page
    page.evaluate(_KERNEL_LOG_JS)
    page.locator(nb.panel).click(position={"x": 5, "y": 5})  # the notebook has the focus, as a user's
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    start = time.monotonic()
    page.wait_for_function(_STARTED_JS, timeout=30_000)  # Run All did something: [*] or a count
    quiet_since: float | None = None
    while True:
        snap = page.evaluate(_SNAPSHOT_JS)
        now = time.monotonic()
        if _settled(snap):
            quiet_since = quiet_since if quiet_since is not None else now
            if now - quiet_since >= QUIET_S:
                return snap, now - start, True
        else:
            quiet_since = None
        if now - start > timeout_s:
            return snap, now - start, False
        page.wait_for_timeout(250)


@dataclass
class Finding:
    cell: int
    what: str

    def __str__(self) -> str:
        return f"cell {self.cell}: {self.what}"


def _short(text: str, limit: int = 300) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "…"


def _output_text(output: dict[str, Any]) -> str:
    if output.get("output_type") == "stream":
        return "".join(output.get("text", ""))
    data = output.get("data", {})
    return "".join(data.get("text/plain", "")) if "text/html" not in data else ""


def findings(snap: dict[str, Any]) -> list[Finding]:
    """Every error-looking thing in every code cell, tagged ``failure-demo`` or not."""
    found: list[Finding] = []
    cells = snap["model"]["cells"]
    if len(cells) != len(snap["cells"]):
        found.append(Finding(-1, f"the page shows {len(snap['cells'])} cells, the notebook has {len(cells)}"))
    for i, (cell, shown) in enumerate(zip(cells, snap["cells"])):
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        seen: list[str] = []
        add = seen.append
        if "*" in shown["prompt"]:
            add("still running ([*])")
        elif cell.get("execution_count") is None:
            add("never run (no execution count)")
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                add(f"error output: {out.get('ename')}: {_short(str(out.get('evalue')))}")
            elif kind == "stream" and out.get("name") == "stderr":
                add(f"stderr (red box): {_short(''.join(out.get('text', '')))}")
        texts = [shown["text"]] + [_output_text(o) for o in cell.get("outputs", [])
                                   if o.get("output_type") != "error"]
        lines = {m.group(1).strip() for t in texts for m in ERROR_LINE.finditer(t)}
        for line in sorted(lines):
            add(f"error-looking text: {_short(line, 200)!r}")
        for marker in PLACEHOLDERS:
            if marker in shown["text"]:
                at = shown["text"].index(marker)
                add(f"placeholder {marker!r} shown: {_short(shown['text'][max(0, at - 40):at + 120], 200)!r}")
        for view in shown["views"]:
            if view["state"] in BAD_VIEW_STATES:
                add(f"StreamView {'record' if view['record'] else 'view'} in state {view['state']!r}"
                    + (f": {_short(view['text'], 200)!r}" if view["text"] else ""))
            elif view["state"] not in FINAL_VIEW_STATES:
                add(f"StreamView still in state {view['state']!r}")
        found.extend(Finding(i, what) for what in seen)
    return found


def tagged_failure_demo(cell: dict[str, Any]) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    return isinstance(tags, list) and FAILURE_DEMO in tags


def unexpected(snap: dict[str, Any]) -> list[Finding]:
    """The findings not in a ``failure-demo`` cell (those must still have run)."""
    cells = snap["model"]["cells"]
    return [f for f in findings(snap)
            if f.cell < 0 or not tagged_failure_demo(cells[f.cell])
            or f.what.startswith(("still running", "never run", "StreamView still"))]


def open_copy(server: JupyterServer, page: Any, path: str) -> Notebook:
    """Open a notebook already in ``server``'s root (``path`` relative to it)."""
    return Notebook(server, page, path, None).open()

"""Binder, as far as this machine allows: a fresh venv from ``binder/`` alone runs every notebook.

repo2docker would install ``binder/requirements.txt`` on ``binder/runtime.txt``'s Python,
run ``binder/postBuild``, and start JupyterLab through ``binder/start``. This test does the
same in a new virtual environment (no Docker here), then executes every tutorial
notebook in it, offline, and checks that each reproduces its stored outputs, so that
what Binder users see is what the repository shows.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _outputs(path: Path) -> list[list[str]]:
    """Each code cell's outputs as comparable text (widget model ids and metadata left out)."""
    cells = json.loads(path.read_text())["cells"]
    out = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        texts = []
        for o in cell["outputs"]:
            if o["output_type"] == "stream":
                texts.append(o["name"] + ":" + "".join(o["text"]))
            elif o["output_type"] == "error":
                texts.append("error:" + o["ename"])
            else:
                data = {k: v for k, v in o.get("data", {}).items() if k != WIDGET_MIME}
                # the text itself, as nbval sanitises it (not its JSON, whose quotes are escaped)
                texts.append("\n".join(f"{k}:{''.join(v) if isinstance(v, list) else v}"
                                        for k, v in sorted(data.items())))
        out.append(texts)
    return out


def _sanitised(texts: list[list[str]]) -> list[list[str]]:
    """What nbval compares: the outputs with notebooks/nbval_sanitize.cfg's substitutions."""
    import configparser

    config = configparser.ConfigParser()
    config.read(ROOT / "notebooks" / "nbval_sanitize.cfg")
    rules = [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]

    def clean(t: str) -> str:
        for regex, replace in rules:
            t = regex.sub(replace, t)
        return t

    return [[clean(t) for t in cell] for cell in texts]


@pytest.mark.timeout(900)
def test_a_venv_built_from_binder_files_runs_every_notebook(tmp_path: Path) -> None:
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert runtime == f"python-{sys.version_info.major}.{sys.version_info.minor}", (
        f"binder/runtime.txt says {runtime}; this test runs on Python {sys.version_info[:2]}")
    venv = tmp_path / "binder-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    env["VIRTUAL_ENV"] = str(venv)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "-r", str(BINDER / "requirements.txt")], check=True, env=env, timeout=600)
    subprocess.run(["bash", str(BINDER / "postBuild")], cwd=ROOT, check=True, env=env, timeout=600)
    # the package comes from this checkout, its dependencies only from binder/requirements.txt
    subprocess.run([str(py), "-m", "pip", "check"], check=True, env=env)
    # and its labextension (%%claude cells highlighted as Markdown) where Binder's JupyterLab finds it
    listed = subprocess.run([str(venv / "bin" / "jupyter"), "labextension", "list"], env=env,
                            capture_output=True, text=True, check=True, timeout=120)
    listing = re.sub(r"\x1b\[[0-9;]*m", "", listed.stdout + listed.stderr)
    assert re.search(r"^\s+claude-widgets v\S+ enabled\s+OK \(python, claude-widgets\)$", listing, re.MULTILINE), listing
    copies = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", copies, ignore=shutil.ignore_patterns("node_modules", ".ipynb_checkpoints"))
    os.symlink(ROOT / "notebooks" / "node" / "node_modules", copies / "node" / "node_modules")
    notebooks = sorted(copies.glob("[0-9][0-9]_*.ipynb"))
    assert notebooks
    run = subprocess.run(["bash", str(BINDER / "start"), str(py), str(ROOT / "scripts" / "execute_notebooks.py"),
                          *map(str, notebooks)], env=env, check=False, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for copy in notebooks:
        stored = ROOT / "notebooks" / copy.name
        got, want = _sanitised(_outputs(copy)), _sanitised(_outputs(stored))
        for i, (g, w) in enumerate(zip(got, want)):  # say where: a readable diff, not a truncated list
            if g != w:
                a, b = str(g), str(w)
                k = next((j for j, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                raise AssertionError(f"{copy.name} differs on Binder, output {i}:\n"
                                     f"Binder: …{a[max(0, k - 200):k + 200]}\nstored: …{b[max(0, k - 200):k + 200]}")
        assert len(got) == len(want), f"{copy.name} differs on Binder: {len(got)} outputs, stored {len(want)}"

"""The notebook suite as a whole: every notebook tested by nbval, no keys stored, Binder's kernel."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
KEY_LIKE = re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}|ANTHROPIC_API_KEY\s*=\s*['\"]?sk-")


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 1


def test_every_notebook_is_collected_by_strict_nbval() -> None:
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "notebooks"], cwd=ROOT, check=False, capture_output=True, text=True, timeout=300)
    collected = {line.split("::")[0] for line in out.stdout.splitlines() if "::Cell " in line}
    missing = [nb.name for nb in NOTEBOOKS if f"notebooks/{nb.name}" not in collected]
    assert not missing, f"not collected by nbval: {missing}\n{out.stdout[-2000:]}{out.stderr[-2000:]}"
    config = (ROOT / "pyproject.toml").read_text()
    assert "--nbval " in config and "--nbval-lax" not in config


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_stored_output_contains_a_key(path: Path) -> None:
    text = path.read_text()
    assert not KEY_LIKE.search(text), f"{path.name} contains something that looks like an API key"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_kernelspec_is_the_one_binder_installs(path: Path) -> None:
    spec = json.loads(path.read_text())["metadata"]["kernelspec"]
    assert spec["name"] == "python3" and spec["language"] == "python"
    requirements = (ROOT / "binder" / "requirements.txt").read_text()
    assert re.search(r"^ipykernel==", requirements, re.MULTILINE), "Binder must install ipykernel (the python3 kernel)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_linked_from_the_readmes(path: Path) -> None:
    assert path.name in (ROOT / "notebooks" / "README.md").read_text()
    assert f"notebooks/{path.name}" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_fully_executed_and_teaches(path: Path) -> None:
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c["execution_count"] is not None for c in code), "every code cell has stored outputs"
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert markdown.lstrip().startswith("# ")
    for heading in ("What you'll learn", "What you'll need", "Exercise", "Pitfall"):
        assert heading.lower() in markdown.lower(), f"{path.name} lacks a '{heading}' section"
    assert "<details>" in markdown or "%load" in "".join("".join(c["source"]) for c in code)
    assert "claude-sonnet" not in "".join("".join(c["source"]) for c in code), "use cw.DEFAULT_MODEL"


def test_the_tutorials_stay_light() -> None:
    """Issue 15: the set of notebooks stays under 400 KB, so a clone, Binder and GitHub's viewer stay quick."""
    total = sum(p.stat().st_size for p in NOTEBOOKS)
    assert total < 400_000, f"the {len(NOTEBOOKS)} notebooks weigh {total:,} bytes (bound: 400,000)"


PLACEHOLDER = re.compile(r"\[streaming…\]|\[not started\]|<StreamView |<IPython\.core\.display\.\w+ object>|"
                         r"<claude_widgets\.[\w.]+ object at ")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_stored_placeholder_where_an_answer_belongs(path: Path) -> None:
    """A saved notebook shows answers, not a widget's placeholder or a bare repr (issue 15)."""
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            texts = [out.get("text", "")] + [out.get("data", {}).get(k, "") for k in ("text/plain", "text/html")]
            for text in texts:
                text = "".join(text) if isinstance(text, list) else text
                found = PLACEHOLDER.search(text)
                assert found is None, f"{path.name} cell {i} stores {found.group(0)!r}"

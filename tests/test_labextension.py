"""The labextension (``%%claude`` cells highlighted as Markdown) as Jupyter finds it once installed.

``labextension/`` is the extension itself, written by hand (no build: docs/cell-magic.md);
installing the package copies it into ``share/jupyter/labextensions/claude-widgets``, also for
``pip install -e .``, which copies rather than links. These tests check that the environment
running them has it, enabled and compatible, and that the copy is this checkout's, so the
browser tests (tests/browser/test_cell_magic.py) exercise the code in the repository.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "labextension"
NAME = "claude-widgets"


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _installed() -> Path:
    from jupyter_core.paths import jupyter_path

    for base in jupyter_path("labextensions"):
        if (Path(base) / NAME / "package.json").is_file():
            return Path(base) / NAME
    raise AssertionError(f"{NAME} is not in any labextensions directory of this environment "
                         f"({jupyter_path('labextensions')}): install the package (`pip install -e .`)")


def test_the_installed_copy_is_this_checkout() -> None:
    installed = _installed()
    assert _files(installed) == _files(SOURCE), (
        f"{installed} differs from {SOURCE}: reinstall (`pip install -e .`; `make test` does it when "
        "labextension/ changes)")


def test_jupyter_lists_it_enabled_and_compatible() -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"], env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    listing = re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert re.search(rf"^\s+{NAME} v{re.escape(version)} enabled\s+OK \(python, claude-widgets\)$",
                     listing, re.MULTILINE), listing
    assert "not compatible" not in listing, listing


def test_package_json_matches_the_python_package() -> None:
    package = json.loads((SOURCE / "package.json").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert package["name"] == NAME
    assert package["version"] == project["project"]["version"]
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"] == {
        "labextension": f"share/jupyter/labextensions/{NAME}"}
    assert (SOURCE / package["jupyterlab"]["_build"]["load"]).is_file()

"""The package type-checks under ``mypy --strict`` and passes ``ruff``: part of the suite, so CI runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, check=False)


def test_ruff() -> None:
    result = run("ruff", "check", "claude_widgets", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict() -> None:
    result = run("mypy", "--strict", "claude_widgets")
    assert result.returncode == 0, result.stdout + result.stderr

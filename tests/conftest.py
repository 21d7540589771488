"""Shared fixtures: one offline server per test session, and SDK clients pointed at it."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anthropic
import pytest

from claude_widgets.server import OfflineServer

# The packages whose releases change what the tests see (anthropic 2.17 changed what a dropped
# stream raises): named at the top of every run, so a red run after a release says which.
_REPORTED = ("anthropic", "httpx2", "jupyterlab", "notebook", "ipywidgets", "anywidget", "ipykernel", "playwright")


def pytest_report_header(config: pytest.Config) -> str:
    from importlib.metadata import PackageNotFoundError, version

    def named(name: str) -> str:
        try:
            return f"{name} {version(name)}"
        except PackageNotFoundError:
            return f"{name} (not installed)"

    return "versions: " + ", ".join([*(named(n) for n in _REPORTED), *_node_versions()])


# The Node.js SDK moves as the Python one does (1.17 changed what a dropped stream raises):
# the copies the Node tests and notebook 08 run, read from what npm installed, not the locks.
_NODE_INSTALLS = {"tests": "tests/node", "notebook 08": "notebooks/node"}


def _node_versions() -> list[str]:
    root = Path(__file__).resolve().parents[1]
    node = shutil.which("node")
    if node:
        found = [
            "node "
            + subprocess.run([node, "--version"], check=True, capture_output=True, text=True).stdout.strip()
        ]
    else:
        found = ["node (not installed)"]
    for label, folder in _NODE_INSTALLS.items():
        package = root / folder / "node_modules" / "@anthropic-ai" / "sdk" / "package.json"
        if package.exists():
            found.append(f"@anthropic-ai/sdk {json.loads(package.read_text())['version']} ({label})")
        else:
            found.append(f"@anthropic-ai/sdk (not installed for {label})")
    return found


@pytest.fixture(scope="session")
def server() -> Iterator[OfflineServer]:
    with OfflineServer(delay_ms=0) as srv:
        yield srv


# Clients are closed after their test: a pooled connection left to the garbage collector
# raised "ResourceWarning: unclosed socket" in whichever later test it happened to run in.
@pytest.fixture
def client(server: OfflineServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=server.base_url, api_key="test-key", max_retries=0) as sdk:
        yield sdk


@pytest.fixture
async def aclient(server: OfflineServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(base_url=server.base_url, api_key="test-key", max_retries=0) as sdk:
        yield sdk


@pytest.fixture
def fault_id() -> str:
    """A unique ``id=`` for fault specs, so that ``times=N`` counters never leak between tests."""
    return uuid.uuid4().hex[:8]

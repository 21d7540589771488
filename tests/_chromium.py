"""Debian's Chromium for the browser tests: where it is, how to start it, and Playwright.

Playwright's sync API allows one instance per thread at a time, and while it lives an
asyncio loop runs in the main thread (which breaks pytest-asyncio tests). So each
browser test package opens its own instance with package scope, closed before the next
package runs (see :func:`playwright_for_package`). Chromium
is never downloaded: a missing ``/usr/bin/chromium`` fails the test with the command
that installs it (``make test`` does).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("CLAUDE_WIDGETS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # no connections to Google's hosts: the machine's closed network refuses them noisily
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> str:
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's Chromium (`apt-get install -y chromium`) "
                           "or run `make test`")
    return str(CHROMIUM)


def _playwright() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


playwright_for_package = pytest.fixture(scope="package", name="playwright_instance")(_playwright)
"""Import into a browser test package's conftest: ``from .._chromium import playwright_for_package``."""

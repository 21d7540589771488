"""Fixtures for the relay page tests: an offline Claude, the relay in front of it, and Chromium.

The relay under test is the tutorial's own file, ``notebooks/web/relay.py`` (loaded by
path), started with ``debug=True`` so that a page URL like ``?fault=error-after%3D5`` or
``?chunk=3`` reaches it. Chromium is Debian's (``/usr/bin/chromium``), driven by
Playwright; a missing browser fails the tests with the command that installs it.
Screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import anthropic
import pytest

from claude_widgets import DEFAULT_MODEL
from claude_widgets.server import OfflineServer

from .._chromium import CHROMIUM_ARGS, playwright_for_package, require_chromium

ROOT = Path(__file__).resolve().parents[2]
RELAY_PY = ROOT / "notebooks" / "web" / "relay.py"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"

SECRET_KEY = "relay-test-secret-7f3a9c"
"""The relay's upstream API key: it must never appear in anything the browser receives."""


def load_relay() -> ModuleType:
    if "claude_relay_under_test" in sys.modules:
        return sys.modules["claude_relay_under_test"]
    spec = importlib.util.spec_from_file_location("claude_relay_under_test", RELAY_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def upstream() -> Iterator[OfflineServer]:
    with OfflineServer(delay_ms=0) as srv:
        yield srv


def make_relay(upstream: OfflineServer, *, debug: bool) -> Any:
    client = anthropic.AsyncAnthropic(base_url=upstream.base_url, api_key=SECRET_KEY, max_retries=0)
    return load_relay().RelayServer(client, model=DEFAULT_MODEL, debug=debug)


@pytest.fixture(scope="module")
def relay(upstream: OfflineServer) -> Iterator[Any]:
    with make_relay(upstream, debug=True) as server:
        yield server
    # the relay owns the client it was handed: it closed it on its own loop, where its
    # connections live (closed from here, asyncio.run would meet Playwright's running loop)
    assert server.upstream.is_closed()


playwright_instance = playwright_for_package  # registers the package-scoped fixture here


@pytest.fixture(scope="module")
def browser(playwright_instance: Any) -> Iterator[Any]:
    browser = playwright_instance.chromium.launch(executable_path=require_chromium(), headless=True,
                                                  args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class PageProbe:
    """A page plus what it did that a test may want to check afterwards."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"relay-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def ask(self, prompt: str) -> None:
        self.page.fill("#prompt", prompt)
        self.page.click("#send")

    def wait_until_finished(self, timeout_ms: float = 20_000) -> str:
        self.page.wait_for_function(
            "() => ['done', 'error', 'aborted'].includes(document.getElementById('status').dataset.state)",
            timeout=timeout_ms)
        return self.state()

    def state(self) -> str:
        return str(self.page.get_attribute("#status", "data-state"))

    def answer(self) -> str:
        return str(self.page.eval_on_selector("#answer", "el => el.textContent"))


@pytest.fixture
def probe(browser: Any) -> Iterator[PageProbe]:
    context = browser.new_context(viewport={"width": 900, "height": 700})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield PageProbe(page)
    context.close()


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def expected_deltas(upstream: OfflineServer, prompt: str) -> list[str]:
    """The text deltas the offline server streams for ``prompt`` (what the page should show)."""
    with anthropic.Anthropic(base_url=upstream.base_url, api_key="expected", max_retries=0) as client, \
            client.messages.stream(model=DEFAULT_MODEL, max_tokens=1024,
                                   messages=[{"role": "user", "content": prompt}]) as stream:
        return list(stream.text_stream)

"""Browser fixtures: a real JupyterLab 4 / Notebook 7 server, and Debian's Chromium driven by Playwright.

- ``lab`` / ``nb7``: a Jupyter server on 127.0.0.1, a random port, a random token, a
  temporary root directory (plus temporary config, runtime, settings and workspace
  directories, so nothing of the user's leaks in). Kernels are the repository's venv
  Python, so notebooks import the real ``claude_widgets``. One server per session.
- ``browser``: one persistent Chromium context (fresh user-data dir), never downloaded:
  ``/usr/bin/chromium`` (``apt-get install -y chromium``).
- ``page``: a new tab per test. Any JavaScript dialog (``alert``…) fails the test; a
  screenshot of the tab is saved to ``test-artifacts/screenshots/<test>.png`` afterwards,
  and the test's kernels are shut down.
- ``Notebook``: write a notebook, open it, run all cells, find outputs, wait for text.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest

from .._chromium import CHROMIUM_ARGS, playwright_for_package, require_chromium
from .._ports import free_port
from ._helpers import SCREENSHOTS, Notebook

# JupyterLab user settings for the test servers: no news or update checks (no network),
# no extension manager, and no notebook windowing (off-screen cells stay rendered, so a
# widget's view exists whether or not it was scrolled into view).
_LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/extensionmanager-extension/plugin.jupyterlab-settings": {"enabled": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


# --------------------------------------------------------------------------- Jupyter servers


@dataclass
class JupyterServer:
    kind: str  # "lab" or "notebook"
    base_url: str
    token: str
    root: Path
    proc: subprocess.Popen[bytes]
    log: Path

    def url(self, notebook: str) -> str:
        if self.kind == "lab":  # a fresh workspace: no tabs restored from earlier tests
            return f"{self.base_url}lab/workspaces/{secrets.token_hex(6)}/tree/{notebook}?reset&token={self.token}"
        return f"{self.base_url}notebooks/{notebook}?token={self.token}"

    def api(self, method: str, path: str) -> Any:
        req = urllib.request.Request(f"{self.base_url}api/{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        for session in self.api("GET", "sessions"):
            try:
                self.api("DELETE", f"sessions/{session['id']}")
            except urllib.error.URLError:
                pass

    def write_notebook(self, name: str, cells: list[str]) -> str:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
        nbformat.write(nb, self.root / name)
        return name


def _start_server(kind: str, tmp: Path, extra_args: Sequence[str] = ()) -> JupyterServer:
    root = tmp / "root"
    root.mkdir(parents=True)
    settings = tmp / "lab-settings"
    for rel, value in _LAB_SETTINGS.items():
        path = settings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANTHROPIC_", "CLAUDE_WIDGETS_", "JUPYTER", "PYTEST"))}
    env.update({
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONUNBUFFERED": "1",
    })
    port = free_port()
    token = secrets.token_hex(16)
    app = "LabApp" if kind == "lab" else "JupyterNotebookApp"
    cmd = [
        sys.executable, "-m", "jupyter", kind, "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        f"--{app}.expose_app_in_browser=True",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        *extra_args,
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = tmp / "server.log"
    with log.open("wb") as out:  # the server has its own copy of the handle: ours closes now
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/"
    server = JupyterServer(kind, base_url, token, root, proc, log)
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter {kind} exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            server.api("GET", "status")
            return server
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"jupyter {kind} did not start:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.2)


def _stop_server(server: JupyterServer) -> None:
    try:
        server.shutdown_kernels()
    except (urllib.error.URLError, OSError):
        pass
    server.proc.terminate()
    try:
        server.proc.wait(15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(5)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    server = _start_server("lab", tmp_path_factory.mktemp("jupyterlab"))
    yield server
    _stop_server(server)


@pytest.fixture(scope="session")
def nb7(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    server = _start_server("notebook", tmp_path_factory.mktemp("notebook7"))
    yield server
    _stop_server(server)


# --------------------------------------------------------------------------- Chromium


playwright_instance = playwright_for_package  # registers the package-scoped fixture here


@pytest.fixture(scope="package")
def browser(tmp_path_factory: pytest.TempPathFactory, playwright_instance: Any) -> Iterator[Any]:
    executable = require_chromium()
    profile = tmp_path_factory.mktemp("chromium-profile")
    context = playwright_instance.chromium.launch_persistent_context(
        str(profile), executable_path=executable, headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 1000}, service_workers="block",
    )
    try:
        yield context
    finally:
        context.close()


@dataclass
class PageEvents:
    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def page_events() -> PageEvents:
    return PageEvents()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, page_events: PageEvents) -> Iterator[Any]:
    tab = browser.new_page()
    tab.set_default_timeout(30_000)

    def on_dialog(dialog: Any) -> None:
        if dialog.type == "beforeunload":  # JupyterLab's "unsaved changes" on reload: not ours
            dialog.accept()
            return
        page_events.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    tab.on("console", lambda m: page_events.console.append(f"{m.type}: {m.text}"))
    tab.on("pageerror", lambda e: page_events.errors.append(str(e)))
    try:
        yield tab
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        try:
            tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        except Exception as e:  # noqa: BLE001 - a failed screenshot must not hide the test's outcome
            print(f"screenshot failed: {e}")
        # No page may ever show a dialog: a widget that lets model output run script fails here.
        dialogs = list(page_events.dialogs)
        tab.close()
        for server in _servers_used(request):
            server.shutdown_kernels()
        assert not dialogs, f"JavaScript dialogs were opened: {dialogs}"


def _servers_used(request: pytest.FixtureRequest) -> list[JupyterServer]:
    return [request.getfixturevalue(n) for n in ("lab", "nb7") if n in request.fixturenames]


def _notebooks(server: JupyterServer, page: Any, request: pytest.FixtureRequest) -> Any:
    """``make(cells)``: a notebook named after the test (and ``suffix``), written on ``server`` and opened."""
    def make(cells: list[str], suffix: str = "") -> Notebook:
        name = re.sub(r"[^\w]+", "_", request.node.name)[:80] + suffix + ".ipynb"
        return Notebook(server, page, name, cells).open()
    return make


@pytest.fixture
def lab_notebook(lab: JupyterServer, page: Any, request: pytest.FixtureRequest) -> Any:
    return _notebooks(lab, page, request)


@pytest.fixture
def nb7_notebook(nb7: JupyterServer, page: Any, request: pytest.FixtureRequest) -> Any:
    return _notebooks(nb7, page, request)

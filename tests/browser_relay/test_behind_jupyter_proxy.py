"""The relay page behind jupyter-server-proxy, as on Binder: ``{base_url}proxy/<port>/``.

A real Jupyter server (with the jupyter-server-proxy extension the notebooks depend on)
runs on 127.0.0.1 with a token; the browser logs in with ``?token=`` like a Binder user,
then opens the relay through ``/proxy/<port>/``. Everything on the page is relative, so
``stream.js`` and ``chat`` resolve under the proxy prefix. The proxy streams only
requests whose ``Accept`` header is exactly ``text/event-stream`` (the page sends it);
anything else is buffered until the answer is complete.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from claude_widgets.server import OfflineServer

from .._ports import free_port
from .conftest import PageProbe, expected_deltas

pytestmark = pytest.mark.browser

TOKEN = "relay-proxy-test-token"


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Jupyter server with jupyter-server-proxy; yields its base URL (``http://127.0.0.1:P/``)."""
    port = free_port()
    root = tmp_path_factory.mktemp("jupyter-root")
    log = (root / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}", "--ServerApp.open_browser=False",
         f"--ServerApp.root_dir={root}", "--allow-root"],
        stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status = httpx.get(base + "api/status", headers={"Authorization": f"token {TOKEN}"}, timeout=2)
                if status.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Jupyter server did not start:\n{(root / 'server.log').read_text()[-3000:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_page_streams_through_jupyter_server_proxy(probe: PageProbe, relay: Any, upstream: OfflineServer,
                                                   jupyter: str) -> None:
    deltas = expected_deltas(upstream, "Tell me a story")
    page_url = f"{jupyter}proxy/{relay.port}/"
    probe.page.goto(f"{page_url}?token={TOKEN}&delay=25")  # the token logs in (a cookie), as on Binder
    assert probe.page.url.startswith(page_url)
    assert probe.page.title() == "Claude, streamed through a relay"
    probe.page.evaluate("""() => {
      window.progress = [];
      const answer = document.getElementById('answer');
      new MutationObserver(() => window.progress.push(answer.textContent.length))
        .observe(answer, { childList: true, characterData: true, subtree: true });
    }""")
    with probe.page.expect_request(lambda r: r.url.endswith("/chat?delay=25")) as request:
        probe.ask("Tell me a story")
    assert request.value.url == f"{page_url}chat?delay=25"  # resolved under the proxy prefix
    assert probe.wait_until_finished() == "done"
    probe.screenshot("behind-jupyter-proxy")
    assert probe.answer() == "".join(deltas)
    lengths = set(probe.page.evaluate("window.progress"))
    assert len(lengths) >= len(deltas) // 2, "the proxy buffered the stream instead of passing it on"


def test_stop_behind_jupyter_server_proxy(probe: PageProbe, relay: Any, upstream: OfflineServer,
                                          jupyter: str) -> None:
    """Stop ends the page's stream at once; the proxy, though, does not pass the disconnect on.

    jupyter-server-proxy 4.x keeps reading its upstream until the end, so the relay never
    sees the browser leave and its stream to Claude runs to completion: tokens are still
    generated. Notebook 07 says so in its Pitfalls; if this test starts failing at the last
    assertion, the proxy now forwards disconnects: update the notebook.
    """
    page_url = f"{jupyter}proxy/{relay.port}/"
    probe.page.goto(f"{page_url}?token={TOKEN}&delay=30")
    probe.ask("Tell me a story")
    probe.page.wait_for_function("() => document.getElementById('answer').textContent.length > 20")
    probe.page.click("#stop")
    assert probe.wait_until_finished() == "aborted"
    kept = probe.answer()
    probe.page.wait_for_timeout(300)
    assert probe.answer() == kept
    record = relay.wait_for_outcome(timeout=20)
    assert record.outcome == "done", "the relay saw the disconnect behind the proxy: update notebook 07"

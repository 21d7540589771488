"""JupyterLab in headless Chromium, for the browser benchmarks (browser_bench, profile_burst, style_cost,
toc_setting), and how fast the host is (every browser figure scales with it).

Why one place: each benchmark needs the same throwaway Jupyter server (the browser tests'
fixture, ``tests/browser/conftest.py``) and the same Chromium context, and each must tear
both down even when a run fails.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests._chromium import CHROMIUM_ARGS, require_chromium
from tests.browser.conftest import JupyterServer, _start_server, _stop_server


def cpu_reference_s() -> float:
    """Seconds for a CPython loop of 10^7 additions: how fast this host is, as a number.

    The figures here scale with it, and the hosts these runs get vary by ~3x from one
    session to the next, more than any change to the widget moves them: compare runs only
    at a similar reference. (The loop runs on locals, in a function. Typed at a prompt,
    on globals, the same loop takes ~2x as long: 0.51 s where this takes 0.25 s, and
    1.6-2.3 s on the host that bench/results/browser.md's older sections were run on.)
    """
    t0 = time.perf_counter()
    total = 0
    for i in range(10**7):
        total += i
    return time.perf_counter() - t0


@contextmanager
def lab_in_chromium(prefix: str, server_args: Sequence[str] = ()) -> Iterator[tuple[JupyterServer, Any]]:
    """A JupyterLab server (with ``server_args`` added to its command line) in a temporary root,
    and a persistent Chromium context (1280×1000) on it."""
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    server = _start_server("lab", tmp, server_args)
    try:
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                str(tmp / "profile"), executable_path=require_chromium(), headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 1000})
            try:
                yield server, ctx
            finally:
                ctx.close()
    finally:
        _stop_server(server)

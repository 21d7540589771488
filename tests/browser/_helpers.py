"""Helpers for the browser tests: drive a notebook in a tab, and build the cells they run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .conftest import JupyterServer

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
"""Where every browser test leaves a screenshot of its tab (gitignored)."""


FINAL_STATES = {"done", "stopped", "error"}

# A view's root in a cell's output, looked up afresh on each call: a view displayed on its own
# is replaced by its static record when it ends (one inside another widget, a VBox here, stays
# live), so the element that was streaming may be gone.
ROOT_JS = """(panel, cell) => {
    const out = document.querySelectorAll(panel + ' .jp-Cell')[cell]?.querySelector('.jp-OutputArea');
    return out && (out.querySelector('.cw-record') || out.querySelector('.cw-root'));
}"""


# The page's Markdown renderer has loaded and warmed up (view.js: loadVendor caches its
# promise per build, and marks it with `md` once ready).
RENDERER_READY_JS = "() => [...(globalThis.__claudeWidgetsVendor || new Map()).values()].some(p => 'md' in p)"


TOC_PLUGIN = "@jupyterlab/toc-extension:registry"


class Notebook:
    """A notebook in a server's root, opened in ``page``: written from ``cells``, or already there (``None``)."""

    def __init__(self, server: JupyterServer, page: Any, name: str, cells: list[str] | None) -> None:
        self.server = server
        self.page = page
        self.name = server.write_notebook(name, cells) if cells is not None else name

    def open(self) -> Notebook:
        self.page.goto(self.server.url(self.name))
        self.page.wait_for_function(
            """(name) => {
                const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                const k = w && w.context && w.context.path.endsWith(name) && w.sessionContext.session
                    && w.sessionContext.session.kernel;
                return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
            }""",
            arg=self.name,
            timeout=60_000,
        )
        self.panel = "#" + self.page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
        self.page.wait_for_selector(f"{self.panel} .jp-Cell", timeout=60_000)
        return self

    def run_all(self) -> Notebook:
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        return self

    def run_cell(self, cell: int) -> Notebook:
        """Run cell ``cell`` alone (JupyterLab queues it behind any cell still running)."""
        self.page.evaluate("""(cell) => {
            window.jupyterapp.shell.currentWidget.content.activeCellIndex = cell;
            return window.jupyterapp.commands.execute('notebook:run-cell');
        }""", cell)
        return self

    def wait_renderer(self, timeout: float = 60_000) -> None:
        """Wait until the page's Markdown renderer has loaded and warmed up (view.js: loadVendor).

        Until then a page's first view lays in no text, nor anything after it (it shows its
        status and any leading thinking), so a test about how a short block looks while it
        streams warms the page up first.
        """
        self.page.wait_for_function(RENDERER_READY_JS, timeout=timeout)

    def save(self) -> None:
        self.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        self.page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty")

    def wait_idle(self, timeout: float = 60_000) -> None:
        """Wait until every cell has run (no `[*]` prompt) and the kernel is idle."""
        self.page.wait_for_function(
            """() => {
                const w = window.jupyterapp.shell.currentWidget;
                const k = w.sessionContext.session.kernel;
                const busy = [...w.node.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'));
                return k.status === 'idle' && !busy;
            }""",
            timeout=timeout,
        )

    def include_output_headings(self, on: bool) -> None:
        """Set JupyterLab's "Include cell output in headings" (its table of contents' ``includeOutput``)
        on the page's server, and open the notebook again so that its table of contents reads it.

        On (JupyterLab's default), every change to an HTML output costs a pass over that HTML
        (bench/toc_setting.py; tests/browser/test_output_headings.py). The setting is the
        server's: a test that turns it off turns it back on.
        """
        self.page.evaluate("async ([plugin, on]) => { await window.jupyterapp.serviceManager.settings.save("
                           "plugin, JSON.stringify({includeOutput: on})); }", [TOC_PLUGIN, on])
        self.open()  # a fresh load of the page (open navigates), which reads the settings anew
        took = self.page.evaluate("async (plugin) => (await window.jupyterapp.serviceManager.settings.fetch(plugin))"
                                  ".settings.includeOutput", TOC_PLUGIN)
        if took is not on:
            raise RuntimeError(f"includeOutput is {took!r} after setting it to {on}")

    def output(self, cell: int) -> Any:
        return self.page.locator(f"{self.panel} .jp-Cell").nth(cell).locator(".jp-OutputArea")

    def view(self, cell: int) -> Any:
        """The StreamView root in cell ``cell``'s output."""
        return self.output(cell).locator(".cw-root").first

    def state(self, cell: int) -> str:
        return str(self.view(cell).get_attribute("data-cw-state"))

    def wait_state(self, cell: int, states: str | tuple[str, ...], timeout: float = 60_000) -> str:
        """Wait until the view in cell ``cell`` is in one of ``states``; return that state.

        A final state counts once the view is settled: its record, or a live view in a VBox.
        """
        states = (states,) if isinstance(states, str) else states
        final = set(states) <= FINAL_STATES
        self.page.wait_for_function(
            """([panel, cell, states, final]) => {
                const root = (""" + ROOT_JS + """)(panel, cell);
                if (!root || !states.includes(root.dataset.cwState)) return false;
                return !final || root.classList.contains('cw-record') || !!root.closest('.widget-vbox');
            }""",
            arg=[self.panel, cell, list(states), final], timeout=timeout)
        return self.state(cell)

    def wait_text(self, cell: int, text: str, timeout: float = 60_000) -> None:
        from playwright.sync_api import expect

        expect(self.output(cell)).to_contain_text(text, timeout=timeout)

    def stats(self) -> dict[str, int]:
        return dict(self.page.evaluate("() => ({...window.__claudeWidgetsStats})"))

    def execute(self, code: str, timeout: float = 30_000) -> str:
        """Run ``code`` in the notebook's kernel (not in a cell); return its stdout."""
        return str(self.page.evaluate(
            """async ([code, timeout]) => {
                const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
                const future = k.requestExecute({code, store_history: false});
                let out = '';
                future.onIOPub = (m) => {
                    if (m.header.msg_type === 'stream') out += m.content.text;
                    if (m.header.msg_type === 'error') out += m.content.ename + ': ' + m.content.evalue;
                };
                await Promise.race([future.done, new Promise((_, no) => setTimeout(() => no(new Error('timeout')), timeout))]);
                return out;
            }""", [code, timeout]))

    def start_sampling(self, cell: int, every_ms: int = 25) -> None:
        """Record (time, state, text chars, text, renderer ready) of cell ``cell``'s view every ``every_ms``.

        Start it before ``run_all``: samples begin with the view's first paint, not with
        whenever this process got round to asking (seconds late on a loaded machine).
        """
        self.page.evaluate(
            """([panel, cell, every]) => {
                window.__cwSamples = [];
                window.__cwSampler = setInterval(() => {
                    const el = (""" + ROOT_JS + """)(panel, cell);
                    if (!el) return;
                    const t = el.querySelector('.cw-blocks');
                    window.__cwSamples.push({t: performance.now(), state: el.dataset.cwState,
                        record: el.classList.contains('cw-record'),
                        chars: Number(el.dataset.cwTextChars || 0), shown: t ? t.textContent.length : 0,
                        thinkingOpen: !!el.querySelector('details.cw-thinking[open]'),
                        tool: (el.querySelector('.cw-tool-input') || {}).textContent || null,
                        ready: (""" + RENDERER_READY_JS + """)()});
                }, every);
            }""", [self.panel, cell, every_ms])

    def stop_sampling(self) -> list[dict[str, Any]]:
        self.page.wait_for_timeout(200)  # a few samples of the final state
        return list(self.page.evaluate("() => { clearInterval(window.__cwSampler); return window.__cwSamples; }"))


# Cells shared by the tests: an offline Messages API server in the kernel, and a client.
def setup_cell(delay_ms: float = 20) -> str:
    return f"""\
import anthropic, claude_widgets
from claude_widgets.server import OfflineServer
try:
    from claude_widgets import stream
except ImportError:
    from claude_widgets._stream import stream
srv = OfflineServer(delay_ms={delay_ms}).start()
client = anthropic.Anthropic(base_url=srv.base_url, api_key="offline", max_retries=0)
MODEL = claude_widgets.DEFAULT_MODEL
print("ready")"""


def stream_cell(prompt: str = "hello", *, scenario: str | None = None, fault: str | None = None,
                max_tokens: int = 2048, model: str = "MODEL", extra: str = "") -> str:
    headers = {}
    if scenario:
        headers["x-offline-scenario"] = scenario
    if fault:
        headers["x-offline-fault"] = fault
    return (f"view = stream(client, model={model}, max_tokens={max_tokens}, "
            f"messages=[{{'role': 'user', 'content': {prompt!r}}}], extra_headers={headers!r}{extra})")


# What must never appear inside a view, whatever the model says.
XSS_CHECK_JS = """(root) => {
    const bad = [];
    const forbidden = 'script,iframe,frame,object,embed,form,input,button:not(.cw-stop):not(.cw-copy),textarea,'
        + 'select,style,link,meta,base,img,svg,video,audio,source,template,details:not(.cw-thinking),'
        + 'maction,annotation-xml,mglyph';
    for (const el of root.querySelectorAll(forbidden)) bad.push('element <' + el.nodeName.toLowerCase() + '>');
    // MathML only as the view renders TeX: inside a .cw-math element
    for (const el of root.querySelectorAll('math')) {
        if (!el.parentElement.closest('.cw-math')) bad.push('element <math> outside .cw-math');
    }
    for (const el of root.querySelectorAll('*')) {
        for (const a of el.attributes) {
            const name = a.name.toLowerCase();
            if (name.startsWith('on')) bad.push('attribute ' + name + ' on <' + el.nodeName.toLowerCase() + '>');
            if (name === 'style' || name === 'srcdoc' || name === 'formaction' || name === 'action')
                bad.push('attribute ' + name);
            if ((name === 'href' || name === 'xlink:href') && el.nodeName !== 'A') bad.push(name + ' on <' + el.nodeName.toLowerCase() + '>');
            if (name === 'href' || name === 'src' || name === 'xlink:href') {
                const url = new URL(a.value, location.href);
                if (!['http:', 'https:', 'mailto:'].includes(url.protocol)) bad.push(name + '=' + a.value);
            }
        }
    }
    for (const a of root.querySelectorAll('a[href]')) {
        // (JupyterLab's HTML renderer rewrites rel to "noopener" in a static record's links)
        if (a.target !== '_blank' || !a.relList.contains('noopener')) bad.push('link without target/rel: ' + a.outerHTML);
    }
    if (getComputedStyle(document.body).display === 'none') bad.push('a <style> payload hid the page');
    return bad;
}"""


def xss_findings(view: Any) -> list[str]:
    """Injected elements or attributes found in a view (a locator of its root)."""
    return list(view.evaluate(XSS_CHECK_JS))

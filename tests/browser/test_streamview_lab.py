"""StreamView in a real JupyterLab 4, in headless Chromium: real kernel, real package, offline server.

Each test writes a notebook, opens it, runs all cells and watches the widget's output.
The stream runs in the kernel against ``claude_widgets.server.OfflineServer`` (scenario
and faults chosen by request headers); nothing here fakes the kernel or the protocol.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from ._helpers import SCREENSHOTS, setup_cell, stream_cell, xss_findings

pytestmark = pytest.mark.browser


def _streaming_samples(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in samples if s["state"] == "streaming"]


def test_text_streams_in_live(lab_notebook: Any) -> None:
    """Text shows up and grows while the stream runs, well before it ends."""
    nb = lab_notebook([setup_cell(delay_ms=30), stream_cell(scenario="markdown-tour")])
    nb.start_sampling(1)
    nb.run_all()
    # mid-stream, the cell as a person sees it (README's docs/img/streamview.png is this picture)
    nb.page.wait_for_function("el => Number(el.dataset.cwTextChars) > 420", arg=nb.view(1).element_handle(),
                              timeout=60_000)
    nb.page.locator(f"{nb.panel} .jp-Cell").nth(1).screenshot(path=str(SCREENSHOTS / "streamview-streaming.png"))
    # the API counts output tokens only at the end: meanwhile the bar shows an estimate
    assert nb.view(1).locator(".cw-tokens").inner_text().startswith("in 11 · out ≈")
    nb.wait_state(1, "done", timeout=90_000)
    samples = nb.stop_sampling()
    live = _streaming_samples(samples)
    shown = sorted({s["shown"] for s in live if s["shown"] > 0})
    assert len(shown) >= 10, f"text did not grow visibly while streaming: {shown}"
    first_text_at = next(s["t"] for s in samples if s["shown"] > 0)
    done_at = next(s["t"] for s in samples if s["state"] == "done")
    assert done_at - first_text_at > 1000, "text appeared only at the end"
    # the page's first view lays its text in as soon as its renderer is ready (~0.5-0.8 s after
    # the page first needs it: libraries and warm-up, a step a frame; never shown raw first:
    # test_view_unit), not later: the next frame's flush, seen 25-50 ms after by this sampler
    ready_at = next(s["t"] for s in samples if s["ready"])
    assert first_text_at - ready_at <= 250, [(round(s["t"]), s["state"], s["ready"], s["shown"]) for s in samples][:60]
    nb.wait_text(1, "That's the tour.")


# A view inside another widget stays a live widget when the stream ends (only a view's
# own displays become its static record): how these tests look at the live view once done.
LIVE = ", display=False)\nimport ipywidgets\ndisplay(ipywidgets.VBox([view])"


@pytest.mark.parametrize("shown", ["record", "live"])
def test_markdown_rendered(lab_notebook: Any, shown: str) -> None:
    """The same Markdown from the live view (marked) and from its static record (markdown-it-py)."""
    nb = lab_notebook([setup_cell(delay_ms=5),
                       stream_cell(scenario="markdown-tour", extra=LIVE if shown == "live" else "")])
    nb.run_all()
    nb.wait_state(1, "done")
    view = nb.view(1)
    assert view.evaluate("el => el.classList.contains('cw-record')") == (shown == "record")
    assert view.locator("h1").inner_text() == "A tour of Markdown"
    assert view.locator("h2").all_inner_texts() == ["Lists", "Code", "A table"]
    assert view.locator("ul > li").first.inner_text().startswith("Streaming shows tokens")
    assert view.locator("ul li ul li").inner_text() == "nested items work too"
    assert view.locator("ol > li").count() == 3
    assert view.locator("strong").first.inner_text() == "Markdown"
    assert view.locator("em").first.inner_text() == "emphasis"
    code = view.locator("pre > code.language-python")
    assert "for text in stream.text_stream:" in code.inner_text()
    assert view.locator("table th").all_inner_texts() == ["Event", "When"]
    assert view.locator("table tbody tr").count() == 3
    assert view.locator("td code").first.inner_text() == "message_start"
    assert view.locator("blockquote").inner_text().strip() == "Quotes render as block quotes."
    link = view.locator("a", has_text="links")
    assert link.get_attribute("href") == "https://docs.claude.com"
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in link.get_attribute("rel").split()  # JupyterLab sets rel="noopener" on a record's links
    bar = view.locator(".cw-bar").inner_text()
    assert "Done" in bar and "stop: end_turn" in bar and "tokens" in bar
    assert view.locator(".cw-stop").is_hidden()


def test_thinking_and_tool_blocks(lab_notebook: Any) -> None:
    # Two parameters: the API buffers each value until it is complete (fine-grained tool
    # streaming docs), so the input grows value by value, with a pause between the two.
    tools = ("[{'name': 'get_weather', 'description': 'Current weather for a city',"
             " 'input_schema': {'type': 'object', 'properties': {'location': {'type': 'string'},"
             " 'unit': {'type': 'string', 'enum': ['celsius', 'fahrenheit']}},"
             " 'required': ['location', 'unit']}}]")
    nb = lab_notebook([
        setup_cell(delay_ms=40),
        stream_cell(scenario="capital"),
        stream_cell("What's the weather in Paris?", model="claude_widgets.THINKING_ENABLED_MODEL",
                    extra=f", tools={tools}, thinking={{'type': 'enabled', 'budget_tokens': 1024}}"),
    ])
    # The thinking block streams for ~0.8 s and the tool input for ~0.25 s: about as long as
    # a page's first view waits for its renderer, and less on a loaded machine (CI once saw
    # the thinking end before the view showed it). Meanwhile the view shows leading thinking
    # but nothing after text (test_view_unit), so the tool's input could not be seen growing.
    # So a first answer warms the page up, and the answer under test is the page's second.
    nb.run_cell(0).run_cell(1)
    nb.wait_state(1, "done")
    nb.wait_renderer()
    nb.start_sampling(2, every_ms=10)
    nb.run_cell(2)
    nb.wait_state(2, "done")
    samples = nb.stop_sampling()
    view = nb.view(2)
    thinking = view.locator("details.cw-thinking")
    assert thinking.count() == 1
    assert any(s["thinkingOpen"] for s in samples), "thinking was never open while streaming"
    assert thinking.get_attribute("open") is None, "thinking did not collapse when done"
    assert "I should call" in thinking.locator(".cw-thinking-body").text_content()
    tool = view.locator(".cw-tool")
    assert tool.locator(".cw-tool-name").inner_text() == "get_weather"
    final = tool.locator(".cw-tool-input").text_content()
    assert final == '{\n  "location": "Paris",\n  "unit": "celsius"\n}'
    # the raw JSON was shown growing before the block stopped
    raw = '{"location": "Paris", "unit": "celsius"}'
    partial = {s["tool"] for s in samples if s["tool"] and s["tool"] != final}
    assert any(len(p) < len(raw) and raw.startswith(p) for p in partial), partial
    assert "tool_use" in view.locator(".cw-bar").inner_text()
    # the blocks come in order: thinking, the preamble text, the tool call
    kinds = view.evaluate("el => [...el.querySelector('.cw-blocks').children].map(c => c.classList[1])")
    assert kinds == ["cw-thinking", "cw-text", "cw-tool"]


def test_stop_button_stops_a_slow_stream(lab_notebook: Any) -> None:
    nb = lab_notebook([setup_cell(delay_ms=50), stream_cell("long answer please", scenario="long", max_tokens=4000)])
    nb.run_all()
    view = nb.view(1)
    nb.page.wait_for_function("el => Number(el.dataset.cwTextChars) > 300", arg=view.element_handle(),
                              timeout=60_000)
    stop = view.locator(".cw-stop")
    assert stop.is_enabled()
    stop.click()
    nb.wait_state(1, "stopped", timeout=15_000)
    chars = int(view.get_attribute("data-cw-text-chars"))
    nb.page.wait_for_timeout(1500)
    assert int(view.get_attribute("data-cw-text-chars")) == chars, "text kept growing after Stop"
    assert chars > 300
    text = view.locator(".cw-blocks").inner_text()
    assert "Section 1: streaming" in text
    assert view.locator(".cw-stop").is_hidden()
    assert "Stopped" in view.locator(".cw-bar").inner_text()
    state, nchars = nb.execute("print(view.state, len(view.text))").split()
    assert state == "stopped"
    assert 300 < int(nchars) < 4000 * 4


def test_error_is_shown_and_partial_text_kept(lab_notebook: Any) -> None:
    nb = lab_notebook([setup_cell(delay_ms=10), stream_cell(scenario="markdown-tour", fault="error-after=20", extra=", resume=False")])
    nb.run_all()
    nb.wait_state(1, "error")
    view = nb.view(1)
    error = view.locator(".cw-error")
    assert error.is_visible()
    assert "Overloaded" in error.inner_text()
    assert view.locator("h1").inner_text() == "A tour of Markdown"  # the partial answer stays
    assert int(view.get_attribute("data-cw-text-chars")) > 20
    colors = error.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderLeftWidth]")
    assert colors[0] != "rgba(0, 0, 0, 0)" and colors[1] == "4px"


def test_xss_payloads_are_inert(lab_notebook: Any, page_events: Any) -> None:
    nb = lab_notebook([setup_cell(delay_ms=2), stream_cell("xss", scenario="xss")])
    nb.run_all()
    nb.wait_state(1, "done")
    view = nb.view(1)
    nb.page.wait_for_timeout(500)  # give any injected handler (onerror, ontoggle…) time to fire
    assert xss_findings(view) == []
    text = view.locator(".cw-blocks").inner_text()
    for visible in ["<script>alert('xss-script')</script>", "<img src=x onerror=\"alert('xss-img')\">",
                    "<svg onload=\"alert('xss-svg')\">", "<iframe srcdoc=", "<style>body { display: none !important; }</style>",
                    "<details open ontoggle=\"alert('xss-details')\">", "<form action=\"javascript:alert('xss-form')\">",
                    "<object data=\"javascript:alert('xss-object')\">", "End of payloads."]:
        assert visible in text, f"payload not shown as text: {visible}"
    # the live view keeps the link's text without its href; the record shows the Markdown as text
    assert "a markdown link" in text
    md_link = view.locator("a", has_text="a markdown link")
    assert all(md_link.nth(i).get_attribute("href") is None for i in range(md_link.count()))
    assert page_events.dialogs == []


def test_render_work_is_bounded(lab_notebook: Any) -> None:
    """A long answer, streamed at the real API's pace, costs ≤ 3× its length in Markdown rendering."""
    nb = lab_notebook([setup_cell(delay_ms=3), stream_cell("long answer", scenario="long", max_tokens=6000)])
    nb.run_all()
    nb.wait_state(1, "done", timeout=120_000)
    view = nb.view(1)
    chars = int(view.get_attribute("data-cw-text-chars"))
    stats = nb.stats()
    print(chars, stats)
    assert chars > 15_000
    assert stats["renderedChars"] <= 3 * chars, stats
    assert view.locator("h2").count() > 20


def test_two_views_show_the_same(lab_notebook: Any) -> None:
    """A second, live view of the widget, made mid-stream, catches up; it shows what the record shows."""
    nb = lab_notebook([
        setup_cell(delay_ms=20),
        stream_cell(scenario="markdown-tour"),
        "import time, ipywidgets\ntime.sleep(1.0)\ndisplay(ipywidgets.VBox([view]))",
    ])
    nb.run_all()
    nb.wait_state(1, "done")
    nb.wait_state(2, "done")
    record, live = nb.view(1), nb.view(2)
    assert record.evaluate("el => el.classList.contains('cw-record')")
    assert not live.evaluate("el => el.classList.contains('cw-record')")
    first = " ".join(record.locator(".cw-blocks").inner_text().split())
    second = " ".join(live.locator(".cw-blocks").inner_text().split())
    assert first.startswith("A tour of Markdown")
    assert first == second
    assert live.locator(".cw-blocks h2").all_inner_texts() == record.locator(".cw-blocks h2").all_inner_texts()


def _norm(html: str) -> str:
    """HTML with whitespace runs collapsed and whitespace next to tags dropped (what shows)."""
    return re.sub(r" ?(<[^>]+>) ?", r"\1", re.sub(r"\s+", " ", html)).strip()


def test_reload_rebuilds_from_snapshot(lab_notebook: Any) -> None:
    """After a page reload, a live view is rebuilt from the kernel's widget state: the compressed `snapshot`."""
    nb = lab_notebook([setup_cell(delay_ms=1), stream_cell(scenario="markdown-tour", extra=LIVE)])
    nb.run_all()
    nb.wait_state(1, "done")
    before = nb.view(1).evaluate("el => el.querySelector('.cw-blocks').innerHTML")
    nb.wait_idle()
    nb.save()  # the output (a widget view) must be in the file for the reloaded page to show it
    nb.page.reload()
    nb.open()
    nb.wait_state(1, "done")
    after = nb.view(1).evaluate("el => el.querySelector('.cw-blocks').innerHTML")
    a, b = _norm(after), _norm(before)
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    assert a == b, f"differs at {at}: live {b[at - 80:at + 80]!r} / reloaded {a[at - 80:at + 80]!r}"
    assert "<h1>A tour of Markdown</h1>" in after
    assert nb.stats()["snapshots"] >= 1


def _luminance(rgb: str) -> float:
    r, g, b = (int(float(x)) for x in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_dark_theme(lab_notebook: Any) -> None:
    """The view follows JupyterLab's theme variables: light text on dark in JupyterLab Dark."""
    nb = lab_notebook([setup_cell(delay_ms=1), stream_cell(scenario="markdown-tour", fault="error-after=60", extra=", resume=False")])
    change = "t => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})"
    nb.page.evaluate(change, "JupyterLab Dark")
    try:
        nb.page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
        nb.run_all()
        nb.wait_state(1, "error")
        view = nb.view(1)
        colors = view.evaluate("""el => {
            const css = (q, p) => getComputedStyle(el.querySelector(q))[p];
            return {text: css('.cw-text p', 'color'), bar: css('.cw-bar', 'backgroundColor'),
                    barText: css('.cw-state', 'color'), error: css('.cw-error', 'color'),
                    errorBg: css('.cw-error', 'backgroundColor')};
        }""")
        assert _luminance(colors["text"]) > 0.6, colors
        assert _luminance(colors["barText"]) > 0.6, colors
        assert _luminance(colors["bar"]) < 0.4, colors
        assert abs(_luminance(colors["error"]) - _luminance(colors["errorBg"])) > 0.3, colors
        nb.page.screenshot(path=str(SCREENSHOTS / "test_dark_theme_view.png"))
    finally:
        nb.page.evaluate(change, "JupyterLab Light")


MAGIC_SETUP = '''import os
os.environ["CLAUDE_WIDGETS_OFFLINE"] = "1"
os.environ["CLAUDE_WIDGETS_DELAY_MS"] = "15"
%load_ext claude_widgets

def get_weather(location: str) -> str:
    """Get the current weather in a city.

    Args:
        location: The city, e.g. Paris.
    """
    return {"Paris": "18 °C, sunny"}.get(location, "unknown")

def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression.

    Args:
        expression: e.g. 18 * 9 / 5 + 32
    """
    return str(round(eval(expression, {"__builtins__": {}}), 2))
print("ready")'''


def test_magic_tool_loop_streams_into_one_view(lab_notebook: Any) -> None:
    """%%claude with Python tools in JupyterLab: every step live in one view, then one record."""
    nb = lab_notebook([MAGIC_SETUP, ("%%claude --tools get_weather,calculator\n"
                                    "What's the weather in Paris, and what is that temperature in Fahrenheit?")])
    nb.start_sampling(1, every_ms=20)
    nb.run_all()
    nb.wait_state(1, "done", timeout=90_000)
    samples = nb.stop_sampling()
    assert any(s["state"] == "streaming" and not s["record"] for s in samples), "never seen live"
    view = nb.view(1)
    kinds = view.evaluate("el => [...el.querySelector('.cw-blocks').children].map(c => c.classList[2] || c.classList[1])")
    assert kinds == ["cw-md", "cw-tool-call", "cw-tool-result", "cw-md", "cw-tool-call", "cw-tool-result", "cw-md"]
    names = view.locator(".cw-tool-name").all_inner_texts()
    assert names == ["get_weather", "get_weather", "calculator", "calculator"]
    results = view.locator(".cw-tool-result .cw-tool-input").all_inner_texts()
    assert results == ["18 °C, sunny", "64.4"]
    assert "64.4" in view.locator(".cw-text").last.inner_text()
    assert xss_findings(view) == []
    assert nb.execute("print(len(get_ipython().magics_manager.registry['ClaudeMagics'].chats['default'].messages))"
                      ).strip() == "6"

"""The static record: what a finished view's output becomes, and so what a saved notebook shows.

Browser-side checks (XSS payloads inert, nbconvert pages with and without widget state)
are in tests/widget/test_kernel_nbconvert.py and tests/browser.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from claude_widgets._view import StreamView

from ._factory import raw_events

WIDGET = "application/vnd.jupyter.widget-view+json"
BLOCKS = [
    {"type": "thinking", "thinking": "The user wants a greeting."},
    {"type": "text", "text": "# Hello\n\nHere is *Markdown*."},
    {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "hello", "n": 2}},
]


def finished(blocks: list[dict[str, Any]]) -> StreamView:
    view = StreamView()
    view.consume(iter(raw_events(blocks)))
    view.wait(timeout=10)
    return view


def test_before_the_end_a_deterministic_placeholder() -> None:
    view = StreamView()
    data, _ = view._repr_mimebundle_()
    assert data["text/plain"] == "[not started]"
    gate, release = threading.Event(), threading.Event()

    def source() -> Iterator[Any]:
        events = raw_events([{"type": "text", "text": "partial"}])
        yield from events[:3]
        gate.set()
        release.wait(5)
        yield from events[3:]

    view.consume(source())
    assert gate.wait(5)
    data, _ = view._repr_mimebundle_()
    assert data["text/plain"] == "[streaming…]"
    assert "text/html" not in data
    assert data[WIDGET]["model_id"] == view.model_id
    release.set()
    view.wait(timeout=5)
    data, _ = view._repr_mimebundle_()
    assert data["text/plain"] == "partial"


def test_final_bundle_is_the_record_not_the_widget() -> None:
    view = finished(BLOCKS)
    data, metadata = view._repr_mimebundle_()
    assert set(data) == {"text/plain", "text/html"}  # no widget: viewers must not pick it over the answer
    assert data["text/plain"] == "# Hello\n\nHere is *Markdown*."
    page = data["text/html"]
    assert page.startswith('<div class="claude-widgets-streamview tex2jax_ignore mathjax_ignore" data-mjx="skip"><style>')
    assert '<div class="cw-root cw-record" data-cw-state="done"' in page
    assert '<span class="cw-state">Done</span>' in page
    # thinking collapsed, Markdown rendered, the tool input pretty-printed, in order
    thinking = page.index('<details class="cw-block cw-thinking"><summary><span class="cw-thinking-label">'
                          'Thinking</span></summary><div class="cw-thinking-body">The user wants a greeting.</div>')
    heading = page.index("<h1 class=\"jp-toc-ignore\">Hello</h1><p>Here is <em>Markdown</em>.</p>")
    tool = page.index('<span class="cw-tool-name">lookup</span></div><pre class="cw-tool-input">'
                      '{\n  &quot;q&quot;: &quot;hello&quot;,\n  &quot;n&quot;: 2\n}</pre>'.replace("&quot;", '"'))
    assert thinking < heading < tool
    assert isinstance(metadata, dict)


def _sanitised(html: str) -> str:
    """The record as nbval compares it: its elapsed time and rate blanked by the notebooks' sanitiser."""
    import configparser
    import re
    from pathlib import Path

    config = configparser.ConfigParser()
    config.read(Path(__file__).resolve().parents[2] / "notebooks" / "nbval_sanitize.cfg")
    for section in config.sections():
        html = re.sub(config[section]["regex"], config[section]["replace"], html)
    return html


def test_record_is_deterministic() -> None:
    """No ids or addresses; the elapsed time and rate, the only times, are what nbval's sanitiser blanks."""
    a, b = finished(BLOCKS), finished(BLOCKS)
    da, _ = a._repr_mimebundle_()
    db, _ = b._repr_mimebundle_()
    assert '<span class="cw-elapsed">' in da["text/html"] and '<span class="cw-rate">' in da["text/html"]
    da["text/html"], db["text/html"] = _sanitised(da["text/html"]), _sanitised(db["text/html"])
    assert da == db
    assert '<span class="cw-elapsed"></span><span class="cw-rate"></span>' in da["text/html"]
    assert "0x" not in da["text/plain"] + da["text/html"]
    assert a.model_id not in da["text/html"]


def test_untrusted_markdown_is_inert_in_the_record() -> None:
    """Raw HTML shows as text, unsafe links lose their target, images are not fetched."""
    text = ('<img src=x onerror=alert(1)> <script>alert(2)</script> [a](javascript:alert(3)) '
            '[ok](https://example.com) ![pic](https://example.com/p.png)\n\n<iframe src="https://e.com"></iframe>'
            '\n\n<style>body{display:none}</style>\n\n[x](data:text/html,<script>alert(4)</script>)')
    view = finished([{"type": "text", "text": text},
                     {"type": "tool_use", "id": "t", "name": "<b>n</b>", "input": {"k": "</pre><script>"}}])
    page = view._repr_mimebundle_()[0]["text/html"]
    body = page[page.index("</style>") + len("</style>"):]
    for tag in ("<img", "<script", "<iframe", "<style", "<b>"):
        assert tag not in body, tag
    assert "javascript:" not in body.replace("(javascript:alert(3))", "")
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert '<a href="https://example.com" target="_blank" rel="noopener noreferrer">ok</a>' in body
    assert '<a class="cw-image-link" href="https://example.com/p.png"' in body
    assert "&lt;/pre&gt;&lt;script&gt;" in body


def test_include_and_exclude() -> None:
    view = finished(BLOCKS)
    data, _ = view._repr_mimebundle_(include={"text/plain"})
    assert set(data) == {"text/plain"}
    data, _ = view._repr_mimebundle_(exclude={"text/plain"})
    assert set(data) == {"text/html"}


def test_stopped_and_error_are_marked() -> None:
    view = StreamView()
    gate = threading.Event()

    def slow() -> Iterator[Any]:
        events = raw_events([{"type": "text", "text": "half an answer"}], size=100, complete=False)
        yield from events
        gate.set()
        while True:
            time.sleep(0.01)
            yield events[-1]

    view.consume(slow())
    assert gate.wait(5)
    view.stop()
    view.wait(timeout=5)
    data, _ = view._repr_mimebundle_()
    assert data["text/plain"] == "half an answer\n\n[stopped]"
    assert '<span class="cw-state">Stopped</span>' in data["text/html"]
    assert "<p>half an answer</p>" in data["text/html"]

    view = StreamView()
    view.consume(iter(raw_events([{"type": "text", "text": "abc"}], complete=False)))
    try:
        view.wait(timeout=5)
    except ConnectionError:
        pass
    data, _ = view._repr_mimebundle_()
    assert data["text/plain"] == "abc\n\n[error: Connection dropped after 3 characters]"
    assert ('<div class="cw-error" role="alert">Connection dropped after 3 characters</div>'
            in data["text/html"])


def test_display_with_id_and_update_at_the_end(monkeypatch: Any) -> None:
    """Displayed through IPython: a display id, updated with the final bundle when done."""
    import IPython.display

    calls: list[dict[str, Any]] = []

    def fake_display(*objs: Any, **kwargs: Any) -> None:
        calls.append({"data": objs[0], **kwargs})

    class Shell:
        @property
        def parent_header(self) -> dict[str, str]:
            return {"msg_id": "cell-1"}

    monkeypatch.setattr(IPython.display, "display", fake_display)
    monkeypatch.setattr("IPython.get_ipython", lambda: Shell())
    view = StreamView()
    view._ipython_display_()
    view._ipython_display_()  # again in the same cell (e.g. the cell's last line): not twice
    assert len(calls) == 1 and calls[0]["raw"] is True and calls[0]["data"]["text/plain"] == "[not started]"
    display_id = calls[0]["display_id"]
    view.consume(iter(raw_events([{"type": "text", "text": "final words"}])))
    view.wait(timeout=5)
    assert len(calls) == 2
    assert calls[1]["display_id"] == display_id and calls[1]["update"] is True
    assert calls[1]["data"]["text/plain"] == "final words"
    assert "<p>final words</p>" in calls[1]["data"]["text/html"]
    assert WIDGET not in calls[1]["data"]


def test_both_markdown_renderers_give_the_same_record(monkeypatch: Any) -> None:
    """markdown-it-pyrs where it has wheels, markdown-it-py elsewhere: the same stored HTML.

    nbval compares a notebook's stored record, so a learner on a Python without the Rust
    wheels must get byte-identical output.
    """
    import sys

    from claude_widgets import _static
    from claude_widgets.server import _scenarios

    from ..browser.test_view_unit import TRICKY, XSS_PAYLOADS

    corpus = [_scenarios.MARKDOWN_TOUR, _scenarios.XSS, _scenarios.STORY, _scenarios.SSE_EXPLAINER, TRICKY,
              "\n\n".join(p for p, _ in XSS_PAYLOADS), "```python\nunclosed = True\n", "![alt](https://e.com/i.png)",
              "- " * 19 + "x", ">" * 20 + " deep quote", "_a " * 20 + "a_ " * 20]  # as deep as _mdguard allows
    _static._renderer.cache_clear()
    fast = [_static.render_markdown(t)[0] for t in corpus]
    assert "builtins.MarkdownIt" in repr(_static._renderer())  # the Rust one
    monkeypatch.setitem(sys.modules, "markdown_it_pyrs", None)  # as if no wheel: the fallback
    _static._renderer.cache_clear()
    try:
        assert "markdown_it.main.MarkdownIt" in repr(_static._renderer())
        slow = [_static.render_markdown(t)[0] for t in corpus]
    finally:
        _static._renderer.cache_clear()
    for a, b in zip(fast, slow):
        assert a == b


def test_repr_is_short_and_deterministic() -> None:
    """What a container's text/plain shows for it in a saved notebook: no address."""
    import ipywidgets

    view = finished(BLOCKS)
    assert repr(view) == f"<StreamView done: {view._answer.nchars():,} characters, {view._answer.model}>"
    assert repr(ipywidgets.HBox([view])) == f"HBox(children=({view!r},))"
    assert repr(StreamView()) == "<StreamView idle: 0 characters>"


def test_math_and_code_payloads_are_inert_in_the_record() -> None:
    """TeX is typeset without links or HTML, and code stays text, whatever the model writes (14.8)."""
    text = ("$\\href{javascript:alert(1)}{x}$ and $$\\href{javascript:alert(2)}{y}$$\n\n"
            "\\(\\url{javascript:alert(3)}\\) $<img src=x onerror=alert(4)>$ $\\text{<script>alert(5)</script>}$\n\n"
            "$\\style{color:red}{z}$ $\\includegraphics{https://e.com/i.png}$ $\\class{x}{y}$\n\n"
            "```html\n<script>alert(6)</script></code></pre><img src=x onerror=alert(7)>\n```\n\n"
            "```python\nx = '</code></pre><script>alert(8)</script>'\n```\n\n$a^2$ and $$\\frac{1}{2}$$")
    page = finished([{"type": "text", "text": text}])._repr_mimebundle_()[0]["text/html"]
    body = page[page.index("</style>") + len("</style>"):]
    for bad in ("<img", "<script", "href=\"javascript", "onerror=\"", "<style", "style=", "<mglyph", "xlink"):
        assert bad not in body, bad
    assert body.count("<math") >= 3  # the formulas that are math did render
    assert '<code class="hljs language-python">' in body
    assert "&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;" in body  # code is text, escaped


def test_the_record_carries_only_the_css_its_elements_use() -> None:
    """A record saved per answer carries the rules its elements can match, and the variables they use.

    Its text-only answer needs no rules for code highlighting, math, copy or Stop buttons.
    """
    import re

    from claude_widgets._static import _css

    page, _ = finished(BLOCKS)._repr_mimebundle_()
    style = re.search(r"<style>(.*?)</style>", page["text/html"], re.DOTALL).group(1)  # type: ignore[union-attr]
    assert len(style) < len(_css()) - 3000  # ~8.6 KB in all; this record needs ~4.6 KB
    assert ".claude-widgets-streamview{" in style and "--cw-border" in style  # the variables stay
    assert ".cw-bar{" in style and ".cw-thinking{" in style and ".cw-tool-input{" in style
    assert "hljs" not in style and ".cw-math" not in style and ".cw-stop{" not in style


def test_the_record_carries_only_the_rules_of_its_final_state() -> None:
    """Rules for another state (`[data-cw-state="error"]`…) or for motion cannot match a finished record."""
    import contextlib
    import re

    def style_of(view: StreamView) -> str:
        page, _ = view._repr_mimebundle_()
        return re.search(r"<style>(.*?)</style>", page["text/html"], re.DOTALL).group(1)  # type: ignore[union-attr]

    done = style_of(finished(BLOCKS))
    assert '[data-cw-state="done"] .cw-spinner{' in done
    assert '[data-cw-state="error"]' not in done and '[data-cw-state="retrying"]' not in done
    assert "@keyframes" not in done and "animation" not in done and "@media" not in done
    assert ": " not in done.replace("(prefers-reduced-motion: reduce)", "")  # declarations minified

    def failing() -> Iterator[Any]:
        yield from raw_events([{"type": "text", "text": "partial answer"}], complete=False)
        raise ConnectionError("the connection dropped")

    errored = StreamView()
    errored.consume(failing())
    with contextlib.suppress(ConnectionError):  # wait() re-raises the stream's error
        errored.wait(timeout=10)
    failed = style_of(errored)
    assert '[data-cw-state="error"] .cw-bar{' in failed and '[data-cw-state="done"]' not in failed

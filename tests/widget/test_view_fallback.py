"""The static fallback: what a saved notebook shows where no widget state exists."""

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
    assert "text/markdown" not in data
    assert data[WIDGET]["model_id"] == view.model_id
    release.set()
    view.wait(timeout=5)
    data, _ = view._repr_mimebundle_()
    assert data["text/plain"] == "partial"


def test_final_bundle() -> None:
    view = finished(BLOCKS)
    data, metadata = view._repr_mimebundle_()
    assert set(data) == {"text/plain", "text/markdown", WIDGET}
    assert data["text/plain"] == "# Hello\n\nHere is *Markdown*."
    md = data["text/markdown"]
    assert md.startswith("<details><summary>Thinking</summary>\n\nThe user wants a greeting.\n\n</details>")
    assert "# Hello\n\nHere is *Markdown*." in md
    assert '**Tool call: `lookup`**\n\n```json\n{\n  "q": "hello",\n  "n": 2\n}\n```' in md
    assert isinstance(metadata, dict)


def test_bundle_is_deterministic() -> None:
    """No ids, timings or addresses: two runs give the same text/plain and text/markdown."""
    a, b = finished(BLOCKS), finished(BLOCKS)
    da, _ = a._repr_mimebundle_()
    db, _ = b._repr_mimebundle_()
    assert da["text/plain"] == db["text/plain"]
    assert da["text/markdown"] == db["text/markdown"]
    assert da[WIDGET] != db[WIDGET]  # only the model id differs
    assert "0x" not in da["text/plain"] + da["text/markdown"]


def test_include_and_exclude() -> None:
    view = finished(BLOCKS)
    data, _ = view._repr_mimebundle_(include={"text/plain"})
    assert set(data) == {"text/plain"}
    data, _ = view._repr_mimebundle_(exclude={WIDGET})
    assert set(data) == {"text/plain", "text/markdown"}


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
    assert data["text/markdown"].endswith("*[stopped]*")

    view = StreamView()
    view.consume(iter(raw_events([{"type": "text", "text": "abc"}], complete=False)))
    try:
        view.wait(timeout=5)
    except ConnectionError:
        pass
    data, _ = view._repr_mimebundle_()
    assert data["text/plain"] == "abc\n\n[error: Connection dropped after 3 characters]"


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
    assert calls[1]["data"]["text/markdown"] == "final words"

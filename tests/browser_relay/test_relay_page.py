"""The relay page of notebook 07 in headless Chromium: it streams, ends, fails, stops and buffers.

Each test loads ``notebooks/web/index.html`` from the relay (``notebooks/web/relay.py``),
which streams from an offline Messages API server. Debug query parameters on the page
URL reach the relay: ``delay`` paces the upstream, ``fault`` injects an upstream failure,
``chunk`` cuts the relay's bytes into tiny pieces.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from claude_widgets.server import OfflineServer

from .conftest import SECRET_KEY, PageProbe, expected_deltas, make_relay, wait_for

pytestmark = pytest.mark.browser

STORY = "Tell me a story"

# Records the answer's length and the status at every change, from before the stream starts.
RECORD_PROGRESS = """() => {
  window.progress = [];
  const answer = document.getElementById('answer');
  const status = document.getElementById('status');
  new MutationObserver(() => window.progress.push([answer.textContent.length, status.dataset.state]))
    .observe(answer, { childList: true, characterData: true, subtree: true });
}"""


def url(relay: Any, **params: Any) -> str:
    return str(relay.url) + ("?" + urlencode(params) if params else "")


def test_text_streams_in_progressively_and_done_ends_it(probe: PageProbe, relay: Any,
                                                        upstream: OfflineServer) -> None:
    deltas = expected_deltas(upstream, STORY)
    probe.page.goto(url(relay, delay=25))
    probe.page.evaluate(RECORD_PROGRESS)
    probe.ask(STORY)
    probe.page.wait_for_function("() => document.getElementById('answer').textContent.length > 80")
    assert probe.state() == "streaming"
    assert probe.page.is_enabled("#stop") and probe.page.is_disabled("#send")
    probe.screenshot("streaming")

    assert probe.wait_until_finished() == "done"
    probe.screenshot("done")
    assert probe.answer() == "".join(deltas)
    assert probe.page.text_content("#status") == "Done."
    assert probe.page.is_hidden("#error")
    assert probe.page.is_enabled("#send") and probe.page.is_disabled("#stop")

    progress = probe.page.evaluate("window.progress")
    lengths_while_streaming = {n for n, state in progress if state == "streaming" and n > 0}
    assert len(lengths_while_streaming) >= len(deltas) // 2, f"text did not arrive progressively: {progress}"
    assert relay.wait_for_outcome().outcome == "done"
    stats = probe.page.evaluate("window.relayStats")
    assert stats["events"] == len(deltas) + 2  # the text events, the stop event and [DONE]
    assert probe.page.get_attribute("#status", "data-stop-reason") == "end_turn"
    assert relay.records[-1].stop_reason == "end_turn"
    assert not probe.errors and not probe.dialogs


@pytest.mark.parametrize("prompt,reason,says", [
    ("Write a long essay", "max_tokens", "Cut off: the answer reached the relay's max_tokens limit."),
    ("refusal demo", "refusal", "Claude declined to continue: the text so far is not an answer."),
    ("fill the context window", "model_context_window_exceeded",
     "Cut off: the conversation filled the model's context window."),
])
def test_the_page_tells_a_cut_or_refused_answer_from_a_complete_one(
        probe: PageProbe, relay: Any, upstream: OfflineServer, prompt: str, reason: str, says: str) -> None:
    deltas = expected_deltas(upstream, prompt)
    probe.page.goto(url(relay))
    probe.ask(prompt)
    assert probe.wait_until_finished() == "done"  # the stream ended well: [DONE] came
    assert probe.page.get_attribute("#status", "data-stop-reason") == reason
    assert probe.page.text_content("#status") == says
    assert probe.answer() == "".join(deltas)  # the text so far stays on the page
    assert relay.wait_for_outcome().stop_reason == reason
    assert not probe.errors and not probe.dialogs


def test_upstream_error_mid_stream_shows_it_and_keeps_the_partial_text(
        probe: PageProbe, relay: Any, upstream: OfflineServer) -> None:
    deltas = expected_deltas(upstream, STORY)
    fault = f"error-after=5; id={uuid.uuid4().hex[:8]}"
    probe.page.goto(url(relay, fault=fault))
    probe.ask(STORY)
    assert probe.wait_until_finished() == "error"
    probe.screenshot("upstream-error")

    record = relay.wait_for_outcome()
    assert record.outcome == "error"
    assert upstream.requests[-1].outcome == "error-event"
    kept = probe.answer()
    assert kept == "".join(deltas[: record.text_events]) and 0 < len(kept) < len("".join(deltas))
    assert probe.page.is_visible("#error")
    message = probe.page.text_content("#error") or ""
    assert "overloaded_error" in message and "req_" not in message
    assert "text so far is kept" in (probe.page.text_content("#status") or "")
    assert not probe.dialogs


def test_stop_aborts_and_the_relay_closes_its_upstream_stream(
        probe: PageProbe, relay: Any, upstream: OfflineServer) -> None:
    deltas = expected_deltas(upstream, STORY)
    probe.page.goto(url(relay, delay=80))
    probe.ask(STORY)
    probe.page.wait_for_function("() => document.getElementById('answer').textContent.length > 20")
    probe.page.click("#stop")
    assert probe.wait_until_finished() == "aborted"
    kept = probe.answer()
    probe.page.wait_for_timeout(400)
    assert probe.answer() == kept, "text kept arriving after Stop"
    probe.screenshot("stopped")

    assert "Stopped" in (probe.page.text_content("#status") or "")
    assert probe.page.is_hidden("#error")
    assert relay.wait_for_outcome().outcome == "disconnected"
    upstream_record = upstream.requests[-1]
    assert wait_for(lambda: upstream_record.outcome == "disconnected"), upstream_record
    assert upstream_record.content_deltas < len(deltas), "the upstream stream ran to the end"
    assert not probe.errors


@pytest.mark.parametrize(("chunk", "prompt"), [(1, "Write a haiku"), (3, "Explain server-sent events")])
def test_tiny_chunks_are_buffered_into_whole_lines_and_characters(
        probe: PageProbe, relay: Any, upstream: OfflineServer, chunk: int, prompt: str) -> None:
    deltas = expected_deltas(upstream, prompt)
    probe.page.goto(url(relay, chunk=chunk))
    probe.ask(prompt)
    assert probe.wait_until_finished() == "done"
    probe.screenshot(f"chunk-{chunk}")
    text = "".join(deltas)
    assert probe.answer() == text
    if chunk == 1:
        assert any(ord(c) > 127 for c in text), "the haiku should hold a multi-byte character (—)"
    stats = probe.page.evaluate("window.relayStats")
    assert stats["events"] == len(deltas) + 2  # the text events, the stop event and [DONE]
    assert stats["chunks"] > 2 * stats["events"], stats
    assert stats["midLineChunks"] > stats["events"], stats
    assert "\ufffd" not in probe.answer()
    assert not probe.errors


def test_model_output_is_shown_as_text_never_as_html(probe: PageProbe, relay: Any,
                                                     upstream: OfflineServer) -> None:
    deltas = expected_deltas(upstream, "Show me some xss payloads")
    response = probe.page.goto(url(relay))
    assert "script-src 'self'" in response.headers["content-security-policy"]  # a second line of defence
    probe.ask("Show me some xss payloads")
    assert probe.wait_until_finished() == "done"
    probe.page.wait_for_timeout(300)  # time for any injected handler to fire
    probe.screenshot("xss-as-text")
    assert probe.answer() == "".join(deltas)
    assert "<script>alert('xss-script')</script>" in probe.answer()
    assert probe.page.eval_on_selector("#answer", "el => el.children.length") == 0
    assert probe.page.evaluate("document.querySelectorAll('img, svg, iframe, object, math, form a').length") == 0
    assert probe.page.evaluate("document.scripts.length") == 1
    assert probe.dialogs == []


def test_the_api_key_never_reaches_the_browser(probe: PageProbe, relay: Any) -> None:
    seen: list[str] = []

    def keep(response: Any) -> None:
        seen.append(json.dumps(response.headers))
        seen.append(response.text())

    probe.page.on("response", keep)
    probe.page.goto(url(relay))
    probe.ask("Write a haiku")
    assert probe.wait_until_finished() == "done"
    probe.page.wait_for_timeout(100)
    assert any("[DONE]" in body for body in seen), "the stream's body was not captured"
    assert all(SECRET_KEY not in body for body in seen)
    assert SECRET_KEY not in probe.page.content()


def test_sse_parser_and_decoder_handle_every_split(probe: PageProbe, relay: Any) -> None:
    probe.page.goto(url(relay))
    result = probe.page.evaluate("""async () => {
      const { SSEParser } = await import(new URL('stream.js', document.baseURI).href);
      const wire = 'data: {"type":"text","text":"caf\\u00e9 \\u2014 \\ud83d\\ude80"}\\r\\n\\r\\n'
                 + ': a comment\\n\\ndata: line one\\ndata: line two\\n\\n'
                 + 'event: ignored\\ndata: {"type":"text","text":"x"}\\n\\ndata: [DONE]\\n\\n';
      const bytes = new TextEncoder().encode(wire);
      const parseAll = (pieces) => {
        const parser = new SSEParser();
        const decoder = new TextDecoder('utf-8');
        const events = [];
        for (const piece of pieces) events.push(...parser.feed(decoder.decode(piece, { stream: true })));
        events.push(...parser.feed(decoder.decode()));
        return JSON.stringify(events);
      };
      const whole = parseAll([bytes]);
      const failures = [];
      for (let i = 0; i <= bytes.length; i++) {          // every split into two pieces
        const got = parseAll([bytes.slice(0, i), bytes.slice(i)]);
        if (got !== whole) failures.push([i, got]);
      }
      for (const size of [1, 2, 3, 5, 7]) {               // every piece size
        const pieces = [];
        for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.slice(i, i + size));
        const got = parseAll(pieces);
        if (got !== whole) failures.push([size, got]);
      }
      return { whole: JSON.parse(whole), failures };
    }""")
    assert result["failures"] == []
    assert result["whole"] == ['{"type":"text","text":"café — 🚀"}', "line one\nline two",
                               '{"type":"text","text":"x"}', "[DONE]"]


def test_debug_options_are_refused_without_debug(probe: PageProbe, upstream: OfflineServer) -> None:
    with make_relay(upstream, debug=False) as plain:
        response = httpx.post(plain.url + "chat?chunk=3", json={"prompt": "Write a haiku"})
        assert response.status_code == 400
        probe.page.goto(url(plain, fault="error-after=1"))
        probe.ask("Write a haiku")
        assert probe.wait_until_finished() == "error"
        assert "debug options" in (probe.page.text_content("#error") or "")
        assert plain.records == []

"""After Stop, the usage a StreamView reports is never below what the reader saw.

The API counts output tokens only in ``message_delta`` at the end; a stopped stream
never gets there and ``message_start`` says ``output_tokens: 1``. The live view shows an
estimate (``≈N``, ~4 characters a token) while streaming; after Stop the status, the
``Message``'s usage and the saved record must report that estimate, marked as one.
Real SDK, real HTTP, the offline server trickling events.
"""

from __future__ import annotations

import time

import anthropic

from claude_widgets import DEFAULT_MODEL, StreamView

REQUEST = {"model": DEFAULT_MODEL, "max_tokens": 3000, "messages": [{"role": "user", "content": "benchmark"}]}


def _estimate(text: str) -> int:
    return int(len(text.encode("utf-16-le")) / 2 / 4 + 0.5)


def test_stopped_answer_reports_the_estimate_it_showed(client: anthropic.Anthropic, fault_id: str) -> None:
    view = StreamView()
    view.consume(client.messages.stream(**REQUEST, extra_headers={  # type: ignore[arg-type]
        "x-offline-scenario": "long", "x-offline-fault": f"trickle=5; id={fault_id}"}))
    deadline = time.monotonic() + 30
    while len(view.text) < 1200 and time.monotonic() < deadline:
        time.sleep(0.02)
    view.stop()
    message = view.wait(timeout=10)
    assert view.state == "stopped"
    shown = _estimate(view.text)
    assert shown >= 250  # hundreds of tokens were on screen
    assert view.status["output_tokens"] == shown
    assert view.status["output_tokens_estimated"] is True
    assert message is not None and message.usage.output_tokens == shown  # not message_start's 1
    record = view._repr_mimebundle_()[0]["text/html"]
    assert f"out ≈{shown} tokens" in record  # the saved notebook says it is an estimate


def test_a_finished_answer_reports_the_api_count(client: anthropic.Anthropic) -> None:
    view = StreamView()
    view.consume(client.messages.stream(**{**REQUEST, "max_tokens": 200},  # type: ignore[arg-type]
                                        extra_headers={"x-offline-scenario": "long"}))
    message = view.wait(timeout=30)
    assert message is not None and message.usage.output_tokens == 200
    assert view.status["output_tokens"] == 200 and view.status["output_tokens_estimated"] is False
    assert "out 200 tokens" in view._repr_mimebundle_()[0]["text/html"]

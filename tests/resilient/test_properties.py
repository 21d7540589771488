"""Random fault sequences: whatever fails, and wherever, the answer arrives whole and shown once."""

from __future__ import annotations

from typing import Any

import anthropic
from hypothesis import event, given, settings
from hypothesis import strategies as st

from claude_widgets._resilient import resilient_stream
from claude_widgets.server import OfflineServer

from .conftest import SCENARIOS, Baseline, FakeClock, consume, content_of, fault_headers, requests_tagged
from .test_fault_matrix import expected_sleeps

MAX_K = 60  # past the longest scenario (52 content deltas): such a fault never fires


@st.composite
def faults(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["status", "error-after", "drop-after"]))
    if kind == "status":
        spec = f"status={draw(st.sampled_from([408, 429, 500, 503, 529]))}"
        wait = draw(st.sampled_from([None, "retry-after=2", "retry-after-ms=250"]))
        return f"{spec}; {wait}" if wait else spec
    k = draw(st.integers(min_value=0, max_value=MAX_K))
    if kind == "error-after":
        return f"error-after={k}; error={draw(st.sampled_from(['overloaded_error', 'api_error']))}"
    return f"drop-after={k}"


@settings(max_examples=40, deadline=None)
@given(scenario=st.sampled_from(sorted(SCENARIOS)), specs=st.lists(faults(), max_size=4),
       text_only=st.booleans())
def test_random_fault_sequences(server: OfflineServer, baselines: dict[str, Baseline], scenario: str,
                                specs: list[str], text_only: bool) -> None:
    base = baselines[scenario]
    clock = FakeClock()
    with anthropic.Anthropic(base_url=server.base_url, api_key="test-key", max_retries=0) as client:
        headers, tag = fault_headers(specs)
        s = resilient_stream(client, max_attempts=len(specs) + 1, base_delay=1.0, sleep=clock.sleep,
                             monotonic=clock.monotonic, random=lambda: 0.5, attempt_headers=headers,
                             **SCENARIOS[scenario])
        seen: Any = "".join(s.text_stream) if text_only else list(s)
        final = s.get_final_message()

        assert content_of(final) == content_of(base.message)
        assert final.stop_reason == base.message.stop_reason
        assert final.usage.input_tokens == base.message.usage.input_tokens
        if text_only:
            assert seen == base.text
        else:
            view = consume(seen)
            assert view.complete and view.content() == content_of(base.message)
            assert len(view.retries) == len(s.attempts) - 1
        records = requests_tagged(server, tag)
        assert len(records) == len(s.attempts) and records[-1].outcome == "completed"
        failed = len(records) - 1
        assert all(r.outcome != "completed" for r in records[:-1])
        assert clock.sleeps == expected_sleeps(specs, failed)
        event(f"{failed} failed attempt(s), {scenario}")

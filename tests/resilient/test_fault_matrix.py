"""The fault matrix: every fault the offline server injects, at every kind of place, for every kind of answer.

Each case streams a scripted answer through ``resilient_stream`` over real HTTP with a fault
(or a sequence of faults, one per attempt) and checks: the final message equals the
uninterrupted one (content blocks, ids, stop reason, usage), what the consumer saw replays
(through ResetEvents) to exactly that message, ``text_stream`` yields exactly its text, and
the attempts and the waits are the configured ones (fake clock).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import anthropic
import pytest

from claude_widgets import RetryEvent
from claude_widgets._resilient import resilient_stream
from claude_widgets.server import OfflineServer

from .conftest import SCENARIOS, Baseline, FakeClock, consume, content_of, fault_headers, requests_tagged

BASE_DELAY = 1.0
MAX_DELAY = 8.0
# The stall timeout is a real read timeout (seconds without a byte), not the fake clock's: a
# case that injects a stall (1 s) reads with STALL; every other case with CALM, so that a
# loaded machine (CI's, once: "status=529; times=3" saw a 4th failure) cannot add a stall
# of its own to the attempts counted.
STALL = 0.5
CALM = 30.0


def at(base: Baseline, where: str) -> int:
    """A symbolic place in the answer → the content delta index a ``*-after=K`` fault fires at."""
    text_ks = [k for k in range(base.deltas) if base.block_types[base.owners[k]] == "text"]
    if where == "start":
        return 0
    if where == "mid":
        return text_ks[len(text_ks) // 2]
    if where == "end":
        return base.deltas - 1
    if where == "text-end":
        return text_ks[-1]
    if where.startswith("ws"):  # the text shown so far ends with whitespace (mid-paragraph break)
        ks = [k for k in text_ks if base.text_before(k) and base.text_before(k)[-1].isspace()]
        return ks[0] if where == "ws" else ks[-1]
    if where == "in-thinking":
        ks = base.deltas_of("thinking")
        return ks[len(ks) // 2]
    if where == "tool-start":
        return base.deltas_of("tool_use")[0]
    if where == "in-tool":
        ks = base.deltas_of("tool_use")
        return ks[len(ks) // 2]
    if where == "in-tool-2":
        ks = base.deltas_of("tool_use", 1)
        return ks[len(ks) // 2]
    raise AssertionError(where)


PLACES = {
    "text": ["start", "mid", "ws", "ws-last", "end"],
    "tools": ["start", "mid", "text-end", "tool-start", "in-tool", "in-tool-2", "end"],
    "thinking": ["start", "in-thinking", "mid", "in-tool", "end"],
}
STALL_PLACES = {"text": ["mid"], "tools": ["in-tool"], "thinking": ["in-thinking"]}
PRE_STREAM = [
    "status=529", "status=429; retry-after=2", "status=500; retry-after-ms=1500", "status=503", "status=408",
    "status=529; times=3",
]
SEQUENCES = {
    "error-drop-529": ["error-after={mid}", "drop-after=1", "status=529"],
    "429-drop-apierror": ["status=429; retry-after=1", "drop-after={start}", "error-after=2; error=api_error"],
    "drop-500-stall": ["drop-after={end}", "status=500", "stall-after=0; seconds=1"],
    "error-error-error": ["error-after={start}", "error-after=0", "error-after=1"],
}


def _cases() -> list[Any]:
    cases = []
    for scenario in SCENARIOS:
        for spec in PRE_STREAM:
            cases.append(pytest.param(scenario, [spec], id=f"{scenario}-{spec.replace(' ', '')}"))
        for kind in ("error-after", "drop-after"):
            for place in PLACES[scenario]:
                cases.append(pytest.param(scenario, [f"{kind}={{{place}}}"], id=f"{scenario}-{kind}-{place}"))
        for place in STALL_PLACES[scenario]:
            cases.append(pytest.param(scenario, [f"stall-after={{{place}}}; seconds=1"],
                                      id=f"{scenario}-stall-{place}"))
        for name, seq in SEQUENCES.items():
            cases.append(pytest.param(scenario, seq, id=f"{scenario}-seq-{name}"))
    return cases


CASES = _cases()


def resolve(base: Baseline, specs: list[str]) -> list[str]:
    return [re.sub(r"\{([\w-]+)\}", lambda m: str(at(base, m.group(1))), s) for s in specs]


def expected_sleeps(specs: list[str], failed: int) -> list[float]:
    """Full jitter with random() = 0.5, unless the failing attempt's spec set retry-after(-ms)."""
    out = []
    for i in range(failed):
        spec = specs[min(i, len(specs) - 1)]
        ms = re.search(r"retry-after-ms=(\d+)", spec)
        s = re.search(r"retry-after=([\d.]+)", spec)
        out.append(int(ms.group(1)) / 1000 if ms else float(s.group(1)) if s else 0.5 * min(MAX_DELAY, BASE_DELAY * 2 ** i))
    return out


def run(client: anthropic.Anthropic, scenario: str, specs: list[str], clock: FakeClock, *,
        text_only: bool = False) -> tuple[Any, Any, str]:
    headers: Callable[[int], dict[str, str]]
    if len(specs) == 1 and "times=" in specs[0]:
        tag = uuid.uuid4().hex[:10]  # the same spec, so one counter, on every attempt
        spec = f"{specs[0]}; id={tag}"
        headers = lambda n: {"x-offline-fault": spec}
    else:
        headers, tag = fault_headers(specs)
    stall = STALL if any("stall-after" in s for s in specs) else CALM
    stream = resilient_stream(client, max_attempts=6, deadline=60.0, stall_timeout=stall, base_delay=BASE_DELAY,
                              max_delay=MAX_DELAY, sleep=clock.sleep, monotonic=clock.monotonic,
                              random=lambda: 0.5, attempt_headers=headers, **SCENARIOS[scenario])
    with stream:
        if text_only:
            seen: Any = "".join(stream.text_stream)
        else:
            seen = list(stream)
        final = stream.get_final_message()
    return stream, (seen, final), tag


@pytest.mark.parametrize("scenario,specs", CASES)
def test_fault_matrix(client: anthropic.Anthropic, server: OfflineServer, baselines: dict[str, Baseline],
                      clock: FakeClock, scenario: str, specs: list[str]) -> None:
    base = baselines[scenario]
    specs = resolve(base, specs)
    stream, (events, final), tag = run(client, scenario, specs, clock)

    # the merged message is the uninterrupted one
    assert content_of(final) == content_of(base.message)
    assert final.stop_reason == base.message.stop_reason and final.id == base.message.id
    assert final.model == base.message.model and final.role == "assistant"
    assert stream.get_final_text() == base.text == stream.partial_text
    assert final.usage.input_tokens == base.message.usage.input_tokens

    # the consumer's view, replayed through resets, is that message, with no character twice or missing
    view = consume(events)
    assert view.complete
    assert view.content() == content_of(base.message)
    assert view.text_events > 0

    # attempts and waits as configured
    records = requests_tagged(server, tag)
    assert len(stream.attempts) == len(records)
    assert all(r.outcome != "completed" for r in records[:-1])
    assert records[-1].outcome == "completed"
    failed = len(records) - 1
    assert failed >= 1
    if len(specs) == 1:
        assert failed == (3 if "times=3" in specs[0] else 1), [a.reason for a in stream.attempts]
    assert clock.sleeps == pytest.approx(expected_sleeps(specs, failed))
    assert [r.delay for r in view.retries] == clock.sleeps
    assert [r.attempt for r in view.retries] == list(range(2, failed + 2))
    assert all(isinstance(r, RetryEvent) and r.max_attempts == 6 for r in view.retries)
    assert [a.outcome for a in stream.attempts] == ["failed"] * failed + ["completed"]
    # each failure named as it happened: a stall is not an anonymous timeout (the SDK wraps the
    # ReadTimeout of a body's read in APITimeoutError since anthropic 2.17)
    for i, a in enumerate(stream.attempts[:-1]):
        spec = specs[min(i, len(specs) - 1)]
        if "stall-after" in spec:
            assert a.reason == f"stalled: no data for {STALL:g} s", (spec, a.reason)
        elif "drop-after" in spec:
            assert a.reason == "connection dropped", (spec, a.reason)

    # resets exactly where continuing is impossible: a partial thinking or tool_use block on
    # screen, or thinking with no text after it (the streaming guide: continue from the last text)
    continuation = "thinking" in SCENARIOS[scenario]
    if len(specs) == 1:
        found = re.search(r"(?:error|drop|stall)-after=(\d+)", specs[0])
        k = int(found.group(1)) if found else None
        visible = base.visible_types(k) if k is not None else []
        must_reset = any(t not in ("text", "thinking") for t in visible) or (
            "thinking" in visible and visible[-1] != "text")
        assert view.resets == int(must_reset)
        assert view.retries[0].resume == (k is not None and "text" in visible)
        if k is not None and not must_reset:
            shown = base.text_before(k)
            last = records[1].body["messages"][-1]
            assert [a.strategy for a in stream.attempts] == ["fresh"] + (
                ["continuation" if continuation else "prefill"] if shown.rstrip() else ["fresh"])
            if not shown.rstrip():
                assert last["role"] == "user"
            elif continuation:
                # the documented recovery: the partial answer, then a user message asking to continue
                assert records[1].body["messages"][-2] == {"role": "assistant", "content": shown.rstrip()}
                assert last["role"] == "user" and "interrupted" in last["content"]
                assert last["content"].endswith("Continue from where you left off.")
            else:
                # resumed with the text shown so far, trailing whitespace stripped, as prefill
                assert last == {"role": "assistant", "content": shown.rstrip()}
    if any(a.prefill_chars for a in stream.attempts) and continuation:
        # the continuation thought again: those tokens were spent too
        assert final.usage.output_tokens >= base.message.usage.output_tokens
    else:
        # the kept part measured with count_tokens: exactly the uninterrupted count
        assert final.usage.output_tokens == base.message.usage.output_tokens


@pytest.mark.parametrize("scenario,specs", [c for c in CASES if "stall" not in c.id or c.id.endswith("mid")])
def test_fault_matrix_text_stream(client: anthropic.Anthropic, baselines: dict[str, Baseline], clock: FakeClock,
                                  scenario: str, specs: list[str]) -> None:
    """``text_stream`` consumers see exactly the answer's text, resets included (it skips replayed text)."""
    base = baselines[scenario]
    _, (text, final), _ = run(client, scenario, resolve(base, specs), clock, text_only=True)
    assert text == base.text
    assert content_of(final) == content_of(base.message)

"""Resume on the models people use today: prefill where a model takes it, the continuation elsewhere.

The fault matrix of ``test_fault_matrix`` on four models — Claude Haiku 4.5 (takes a
prefill), Sonnet 4.6 and Opus 4.8 (reject it: 400), Sonnet 5.5 (rejects it and thinks
adaptively by default) — with answers that vary between requests (``vary=K``), so that a
restart cannot pass by reproducing the same text: the merged answer must be exactly the
first attempt's uninterrupted answer, and a fault inside text must never reset.

Then each imperfect continuation (``continue=MODE``) the server plays: reconciled with no
character twice or missing, or — when the model starts over with other words — an
explicit reset and the fresh answer, never silently different text.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import anthropic
import pytest

from claude_widgets._resilient import TextStreamDiverged, resilient_stream
from claude_widgets.server import OfflineServer

from .conftest import WEATHER_TOOL, Baseline, FakeClock, consume, content_of, make_baseline, requests_tagged

MODELS = ["claude-haiku-4-5", "claude-sonnet-4-6", "claude-opus-4-8", "claude-sonnet-5-5"]
PREFILL = {"claude-haiku-4-5"}


def kwargs_for(model: str, scenario: str) -> dict[str, Any]:
    kw: dict[str, Any] = {"model": model, "max_tokens": 4000}
    if scenario == "text":
        kw["messages"] = [{"role": "user", "content": "Tell me a story"}]
    else:
        kw["messages"] = [{"role": "user", "content": "What's the weather in Paris and London?"}]
        kw["tools"] = [WEATHER_TOOL]
    if scenario == "thinking":
        # manual budgets on 4.5; adaptive from 4.6 on; Sonnet 5.5 thinks by default
        if model == "claude-haiku-4-5":
            kw["thinking"] = {"type": "enabled", "budget_tokens": 1024}
        elif model != "claude-sonnet-5-5":
            kw["thinking"] = {"type": "adaptive"}
    return kw


def place(base: Baseline, where: str) -> int:
    text_ks = [k for k in range(base.deltas) if base.block_types[base.owners[k]] == "text"]
    if where == "text-start":
        return text_ks[0] + 1  # after the first text delta: the reader has seen a few words
    if where == "text-second":
        return text_ks[1]
    if where == "text-mid":
        return text_ks[len(text_ks) // 2]
    if where == "text-end":
        return text_ks[-1]
    if where in ("in-tool", "in-thinking"):
        ks = base.deltas_of("tool_use" if where == "in-tool" else "thinking")
        return ks[len(ks) // 2]
    raise AssertionError(where)


FAULTS: list[tuple[str, list[str]]] = [
    ("529", ["status=529"]),
    ("429", ["status=429; retry-after=1"]),
    ("500", ["status=500"]),
    *[(f"{kind}-{where}", [f"{kind}={{{where}}}"])
      for kind in ("error-after", "drop-after") for where in ("text-start", "text-second", "text-mid", "text-end")],
    ("stall-text-mid", ["stall-after={text-mid}; seconds=3"]),
    ("several", ["drop-after={text-second}", "status=529", "error-after=3", "drop-after=2"]),
]
SCENARIO_FAULTS: dict[str, list[tuple[str, list[str]]]] = {
    "text": FAULTS,
    "tools": [*FAULTS, ("drop-in-tool", ["drop-after={in-tool}"]), ("error-in-tool", ["error-after={in-tool}"])],
    "thinking": [("drop-in-thinking", ["drop-after={in-thinking}"]), ("drop-text-mid", ["drop-after={text-mid}"]),
                 ("error-text-end", ["error-after={text-end}"]), ("drop-in-tool", ["drop-after={in-tool}"]),
                 ("several", ["drop-after={text-second}", "error-after=2"])],
}


def cases() -> list[Any]:
    out = []
    for model in MODELS:
        for scenario, faults in SCENARIO_FAULTS.items():
            if scenario == "thinking" and model == "claude-sonnet-5-5":
                continue  # its text and tools scenarios already think (adaptive, by default)
            for name, specs in faults:
                for variant in (0, 2):
                    out.append(pytest.param(model, scenario, specs, variant,
                                            id=f"{model}-{scenario}-{name}-vary{variant}"))
    return out


_BASELINES: dict[tuple[str, str, int], Baseline] = {}


def baseline(server: OfflineServer, model: str, scenario: str, variant: int) -> Baseline:
    key = (model, scenario, variant)
    if key not in _BASELINES:
        with anthropic.Anthropic(base_url=server.base_url, api_key="test-key", max_retries=0,
                                 default_headers={"x-offline-fault": f"vary={variant}; times=1000000"}) as sdk:
            _BASELINES[key] = make_baseline(sdk, kwargs_for(model, scenario))
    return _BASELINES[key]


def stream_with(client: anthropic.Anthropic, clock: FakeClock, kw: dict[str, Any], specs: list[str | None],
                variants: list[int]) -> tuple[Any, list[Any], str]:
    """Attempt n carries ``specs[n-1]`` and answers as variant ``variants[n-1]``."""
    tag = uuid.uuid4().hex[:10]

    def headers(n: int) -> dict[str, str]:
        spec = specs[n - 1] if n <= len(specs) else None
        v = variants[min(n, len(variants)) - 1]
        return {"x-offline-fault": "; ".join(p for p in (spec, f"vary={v}", f"id={tag}-{n}") if p)}

    s = resilient_stream(client, max_attempts=8, deadline=60.0, stall_timeout=1.0, base_delay=1.0, max_delay=8.0,
                         sleep=clock.sleep, monotonic=clock.monotonic, random=lambda: 0.5, attempt_headers=headers,
                         **kw)
    with s:
        events = list(s)
    return s, events, tag


@pytest.mark.parametrize("model,scenario,specs,variant", cases())
def test_resume_on_every_model(client: anthropic.Anthropic, server: OfflineServer, clock: FakeClock, model: str,
                               scenario: str, specs: list[str], variant: int,
                               record_property: Any) -> None:
    # later attempts answer as other variants: a restart would show other words; the answer is
    # the first attempt that streams (one failing before its first byte showed nothing)
    variants = [variant, 4, 5, 1, 3]
    first = next(i for i, spec in enumerate([*specs, None]) if not (spec and spec.startswith("status=")))
    if "in-thinking" in (specs[first] if first < len(specs) else ""):
        first += 1  # a thinking block alone cannot be continued: the next attempt starts over
    base = baseline(server, model, scenario, variants[first])
    specs = [re.sub(r"\{([\w-]+)\}", lambda m: str(place(base, m.group(1))), s) for s in specs]
    s, events, tag = stream_with(client, clock, kwargs_for(model, scenario), list(specs), variants)
    final = s.get_final_message()
    view = consume(events)
    record_property("strategies", " ".join(a.strategy for a in s.attempts))  # for bench/resume_matrix.py
    record_property("resets", view.resets)
    assert content_of(final) == content_of(base.message) == view.content()
    assert s.get_final_text() == base.text == view.text
    assert final.stop_reason == base.message.stop_reason and final.id == base.message.id

    strategy = "prefill" if model in PREFILL and scenario != "thinking" else "continuation"
    found = re.search(r"(?:error|drop|stall)-after=(\d+)", specs[0])
    if found:
        k = int(found.group(1))
        in_text = base.block_types[base.owners[k]] == "text" and base.text_before(k).strip() != ""
        if in_text and len(specs) == 1:
            assert view.resets == 0, f"a fault inside text reset the answer: {s.attempts}"
            assert s.attempts[1].strategy == strategy
        if in_text:
            assert view.resets == 0
    records = requests_tagged(server, tag)
    assert [r.status for r in records][-1] == 200


MODES = ["exact", "repeat", "sentence", "capital", "space", "restart"]


@pytest.mark.parametrize("model", ["claude-sonnet-4-6", "claude-sonnet-5-5"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("where", ["text-second", "text-mid", "text-end"])
def test_imperfect_continuations_are_reconciled(client: anthropic.Anthropic, server: OfflineServer,
                                                clock: FakeClock, model: str, mode: str, where: str,
                                                record_property: Any) -> None:
    """Each way a model may pick up its answer is joined without a character twice or missing."""
    base = baseline(server, model, "text", 0)
    k = place(base, where)
    s, events, _ = stream_with(client, clock, kwargs_for(model, "text"),
                               [f"drop-after={k}", f"continue={mode}; repeat=17"], [0])
    view = consume(events)
    record_property("strategies", " ".join(a.strategy for a in s.attempts))
    record_property("resets", view.resets)
    record_property("reconciled", s.attempts[1].reconciled or "")
    assert view.resets == 0
    assert s.get_final_text() == base.text == view.text
    assert content_of(s.get_final_message()) == content_of(base.message)
    assert s.attempts[1].strategy == "continuation" and s.attempts[1].reconciled


@pytest.mark.parametrize("where", ["text-second", "text-mid", "text-end"])
def test_a_model_that_starts_over_differently_resets_honestly(client: anthropic.Anthropic, server: OfflineServer,
                                                             clock: FakeClock, where: str,
                                                             record_property: Any) -> None:
    """Starting over with other words cannot be reconciled: an explicit reset, then one whole answer."""
    model = "claude-sonnet-4-6"
    base = baseline(server, model, "text", 0)
    other = baseline(server, model, "text", 3)
    k = place(base, where)
    s, events, _tag = stream_with(client, clock, kwargs_for(model, "text"),
                                 [f"drop-after={k}", "continue=restart"], [0, 1, 3])
    view = consume(events)
    record_property("strategies", " ".join(a.strategy for a in s.attempts))
    record_property("resets", view.resets)
    assert view.resets == 1
    assert s.get_final_text() == other.text == view.text  # the restarted answer, whole, shown once
    assert [a.strategy for a in s.attempts] == ["fresh", "continuation", "restart"]
    assert "started over" in (s.attempts[1].reason or "")
    with pytest.raises(TextStreamDiverged):  # text_stream cannot unprint: it says so
        _text_stream_of(client, clock, model, k)


def _text_stream_of(client: anthropic.Anthropic, clock: FakeClock, model: str, k: int) -> str:
    tag = uuid.uuid4().hex[:10]
    specs = [f"drop-after={k}", "continue=restart"]
    variants = [0, 1, 3]

    def headers(n: int) -> dict[str, str]:
        spec = specs[n - 1] if n <= len(specs) else None
        return {"x-offline-fault": "; ".join(p for p in (spec, f"vary={variants[n - 1]}", f"id={tag}-{n}") if p)}

    s = resilient_stream(client, sleep=clock.sleep, monotonic=clock.monotonic, random=lambda: 0.5,
                         attempt_headers=headers, **kwargs_for(model, "text"))
    return "".join(s.text_stream)


def test_continuation_history_is_valid_on_the_next_turn(client: anthropic.Anthropic, clock: FakeClock) -> None:
    """The merged message, thinking block first, goes back as history and the next turn is accepted."""
    kw = kwargs_for("claude-sonnet-5-5", "tools")
    base = client.messages.create(**kw)
    k = 6
    s, _, _ = stream_with(client, clock, kw, [f"drop-after={k}"], [0])
    final = s.get_final_message()
    assert [b.type for b in final.content] == [b.type for b in base.content] == ["thinking", "text", "tool_use",
                                                                                  "tool_use"]
    results = [{"type": "tool_result", "tool_use_id": b.id, "content": "12°C"}
               for b in final.content if b.type == "tool_use"]
    nxt = client.messages.create(**{**kw, "messages": [*kw["messages"], {"role": "assistant", "content": final.content},
                                                        {"role": "user", "content": results}]})
    assert nxt.stop_reason == "end_turn"

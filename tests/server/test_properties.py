"""Properties the rest of the kit relies on: tokens re-join, and prefill continuation is exact."""

from __future__ import annotations

import anthropic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_widgets import DEFAULT_MODEL
from claude_widgets.server import SCENARIOS, _tokens


@given(st.text())
def test_pieces_rejoin_exactly(text: str) -> None:
    assert "".join(_tokens.pieces(text)) == text
    assert "".join(d for d, _ in _tokens.deltas(text)) == text


@given(st.text())
def test_json_deltas_rejoin(text: str) -> None:
    assert "".join(_tokens.json_deltas(text)) == text


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s != "long"])
def test_resuming_after_any_prefix_yields_the_uninterrupted_answer(client: anthropic.Anthropic, scenario: str) -> None:
    headers = {"x-offline-scenario": scenario}
    question = [{"role": "user", "content": "Please answer"}]
    full = client.messages.create(model=DEFAULT_MODEL, max_tokens=4000, messages=question,
                                  extra_headers=headers).content[0].text
    cuts = sorted({len(full) // 7, len(full) // 3, len(full) // 2, len(full) - 2})
    for cut in cuts:
        prefix = full[:cut].rstrip()
        if not prefix:
            continue
        with client.messages.stream(model=DEFAULT_MODEL, max_tokens=4000, extra_headers=headers,
                                    messages=[*question, {"role": "assistant", "content": prefix}]) as s:
            rest = s.get_final_text()
        assert prefix + rest == full, (scenario, cut)


@settings(max_examples=25, deadline=None)
@given(cut=st.integers(min_value=1, max_value=400))
def test_resume_generic_answer_at_random_points(server: object, cut: int) -> None:
    with anthropic.Anthropic(base_url=server.base_url, api_key="k") as sdk:  # type: ignore[attr-defined]
        question = [{"role": "user", "content": "How do I keep bees in a city?"}]
        full = sdk.messages.create(model=DEFAULT_MODEL, max_tokens=4000, messages=question).content[0].text
        prefix = full[: min(cut, len(full) - 1)].rstrip()
        if prefix:
            rest = sdk.messages.create(model=DEFAULT_MODEL, max_tokens=4000,
                                       messages=[*question, {"role": "assistant", "content": prefix}]).content
            assert prefix + (rest[0].text if rest else "") == full


def test_prefill_with_thinking_is_rejected(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="pre-filling"):
        client.messages.create(model="claude-haiku-4-5", max_tokens=4000,
                               thinking={"type": "enabled", "budget_tokens": 1024},
                               messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Sure"}])


def test_learner_prefill_is_continued(client: anthropic.Anthropic) -> None:
    msg = client.messages.create(model=DEFAULT_MODEL, max_tokens=100, messages=[
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": "In one word:"}])
    assert msg.content[0].text == " The capital of France is **Paris**."

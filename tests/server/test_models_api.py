"""The offline server serves the model catalogue and enforces it, the way the real API does.

Through the real ``anthropic`` SDK over HTTP: ``models.list()`` (auto-pagination, cursors,
the lifecycle filter), ``models.retrieve()`` (aliases), the beta twins; and on
``messages.create``/``stream``: 404 for retired and unknown models, 400 for prefill,
sampling parameters, thinking budgets and a ``max_tokens`` above the model's max output,
each worded as the API words it.
"""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from claude_widgets._catalogue import MODELS

HELLO: list[Any] = [{"role": "user", "content": "Say hello."}]
PREFILL: list[Any] = [{"role": "user", "content": "Write a haiku about the sea."},
                      {"role": "assistant", "content": "Waves"}]
LISTED = [m.id for m in MODELS if m.lifecycle != "retired"]
RETIRED = [m.id for m in MODELS if m.lifecycle == "retired"]
PREFILL_MESSAGE = ("This model does not support assistant message prefill. "
                   "The conversation must end with a user message.")


def _error(exc: anthropic.APIStatusError) -> Any:
    """The ``error`` object of the API's error body."""
    assert isinstance(exc.body, dict)
    return exc.body["error"]


# ------------------------------------------------------------------------------ Models API

def test_list_pages_through_every_active_and_deprecated_model_newest_first(client: anthropic.Anthropic) -> None:
    first = client.models.list()
    assert [m.id for m in first.data] == LISTED[:20] and first.has_more is (len(LISTED) > 20)  # default limit 20
    assert first.first_id == first.data[0].id == LISTED[0] and first.last_id == first.data[-1].id
    assert [m.id for m in client.models.list(limit=7)] == LISTED  # auto-pagination over after_id
    assert all(m.lifecycle != "retired" for m in first.data)
    assert "claude-sonnet-4-5-20250929" not in LISTED
    assert {"claude-haiku-4-5-20251001", "claude-mythos-preview", "claude-opus-4-5-20251101"} <= set(LISTED)


def test_cursors_match_the_api(client: anthropic.Anthropic) -> None:
    page = client.models.list(limit=3, after_id=LISTED[2])
    assert [m.id for m in page.data] == LISTED[3:6] and page.has_more
    before = client.models.list(limit=2, before_id=LISTED[5])
    assert [m.id for m in before.data] == LISTED[3:5] and before.has_more
    start = client.models.list(limit=5, before_id=LISTED[2])
    assert [m.id for m in start.data] == LISTED[:2] and not start.has_more
    end = client.models.list(limit=1000, after_id=LISTED[-2])
    assert [m.id for m in end.data] == LISTED[-1:] and not end.has_more


def test_lifecycle_filter(client: anthropic.Anthropic) -> None:
    retired = [m.id for m in client.models.list(lifecycle=["retired"])]
    assert retired == RETIRED and "claude-sonnet-4-5-20250929" in retired
    everything = [m.id for m in client.models.list(lifecycle=["active", "deprecated", "retired"], limit=1000)]
    assert everything == [m.id for m in MODELS]
    deprecated = {m.id for m in client.models.list(lifecycle=["deprecated"])}
    assert deprecated == {m.id for m in MODELS if m.lifecycle == "deprecated"}


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"lifecycle": ["gone"]}])
def test_bad_list_parameters_are_400(client: anthropic.Anthropic, params: dict[str, Any]) -> None:
    with pytest.raises(anthropic.BadRequestError):
        client.models.list(**params)


def test_retrieve_resolves_aliases_and_describes_retired_models(client: anthropic.Anthropic) -> None:
    haiku = client.models.retrieve("claude-haiku-4-5")
    assert (haiku.id, haiku.display_name, haiku.lifecycle) == ("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "active")
    assert (haiku.max_input_tokens, haiku.max_tokens) == (200_000, 64_000)
    assert haiku.capabilities is not None and haiku.capabilities.thinking.types.enabled.supported
    sonnet = client.models.retrieve("claude-sonnet-5-5")
    assert sonnet.capabilities is not None and not sonnet.capabilities.thinking.types.disabled.supported
    retired = client.models.retrieve("claude-sonnet-4-5")
    assert retired.lifecycle == "retired" and retired.retires_at is not None
    assert retired.retires_at.date().isoformat() == "2026-11-30"


def test_retrieve_unknown_model_is_404_naming_it(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as err:
        client.models.retrieve("claude-imaginary-9")
    assert _error(err.value) == {"type": "not_found_error", "message": "model: claude-imaginary-9"}


def test_beta_models_work_too(client: anthropic.Anthropic) -> None:
    assert [m.id for m in client.beta.models.list(limit=50)] == LISTED
    assert client.beta.models.retrieve("claude-opus-4-8").max_tokens == 128_000


# ------------------------------------------------------------------------ Messages rules

@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-3-5-haiku-latest",
                                   "claude-opus-4-1", "claude-nonexistent-1", "gpt-4o"])
def test_retired_and_unknown_models_are_404(client: anthropic.Anthropic, model: str) -> None:
    with pytest.raises(anthropic.NotFoundError) as err:
        client.messages.create(model=model, max_tokens=100, messages=HELLO)
    assert _error(err.value) == {"type": "not_found_error", "message": f"model: {model}"}
    with pytest.raises(anthropic.NotFoundError):
        client.messages.count_tokens(model=model, messages=HELLO)


def test_deprecated_models_still_answer(client: anthropic.Anthropic) -> None:
    with pytest.warns(DeprecationWarning):  # the SDK itself warns about claude-opus-4-5
        message = client.messages.create(model="claude-opus-4-5", max_tokens=100, messages=HELLO)
    assert message.content


@pytest.mark.parametrize("model", ["claude-sonnet-4-6", "claude-opus-4-6", "claude-opus-4-8", "claude-sonnet-5-5"])
def test_prefill_is_400_on_claude_4_6_and_later(client: anthropic.Anthropic, model: str) -> None:
    with pytest.raises(anthropic.BadRequestError) as err:
        client.messages.create(model=model, max_tokens=100, messages=PREFILL)
    assert _error(err.value) == {"type": "invalid_request_error", "message": PREFILL_MESSAGE}


def test_prefill_is_continued_on_haiku_4_5(client: anthropic.Anthropic) -> None:
    message = client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=PREFILL)
    assert message.content and message.content[0].type == "text"


@pytest.mark.parametrize("model", ["claude-opus-4-7", "claude-opus-4-8"])
@pytest.mark.parametrize(("kwargs", "message"), [
    # The SDK no longer has keyword arguments for sampling parameters: they go in extra_body.
    ({"extra_body": {"temperature": 0.2}}, "`temperature` is deprecated for this model."),
    ({"extra_body": {"top_p": 0.5}}, "`top_p` is deprecated for this model."),
    ({"extra_body": {"top_k": 5}}, "`top_k` is deprecated for this model."),
    ({"thinking": {"type": "enabled", "budget_tokens": 2000}},
     ('"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and '
      '"output_config.effort" to control thinking behavior.')),
])
def test_opus_4_7_and_4_8_reject_sampling_and_budgets(
    client: anthropic.Anthropic, model: str, kwargs: dict[str, Any], message: str,
) -> None:
    with pytest.raises(anthropic.BadRequestError) as err:
        client.messages.create(model=model, max_tokens=4000, messages=HELLO, **kwargs)
    assert _error(err.value) == {"type": "invalid_request_error", "message": message}


@pytest.mark.parametrize("model", ["claude-opus-4-7", "claude-opus-4-8"])
def test_opus_4_7_and_4_8_accept_adaptive_and_default_sampling(client: anthropic.Anthropic, model: str) -> None:
    message = client.messages.create(model=model, max_tokens=4000, messages=HELLO, extra_body={"temperature": 1},
                                     thinking={"type": "adaptive"})
    assert [b.type for b in message.content][:1] == ["thinking"]
    plain = client.messages.create(model=model, max_tokens=4000, messages=HELLO)
    assert [b.type for b in plain.content] == ["text"]  # thinking is off unless asked for


def test_sampling_and_budgets_still_work_on_haiku_4_5(client: anthropic.Anthropic) -> None:
    message = client.messages.create(model="claude-haiku-4-5", max_tokens=4000, messages=HELLO,
                                     extra_body={"temperature": 0.2, "top_k": 5})
    assert message.content[0].type == "text"
    # (with thinking on, the API allows neither: see tests/server/test_api_validations.py)
    message = client.messages.create(model="claude-haiku-4-5", max_tokens=4000, messages=HELLO,
                                     thinking={"type": "enabled", "budget_tokens": 2000})
    assert message.content[0].type == "thinking"


@pytest.mark.parametrize(("model", "limit", "model_id"), [
    ("claude-haiku-4-5", 64_000, "claude-haiku-4-5-20251001"),
    ("claude-sonnet-5-5", 128_000, "claude-sonnet-5-5"),
])
@pytest.mark.parametrize("stream", [False, True])
def test_max_tokens_above_the_max_output_is_400(
    client: anthropic.Anthropic, model: str, limit: int, model_id: str, stream: bool,
) -> None:
    expected = {"type": "invalid_request_error", "message": (
        f"max_tokens: 10000000 > {limit}, which is the maximum allowed number of output tokens for {model_id}")}
    with pytest.raises(anthropic.BadRequestError) as err:
        if stream:
            with client.messages.stream(model=model, max_tokens=10_000_000, messages=HELLO) as s:
                s.get_final_message()
        else:
            # An explicit timeout: the SDK refuses a non-streaming request this large otherwise.
            client.messages.create(model=model, max_tokens=10_000_000, messages=HELLO, timeout=30)
    assert _error(err.value) == expected
    ok = client.messages.create(model=model, max_tokens=limit, messages=HELLO, timeout=30)
    assert ok.content

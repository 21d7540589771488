"""The model catalogue covers what the installed SDK knows and speaks the Models API's shapes.

The SDK is the ground truth for which ids exist: a new SDK release that names a model the
catalogue lacks fails here, so the catalogue gets its entry (with sources) before the
offline server has to guess the model's rules.
"""

from __future__ import annotations

from typing import get_args

import anthropic
import pytest
from anthropic._data import DEPRECATED_MODELS
from anthropic.types import Model, ModelInfo, ModelLine

import claude_widgets
from claude_widgets._catalogue import MODELS, accepts_prefill, find


def test_every_model_the_sdk_names_is_in_the_catalogue() -> None:
    sdk_ids = {arg for member in get_args(Model) for arg in get_args(member)}
    assert len(sdk_ids) >= 20, sdk_ids  # the Literal was read, not an empty Union
    missing = sorted(model for model in sdk_ids if find(model) is None)
    assert not missing, f"anthropic {anthropic.__version__} names models the catalogue lacks: {missing}"


def test_every_entry_is_a_valid_model_info() -> None:
    lines = set(get_args(ModelLine))
    for entry in MODELS:
        info = ModelInfo.model_validate(entry.info())
        assert info.id == entry.id and info.type == "model"
        assert info.capabilities is not None, entry.id
        # ModelInfo: "Keys are always present for all known capabilities."
        assert set(entry.capabilities) == set(type(info.capabilities).model_fields), entry.id
        assert info.line in lines
        assert 0 < entry.max_tokens <= entry.max_input_tokens
        if entry.lifecycle == "active":
            assert info.deprecated_at is None and info.retires_at is None, entry.id
        else:
            assert info.deprecated_at is not None and info.retires_at is not None, entry.id
            assert info.deprecated_at < info.retires_at, entry.id


def test_ids_and_aliases_are_unique_and_newest_first() -> None:
    names = [name for entry in MODELS for name in entry.ids]
    assert len(names) == len(set(names))
    dates = [entry.created_at for entry in MODELS]
    assert dates == sorted(dates, reverse=True)


def test_the_sdk_deprecation_list_agrees_with_the_catalogue() -> None:
    for model in DEPRECATED_MODELS:
        entry = find(model)
        assert entry is not None, model
        assert entry.lifecycle in ("deprecated", "retired"), model


@pytest.mark.parametrize(("alias", "model_id"), [
    ("claude-haiku-4-5", "claude-haiku-4-5-20251001"),
    ("claude-opus-4-5", "claude-opus-4-5-20251101"),
    ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929"),
    ("claude-sonnet-5-5", "claude-sonnet-5-5"),
])
def test_aliases_resolve(alias: str, model_id: str) -> None:
    entry = find(alias)
    assert entry is not None and entry.id == model_id


@pytest.mark.parametrize(("model", "expected"), [
    ("claude-haiku-4-5", True),
    ("claude-haiku-4-5-20251001", True),
    ("claude-opus-4-5", True),  # deprecated, still callable, still Claude 4.5 rules
    ("claude-sonnet-4-6", False),
    ("claude-opus-4-6", False),
    ("claude-opus-4-8", False),
    ("claude-sonnet-5-5", False),
    ("claude-haiku-5-5", False),
    ("claude-sonnet-4-5", False),  # retired: no request succeeds
    ("claude-some-future-model", False),  # unknown: the safe choice is the user-message continuation
])
def test_accepts_prefill(model: str, expected: bool) -> None:
    assert accepts_prefill(model) is expected
    assert claude_widgets.accepts_prefill(model) is expected


def test_rules_of_the_models_the_docs_single_out() -> None:
    sonnet_5_5 = find("claude-sonnet-5-5")
    assert sonnet_5_5 is not None
    rules = sonnet_5_5.rules
    assert not (rules.prefill or rules.sampling or rules.manual_thinking or rules.forced_tool_choice
                or rules.thinking_disabled)
    assert rules.between_tools and rules.default_thinking == {"type": "adaptive", "display": "omitted"}
    for model in ("claude-opus-4-7", "claude-opus-4-8"):
        entry = find(model)
        assert entry is not None
        assert not entry.rules.sampling and not entry.rules.manual_thinking and entry.rules.adaptive_thinking
    haiku = find("claude-haiku-4-5")
    assert haiku is not None
    assert haiku.rules.manual_thinking and not haiku.rules.adaptive_thinking and haiku.rules.default_thinking is None
    caps = haiku.capabilities["thinking"]["types"]
    assert caps == {"adaptive": {"supported": False}, "between_tools": {"supported": False},
                    "disabled": {"supported": True}, "enabled": {"supported": True}}


def test_model_info_is_public_and_typed() -> None:
    info = claude_widgets.model_info("claude-haiku-4-5")
    assert isinstance(info, ModelInfo)
    assert (info.id, info.max_input_tokens, info.max_tokens, info.lifecycle) == (
        "claude-haiku-4-5-20251001", 200_000, 64_000, "active")
    retired = claude_widgets.model_info("claude-sonnet-4-5")
    assert retired is not None and retired.lifecycle == "retired"
    assert claude_widgets.model_info("claude-nonexistent") is None


def test_the_default_model_is_active() -> None:
    entry = find(claude_widgets.DEFAULT_MODEL)
    assert entry is not None and entry.lifecycle == "active"

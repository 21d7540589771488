"""What each model family accepts, so the offline server fails where the real API fails.

From the model pages and migration guides (platform.claude.com/docs/en/models/…):

- Claude Sonnet 5: adaptive thinking is on by default; manual ``thinking: {type: enabled,
  budget_tokens}`` and non-default sampling parameters return 400.
- Claude Sonnet 5.5: adaptive thinking is on by default with ``display: omitted``; five
  settings return 400: thinking budgets, sampling parameters, assistant prefill, forced
  tool choice, and ``thinking: {type: disabled}``.
- Claude 4.6 models accept both manual and adaptive thinking.
- Claude 4.5 and earlier (Haiku 4.5 included) know only manual thinking budgets.

Models not listed get permissive rules: the offline server must never invent an error
the real API would not give.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelRules:
    thinking_types: frozenset[str]
    default_thinking: dict[str, Any] | None = None
    sampling: bool = True
    prefill: bool = True
    forced_tool_choice: bool = True
    family: str = "other"


_ALL = frozenset({"enabled", "disabled", "adaptive", "between_tools"})
SONNET_5_5 = ModelRules(frozenset({"adaptive", "between_tools"}), {"type": "adaptive", "display": "omitted"},
                        sampling=False, prefill=False, forced_tool_choice=False, family="Claude Sonnet 5.5")
SONNET_5 = ModelRules(frozenset({"adaptive", "disabled", "between_tools"}), {"type": "adaptive"},
                      sampling=False, family="Claude Sonnet 5")
CLAUDE_4_6 = ModelRules(_ALL, family="Claude 4.6")
CLAUDE_4_5_AND_EARLIER = ModelRules(frozenset({"enabled", "disabled"}), family="Claude 4.5 or earlier")
PERMISSIVE = ModelRules(_ALL)


def rules_for(model: str) -> ModelRules:
    if model.startswith("claude-sonnet-5-5"):
        return SONNET_5_5
    if model == "claude-sonnet-5" or model.startswith("claude-sonnet-5-20"):
        return SONNET_5
    if model.startswith(("claude-sonnet-4-6", "claude-opus-4-6")):
        return CLAUDE_4_6
    if model.startswith(("claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-5", "claude-opus-4-1",
                         "claude-sonnet-4-0", "claude-opus-4-0", "claude-sonnet-4-2", "claude-opus-4-2",
                         "claude-3")):
        return CLAUDE_4_5_AND_EARLIER
    return PERMISSIVE

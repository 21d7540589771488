"""The data behind :mod:`claude_widgets._catalogue`: every Claude model the kit knows.

Two tables. ``PROFILES`` holds what a generation of models accepts and can do (request
rules, thinking types, effort levels, feature support); ``MODELS`` holds one row per
model (ids, dates, lifecycle, limits) naming its profile. Each profile and row names its
source; where the docs are silent for a model, the row or profile says which documented
predecessor it copies. Today's date for lifecycle purposes: 2026-12-01.

Sources, abbreviated below:

- [SDK]   the installed ``anthropic`` package: ``types/model.py`` (the ``Model`` Literal),
          ``_data/deprecated_models.py`` (deprecated ids and retirement dates).
- [OV:x]  https://platform.claude.com/docs/en/models/x/overview (status, release date,
          model id, context window, max output, thinking mode, default effort).
- [DEP]   https://platform.claude.com/docs/en/about-claude/model-deprecations (status table).
- [AT]    https://platform.claude.com/docs/en/build-with-claude/adaptive-thinking
          ("Supported models"), and Amazon Bedrock's copy of that note
          (docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-adaptive-thinking.html).
- [MG]    https://platform.claude.com/docs/en/about-claude/models/migration-guide
          (Claude 4.6: "Prefilling assistant messages returns a 400 error"; Opus 4.7:
          sampling parameters and manual thinking budgets return 400).
- [NEW:x] the model's "what's new" / migration guide under /docs/en/models/x/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Lifecycle = Literal["active", "deprecated", "retired"]
Line = Literal["haiku", "sonnet", "opus", "fable", "mythos"]

ALL_EFFORT = ("low", "medium", "high", "xhigh", "max")


@dataclass(frozen=True)
class Rules:
    """What a request to the model may contain (True = the API accepts it)."""

    prefill: bool
    """A final ``assistant`` turn for the model to continue."""
    sampling: bool
    """Non-default ``temperature`` / ``top_p`` / ``top_k``."""
    manual_thinking: bool
    """``thinking: {type: "enabled", budget_tokens: N}``."""
    adaptive_thinking: bool
    forced_tool_choice: bool
    """``tool_choice`` of type ``any`` or ``tool``."""
    thinking_disabled: bool
    """``thinking: {type: "disabled"}`` (True on a model without thinking, as the SDK documents)."""
    between_tools: bool = False
    """``thinking: {type: "between_tools"}``."""
    default_thinking: dict[str, Any] | None = field(default=None, compare=False)
    """What the model does when the request has no ``thinking`` field (None: no thinking)."""

    @property
    def thinking_types(self) -> frozenset[str]:
        """The ``thinking.type`` values the API accepts for this model."""
        flags = {"enabled": self.manual_thinking, "adaptive": self.adaptive_thinking,
                 "disabled": self.thinking_disabled, "between_tools": self.between_tools}
        return frozenset(name for name, ok in flags.items() if ok)


@dataclass(frozen=True)
class Profile:
    """What one generation of models accepts (request rules) and supports (capabilities)."""

    source: str
    rules: Rules
    # Capabilities (the SDK's ``ModelCapabilities``).
    thinking: bool = True
    effort: tuple[str, ...] = ()
    structured_outputs: bool = True
    programmatic_tools: bool = True
    """``capabilities.code_execution``: code run by the code execution tool may call tools."""
    context_management: tuple[str, ...] = ("clear_tool_uses_20250919", "clear_thinking_20251015",
                                          "compact_20260112")
    server_tools: bool = True
    pdf_input: bool = True


# ----------------------------------------------------------------------------- profiles

CLAUDE_3 = Profile(
    "[DEP] Claude 3 / 3.5 models: no extended thinking; prefill and sampling accepted (the API's "
    "original rules).",
    Rules(prefill=True, sampling=True, manual_thinking=False, adaptive_thinking=False,
          forced_tool_choice=True, thinking_disabled=True),
    thinking=False, structured_outputs=False, programmatic_tools=False, context_management=(),
    server_tools=True)

EXTENDED = Profile(
    "[MG], [AT]: Claude 4.5 and earlier (Haiku 4.5 included) accept prefill, sampling parameters "
    "and manual thinking budgets, and do not support adaptive thinking.",
    Rules(prefill=True, sampling=True, manual_thinking=True, adaptive_thinking=False,
          forced_tool_choice=True, thinking_disabled=True),
    context_management=("clear_tool_uses_20250919", "clear_thinking_20251015"))

EXTENDED_OLD = Profile(
    EXTENDED.source + " Claude 3.7 / 4.0: no structured outputs or programmatic tool calling.",
    Rules(prefill=True, sampling=True, manual_thinking=True, adaptive_thinking=False,
          forced_tool_choice=True, thinking_disabled=True),
    structured_outputs=False, programmatic_tools=False, context_management=("clear_tool_uses_20250919",))

EXTENDED_HAIKU = Profile(
    EXTENDED.source + " [OV:haiku-4-5]: no effort parameter (apidog/apifox Haiku 4.5 vs 5.5 tables:"
    " 'effort levels: none').",
    Rules(prefill=True, sampling=True, manual_thinking=True, adaptive_thinking=False,
          forced_tool_choice=True, thinking_disabled=True),
    programmatic_tools=False, context_management=("clear_tool_uses_20250919", "clear_thinking_20251015"))

EXTENDED_OPUS_4_5 = Profile(
    EXTENDED.source + " Opus 4.5 introduced the effort parameter (low/medium/high).",
    Rules(prefill=True, sampling=True, manual_thinking=True, adaptive_thinking=False,
          forced_tool_choice=True, thinking_disabled=True),
    effort=("low", "medium", "high"), context_management=("clear_tool_uses_20250919",
    "clear_thinking_20251015"))

CLAUDE_4_6 = Profile(
    "[MG] Claude 4.6: assistant prefill returns 400; [AT]: adaptive thinking recommended, manual "
    "budgets deprecated but still accepted; thinking is off unless requested.",
    Rules(prefill=False, sampling=True, manual_thinking=True, adaptive_thinking=True,
          forced_tool_choice=True, thinking_disabled=True),
    effort=("low", "medium", "high", "max"))

OPUS_4_7 = Profile(
    "[MG] Opus 4.7: temperature/top_p/top_k and manual budgets return 400, adaptive only, new xhigh "
    "effort. Opus 4.8 keeps the same contract (Opus 5 migration guide: 'On Claude Opus 4.8, "
    "requests without a thinking field run without thinking', so thinking stays optional and "
    "'disabled' is accepted; one Bedrock revision also lists Opus 4.7 as rejecting 'disabled', "
    "which we do not follow: Anthropic's own pages describe 4.7/4.8 alike).",
    Rules(prefill=False, sampling=False, manual_thinking=False, adaptive_thinking=True,
          forced_tool_choice=True, thinking_disabled=True),
    effort=ALL_EFFORT)

MYTHOS_PREVIEW = Profile(
    "[AT]: Mythos Preview supports only adaptive thinking, on by default, and rejects 'disabled' "
    "and manual budgets; sampling follows its successors (Bedrock Mythos model cards: 'temperature "
    "must be 1.0 or unset'); prefill rejected as on every model since Claude 4.6.",
    Rules(prefill=False, sampling=False, manual_thinking=False, adaptive_thinking=True,
          forced_tool_choice=True, thinking_disabled=False, default_thinking={"type": "adaptive"}),
    effort=ALL_EFFORT)

SONNET_5 = Profile(
    "[NEW:sonnet-5]: adaptive thinking on by default; manual extended thinking and non-default "
    "sampling parameters return 400 (drop-in for Sonnet 4.6 otherwise: 'disabled' and forced tool "
    "choice still accepted).",
    Rules(prefill=False, sampling=False, manual_thinking=False, adaptive_thinking=True,
          forced_tool_choice=True, thinking_disabled=True, default_thinking={"type": "adaptive"}),
    effort=ALL_EFFORT)

OPUS_5 = Profile(
    "[NEW:opus-5]: same features as Opus 4.8 plus two breaking changes: thinking on by default, and "
    "'disabled' only at effort high or below (we accept 'disabled'; the effort pairing is not "
    "checked offline). OpenRouter's Claude 5.5 guide: no prefill 'already the case on Opus 5'.",
    Rules(prefill=False, sampling=False, manual_thinking=False, adaptive_thinking=True,
          forced_tool_choice=True, thinking_disabled=True, default_thinking={"type": "adaptive"}),
    effort=ALL_EFFORT)

FABLE_5 = Profile(
    "[NEW:fable-5] (migration guide): both thinking 'disabled' and manual budgets return 400; "
    "adaptive thinking always on. Forced tool choice still accepted (measured 25/25 on "
    "claude-fable-5, anthropics/claude-cookbooks#854).",
    Rules(prefill=False, sampling=False, manual_thinking=False, adaptive_thinking=True,
          forced_tool_choice=True, thinking_disabled=False, default_thinking={"type": "adaptive"}),
    effort=ALL_EFFORT)

ALWAYS_ADAPTIVE = Profile(
    "[NEW:opus-5-5]: thinking can't be disabled, forced tool use returns 400 ('tool_choice: type "
    "\"tool\" and \"any\" are not supported for this model.'), the same set that arrived with "
    "Fable 5.1; text between tool calls comes back in thinking blocks that are empty under the "
    "default display. Fable/Mythos 5.2 (docs list no new breaking change) copy Fable 5.1.",
    Rules(prefill=False, sampling=False, manual_thinking=False, adaptive_thinking=True,
          forced_tool_choice=False, thinking_disabled=False,
          default_thinking={"type": "adaptive", "display": "omitted"}),
    effort=ALL_EFFORT)

SONNET_5_5 = Profile(
    "[NEW:sonnet-5-5]: adaptive thinking on by default with display 'omitted'; budgets, sampling "
    "parameters, assistant prefill, forced tool choice and thinking 'disabled' return 400; "
    "'between_tools' replaces 'disabled' as the lowest setting.",
    Rules(prefill=False, sampling=False, manual_thinking=False, adaptive_thinking=True,
          forced_tool_choice=False, thinking_disabled=False, between_tools=True,
          default_thinking={"type": "adaptive", "display": "omitted"}),
    effort=ALL_EFFORT)

HAIKU_5_5 = Profile(
    "[NEW:haiku-5-5] (migration guide): budgets, sampling parameters and assistant prefill return "
    "400; adaptive thinking on by default and can be turned off ('disabled' accepted); forced tool "
    "choice is not among its breaking changes (accepted).",
    Rules(prefill=False, sampling=False, manual_thinking=False, adaptive_thinking=True,
          forced_tool_choice=True, thinking_disabled=True, default_thinking={"type": "adaptive"}),
    effort=ALL_EFFORT)


@dataclass(frozen=True)
class Row:
    id: str
    display_name: str
    line: Line | None
    created_at: str
    max_input_tokens: int
    max_tokens: int
    profile: Profile
    aliases: tuple[str, ...] = ()
    lifecycle: Lifecycle = "active"
    deprecated_at: str | None = None
    retires_at: str | None = None


K = 1000
M = 1_000_000

# ------------------------------------------------------------------------------- models
# Newest first, as GET /v1/models lists them.
MODELS: tuple[Row, ...] = (
    # Anthropic release notes, 2026-11-09 (Japanese copy): Fable 5.2 and Mythos 5.2, 1M context,
    # 128k max output, adaptive thinking always on. [SDK] Model literal.
    Row("claude-fable-5-2", "Claude Fable 5.2", "fable", "2026-11-09", M, 128 * K, ALWAYS_ADAPTIVE),
    Row("claude-mythos-5-2", "Claude Mythos 5.2", "mythos", "2026-11-09", M, 128 * K, ALWAYS_ADAPTIVE),
    # [OV:haiku-5-5]: Latest, released October 7, 2026; 1M context, 128K output.
    Row("claude-haiku-5-5", "Claude Haiku 5.5", "haiku", "2026-10-07", M, 128 * K, HAIKU_5_5),
    # [NEW:sonnet-5-5], [OV:sonnet-5-5]: released September 28, 2026 (dev.to 'five settings that
    # return 400'); 1M context, 128K output.
    Row("claude-sonnet-5-5", "Claude Sonnet 5.5", "sonnet", "2026-09-28", M, 128 * K, SONNET_5_5),
    # [NEW:opus-5-5]: released September 22, 2026; 1M / 128K, adaptive always on.
    Row("claude-opus-5-5", "Claude Opus 5.5", "opus", "2026-09-22", M, 128 * K, ALWAYS_ADAPTIVE),
    # Fable 5.1 / Mythos 5.1: released 2026-09-01 (anthropic.com/claude-fable-and-mythos-5-1;
    # anthropics/claude-cookbooks#854); 1M / 128K, adaptive always on, forced tool choice 400.
    Row("claude-fable-5-1", "Claude Fable 5.1", "fable", "2026-09-01", M, 128 * K, ALWAYS_ADAPTIVE),
    Row("claude-mythos-5-1", "Claude Mythos 5.1", "mythos", "2026-09-01", M, 128 * K, ALWAYS_ADAPTIVE),
    # [OV:opus-5]: Legacy (still active), released July 24, 2026; 1M / 128K.
    Row("claude-opus-5", "Claude Opus 5", "opus", "2026-07-24", M, 128 * K, OPUS_5),
    # [OV:sonnet-5]: Legacy (still active), released June 30, 2026; 1M / 128K.
    Row("claude-sonnet-5", "Claude Sonnet 5", "sonnet", "2026-06-30", M, 128 * K, SONNET_5),
    # [OV:fable-5]: Legacy, released June 9, 2026; Mythos 5 "shares Claude Fable 5's
    # specifications"; 1M / 128K.
    Row("claude-fable-5", "Claude Fable 5", "fable", "2026-06-09", M, 128 * K, FABLE_5),
    Row("claude-mythos-5", "Claude Mythos 5", "mythos", "2026-06-09", M, 128 * K, FABLE_5),
    # Opus 4.8: released 2026-05-28 (anthropic.com/news/claude-opus-4-8); 1M / 128K.
    Row("claude-opus-4-8", "Claude Opus 4.8", "opus", "2026-05-28", M, 128 * K, OPUS_4_7),
    # Opus 4.7: released 2026-04-16 ([MG]); 1M / 128K.
    Row("claude-opus-4-7", "Claude Opus 4.7", "opus", "2026-04-16", M, 128 * K, OPUS_4_7),
    # Mythos Preview: research preview of 2026-04 (Project Glasswing, announced April 7, 2026);
    # [SDK] deprecated_models: retirement "June 30th, 2026". That date has passed but the SDK still
    # lists the id as deprecated, and ModelInfo documents that "a past date on a deprecated model
    # means retirement is overdue, not that it has occurred": kept deprecated. Deprecation date not
    # published that we found: the release of its successor Mythos 5 (2026-06-09) is used.
    Row("claude-mythos-preview", "Claude Mythos Preview", "mythos", "2026-04-07", M, 128 * K,
        MYTHOS_PREVIEW, lifecycle="deprecated", deprecated_at="2026-06-09", retires_at="2026-06-30"),
    # [OV:sonnet-4-6], [OV:opus-4-6]: 1M context, 128K output (the 128K sync limit is documented
    # on both overview pages; withceleste/celeste-python#387). Released 2026-02-17 / 2026-02-05.
    Row("claude-sonnet-4-6", "Claude Sonnet 4.6", "sonnet", "2026-02-17", M, 128 * K, CLAUDE_4_6),
    Row("claude-opus-4-6", "Claude Opus 4.6", "opus", "2026-02-05", M, 128 * K, CLAUDE_4_6),
    # [OV:opus-4-5]: released November 24, 2025; 200K / 64K. [SDK] deprecated, retires
    # "January 22nd, 2027"; deprecated on 2026-11-23 ([DEP], as quoted by modelpin 0.5.7).
    Row("claude-opus-4-5-20251101", "Claude Opus 4.5", "opus", "2025-11-24", 200 * K, 64 * K,
        EXTENDED_OPUS_4_5, aliases=("claude-opus-4-5",), lifecycle="deprecated",
        deprecated_at="2026-11-23", retires_at="2027-01-22"),
    # [OV:haiku-4-5]: Legacy (active, "retirement not sooner than October 15, 2026", not
    # deprecated), released October 15, 2025; 200K / 64K.
    Row("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "haiku", "2025-10-15", 200 * K, 64 * K,
        EXTENDED_HAIKU, aliases=("claude-haiku-4-5",)),
    # [OV:sonnet-4-5]: deprecated, "retires on November 30, 2026" -> retired today. Deprecation
    # entry of 2026-09-30 in the API release notes (recommended replacement Sonnet 5.5).
    Row("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "sonnet", "2025-09-29", 200 * K, 64 * K,
        EXTENDED, aliases=("claude-sonnet-4-5",), lifecycle="retired",
        deprecated_at="2026-09-30", retires_at="2026-11-30"),
    # Opus 4.1: SDK changelog 2026-06-05 "mark Claude Opus 4.1 as deprecated"; retired
    # 2026-08-05 ([DEP] as quoted in anthropics/skills#1607). 200K / 32K.
    Row("claude-opus-4-1-20250805", "Claude Opus 4.1", "opus", "2025-08-05", 200 * K, 32 * K,
        EXTENDED, aliases=("claude-opus-4-1",), lifecycle="retired",
        deprecated_at="2026-06-05", retires_at="2026-08-05"),
    # Sonnet 4 / Opus 4: retired 2026-06-15 (release notes; anthropics/skills#1607). The
    # deprecation date is not in the sources we found: the release of Opus 4.7 (2026-04-16), the
    # deprecations page's usual 60-day notice before retirement, is used.
    Row("claude-sonnet-4-20250514", "Claude Sonnet 4", "sonnet", "2025-05-22", 200 * K, 64 * K,
        EXTENDED_OLD, aliases=("claude-sonnet-4-0",), lifecycle="retired",
        deprecated_at="2026-04-16", retires_at="2026-06-15"),
    Row("claude-opus-4-20250514", "Claude Opus 4", "opus", "2025-05-22", 200 * K, 32 * K,
        EXTENDED_OLD, aliases=("claude-opus-4-0",), lifecycle="retired",
        deprecated_at="2026-04-16", retires_at="2026-06-15"),
    # Claude 3.7 Sonnet: deprecated 2025-10-28, retired 2026-02-19 ([DEP]; thevibeworks/
    # claude-code-docs#417). 200K / 64K, extended thinking.
    Row("claude-3-7-sonnet-20250219", "Claude Sonnet 3.7", "sonnet", "2025-02-24", 200 * K, 64 * K,
        EXTENDED_OLD, aliases=("claude-3-7-sonnet-latest",), lifecycle="retired",
        deprecated_at="2025-10-28", retires_at="2026-02-19"),
    # Claude 3.5 Haiku: deprecated 2026-01-21, retired 2026-02-19 (theopenco/llmgateway#1484).
    Row("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "haiku", "2024-10-22", 200 * K, 8192,
        CLAUDE_3, aliases=("claude-3-5-haiku-latest",), lifecycle="retired",
        deprecated_at="2026-01-21", retires_at="2026-02-19"),
    # Claude 3.5 Sonnet (both): deprecated 2025-08-13, retired 2025-10-22 ([DEP] as quoted in
    # gitlab-org/gitlab#572012).
    Row("claude-3-5-sonnet-20241022", "Claude Sonnet 3.5 (New)", "sonnet", "2024-10-22", 200 * K, 8192,
        CLAUDE_3, aliases=("claude-3-5-sonnet-latest",), lifecycle="retired",
        deprecated_at="2025-08-13", retires_at="2025-10-22"),
    Row("claude-3-5-sonnet-20240620", "Claude Sonnet 3.5", "sonnet", "2024-06-20", 200 * K, 8192,
        CLAUDE_3, lifecycle="retired", deprecated_at="2025-08-13", retires_at="2025-10-22"),
    # Claude 3 Haiku: retired 2026-04-20 ([DEP] as quoted in BerriAI/litellm#26139; the
    # deprecation date is not quoted there: the Haiku 4.5 release, 2025-10-15, is used).
    Row("claude-3-haiku-20240307", "Claude Haiku 3", "haiku", "2024-03-07", 200 * K, 4096,
        CLAUDE_3, lifecycle="retired", deprecated_at="2025-10-15", retires_at="2026-04-20"),
    # Claude 3 Opus: deprecated 2025-06-30, retired 2026-01-05 ([DEP] status table).
    Row("claude-3-opus-20240229", "Claude Opus 3", "opus", "2024-02-29", 200 * K, 4096,
        CLAUDE_3, aliases=("claude-3-opus-latest",), lifecycle="retired",
        deprecated_at="2025-06-30", retires_at="2026-01-05"),
    # Claude 3 Sonnet: deprecated 2025-01-21, retired 2025-07-21 ([DEP] status table).
    Row("claude-3-sonnet-20240229", "Claude Sonnet 3", "sonnet", "2024-02-29", 200 * K, 4096,
        CLAUDE_3, lifecycle="retired", deprecated_at="2025-01-21", retires_at="2025-07-21"),
)

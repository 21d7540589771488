"""One model catalogue the whole kit reads: ids, lifecycle, limits, capabilities, request rules.

Why a catalogue: what a request may contain now changes per model (assistant prefill
returns 400 since Claude 4.6; sampling parameters and thinking budgets since Opus 4.7;
forced tool choice since Fable 5.1 ...). The offline server validates requests from it,
serves it at ``GET /v1/models``, and the resilient stream asks it how to resume
(:func:`accepts_prefill`). The data and its sources live in ``_catalogue_data``.

>>> find("claude-haiku-4-5").id
'claude-haiku-4-5-20251001'
>>> accepts_prefill("claude-sonnet-5-5")
False
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, get_args

from . import _catalogue_data as data
from ._catalogue_data import Lifecycle, Line, Profile, Row, Rules

if TYPE_CHECKING:
    from anthropic.types import ModelInfo

__all__ = ["MODELS", "ModelEntry", "Rules", "accepts_prefill", "find", "model_info", "sdk_model_ids"]


def _support(ok: bool) -> dict[str, bool]:
    return {"supported": ok}


def _capabilities(p: Profile) -> dict[str, Any]:
    """``p`` in the shape of the SDK's ``anthropic.types.ModelCapabilities``."""
    effort = {level: _support(level in p.effort) for level in data.ALL_EFFORT}
    strategies = ("clear_thinking_20251015", "clear_tool_uses_20250919", "compact_20260112")
    return {
        "batch": _support(True),
        "citations": _support(True),
        "code_execution": _support(p.programmatic_tools),
        "context_management": {"supported": bool(p.context_management),
                               **{s: _support(s in p.context_management) for s in strategies}},
        "effort": {"supported": bool(p.effort), **effort},
        "image_input": _support(True),
        "pdf_input": _support(p.pdf_input),
        "server_tools": {"supported": p.server_tools, "code_execution": _support(p.server_tools),
                         "web_search": _support(p.server_tools)},
        "structured_outputs": _support(p.structured_outputs),
        "thinking": {"supported": p.thinking, "types": {
            "adaptive": _support(p.rules.adaptive_thinking), "between_tools": _support(p.rules.between_tools),
            "disabled": _support(p.rules.thinking_disabled), "enabled": _support(p.rules.manual_thinking)}},
    }


def _rfc3339(day: str | None) -> str | None:
    return f"{day}T00:00:00Z" if day else None


@dataclass(frozen=True)
class ModelEntry:
    """One model: what ``GET /v1/models/{id}`` says about it, plus the request rules."""

    id: str
    display_name: str
    line: Line | None
    created_at: str
    """Release date, ``YYYY-MM-DD``."""
    lifecycle: Lifecycle
    deprecated_at: str | None
    retires_at: str | None
    max_input_tokens: int
    """The context window."""
    max_tokens: int
    """The largest ``max_tokens`` a request may ask for (max output)."""
    aliases: tuple[str, ...]
    rules: Rules
    capabilities: dict[str, Any]
    source: str
    """Where the rules and capabilities come from."""

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)

    def info(self) -> dict[str, Any]:
        """The ``ModelInfo`` JSON object the Models API returns for this model."""
        return {
            "type": "model",
            "id": self.id,
            "display_name": self.display_name,
            "created_at": _rfc3339(self.created_at),
            "lifecycle": self.lifecycle,
            "deprecated_at": _rfc3339(self.deprecated_at),
            "retires_at": _rfc3339(self.retires_at),
            "line": self.line,
            "max_input_tokens": self.max_input_tokens,
            "max_tokens": self.max_tokens,
            "capabilities": self.capabilities,
        }


def _entry(row: Row) -> ModelEntry:
    return ModelEntry(
        id=row.id, display_name=row.display_name, line=row.line, created_at=row.created_at,
        lifecycle=row.lifecycle, deprecated_at=row.deprecated_at, retires_at=row.retires_at,
        max_input_tokens=row.max_input_tokens, max_tokens=row.max_tokens, aliases=row.aliases,
        rules=row.profile.rules, capabilities=_capabilities(row.profile), source=row.profile.source)


MODELS: tuple[ModelEntry, ...] = tuple(
    sorted((_entry(row) for row in data.MODELS), key=lambda e: e.created_at, reverse=True))
"""Every model the kit knows, newest first (the order ``GET /v1/models`` lists them in)."""

_BY_ID: dict[str, ModelEntry] = {name: entry for entry in MODELS for name in entry.ids}


def find(model: str) -> ModelEntry | None:
    """The catalogue entry for a model id, alias or dated id; None if unknown."""
    return _BY_ID.get(model)


def accepts_prefill(model: str) -> bool:
    """Whether the API accepts a final assistant turn (prefill) for ``model``.

    False for unknown and retired models: a client that guesses wrong gets a 400 online,
    so the safe choice is the user-message continuation.
    """
    entry = find(model)
    return entry is not None and entry.lifecycle != "retired" and entry.rules.prefill


def model_info(model: str) -> ModelInfo | None:
    """What the Models API says about ``model`` (an id or alias), from the kit's catalogue.

    The same ``anthropic.types.ModelInfo`` that ``client.models.retrieve(model)`` returns
    (offline it is this very data), without a request: context window, max output,
    lifecycle and retirement date, capabilities. None for an id the catalogue does not know.
    """
    from anthropic.types import ModelInfo

    entry = find(model)
    return ModelInfo.model_validate(entry.info()) if entry else None


@cache
def sdk_model_ids() -> frozenset[str]:
    """The model ids the installed ``anthropic`` SDK names in its ``Model`` type."""
    from anthropic.types import Model

    return frozenset(arg for member in get_args(Model) for arg in get_args(member))

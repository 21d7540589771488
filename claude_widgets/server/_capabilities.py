"""What a model can do, for the features the API refuses on models without them.

A stand-in until ``claude_widgets._catalogue`` lands on main: then :func:`supports`
becomes ``capability in claude_widgets._catalogue.find(model).capabilities`` and this
table goes. Source: the structured-outputs page (platform.claude.com/docs/en/
build-with-claude/structured-outputs): JSON outputs and strict tools are available on
Claude Haiku 4.5, Sonnet 4.5, Opus 4.5 and the models after them; Claude 3.x, Sonnet 4
and Opus 4/4.1 predate the feature.

Unknown models support everything: the offline server must never invent an error the
real API would not give.
"""

from __future__ import annotations

_WITHOUT: dict[str, tuple[str, ...]] = {
    "structured_outputs": ("claude-3", "claude-sonnet-4-0", "claude-sonnet-4-2025", "claude-opus-4-0",
                           "claude-opus-4-2025", "claude-opus-4-1"),
}


def supports(model: str, capability: str) -> bool:
    """Whether ``model`` has ``capability`` (``"structured_outputs"``)."""
    return not model.startswith(_WITHOUT.get(capability, ()))

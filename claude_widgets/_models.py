"""The one place the default model name lives.

Notebooks, the magic and the offline server all read it from here, so that when a
model is retired one edit moves everything (hard-coded ids in tutorials go stale).
``claude-sonnet-4-5`` reaches end of life on 2026-11-30; ``claude-sonnet-5-5`` is the
current Sonnet and the SDK does not flag it as deprecated. Like every Sonnet 5 model
it only accepts *adaptive* thinking (``{"type": "adaptive"}``); manual
``{"type": "enabled", "budget_tokens": N}`` is for older models such as
``claude-haiku-4-5``.
"""

from __future__ import annotations

DEFAULT_MODEL = "claude-sonnet-5-5"
"""The model every example uses unless told otherwise."""

THINKING_ENABLED_MODEL = "claude-haiku-4-5"
"""A current model that still accepts manual extended thinking (``type: enabled``)."""

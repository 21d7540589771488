"""The one place the default model name lives.

Notebooks, the magic and the offline server all read it from here, so that when a
model is retired one edit moves everything (hard-coded ids in tutorials go stale).

Why Claude Haiku 4.5: it is current (the SDK does not flag it as deprecated) and it
accepts everything the tutorials teach: assistant prefill (how an interrupted stream is
resumed), manual thinking budgets, forced tool choice. The newest Sonnets reject some
of those with a 400 (Sonnet 5: thinking budgets, sampling parameters; Sonnet 5.5 also
prefill, forced tool choice and ``thinking: disabled``), which the offline server
reproduces (see ``claude_widgets/server/_model_rules.py``). ``claude-sonnet-4-5``, the
id most often copied from older tutorials, reaches end of life on 2026-11-30.
"""

from __future__ import annotations

DEFAULT_MODEL = "claude-haiku-4-5"
"""The model every example uses unless told otherwise."""

THINKING_ENABLED_MODEL = DEFAULT_MODEL
"""A current model that accepts manual extended thinking (``type: enabled`` with a budget)."""

"""The one place the default model name lives.

Notebooks, the magic and the offline server all read it from here, so that when a
model is retired one edit moves everything (hard-coded ids in tutorials go stale).

Why Claude Haiku 4.5: it is active (the model catalogue, ``claude_widgets/_catalogue.py``,
lists it as ``active``: legacy but not deprecated, retirement not sooner than 2026-10-15)
and it accepts everything the tutorials teach: assistant prefill (the simplest way to
resume an interrupted stream), manual thinking budgets, sampling parameters, forced tool
choice. Every model released since Claude 4.6 rejects some of those with a 400 (prefill
since 4.6; sampling and thinking budgets since Opus 4.7; forced tool choice and
``thinking: disabled`` on Sonnet 5.5, Opus 5.5 and Fable 5.1+); the catalogue holds those
rules per model, with sources, and the offline server enforces them.
``claude-sonnet-4-5``, the id most often copied from older tutorials, retired on
2026-11-30: requests naming it get a 404, online and offline.
"""

from __future__ import annotations

DEFAULT_MODEL = "claude-haiku-4-5"
"""The model every example uses unless told otherwise."""

THINKING_ENABLED_MODEL = DEFAULT_MODEL
"""A current model that accepts manual extended thinking (``type: enabled`` with a budget)."""

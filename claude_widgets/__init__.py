"""claude-widgets: stream Claude's answers into Jupyter, in place; offline by default.

- :func:`client` / :func:`async_client` — an ``anthropic`` client for the real API when
  ``ANTHROPIC_API_KEY`` is set, else for the embedded offline server.
- :mod:`claude_widgets.server` — the offline Messages API server (SSE streaming).
- :data:`DEFAULT_MODEL` — the model every example uses.
"""

from __future__ import annotations

from ._client import async_client, client, is_offline, offline_server
from ._events import ResetEvent, RetryEvent
from ._models import DEFAULT_MODEL, THINKING_ENABLED_MODEL

__all__ = [
    "DEFAULT_MODEL",
    "THINKING_ENABLED_MODEL",
    "ResetEvent",
    "RetryEvent",
    "async_client",
    "client",
    "is_offline",
    "offline_server",
]

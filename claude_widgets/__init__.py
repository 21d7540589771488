"""claude-widgets: stream Claude's answers into Jupyter, in place; offline by default.

- :func:`client` / :func:`async_client` — an ``anthropic`` client for the real API when
  ``ANTHROPIC_API_KEY`` is set, else for the embedded offline server
  (:mod:`claude_widgets.server`).
- :func:`stream` / :class:`StreamView` — a widget that shows a stream as it arrives:
  Markdown, thinking, tool calls, usage, a Stop button, errors.
- :func:`resilient_stream` — a stream that retries and resumes, never showing text twice.
- :class:`Chat` and ``%load_ext claude_widgets`` (``%%claude``) — conversations, with
  Python functions as tools.
- :func:`model_info` / :func:`accepts_prefill` — the kit's model catalogue: limits,
  lifecycle, capabilities, and what a request to each model may contain.
"""

from __future__ import annotations

import logging
from typing import Any

from ._catalogue import accepts_prefill, model_info
from ._chat import Chat, ToolLoopLimit
from ._client import async_client, client, is_offline, offline_server
from ._events import ResetEvent, RetryEvent, ToolResultEvent
from ._models import DEFAULT_MODEL, THINKING_ENABLED_MODEL
from ._resilient import (
    AsyncResilientStream,
    Attempt,
    DeadlineExceeded,
    ResilientStream,
    ResilientStreamError,
    RetriesExhausted,
    StreamClosed,
    TextStreamDiverged,
    resilient_stream,
    resilient_stream_async,
)
from ._stream import stream
from ._view import IncompleteStreamError, StreamView

# A library logs; the application decides where logs go (no "last resort" prints on stderr).
logging.getLogger(__name__).addHandler(logging.NullHandler())

last_message: Any = None
"""The final ``Message`` of the last ``%%claude`` cell."""

__all__ = [
    "DEFAULT_MODEL",
    "THINKING_ENABLED_MODEL",
    "AsyncResilientStream",
    "Attempt",
    "Chat",
    "DeadlineExceeded",
    "IncompleteStreamError",
    "ResetEvent",
    "ResilientStream",
    "ResilientStreamError",
    "RetriesExhausted",
    "RetryEvent",
    "StreamClosed",
    "StreamView",
    "TextStreamDiverged",
    "ToolLoopLimit",
    "ToolResultEvent",
    "accepts_prefill",
    "async_client",
    "client",
    "is_offline",
    "last_message",
    "load_ipython_extension",
    "model_info",
    "offline_server",
    "resilient_stream",
    "resilient_stream_async",
    "stream",
    "unload_ipython_extension",
]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext claude_widgets``: the ``%claude`` / ``%%claude`` magics."""
    from ._magic import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from ._magic import unload_ipython_extension as unload

    unload(ipython)

"""Events that resilient streaming adds to the SDK's own stream events.

The SDK's events (``message_start``, ``text``, ``content_block_delta``...) are passed
through untouched; these two tell a consumer what happened *between* HTTP attempts, so
that a display can show "retrying" and, when a stream had to restart from scratch,
throw away what it showed instead of showing it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class RetryEvent:
    """A failed attempt; the next one starts after ``delay`` seconds."""

    attempt: int
    """The attempt that is about to start (2 for the first retry)."""
    max_attempts: int
    delay: float
    reason: str
    """A short readable cause, e.g. ``"overloaded (529)"`` or ``"connection dropped"``."""
    resume: bool
    """True when the next attempt continues the partial answer instead of starting over."""
    strategy: str = "retry"
    """How the next attempt relates to what was shown: ``retry`` (nothing shown yet), ``prefill``
    or ``continuation`` (it resumes the partial answer), ``restart`` (after a reset)."""
    type: Literal["retry"] = "retry"


@dataclass(frozen=True)
class ResetEvent:
    """The partial answer cannot be continued: discard everything shown so far."""

    reason: str
    type: Literal["reset"] = "reset"


@dataclass(frozen=True)
class ToolResultEvent:
    """A tool ran between two requests of a turn: show its result as block ``index``."""

    index: int
    tool_use_id: str
    name: str
    content: str
    is_error: bool = False
    type: Literal["tool_result"] = "tool_result"

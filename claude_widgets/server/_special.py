"""Scenarios that end in a stop reason other than ``end_turn``: ``refusal`` and a full context window.

Selected like the other scenarios: by the header ``x-offline-scenario: refusal`` or
``x-offline-scenario: context-window``, or by the last user message ("refusal demo",
"fill the context window"). ``refusal`` streams the start of an answer and stops with
``stop_reason: "refusal"`` (the API's streaming classifier intervening: the text so far
stays, the SDK's threads then start a new thread); ``context-window`` writes until the
model's context window is full and stops with ``"model_context_window_exceeded"``.
"""

from __future__ import annotations

import re

from ._answer import Answer, Block
from ._request import MessagesRequest

REFUSAL_TEXT = "I can start on that, but I can't continue with this request."
CONTEXT_WINDOW_TEXT = ("This answer keeps going until the conversation fills the model's context window. " * 12).strip()

_TRIGGERS = {"refusal": r"\brefusal demo\b", "context-window": r"\bfill (up )?the context window\b"}
NAMES = tuple(_TRIGGERS)


def answer(req: MessagesRequest, header: str | None) -> Answer | None:
    """The special answer this request selects, or None for the ordinary scenarios."""
    name = header if header in _TRIGGERS else None
    if name is None and header is None:
        last = next(m for m in reversed(req.conversation) if m["role"] == "user")
        text = " ".join(b.get("text", "") for b in last["content"] if b.get("type") == "text").lower()
        name = next((n for n, pattern in _TRIGGERS.items() if re.search(pattern, text)), None)
    if name == "refusal":
        return Answer([Block("text", REFUSAL_TEXT)], "refusal")
    if name == "context-window":
        return Answer([Block("text", CONTEXT_WINDOW_TEXT)], "model_context_window_exceeded")
    return None

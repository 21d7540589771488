"""Message threads (beta ``message-threads-2026-08-12``): the server holds the conversation.

anthropic 2.15's ``client.beta.messages.thread(...)`` and its tool runner (threaded by
default) send ``thread: {"type": "create"}`` with the whole history, then
``{"type": "continue", "previous_message_id": <the last reply's id>}`` with only the
new messages. The server answers the stored history plus those messages, and stores the
reply under its ``id``. The rules below come from the SDK's types and helpers
(``anthropic/types/thread_*_error_details.py``, ``anthropic/lib/threads/_thread_state.py``):

- ``thread`` is a field of the beta only: without the beta in ``anthropic-beta`` it stays
  an unknown field (``thread: Extra inputs are not permitted``), as before;
- ``system`` and ``tools`` are fixed when the thread is created and a ``continue``
  must not repeat them; ``model`` must stay the same (``thread_fingerprint_mismatch``);
- an unknown ``previous_message_id`` is a 404 ``thread_not_found``; a reply can be
  continued once (``thread_already_continued``), so a fork starts a new thread;
- request fields threads do not support (``thinking``, ``context_management``, the
  top-level ``cache_control``) are a 400 ``thread_unsupported_request`` naming them in
  ``error.details.unsupported``: the SDK's ``continue_unthreaded`` falls back on it.

Rejections carry ``error.details.error_code``, which the SDK reads to replay or fall back.
Threads live in memory for the server's lifetime; replies have deterministic ids, so a
notebook run again re-creates the same thread ids and overwrites them.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ._errors import APIError, invalid

MESSAGE_THREADS_BETA = "message-threads-2026-08-12"
CREATE_ONLY_FIELDS = ("system", "tools")
FINGERPRINT_FIELDS = ("model",)


class ThreadError(APIError):
    """An API error with ``error.details`` (``error_code`` and what else the code carries)."""

    def __init__(self, status: int, message: str, details: dict[str, Any]) -> None:
        super().__init__(status, message)
        self.details = details

    def body(self, request_id: str) -> dict[str, Any]:
        out = super().body(request_id)
        out["error"]["details"] = self.details
        return out


@dataclass
class _Stored:
    fields: dict[str, Any]
    """The create-only and fingerprint fields the thread was created with."""
    messages: list[Any]
    """The whole conversation, ending with the stored reply."""
    continued: bool = False


def _unsupported(body: dict[str, Any]) -> list[str]:
    found = []
    if "cache_control" in body and body["cache_control"] is not None:
        found.append("cache_control")
    if body.get("context_management") is not None:
        found.append("context_management")
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") not in (None, "disabled"):
        found.append("thinking")
    return found


MAX_THREADS = 1000
"""Stored replies kept (the least recently stored is forgotten first: its thread is then unknown, a 404)."""


class ThreadStore:
    """The server's threads, by the ``id`` of each stored reply, at most :data:`MAX_THREADS` of them.

    Bounded like the request log (``_history``): every threaded reply stores its whole
    conversation, and nothing else would ever free it.
    """

    def __init__(self, max_threads: int = MAX_THREADS) -> None:
        self._threads: OrderedDict[str, _Stored] = OrderedDict()
        self._max = max_threads
        self._lock = threading.Lock()

    def expand(self, body: Any, beta_header: str) -> tuple[Any, dict[str, Any] | None]:
        """The body to answer (a continue's stored history plus its messages) and its ``thread``.

        Without the beta, or without ``thread``, the body passes through unchanged.
        """
        betas = {b.strip() for b in beta_header.split(",")}
        if not isinstance(body, dict) or "thread" not in body or MESSAGE_THREADS_BETA not in betas:
            return body, None
        body = dict(body)
        thread = body.pop("thread")
        if thread is None:
            return body, None
        if not isinstance(thread, dict) or thread.get("type") not in ("create", "continue"):
            raise invalid("thread: Input tag found using 'type' does not match any of the expected tags: "
                          "'create', 'continue'")
        unsupported = _unsupported(body)
        if unsupported:
            raise ThreadError(400, f"`thread` cannot be combined with {', '.join(f'`{u}`' for u in unsupported)}. "
                              "Send the full conversation without `thread`, or remove that field.",
                              {"error_code": "thread_unsupported_request", "unsupported": unsupported})
        if thread["type"] == "create":
            return body, {"type": "create"}
        previous = thread.get("previous_message_id")
        if not isinstance(previous, str):
            raise invalid("thread.continue.previous_message_id: Field required")
        with self._lock:
            stored = self._threads.get(previous)
        if stored is None:
            raise ThreadError(404, f"No usable Thread state was found for `previous_message_id` {previous}. "
                              'Replay the full conversation with `thread: {"type": "create"}`.',
                              {"error_code": "thread_not_found"})
        if stored.continued:
            raise ThreadError(400, f"The response {previous} has already been continued, and each response can be "
                              "continued only once. Continue from the Thread's most recent response `id`.",
                              {"error_code": "thread_already_continued"})
        for name in CREATE_ONLY_FIELDS:
            if name in body:
                raise invalid(f"{name}: cannot be sent with `thread.type: continue`: the Thread keeps the `{name}` "
                              "it was created with")
        changed = [f"`{f}`" for f in FINGERPRINT_FIELDS if body.get(f) != stored.fields.get(f)]
        if changed:
            raise ThreadError(400, f"{' and '.join(changed)} differs from the value stored with the Thread. Send the "
                              'stored value, or replay the full conversation with `thread: {"type": "create"}`.',
                              {"error_code": "thread_fingerprint_mismatch"})
        new_messages = body.get("messages")
        if not isinstance(new_messages, list):
            raise invalid("messages: Input should be a valid list")
        full = {**body, **{k: v for k, v in stored.fields.items() if k in CREATE_ONLY_FIELDS},
                "messages": copy.deepcopy(stored.messages) + new_messages}
        return full, {"type": "continue", "previous_message_id": previous}

    def record(self, reply_id: str, body: dict[str, Any], thread: dict[str, Any], content: list[Any]) -> None:
        """Store the answered conversation under ``reply_id``; the continued reply can't be continued again."""
        fields = {k: copy.deepcopy(body[k]) for k in (*CREATE_ONLY_FIELDS, *FINGERPRINT_FIELDS) if k in body}
        messages = copy.deepcopy(body["messages"]) + [{"role": "assistant", "content": copy.deepcopy(content)}]
        with self._lock:
            if thread["type"] == "continue":
                previous = self._threads.get(thread["previous_message_id"])
                if previous is not None:
                    previous.continued = True
            self._threads[reply_id] = _Stored(fields, messages)
            self._threads.move_to_end(reply_id)
            while len(self._threads) > self._max:
                self._threads.popitem(last=False)

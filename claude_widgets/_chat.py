"""``Chat``: a conversation that streams each turn into a StreamView, tools included.

What a notebook needs from a conversation, and what hand-written loops get wrong:

- **One view per turn, every step live in it.** A turn that calls tools is several
  requests (answer, tool calls, results, continued answer); they stream into one view as
  one event sequence: block indices are renumbered across steps and each tool's result
  appears as a ``tool_result`` block between them.
- **Re-running a cell replaces its turn.** A turn carries a *key* (the magic uses the
  cell's id); starting a turn whose key is already in the history truncates the history
  to before that turn, so re-running cell 3 of 5 doesn't append a duplicate question. The
  answers of the turns dropped after it stay on screen, marked superseded
  (``StreamView.supersede``).
- **A failed turn leaves no trace.** An error rolls the history back to before the
  question; a stopped turn keeps the text it received (complete text blocks only), so
  "continue" works and the history stays a valid alternation of user/assistant turns.
- **Order.** Turns run in the background (so Stop works while the kernel is idle); a
  turn started while the previous one still streams waits for it.

Tools are plain Python functions with type hints and a docstring; the SDK's
``anthropic.beta_tool`` turns each into a JSON schema and validates the model's input.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import anthropic
from anthropic.types import Message

from ._events import ToolResultEvent
from ._models import DEFAULT_MODEL

if TYPE_CHECKING:
    from anthropic.types import ToolUseBlock

__all__ = ["Chat", "ToolLoopLimit"]

DEFAULT_MAX_STEPS = 8
"""Requests one turn may make before a runaway tool loop is stopped."""


class ToolLoopLimit(RuntimeError):
    """The model kept calling tools past ``max_steps`` requests in one turn."""


@dataclass
class _Turn:
    key: str | None
    start: int
    """Index in ``Chat.messages`` of this turn's user message."""
    prompt: str
    view: Any = None
    """The StreamView showing this turn (told when a re-run drops the turn from the history)."""


@dataclass
class _Step:
    """One request of a turn, as the loop saw it."""

    message: Message | None = None
    results: list[dict[str, Any]] = field(default_factory=list)


def _as_tool(fn: Any) -> Any:
    if hasattr(fn, "to_dict") and hasattr(fn, "call"):
        return fn  # already a beta_tool
    if not callable(fn):
        raise TypeError(f"a tool must be a function, got {fn!r}")
    return anthropic.beta_tool(fn)


def _content_params(message: Message) -> list[dict[str, Any]]:
    """An assistant message as request content, exactly as received (thinking signatures kept)."""
    return [b.to_dict(exclude_none=True) if hasattr(b, "to_dict") else dict(b) for b in message.content]


class _TurnEvents:
    """The events of one turn (all its steps), for a StreamView to consume.

    ``interrupt()`` may be called from another thread (the view's Stop): it cuts the
    current HTTP stream; the loop then ends without running more tools.
    """

    def __init__(self, chat: Chat, turn: _Turn, request: dict[str, Any], after: threading.Event | None,
                 resume: bool) -> None:
        self.chat = chat
        self.resume = resume
        self.turn = turn
        self.request = request
        self.after = after
        self.done = threading.Event()
        self.final: Message | None = None
        self.steps: list[_Step] = []
        self.cut: Message | None = None
        """The partial message of a step cut by Stop."""
        self._current: Any = None
        self._interrupted = False

    def interrupt(self) -> None:
        self._interrupted = True
        current = self._current
        if current is not None:
            from ._view import _interrupt

            _interrupt(current)

    def close(self) -> None:
        self.interrupt()

    def __iter__(self) -> Iterator[Any]:
        try:
            if self.after is not None:
                self.after.wait()
            messages = self.chat._begin(self.turn)
            yield from self._run(messages)
        finally:
            self.done.set()

    def _open(self, messages: list[dict[str, Any]]) -> Any:
        kwargs = {**self.request, "messages": messages}
        if self.resume:
            from ._resilient import resilient_stream

            return resilient_stream(self.chat.client, **kwargs)
        return self.chat.client.messages.stream(**kwargs)

    def _run(self, messages: list[dict[str, Any]]) -> Iterator[Any]:
        chat = self.chat
        offset = 0  # view index of this step's first block
        shown: list[Any] = []  # events of the finished steps, replayed after a reset
        outcome = "error"
        try:
            for step_no in range(chat.max_steps):
                step = _Step()
                self.steps.append(step)
                highest = -1
                with self._open(messages) as stream:
                    self._current = stream
                    for event in self._renumbered(stream, offset, first_step=step_no == 0):
                        if getattr(event, "type", None) == "reset" and shown:
                            yield event
                            yield from shown  # a reset wipes the view: earlier steps come back
                            continue
                        index = getattr(event, "index", None)
                        if index is not None:
                            highest = max(highest, index)
                        shown.append(event)
                        yield event
                        if self._interrupted:
                            break
                    self._current = None
                    if self._interrupted:
                        self.cut = stream.current_message_snapshot
                        outcome = "stopped"
                        return
                    step.message = stream.get_final_message()
                self.final = step.message
                messages.append({"role": "assistant", "content": _content_params(step.message)})
                calls = cast("list[ToolUseBlock]", [b for b in step.message.content if b.type == "tool_use"])
                if step.message.stop_reason != "tool_use" or not calls:
                    outcome = "done"
                    return
                offset = highest + 1
                for call in calls:
                    result = chat._call_tool(call.name, call.input)
                    step.results.append({"type": "tool_result", "tool_use_id": call.id, **result})
                    event = ToolResultEvent(index=offset, tool_use_id=call.id, name=call.name,
                                            content=result["content"], is_error=result.get("is_error", False))
                    shown.append(event)
                    yield event
                    offset += 1
                messages.append({"role": "user", "content": step.results})
                if self._interrupted:
                    outcome = "stopped"
                    return
            raise ToolLoopLimit(
                f"stopped after {chat.max_steps} requests: the model kept calling tools "
                f"(raise Chat(max_steps=...) if this loop is legitimate)")
        except BaseException:
            if self._interrupted:
                outcome = "stopped"
                if not isinstance(sys.exc_info()[1], GeneratorExit):
                    return
            raise
        finally:
            chat._end(self, messages, outcome)

    @staticmethod
    def _renumbered(stream: Any, offset: int, *, first_step: bool) -> Iterator[Any]:
        """A step's events as part of the turn: block indices shifted, one ``message_start``."""
        for event in stream:
            kind = getattr(event, "type", None)
            if kind == "message_start" and not first_step:
                continue
            if offset and kind in ("content_block_start", "content_block_delta", "content_block_stop"):
                event = event.model_copy(update={"index": event.index + offset})
            yield event


class Chat:
    """A conversation with Claude whose turns stream into StreamViews.

    >>> chat = Chat(client, system="Be brief.", tools=[get_weather])   # doctest: +SKIP
    >>> message = chat("What's the weather in Paris?")                # streams, then returns
    >>> chat.messages                                                 # the history, API-shaped
    >>> chat.reset()

    ``chat(prompt)`` waits for the answer; ``chat.stream(prompt)`` returns the view at once
    (the turn runs in the background; ``view.wait()`` or ``await view`` for the result).
    ``key`` identifies a turn: starting a turn with a key already in the history replaces
    that turn and everything after it.
    """

    def __init__(self, client: anthropic.Anthropic | None = None, *, model: str | None = None,
                 system: str | None = None, tools: Sequence[Callable[..., Any]] = (), max_tokens: int = 1024,
                 thinking: dict[str, Any] | None = None, max_steps: int = DEFAULT_MAX_STEPS, resume: bool = True,
                 **request: Any) -> None:
        if client is None:
            from ._client import client as make_client

            client = make_client()
        self.client = client
        self.model = model or DEFAULT_MODEL
        self.system = system
        self.max_tokens = max_tokens
        self.thinking = thinking
        self.max_steps = max_steps
        self.resume = resume
        self.request = request
        self.tools: dict[str, Any] = {}
        self.add_tools(tools)
        self.messages: list[dict[str, Any]] = []
        """The history, in the Messages API's shape (a failed turn is never in it)."""
        self.turns: list[_Turn] = []
        self._lock = threading.RLock()
        self._last: _TurnEvents | None = None

    # ---- configuration
    def add_tools(self, tools: Sequence[Callable[..., Any]]) -> None:
        for fn in tools:
            tool = _as_tool(fn)
            self.tools[tool.name] = tool

    def reset(self) -> None:
        """Forget the conversation (waits for a turn still streaming to end first)."""
        last = self._last
        if last is not None:
            last.done.wait()
        with self._lock:
            self.messages.clear()
            self.turns.clear()

    # ---- turns
    def _request(self, overrides: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {"model": self.model, "max_tokens": self.max_tokens, **self.request}
        if self.system:
            request["system"] = self.system
        if self.thinking:
            request["thinking"] = self.thinking
        if self.tools:
            request["tools"] = [t.to_dict() for t in self.tools.values()]
        request.update({k: v for k, v in overrides.items() if v is not None})
        return request

    def stream(self, prompt: str, *, key: str | None = None, view: Any = None, display: bool = True,
               resume: bool | None = None, **overrides: Any) -> Any:
        """Start a turn in the background and return its StreamView at once."""
        from ._answer import text_format_of
        from ._view import StreamView

        if not prompt or not prompt.strip():
            raise ValueError("the prompt is empty")
        with self._lock:
            after = self._last.done if self._last is not None and not self._last.done.is_set() else None
            events = _TurnEvents(self, _Turn(key, -1, prompt), self._request(overrides), after,
                                 self.resume if resume is None else resume)
            self._last = events
        view = view if view is not None else StreamView(text_format=text_format_of(events.request))
        events.turn.view = view
        from ._present import start

        return start(view, events, display=display)

    def __call__(self, prompt: str, *, key: str | None = None, display: bool = True,
                 **overrides: Any) -> Message | None:
        """Stream a turn into a view and return its final ``Message`` (the last step's)."""
        return self.stream(prompt, key=key, display=display, **overrides).wait()  # type: ignore[no-any-return]

    # ---- called from the turn's thread
    def _begin(self, turn: _Turn) -> list[dict[str, Any]]:
        later: list[_Turn] = []
        with self._lock:
            if turn.key is not None:
                for i, old in enumerate(self.turns):
                    if old.key == turn.key:  # re-run: this turn and everything after it go
                        later = self.turns[i + 1:]
                        del self.messages[old.start:]
                        del self.turns[i:]
                        break
            turn.start = len(self.messages)
            self.messages.append({"role": "user", "content": turn.prompt})
            self.turns.append(turn)
            messages = [dict(m) for m in self.messages]
        for gone in later:  # still on screen below: say that they left the conversation
            if gone.view is not None and hasattr(gone.view, "supersede"):
                gone.view.supersede()
        return messages

    def _end(self, events: _TurnEvents, messages: list[dict[str, Any]], outcome: str) -> None:
        """Record the turn in the history: whole when done, its text when stopped, not at all on error."""
        turn = events.turn
        with self._lock:
            if turn not in self.turns:
                return
            del self.messages[turn.start:]
            if outcome == "done":
                self.messages.extend(messages[turn.start:])
                return
            if outcome == "stopped":
                parts = [b["text"] for m in messages[turn.start + 1:] if m["role"] == "assistant"
                         for b in m["content"] if b.get("type") == "text"]
                if events.cut is not None:
                    parts += [b.text for b in events.cut.content if b.type == "text"]
                text = "\n\n".join(p for p in parts if p).rstrip()
                if text:  # what the reader saw, as one plain answer: tool calls without results can't stay
                    self.messages += [messages[turn.start],
                                      {"role": "assistant", "content": [{"type": "text", "text": text}]}]
                    return
            self.turns.remove(turn)  # an error (or a stop before any text): the question never happened

    def _call_tool(self, name: str, arguments: Any) -> dict[str, Any]:
        tool = self.tools.get(name)
        if tool is None:
            return {"content": f"Error: there is no tool named {name!r}", "is_error": True}
        try:
            result = tool.call(arguments)
        except Exception as exc:  # noqa: BLE001 - the model gets to see what went wrong
            return {"content": f"{type(exc).__name__}: {exc}", "is_error": True}
        if not isinstance(result, str):
            import json

            with contextlib.suppress(TypeError):
                result = json.dumps(result, ensure_ascii=False, default=str)
        return {"content": str(result)}

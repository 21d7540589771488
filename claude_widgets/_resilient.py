"""``resilient_stream(client, ...)``: a Messages API stream that survives failures, showing nothing twice.

The SDK retries a request only until its response starts; a stream that fails halfway
(529 overloaded in an SSE ``error`` event, a dropped connection, a stall) raises, and the
partial answer is the caller's problem. This module owns the whole policy instead:

- **Retry** what fails before the answer starts: exponential backoff with full jitter,
  ``retry-after-ms`` / ``retry-after`` and ``x-should-retry`` honoured as the SDK does
  (see :mod:`claude_widgets._backoff`); 400/401/403/404/413 raise at once.
- **Resume** what fails after partial text, on models that take a prefill: the next
  attempt prefills the assistant turn with the text received so far (trailing whitespace
  stripped: the API rejects it; the continuation repeats it and it is swallowed), and its events are merged into the same
  message: the continued text block keeps its index, later blocks are renumbered,
  ``message_start`` is sent once, ``message_delta``/``message_stop`` only at the real end
  (how: :mod:`claude_widgets._merge`).
- **Resume** on models that reject a prefill (Claude 4.6 and later; the catalogue says which)
  the way Anthropic's streaming guide documents: the partial answer as an assistant turn,
  then a user message asking to continue from where it left off; the continuation's seam
  (repeated words, a restarted sentence...) is reconciled by :mod:`claude_widgets._reconcile`.
- **Restart** where continuing is impossible, and say so with a
  :class:`~claude_widgets.ResetEvent`, after which the consumer rebuilds from scratch:

  ==========================================  ===========================================
  interrupted...                              next attempt
  ==========================================  ===========================================
  in text (thinking on or off)                resume (prefill or continuation); no reset
  in a tool_use after complete text           reset, text replayed, resume after the text
  in thinking, or after thinking before text  reset, full restart
  the continuation starts over, other words   reset, full restart
  ==========================================  ===========================================

  The reset is sent when the next attempt's ``message_start`` arrives, so a display keeps
  the partial answer during the wait (and after a final failure).

Every retry emits a :class:`~claude_widgets.RetryEvent` before its wait and a log line on
``claude_widgets.resilient`` (reasons and request ids only: never keys or headers).
``close()`` may be called from another thread (a Stop button): it cuts the HTTP stream at
once, the iteration ends quietly and the partial answer stays readable.

Usage in the merged message: ``input_tokens`` (and the cache counts) are the first
attempt's, i.e. the prompt's, as one uninterrupted call would report them (a resumed
attempt's own input also counts its prefill); ``output_tokens`` is the sum over the parts
the message is made of: the last attempt's reported count plus, for each interrupted
attempt, one token per content delta it contributed (the API never reports usage for an
interrupted response; deltas hold at least a token, so this is a lower bound). Parts
thrown away by a reset are not counted; :attr:`ResilientStream.attempts` has them all.

Errors::

    anthropic.AnthropicError
     └── ResilientStreamError        .partial_text .partial_message .attempts
          ├── RetriesExhausted       the attempt limit was reached (__cause__: the last failure)
          ├── DeadlineExceeded       the total deadline passed (or the next wait would pass it)
          ├── StreamClosed           get_final_message() on a stream closed before its end
          └── TextStreamDiverged     text_stream after a restart that changed text it had yielded
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random as _random
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

import anthropic
import httpx2
from anthropic.types import Message
from typing_extensions import Self

from ._answer import text_format_of
from ._backoff import StreamEndedEarly, classify, full_jitter
from ._catalogue import accepts_prefill
from ._events import RetryEvent
from ._http import interrupt_response as _interrupt
from ._merge import _Merger, _Plan
from ._reconcile import Unreconcilable, continuation_prompt

__all__ = [
    "AsyncResilientStream",
    "Attempt",
    "DeadlineExceeded",
    "ResilientStream",
    "ResilientStreamError",
    "RetriesExhausted",
    "StreamClosed",
    "TextStreamDiverged",
    "resilient_stream",
    "resilient_stream_async",
]

log = logging.getLogger("claude_widgets.resilient")

DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_DEADLINE = 600.0
"""Seconds for the whole call, waits included (the SDK's default request timeout)."""
DEFAULT_STALL_TIMEOUT = 60.0
DEFAULT_BASE_DELAY = 0.5  # the SDK's INITIAL_RETRY_DELAY
DEFAULT_MAX_DELAY = 8.0  # the SDK's MAX_RETRY_DELAY


# --------------------------------------------------------------------------- errors and records

class ResilientStreamError(anthropic.AnthropicError):
    """A resilient stream gave up; what the consumer saw is still here."""

    def __init__(self, message: str, *, partial_text: str = "", partial_message: Message | None = None,
                 attempts: Sequence[Attempt] = ()) -> None:
        super().__init__(message)
        self.partial_text = partial_text
        self.partial_message = partial_message
        self.attempts = list(attempts)


class RetriesExhausted(ResilientStreamError):
    """Every attempt failed; ``__cause__`` is the last failure."""


class DeadlineExceeded(ResilientStreamError):
    """The total deadline passed, or the next attempt could only start after it."""


class StreamClosed(ResilientStreamError):
    """The answer is incomplete because the stream was closed (``close()``, Stop, Ctrl-C)."""


class TextStreamDiverged(ResilientStreamError):
    """``text_stream`` already yielded text that a restarted answer does not repeat.

    Only a full restart (thinking enabled, or prefill rejected) can cause it, and only
    when the model answers differently the second time. Iterate over events instead,
    they carry the :class:`ResetEvent` that says to discard the old text.
    """


@dataclass
class Attempt:
    """One HTTP request of a resilient stream."""

    number: int
    prefill_chars: int = 0
    """Length of the partial text this attempt continued (0: from the start), whatever the strategy."""
    strategy: str = "fresh"
    """How this attempt relates to the answer: ``fresh`` (from the start, nothing shown yet),
    ``prefill`` (the partial text as the start of the assistant turn), ``continuation`` (the
    partial text as an assistant turn, then a user message asking to continue), or
    ``restart`` (from the start after a :class:`ResetEvent`)."""
    reconciled: str | None = None
    """For a continuation: how its first words were joined to the shown text."""
    outcome: str = "running"
    """``completed``, ``failed`` or ``closed``."""
    reason: str | None = None
    delay: float | None = None
    """The wait requested after this attempt failed."""
    request_id: str | None = None
    content_deltas: int = 0


class _DeadlinePassed(Exception):
    pass


# --------------------------------------------------------------------------- the policy and requests

def _accepts_prefill(model: Any) -> bool:
    """Whether the model takes an assistant prefill (the catalogue: Claude 4.5 and earlier)."""
    return isinstance(model, str) and accepts_prefill(model)


def _thinking_on(kwargs: Mapping[str, Any]) -> bool:
    thinking = kwargs.get("thinking")
    return isinstance(thinking, Mapping) and thinking.get("type") not in (None, "disabled")


def _trailing_assistant_text(messages: Sequence[Any]) -> str | None:
    """The caller's own prefill, if the messages end with an assistant turn of text only."""
    if not messages or not isinstance(messages[-1], Mapping) or messages[-1].get("role") != "assistant":
        return None
    content = messages[-1].get("content")
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        b = block if isinstance(block, Mapping) else {"type": getattr(block, "type", None),
                                                       "text": getattr(block, "text", "")}
        if b.get("type") != "text":
            return None
        parts.append(b.get("text") or "")
    return "".join(parts)


def _timeout(base: Any, read: float | None) -> httpx2.Timeout:
    if isinstance(base, httpx2.Timeout):
        return httpx2.Timeout(connect=base.connect, read=read if read is not None else base.read,
                              write=base.write, pool=base.pool)
    if isinstance(base, (int, float)):
        return httpx2.Timeout(float(base), read=read if read is not None else float(base))
    return httpx2.Timeout(None, read=read)


class _Core:
    """What the sync and async streams share: requests, failure handling, the merger."""

    def __init__(self, client: Any, kwargs: dict[str, Any], *, max_attempts: int, deadline: float | None,
                 stall_timeout: float | None, base_delay: float, max_delay: float,
                 monotonic: Callable[[], float] | None, random: Callable[[], float] | None,
                 attempt_headers: Callable[[int], Mapping[str, str]] | None) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        kwargs = dict(kwargs)
        kwargs.pop("stream", None)
        self.client = client
        self.base_timeout = kwargs.pop("timeout", client.timeout)
        self.extra_headers: dict[str, str] = dict(kwargs.pop("extra_headers", None) or {})
        self.kwargs = kwargs
        self.max_attempts = max_attempts
        self.deadline = deadline
        self.stall_timeout = stall_timeout
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.monotonic = monotonic or time.monotonic
        self.random = random or _random.random
        self.attempt_headers = attempt_headers
        messages = list(kwargs.get("messages") or [])
        if "messages" in kwargs:
            kwargs["messages"] = messages  # an iterator would be spent after the first attempt
        own = _trailing_assistant_text(messages)
        self.base_prefill = own or ""
        self.history = messages[:-1] if own is not None else messages
        ends_odd = bool(messages and isinstance(messages[-1], Mapping) and messages[-1].get("role") == "assistant"
                        and own is None)  # an assistant turn that is not text: nothing can follow it
        # A structured output cannot be continued: constrained decoding makes every answer
        # one whole document valid for the schema, so a continuation would start a second
        # document after the partial first (invalid JSON), and a prefilled partial document
        # is not a start the schema's grammar is resumed from. It is asked for again whole.
        structured = text_format_of(kwargs) == "json"
        self.strategy = ("restart" if ends_odd or structured else
                         "prefill" if _accepts_prefill(kwargs.get("model")) and not _thinking_on(kwargs)
                         else "continuation")
        self.count_baseline: Any = None
        """``count_tokens`` of the one-character message the kept part is measured against (once)."""
        fmt = kwargs.get("output_format")
        self.merger = _Merger(fmt if fmt is not None else anthropic.NOT_GIVEN)
        self.plan = _Plan()
        self.attempts: list[Attempt] = []
        self.t0: float | None = None
        self.ends_at: float | None = None

    # ---- one attempt
    def open(self) -> Any:
        """The SDK's stream manager for the next attempt (not entered)."""
        now = self.monotonic()
        if self.t0 is None:
            self.t0 = now
            self.ends_at = None if self.deadline is None else now + self.deadline
        read = self.stall_timeout
        if self.ends_at is not None:
            remaining = self.ends_at - now
            if remaining <= 0:
                raise _DeadlinePassed
            read = remaining if read is None else min(read, remaining)
        kwargs = dict(self.kwargs)
        plan = self.plan
        if plan.strategy == "prefill" and plan.prefill is not None:
            kwargs["messages"] = [*self.history, {"role": "assistant", "content": plan.prefill}]
        elif plan.strategy == "continuation":
            kwargs["messages"] = [*self.history, {"role": "assistant", "content": plan.shown.rstrip()},
                                  {"role": "user", "content": continuation_prompt(plan.shown)}]
        if plan.strategy != "fresh" and isinstance(kwargs.get("max_tokens"), int):
            kwargs["max_tokens"] = max(1, kwargs["max_tokens"] - self.merger.kept_output_tokens())
        n = len(self.attempts) + 1
        headers = dict(self.extra_headers)
        if self.attempt_headers is not None:
            headers.update(self.attempt_headers(n))
        if headers:
            kwargs["extra_headers"] = headers
        strategy = "restart" if plan.reset and not plan.kept else plan.strategy
        self.attempts.append(Attempt(n, prefill_chars=len(plan.shown) if plan.kept else 0, strategy=strategy))
        client = self.client.with_options(max_retries=0, timeout=_timeout(self.base_timeout, read))
        return client.messages.stream(**kwargs)

    def count_requests(self) -> list[dict[str, Any]]:
        """The ``count_tokens`` calls that measure the kept part, if the next attempt continues one.

        A resumed attempt may only produce what the budget has left: ``max_tokens`` minus
        what the kept part cost. The API reports no usage for an interrupted response, so it
        is measured with the token-counting endpoint (free, exact for this server, the
        API's own tokenizer online): ``count([user: kept]) - count([user: "."]) + 1``, the
        second count made once per stream.
        """
        plan = self.plan
        if plan.strategy == "fresh" or not plan.kept or self.merger.kept_tokens is not None:
            return []
        model = self.kwargs.get("model")
        if not isinstance(self.kwargs.get("max_tokens"), int):
            return []
        kept = (plan.thinking + plan.shown[len(self.base_prefill):]).rstrip()
        calls = [{"model": model, "messages": [{"role": "user", "content": kept or "."}]}]
        if self.count_baseline is None:
            calls.append({"model": model, "messages": [{"role": "user", "content": "."}]})
        return calls

    def counted(self, results: Sequence[Any]) -> None:
        """The answers to :meth:`count_requests` (without them, one token a delta: a lower bound)."""
        try:
            if len(results) > 1:
                self.count_baseline = results[1]
            self.merger.kept_tokens = max(0, int(results[0].input_tokens) - int(self.count_baseline.input_tokens) + 1)
        except Exception:  # noqa: BLE001 - a lower bound is used instead
            self.merger.kept_tokens = None

    def counting_client(self) -> Any:
        return self.client.with_options(max_retries=1)

    def opened(self, ms: Any) -> None:
        with contextlib.suppress(Exception):
            self.attempts[-1].request_id = ms.request_id

    def check_deadline(self) -> None:
        if self.ends_at is not None and self.monotonic() > self.ends_at:
            raise _DeadlinePassed

    def done(self, outcome: str = "completed") -> None:
        if self.attempts:
            att = self.attempts[-1]
            att.outcome = outcome
            att.content_deltas = sum(self.merger.counts.values())
            att.reconciled = self.merger.reconciled

    # ---- failures
    def on_failure(self, exc: Exception) -> RetryEvent | None:
        """The event to emit before the next attempt, None if the answer is complete after all, or raise."""
        m = self.merger
        att = self.attempts[-1] if self.attempts else Attempt(0)
        att.content_deltas = sum(m.counts.values())
        att.reconciled = m.reconciled
        if isinstance(exc, _DeadlinePassed):
            if att.outcome == "running":
                att.outcome, att.reason = "failed", "deadline"
            raise self.error(DeadlineExceeded, f"the {self.deadline:g} s deadline passed "
                                               f"after {len(self.attempts)} attempt(s)") from None
        if m.delta_seen and not m.complete:
            self.done()
            return None
        f = classify(exc, stall_timeout=self.stall_timeout)
        att.outcome, att.reason = "failed", f.reason
        if att.request_id is None:
            att.request_id = getattr(exc, "request_id", None)
        unreconciled = isinstance(exc, Unreconcilable)
        rejected = (not unreconciled and not f.retryable and f.status == 400
                    and f.error_type == "invalid_request_error" and self.plan.strategy == "prefill")
        if not (f.retryable or rejected or unreconciled):
            log.info("attempt %d failed, not retryable: %s (request %s)", att.number, f.reason, att.request_id)
            raise exc
        n = len(self.attempts)
        if n >= self.max_attempts:
            raise self.error(RetriesExhausted, f"gave up after {n} attempt(s): {f.reason}") from exc
        strategy = self.strategy
        if unreconciled:
            reason, delay, strategy = f"continuation not reconciled: {exc}", 0.0, "restart"
            att.reason = reason
        elif rejected:
            self.strategy = strategy = "continuation"  # the model refuses prefill: ask it to continue instead
            reason, delay = f"prefill rejected: {f.message or f.reason}", 0.0
        else:
            reason = f.reason
            if f.retry_after is not None and f.retry_after > 0:
                delay = min(f.retry_after, 4_294_967.0)
            else:
                delay = full_jitter(n - 1, base=self.base_delay, cap=self.max_delay, random=self.random)
        if self.ends_at is not None and self.monotonic() + delay >= self.ends_at:
            raise self.error(DeadlineExceeded, f"{reason}; a retry in {delay:g} s would start after the "
                                               f"{self.deadline:g} s deadline") from exc
        self.plan = m.prepare(strategy=strategy, base_prefill=self.base_prefill, reason=reason)
        att.delay = delay
        how = (f"resuming after {len(m.text)} characters ({self.plan.strategy})" if self.plan.kept and not self.plan.reset
               else "restarting" + (f", keeping {self.plan.kept} block(s)" if self.plan.kept else "")
               if self.plan.reset else "retrying")
        log.info("attempt %d/%d failed (%s, request %s); %s in %.2f s",
                 n, self.max_attempts, reason, att.request_id, how, delay)
        plan = self.plan
        how = plan.strategy if plan.kept and plan.strategy != "fresh" else "restart" if plan.reset else "retry"
        return RetryEvent(attempt=n + 1, max_attempts=self.max_attempts, delay=delay, reason=reason,
                          resume=plan.kept > 0, strategy=how)

    def error(self, cls: type[ResilientStreamError], message: str) -> ResilientStreamError:
        log.warning("giving up: %s", message)
        return cls(message, partial_text=self.merger.text, partial_message=self.merger.message(),
                   attempts=self.attempts)


# --------------------------------------------------------------------------- the streams

class _StreamBase:
    _core: _Core
    _ms: Any
    _error: BaseException | None

    @property
    def attempts(self) -> list[Attempt]:
        """Every HTTP request made so far, failed ones included."""
        return self._core.attempts

    @property
    def partial_text(self) -> str:
        """The text the consumer has been shown so far (all of it, once complete)."""
        return self._core.merger.text

    @property
    def current_message_snapshot(self) -> Message:
        """The message as the consumer's events accumulate to (like ``MessageStream``'s)."""
        snap = self._core.merger.snap
        if snap is None:
            raise RuntimeError("no message yet: the stream has not started")
        return snap  # type: ignore[no-any-return]

    @property
    def response(self) -> httpx2.Response | None:
        """The HTTP response of the attempt being read, if any."""
        ms = self._ms
        return None if ms is None else ms.response

    @property
    def request_id(self) -> str | None:
        return self.attempts[-1].request_id if self.attempts else None

    def _final(self) -> Message:
        m = self._core.merger
        if m.complete:
            return m.snap  # type: ignore[no-any-return]
        if self._error is not None:
            raise self._error
        raise StreamClosed("the stream was closed before the answer was complete", partial_text=m.text,
                           partial_message=m.message(), attempts=self.attempts)

    @staticmethod
    def _final_text(message: Message) -> str:
        texts = [b.text for b in message.content if b.type == "text"]
        if not texts:
            raise RuntimeError(".get_final_text() can only be called when the API returns a `text` content block; "
                               f"it returned {','.join(b.type for b in message.content)}")
        return "".join(texts)

    def _diverged(self, dedupe: _TextDedupe) -> TextStreamDiverged:
        """``partial_text`` is what ``text_stream`` yielded; ``partial_message`` the restarted answer so far."""
        return TextStreamDiverged("the restarted answer differs from the text text_stream already yielded",
                                  partial_text="".join(dedupe.chunks), partial_message=self._core.merger.message(),
                                  attempts=self.attempts)


class _TextDedupe:
    """``text_stream``'s memory: after a reset, text it already yielded is not yielded again."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.replay: str | None = None
        self.pos = 0

    def reset(self) -> None:
        self.replay = "".join(self.chunks) or None
        self.pos = 0

    def feed(self, s: str) -> str | None:
        """The part of ``s`` to yield; None when it contradicts what was yielded."""
        if self.replay is not None:
            seen = self.replay[self.pos:self.pos + len(s)]
            if not s.startswith(seen):
                return None
            self.pos += len(seen)
            s = s[len(seen):]
            if self.pos >= len(self.replay):
                self.replay = None
        if s:
            self.chunks.append(s)
        return s


class ResilientStream(_StreamBase):
    """Shaped like the SDK's ``MessageStream``; made by :func:`resilient_stream`.

    The first request is made on first iteration (not on ``with``), so retries and their
    ``RetryEvent`` s reach whoever iterates.
    """

    text_stream: Iterator[str]

    def __init__(self, core: _Core, *, sleep: Callable[[float], Any] | None = None) -> None:
        self._core = core
        self._sleep_fn = sleep
        self._wake = threading.Event()
        self._closed = False
        self._ms: Any = None
        self._owner: int | None = None
        self._error: BaseException | None = None
        self._iterator = self._run()
        self.text_stream = self._text()

    def __iter__(self) -> Iterator[Any]:
        return self._iterator

    def __next__(self) -> Any:
        return next(self._iterator)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop at once and release the connection; safe from any thread. The partial answer stays."""
        self._closed = True
        self._wake.set()
        if self._owner is not None and self._owner != threading.get_ident():
            # Iterated in another thread: never touch its generators, wake its read instead.
            ms = self._ms
            if ms is not None:
                _interrupt(ms.response)
            return
        gens: tuple[Any, ...] = (self.text_stream, self._iterator)
        for gen in gens:
            try:
                gen.close()
            except ValueError:  # running (closed from within the loop's thread, deeper in the stack)
                ms = self._ms
                if ms is not None:
                    _interrupt(ms.response)

    def until_done(self) -> None:
        for _ in self._iterator:
            pass

    def get_final_message(self) -> Message:
        """Wait until the answer is complete and return the merged ``Message``."""
        self.until_done()
        return self._final()

    def get_final_text(self) -> str:
        return self._final_text(self.get_final_message())

    def _sleep(self, delay: float) -> None:
        if self._sleep_fn is not None:
            self._sleep_fn(delay)
        elif delay > 0:
            self._wake.wait(delay)

    def _run(self) -> Iterator[Any]:
        core, m = self._core, self._core.merger
        self._owner = threading.get_ident()
        try:
            while not self._closed:
                calls = core.count_requests()
                if calls:
                    with contextlib.suppress(Exception):  # without it, a lower bound is used
                        c = core.counting_client()
                        core.counted([c.messages.count_tokens(**call) for call in calls])
                try:
                    with core.open() as ms:
                        self._ms = ms
                        core.opened(ms)
                        for ev in ms:
                            if self._closed:
                                break
                            core.check_deadline()
                            if ev.type == "message_start":
                                yield from m.start(ev, ms)
                            elif m.fast:
                                m.track(ev)
                                yield ev
                            else:
                                yield from m.feed(ev)
                    if self._closed:
                        break
                    if m.complete:
                        core.done()
                        return
                    raise StreamEndedEarly("the response ended before message_stop")
                except Exception as exc:  # noqa: BLE001 - classified by on_failure
                    if self._closed:
                        break
                    if m.complete:  # failed after message_stop: nothing is missing
                        core.done()
                        return
                    failure = exc
                finally:
                    self._ms = None
                retry = core.on_failure(failure)
                if retry is None:
                    yield from m.finish()
                    return
                yield retry
                self._sleep(retry.delay)
            core.done("closed")
        except GeneratorExit:
            core.done("closed")
            raise
        except BaseException as exc:
            if isinstance(exc, Exception):
                self._error = exc
            core.done("closed" if isinstance(exc, KeyboardInterrupt) else "failed")
            raise

    def _text(self) -> Iterator[str]:
        dedupe = _TextDedupe()
        for ev in self._iterator:
            t = ev.type
            if t == "content_block_delta":
                if ev.delta.type == "text_delta":
                    s = dedupe.feed(ev.delta.text)
                    if s is None:
                        raise self._diverged(dedupe)
                    if s:
                        yield s
            elif t == "reset":
                dedupe.reset()


class AsyncResilientStream(_StreamBase):
    """The ``AsyncMessageStream``-shaped twin of :class:`ResilientStream`."""

    text_stream: AsyncIterator[str]

    def __init__(self, core: _Core, *, sleep: Callable[[float], Any] | None = None) -> None:
        self._core = core
        self._sleep_fn = sleep
        self._wake: asyncio.Event | None = None
        self._closed = False
        self._ms: Any = None
        self._error: BaseException | None = None
        self._iterator = self._run()
        self.text_stream = self._text()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterator

    async def __anext__(self) -> Any:
        return await self._iterator.__anext__()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop at once and release the connection (from any task). The partial answer stays."""
        self._closed = True
        if self._wake is not None:
            self._wake.set()
        gens: tuple[Any, ...] = (self.text_stream, self._iterator)
        for gen in gens:
            try:
                await gen.aclose()
            except RuntimeError:  # being iterated by another task: wake its read
                ms = self._ms
                if ms is not None:
                    _interrupt(ms.response)

    async def until_done(self) -> None:
        async for _ in self._iterator:
            pass

    async def get_final_message(self) -> Message:
        await self.until_done()
        return self._final()

    async def get_final_text(self) -> str:
        return self._final_text(await self.get_final_message())

    async def _sleep(self, delay: float) -> None:
        if self._sleep_fn is not None:
            res = self._sleep_fn(delay)
            if inspect.isawaitable(res):
                await res
            return
        if delay > 0:
            if self._wake is None:
                self._wake = asyncio.Event()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _run(self) -> AsyncIterator[Any]:
        core, m = self._core, self._core.merger
        try:
            while not self._closed:
                calls = core.count_requests()
                if calls:
                    with contextlib.suppress(Exception):  # without it, a lower bound is used
                        c = core.counting_client()
                        core.counted([await c.messages.count_tokens(**call) for call in calls])
                try:
                    async with core.open() as ms:
                        self._ms = ms
                        core.opened(ms)
                        async for ev in ms:
                            if self._closed:
                                break
                            core.check_deadline()
                            if ev.type == "message_start":
                                for out in m.start(ev, ms):
                                    yield out
                            elif m.fast:
                                m.track(ev)
                                yield ev
                            else:
                                for out in m.feed(ev):
                                    yield out
                    if self._closed:
                        break
                    if m.complete:
                        core.done()
                        return
                    raise StreamEndedEarly("the response ended before message_stop")
                except Exception as exc:  # noqa: BLE001 - classified by on_failure
                    if self._closed:
                        break
                    if m.complete:  # failed after message_stop: nothing is missing
                        core.done()
                        return
                    failure = exc
                finally:
                    self._ms = None
                retry = core.on_failure(failure)
                if retry is None:
                    for out in m.finish():
                        yield out
                    return
                yield retry
                await self._sleep(retry.delay)
            core.done("closed")
        except GeneratorExit:
            core.done("closed")
            raise
        except BaseException as exc:
            if isinstance(exc, Exception):
                self._error = exc
            core.done("closed" if isinstance(exc, (KeyboardInterrupt, asyncio.CancelledError)) else "failed")
            raise

    async def _text(self) -> AsyncIterator[str]:
        dedupe = _TextDedupe()
        async for ev in self._iterator:
            t = ev.type
            if t == "content_block_delta":
                if ev.delta.type == "text_delta":
                    s = dedupe.feed(ev.delta.text)
                    if s is None:
                        raise self._diverged(dedupe)
                    if s:
                        yield s
            elif t == "reset":
                dedupe.reset()


# --------------------------------------------------------------------------- entry points

def _core(client: Any, options: dict[str, Any], messages_kwargs: dict[str, Any]) -> tuple[_Core, Any]:
    sleep = options.pop("sleep")
    return _Core(client, messages_kwargs, **options), sleep


@overload
def resilient_stream(client: anthropic.AsyncAnthropic, *, max_attempts: int = ..., deadline: float | None = ...,
                     stall_timeout: float | None = ..., base_delay: float = ..., max_delay: float = ...,
                     sleep: Callable[[float], Any] | None = ..., monotonic: Callable[[], float] | None = ...,
                     random: Callable[[], float] | None = ...,
                     attempt_headers: Callable[[int], Mapping[str, str]] | None = ...,
                     **messages_kwargs: Any) -> AsyncResilientStream: ...
@overload
def resilient_stream(client: anthropic.Anthropic, *, max_attempts: int = ..., deadline: float | None = ...,
                     stall_timeout: float | None = ..., base_delay: float = ..., max_delay: float = ...,
                     sleep: Callable[[float], Any] | None = ..., monotonic: Callable[[], float] | None = ...,
                     random: Callable[[], float] | None = ...,
                     attempt_headers: Callable[[int], Mapping[str, str]] | None = ...,
                     **messages_kwargs: Any) -> ResilientStream: ...
def resilient_stream(
    client: anthropic.Anthropic | anthropic.AsyncAnthropic,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    deadline: float | None = DEFAULT_DEADLINE,
    stall_timeout: float | None = DEFAULT_STALL_TIMEOUT,
    base_delay: float = DEFAULT_BASE_DELAY,
    max_delay: float = DEFAULT_MAX_DELAY,
    sleep: Callable[[float], Any] | None = None,
    monotonic: Callable[[], float] | None = None,
    random: Callable[[], float] | None = None,
    attempt_headers: Callable[[int], Mapping[str, str]] | None = None,
    **messages_kwargs: Any,
) -> ResilientStream | AsyncResilientStream:
    """Stream ``client.messages.stream(**messages_kwargs)``, retrying and resuming on failure.

    Use it like the SDK's stream (``with ... as stream:``, ``stream.text_stream``,
    ``for event in stream``, ``stream.get_final_message()``); the events also include
    :class:`RetryEvent` and :class:`ResetEvent`. An ``AsyncAnthropic`` client gives an
    :class:`AsyncResilientStream` (``async with``), like :func:`resilient_stream_async`.

    ``max_attempts``: HTTP requests in all (retries and resumes included).
    ``deadline``: seconds for everything, waits included; past it :class:`DeadlineExceeded`
    (``None``: no limit). ``stall_timeout``: seconds without a byte before the connection
    counts as dropped (the per-read timeout). ``base_delay``/``max_delay``: the backoff,
    ``uniform(0, min(max_delay, base_delay * 2**n))`` before retry ``n`` (from 0), unless the
    server sent ``retry-after(-ms)``. ``sleep``/``monotonic``/``random``: a clock and dice
    for tests (``sleep`` may be async for the async stream). ``attempt_headers(n)``: extra
    headers for attempt ``n`` (from 1), merged over ``extra_headers``.
    """
    options = {"max_attempts": max_attempts, "deadline": deadline, "stall_timeout": stall_timeout,
               "base_delay": base_delay, "max_delay": max_delay, "sleep": sleep, "monotonic": monotonic,
               "random": random, "attempt_headers": attempt_headers}
    core, sleep_fn = _core(client, options, messages_kwargs)
    if isinstance(client, anthropic.AsyncAnthropic):
        return AsyncResilientStream(core, sleep=sleep_fn)
    return ResilientStream(core, sleep=sleep_fn)


def resilient_stream_async(
    client: anthropic.AsyncAnthropic,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    deadline: float | None = DEFAULT_DEADLINE,
    stall_timeout: float | None = DEFAULT_STALL_TIMEOUT,
    base_delay: float = DEFAULT_BASE_DELAY,
    max_delay: float = DEFAULT_MAX_DELAY,
    sleep: Callable[[float], Awaitable[Any] | Any] | None = None,
    monotonic: Callable[[], float] | None = None,
    random: Callable[[], float] | None = None,
    attempt_headers: Callable[[int], Mapping[str, str]] | None = None,
    **messages_kwargs: Any,
) -> AsyncResilientStream:
    """:func:`resilient_stream` for ``AsyncAnthropic``: ``async with resilient_stream_async(...) as s``."""
    options = {"max_attempts": max_attempts, "deadline": deadline, "stall_timeout": stall_timeout,
               "base_delay": base_delay, "max_delay": max_delay, "sleep": sleep, "monotonic": monotonic,
               "random": random, "attempt_headers": attempt_headers}
    core, sleep_fn = _core(client, options, messages_kwargs)
    return AsyncResilientStream(core, sleep=sleep_fn)

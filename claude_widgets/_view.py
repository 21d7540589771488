"""StreamView: a Claude answer streamed into a notebook output, in place.

How it stays cheap and stoppable (the wire format is ``docs/widget-protocol.md``):

- The stream is consumed *off* the cell: a daemon thread for sync sources, an asyncio
  task on the kernel's loop for async ones. The cell returns at once, the kernel keeps
  handling comm messages, and so the Stop button reaches the stream.
- A delta costs a list append (``_answer``: held, then put in its block by the flusher).
  A flusher thread (one per running stream) sends the buffered ops at most ~30 times a
  second, and no later than ~50 ms after an op was queued. Consecutive appends to one
  block travel as one op.
- The whole state is synced once, zlib-compressed, at the end (and when the browser
  asks), then the final ``status``; then every display of the view is updated to a
  static, sanitised HTML record of the answer (``_static``), which is what a saved
  notebook shows everywhere, with or without widget state.

``_Answer`` (``_answer``) holds the kernel-side state and knows nothing about widgets;
``_Pacer`` decides when to flush; ``StreamView`` ties them to threads, the comm and the
display, and chooses how to present itself to whoever runs the cell (``_present``).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
import time
import uuid
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, TextIO

import anywidget
import traitlets
from ipywidgets import widget_serialization

from ._answer import FLUSH_INTERVAL, MAX_DELAY, _Answer, _Pacer
from ._code import LOADER_ESM, ViewCode, release_code, view_code
from ._errors import IncompleteStreamError, describe_error
from ._http import interrupt_response
from ._layout import LeanLayout
from ._terminal import TerminalEcho

if TYPE_CHECKING:
    from anthropic.types import Message

__all__ = ["FLUSH_INTERVAL", "MAX_DELAY", "IncompleteStreamError", "StreamView", "_Answer", "_Pacer",
           "describe_error"]  # the model's names, importable from here as before the split

_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

_FINAL_STATES = frozenset({"done", "stopped", "error"})


# --------------------------------------------------------------------------- the widget


class StreamView(anywidget.AnyWidget):
    """A Claude answer shown while it streams; Stop cancels the HTTP stream.

    >>> view = StreamView()
    >>> view.consume(client.messages.create(stream=True, ...))   # doctest: +SKIP
    >>> message = view.wait()                                     # doctest: +SKIP
    """

    _esm = LOADER_ESM  # a few lines that load the kernel's one copy of the view's code (``_code``)

    snapshot = traitlets.Bytes(b"").tag(sync=True)
    status = traitlets.Dict().tag(sync=True)
    _code = traitlets.Instance(ViewCode, allow_none=True).tag(sync=True, **widget_serialization)

    def __init__(self, *, text_format: str = "markdown", **kwargs: Any) -> None:
        """``text_format="json"``: the answer's text is a structured output (the request's
        ``output_config.format`` or the SDK's ``output_format``; ``stream()`` and ``Chat`` tell
        it from the request): shown as JSON code, not read as Markdown."""
        if text_format not in ("markdown", "json"):
            raise ValueError(f"text_format must be 'markdown' or 'json', not {text_format!r}")
        kwargs.setdefault("status", _status("idle"))
        kwargs.setdefault("_code", view_code())
        self._owns_layout = "layout" not in kwargs  # closed with the view when it retires
        kwargs.setdefault("layout", LeanLayout())
        super().__init__(**kwargs)
        self._answer = _Answer()
        self._answer.text_format = text_format
        self._send_lock = threading.RLock()
        self._wake = threading.Event()
        self._halt = threading.Event()
        self._done = threading.Event()
        self._state = "idle"
        self._error: BaseException | None = None
        self._error_text: str | None = None
        self._message: Message | None = None
        self._started = 0.0
        self._elapsed = 0.0
        self._stop_requested = False
        self._source: Any = None  # what to close on Stop
        self._thread: threading.Thread | None = None
        self._flusher: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._display_ids: list[str] = []
        self._display_lock = threading.Lock()
        self._shown_in: set[str] = set()
        self._echo: TerminalEcho | None = None
        self._superseded = False
        self._retired = False
        self._code_released = False
        self.on_msg(self._on_custom_msg)

    # ---- public state
    @property
    def state(self) -> str:
        """idle, connecting, streaming, retrying, done, stopped or error."""
        return self._state

    @property
    def text(self) -> str:
        """All text blocks so far, joined (thinking and tool input left out)."""
        return self._answer.text()

    @property
    def message(self) -> Message | None:
        """The final SDK ``Message``; after Stop, the partial one (``stop_reason`` None)."""
        return self._message

    @property
    def error(self) -> BaseException | None:
        return self._error

    @property
    def text_format(self) -> str:
        """``markdown``, or ``json`` for a structured output (see ``__init__``)."""
        return self._answer.text_format

    @property
    def superseded(self) -> bool:
        """True once the answer left its conversation (an earlier ``Chat`` turn was re-run)."""
        return self._superseded

    def echo_to(self, out: TextIO) -> None:
        """Write the answer to ``out`` as plain text while it streams (a terminal has no widgets).

        Call before ``consume``: the text is written from the batches flushed from then on.
        """
        self._echo = TerminalEcho(out)

    # ---- starting
    def consume(self, source: Any) -> StreamView:
        """Show ``source`` while it streams; returns at once (see the module docstring).

        ``source``: a ``MessageStream``/``AsyncMessageStream``, their ``…Manager`` (entered
        here), the ``Stream``/``AsyncStream`` of ``messages.create(stream=True)``, an
        awaitable of one, a zero-argument function that opens one (called in the
        background), or any iterable of such events with ``RetryEvent``/``ResetEvent``.
        """
        if self._state != "idle":
            raise RuntimeError(f"this StreamView already consumed a stream (state {self._state!r})")
        self._started = time.monotonic()
        self._state = "connecting"
        self.status = _status("connecting")
        self._answer.on_dirty = self._wake.set
        self._flusher = threading.Thread(target=self._flush_loop, name="StreamView-flush", daemon=True)
        self._flusher.start()
        if _is_async(source):
            try:
                self._loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop here (a script): run one in a thread
                self._thread = threading.Thread(
                    target=lambda: asyncio.run(self._run_async(source)), name="StreamView", daemon=True)
                self._thread.start()
            else:
                self._task = self._loop.create_task(self._run_async(source))
        else:
            self._thread = threading.Thread(target=self._run_sync, args=(source,), name="StreamView",
                                            daemon=True)
            self._thread.start()
        return self

    # ---- consumption
    def _run_sync(self, source: Any) -> None:
        exit_cm = None
        try:
            if callable(source) and not hasattr(source, "__iter__"):
                source = source()
            if hasattr(source, "__enter__") and not hasattr(source, "__iter__"):
                exit_cm = source
                source = source.__enter__()
            self._source = source
            if self._stop_requested:
                raise _Stopped
            feed = self._answer.feed
            for event in source:
                if feed(event):
                    self._publish_status()
                if self._stop_requested:
                    break
            self._end(None)
        except BaseException as e:  # noqa: BLE001 - reported, re-raised by wait()
            self._end(e)
        finally:
            with contextlib.suppress(Exception):
                if exit_cm is not None:
                    exit_cm.__exit__(None, None, None)
                elif hasattr(source, "close"):
                    source.close()
            self._finish()

    async def _run_async(self, source: Any) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        exit_cm = None
        try:
            if callable(source) and not hasattr(source, "__aiter__"):
                source = source()
            if inspect.isawaitable(source):
                source = await source
            if hasattr(source, "__aenter__") and not hasattr(source, "__aiter__"):
                exit_cm = source
                source = await source.__aenter__()
            self._source = source
            if self._stop_requested:
                raise _Stopped
            feed = self._answer.feed
            async for event in source:
                if feed(event):
                    self._publish_status()
                if self._stop_requested:
                    break
            self._end(None)
        except BaseException as e:  # noqa: BLE001 - CancelledError is our Stop
            self._end(e)
        finally:
            with contextlib.suppress(BaseException):
                if exit_cm is not None:
                    await exit_cm.__aexit__(None, None, None)
                elif hasattr(source, "close"):
                    res = source.close()
                    if inspect.isawaitable(res):
                        await res
                elif hasattr(source, "aclose"):
                    await source.aclose()
            # the final sends are quick but must not run twice or race the loop: do them here
            self._finish()

    def _end(self, exc: BaseException | None) -> None:
        """Decide the final state (the sends happen in ``_finish``)."""
        a = self._answer
        if self._stop_requested and not (exc is None and a.complete):  # a Stop after the end changes nothing
            self._state = "stopped"
        elif exc is None and not a.complete:
            n = a.nchars()
            exc = IncompleteStreamError(f"the stream ended before message_stop, after {n} characters")
        if self._state != "stopped":
            if exc is None:
                self._state = "done"
            else:
                self._state = "error"
                self._error = exc
                self._error_text = describe_error(exc, a.nchars(), started=a.started)
        try:
            self._message = a.message()
        except Exception:  # noqa: BLE001 - a broken partial message must not hide the cause
            self._message = None
        out, estimated = self._output_tokens()
        if estimated and self._message is not None:
            self._message.usage.output_tokens = out  # what the reader saw, not message_start's 1

    def _output_tokens(self) -> tuple[int, bool]:
        """The output tokens to report, and whether that is an estimate.

        A stream that ended early never got the API's count (``message_delta``): after
        Stop or a cut, the estimate from the characters shown (what the live view showed
        as ``≈N``) when it is larger; it is marked as one (``output_tokens_estimated``).
        """
        a = self._answer
        counted = a.usage.get("output_tokens", 0) or 0
        if self._state in ("stopped", "error"):
            estimate = a.estimated_output_tokens()
            if estimate > counted:
                return estimate, True
        return counted, False

    def _publish_status(self) -> None:
        a = self._answer
        self._state = "retrying" if a.retry is not None else "streaming"
        with self._send_lock:
            if a.reset_pending:
                a.reset_pending = False
                self._sync_snapshot()
            else:
                self._flush_ops()
            self.status = self._status_dict()

    def _status_dict(self) -> dict[str, Any]:
        a = self._answer
        elapsed = (self._elapsed if self._state in _FINAL_STATES
                   else time.monotonic() - self._started if self._started else 0.0)
        output_tokens, estimated = self._output_tokens()
        return _status(self._state, model=a.model, input_tokens=a.usage.get("input_tokens", 0) or 0,
                       output_tokens=output_tokens, output_tokens_estimated=estimated,
                       stop_reason=a.stop_reason, elapsed=round(elapsed, 3), error=self._error_text,
                       retry=a.retry, recovery=self._recovery())

    def _recovery(self) -> str | None:
        """"resumed (continuation)", and once known how its seam was joined (from the attempts)."""
        text = self._answer.recovery
        attempts = getattr(self._source, "attempts", None)
        if text and text.startswith("resumed") and attempts:
            how = next((a.reconciled for a in reversed(attempts) if a.reconciled), None)
            if how and how != "continued":
                text += f": {how}"
        return text

    # ---- flushing
    def _flush_loop(self) -> None:
        a, wake, halt = self._answer, self._wake, self._halt
        while not halt.is_set():  # checked after every clear of `wake`: a halt is never missed
            wake.wait()
            with a.lock:
                due = a.pacer.due()
                if due is None:
                    wake.clear()
                    continue
            delay = due - a.clock()
            if delay > 0 and halt.wait(delay):
                return
            self._flush_ops()

    def _flush_ops(self) -> None:
        with self._send_lock:
            a = self._answer
            with a.lock:
                self._wake.clear()
                seq, ops = a.take_ops()
            if ops:
                self.send({"k": "ops", "seq": seq, "ops": ops})
                if self._echo is not None:
                    self._echo(ops)
                with a.lock:  # space flushes from the end of this send (it may have been delayed)
                    a.pacer.last_flush = max(a.pacer.last_flush, a.clock())

    def _sync_snapshot(self) -> None:
        """Flush pending ops, then set ``snapshot`` to the state they lead to."""
        with self._send_lock:
            a = self._answer
            with a.lock:
                self._wake.clear()
                seq, ops = a.take_ops()
                snap = a.snapshot()
            if ops:
                self.send({"k": "ops", "seq": seq, "ops": ops})
                if self._echo is not None:
                    self._echo(ops)
            if snap == self.snapshot:
                self.send_state("snapshot")
            else:
                self.snapshot = snap

    def _finish(self) -> None:
        try:
            self._elapsed = time.monotonic() - self._started
            self._halt.set()
            self._wake.set()
            if self._flusher is not None and self._flusher is not threading.current_thread():
                self._flusher.join()
            with self._send_lock:
                self._sync_snapshot()
                self.status = self._status_dict()
            if self._echo is not None:
                self._echo.end(self._state, self._error_text)
            self._update_displays()
            self._retire()
        finally:
            self._done.set()
            for loop, fut in self._waiters:
                with contextlib.suppress(RuntimeError):  # loop closed
                    loop.call_soon_threadsafe(_resolve, fut)
            self._waiters.clear()

    # ---- stopping and waiting
    def stop(self) -> None:
        """Cancel the stream promptly (the server sees a disconnect); keep the partial answer."""
        if self._done.is_set() or self._state == "idle":
            return
        self._stop_requested = True
        task, loop = self._task, self._loop
        if task is not None and loop is not None:
            if _in_loop_thread(loop):
                task.cancel()
            else:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(task.cancel)
            return
        _interrupt(self._source)

    def wait(self, timeout: float | None = None) -> Message | None:
        """Block until the stream ends; return the ``Message`` or raise its error.

        A KeyboardInterrupt while waiting (the notebook's Stop) stops the stream, keeps
        the partial answer, and is re-raised.
        """
        if self._state == "idle":
            raise RuntimeError("nothing to wait for: call consume() first")
        if not self._done.is_set() and self._loop is not None and self._thread is None \
                and _in_loop_thread(self._loop):
            raise RuntimeError(
                "this stream runs on this thread's event loop: use `await view` instead of view.wait()")
        try:
            if not self._done.wait(timeout):
                raise TimeoutError(f"the stream did not end within {timeout} s")
        except KeyboardInterrupt:
            self.stop()
            self._done.wait(5)
            raise
        return self._result()

    def _result(self) -> Message | None:
        if self._state == "idle":
            raise RuntimeError("nothing to wait for: call consume() first")
        if self._error is not None:
            raise self._error
        return self._message

    def __await__(self) -> Generator[Any, None, Message | None]:
        return self._wait_async().__await__()

    async def _wait_async(self) -> Message | None:
        if not self._done.is_set() and self._state != "idle":
            loop = asyncio.get_running_loop()
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append((loop, fut))
            if self._done.is_set():
                _resolve(fut)
            try:
                await fut
            except (asyncio.CancelledError, KeyboardInterrupt):
                self.stop()
                raise
        return self._result()

    def close(self) -> None:
        """Close the widget; a stream still running is stopped first."""
        if "_done" not in self.__dict__:  # __init__ raised (a bad argument): nothing was started
            super().close()
            return
        self.stop()
        code = self._code
        super().close()
        self._release_code(code)
        self.__dict__.pop("_repr_mimebundle_", None)  # ipywidgets blanks it; the record stays showable

    # ---- after the end
    def _retire(self) -> None:
        """Close the model of a view whose every display became its static record.

        Why: a saved notebook keeps the state of every widget model still open (JupyterLab's
        "save widget state", nbclient always): for a widget no output shows any more, the
        compressed answer again. A closed model is dropped by JupyterLab, Notebook 7 and VS
        Code. nbclient (hence nbconvert and papermill) ignores ``comm_close`` and saves the
        last state it saw, so the snapshot and the loader module are emptied first, in one
        update. (The view's code itself is never in a view's state: see ``_code``.) A view
        that is a child of another widget (an ``HBox``…) is still shown by it as a widget:
        it stays open and live.
        """
        if self._retired or not self._display_ids or _is_child_of_a_widget(self):
            return
        self._retired = True
        with contextlib.suppress(Exception), self.hold_sync():  # a comm already gone: nothing to lighten
            self.snapshot = b""  # the browser ignores an empty snapshot (docs/widget-protocol.md)
            self.set_trait("_esm", _RETIRED_ESM)  # the loader is ~1 KB a view; no view is left to load
        layout = self.layout if self._owns_layout else None
        code = self._code
        anywidget.AnyWidget.close(self)
        self.__dict__.pop("_repr_mimebundle_", None)  # ipywidgets blanks it: the record stays showable
        if layout is not None:
            layout.close()
        self._release_code(code)

    def _release_code(self, code: ViewCode | None) -> None:
        if not self._code_released:
            self._code_released = True
            release_code(code)

    def supersede(self) -> None:
        """Mark the answer as no longer part of its conversation, on every display of it.

        ``Chat`` calls it for the turns after one that is re-run (they were dropped from the
        history): the reader still sees them, now dimmed under a note that says so.
        """
        if self._superseded:
            return
        self._superseded = True  # before reading the state: a view finishing now shows the note itself
        if self._state in _FINAL_STATES:
            self._update_displays()

    # ---- browser → kernel
    def _on_custom_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        k = content.get("k") if isinstance(content, dict) else None
        if k == "stop":
            self.stop()
        elif k == "resync":
            self._sync_snapshot()

    # ---- display
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> tuple[
            dict[str, Any], dict[str, Any]]:
        """The live widget while streaming; once finished, the static record and the text.

        A finished view is shown as its record, not as a widget, so that every viewer of the
        saved notebook shows the answer (why: ``_static``'s docstring). The update that
        swaps them is published by ``_finish``, which then closes the model (``_retire``),
        unless a view of it inside another widget keeps it live.
        """
        if self._state in _FINAL_STATES:
            record = self._answer.record(self._status_dict())  # what the status line shows
            plain = self._plain()
            if self._superseded:
                record, plain = _superseded_html(record), f"[{SUPERSEDED_NOTE}]\n\n{plain}"
            data: dict[str, Any] = {"text/html": record, "text/plain": plain}
        else:
            data = {"text/plain": self._plain()}
            base = super()._repr_mimebundle_()
            if base is not None:
                data[_WIDGET_MIME] = base[0][_WIDGET_MIME]
        if include:
            data = {k: v for k, v in data.items() if k in include}
        if exclude:
            data = {k: v for k, v in data.items() if k not in exclude}
        return data, {}

    def __repr__(self) -> str:
        # deterministic (no address): containers show their children's reprs in saved notebooks
        model = self._answer.model
        return (f"<StreamView {self._state}: {self._answer.nchars():,} characters"
                + (f", {model}" if model else "") + ">")

    def _plain(self) -> str:
        if self._state not in _FINAL_STATES:
            return "[not started]" if self._state == "idle" else "[streaming…]"
        text = self.text
        if self._state == "stopped":
            return f"{text}\n\n[stopped]" if text else "[stopped]"
        if self._state == "error":
            return f"{text}\n\n[error: {self._error_text}]" if text else f"[error: {self._error_text}]"
        return text

    def _ipython_display_(self) -> None:
        """Display with a display id, updated with the final answer when the stream ends."""
        from IPython import get_ipython
        from IPython.display import display

        shell = get_ipython()
        if shell is None:
            return
        cell = _run_key(shell)
        if cell is not None:
            if cell in self._shown_in:  # e.g. `stream(...)` as a cell's last line: shown already
                return
            self._shown_in.add(cell)
        display_id = uuid.uuid4().hex
        with self._display_lock:  # the final update can't slip in before this display
            self._display_ids.append(display_id)
            data, md = self._repr_mimebundle_()
            display(data, raw=True, metadata=md, display_id=display_id)  # type: ignore[no-untyped-call]

    def _update_displays(self) -> None:
        if not self._display_ids:
            return
        from IPython.display import display

        with self._display_lock:
            data, md = self._repr_mimebundle_()
            for display_id in self._display_ids:
                display(data, raw=True, metadata=md, display_id=display_id,  # type: ignore[no-untyped-call]
                        update=True)


class _Stopped(Exception):
    pass


_RETIRED_ESM = "export default {};"
"""A retired view's module: valid, and a few bytes in the state a saved notebook keeps."""
SUPERSEDED_NOTE = "superseded: no longer part of the conversation (an earlier cell was re-run)"


def _superseded_html(record: str) -> str:
    # inline styles: the record must look the same where the view's stylesheet never loaded
    note = ('<div class="cw-superseded-note" role="note" style="font-style:italic;opacity:.9;'
            f'margin:0 0 .25em">{SUPERSEDED_NOTE[0].upper() + SUPERSEDED_NOTE[1:]}.</div>')
    return f'<div class="cw-superseded" style="opacity:.55">{note}{record}</div>'


def _run_key(shell: Any) -> str | None:
    """What identifies the code run now: the kernel's request id, or the terminal's input number."""
    parent = getattr(shell, "parent_header", None) or {}
    if isinstance(parent, dict) and parent:
        msg_id = (parent.get("header") or parent).get("msg_id")
        return str(msg_id) if msg_id else None
    if getattr(shell, "kernel", None) is None and hasattr(shell, "execution_count"):
        return f"exec:{shell.execution_count}"
    return None


def _is_child_of_a_widget(view: StreamView) -> bool:
    """Whether an open container widget (a ``Box``'s ``children``) holds ``view``."""
    try:
        from ipywidgets.widgets.widget import _instances
    except ImportError:  # pragma: no cover - a future ipywidgets: keep the model open
        return True
    for widget in list(_instances.values()):
        children = getattr(widget, "children", None)
        if isinstance(children, (tuple, list)) and any(child is view for child in children):
            return True
    return False


def _status(state: str, **fields: Any) -> dict[str, Any]:
    status: dict[str, Any] = {"state": state, "model": None, "input_tokens": 0, "output_tokens": 0,
                              "output_tokens_estimated": False, "stop_reason": None, "elapsed": 0.0,
                              "error": None, "retry": None, "recovery": None}
    status.update(fields)
    return status


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def _in_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _is_async(source: Any) -> bool:
    return (hasattr(source, "__aiter__") or inspect.isawaitable(source)
            or (hasattr(source, "__aenter__") and not hasattr(source, "__iter__"))
            or inspect.iscoroutinefunction(source))


def _interrupt(source: Any) -> None:
    """Wake a consumer thread blocked reading ``source``'s HTTP response.

    A source with an ``interrupt()`` method (made to be called from another thread) is
    asked to stop. Otherwise shutting the socket down makes the blocked read return at
    once and the server see the disconnect; the consumer thread then closes the response
    itself (closing it from here would race the read). Without a socket to reach, close
    the response.
    """
    interrupt = getattr(source, "interrupt", None)
    if callable(interrupt):
        interrupt()
        return
    try:
        from ._resilient import ResilientStream
    except ImportError:  # pragma: no cover
        pass
    else:
        if isinstance(source, ResilientStream):  # its close() is for any thread (and won't retry)
            source.close()
            return
    response = None
    with contextlib.suppress(Exception):
        response = source.response
    if response is None:
        return
    interrupt_response(response)

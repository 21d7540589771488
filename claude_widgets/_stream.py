"""``stream(client, ...)``: one call from a Messages API request to a live StreamView.

The request is made in the background (a thread for ``Anthropic``, a task on the running
loop for ``AsyncAnthropic``), so even a slow connection or an error status does not hold
the cell: the view shows "connecting", then the answer or the error.
"""

from __future__ import annotations

import inspect
from typing import Any

from ._answer import text_format_of
from ._present import start
from ._view import StreamView

__all__ = ["stream"]


def stream(client: Any, *, view: StreamView | None = None, display: bool = True, resume: bool = True,
           **messages_kwargs: Any) -> StreamView:
    """Stream a Messages API request into a StreamView and return the view.

    ``client`` is an ``anthropic.Anthropic`` or ``anthropic.AsyncAnthropic``. By default the
    request goes through :func:`~claude_widgets.resilient_stream`: failures before the
    answer are retried and a broken stream is resumed, and the view shows "retrying"
    meanwhile; ``resume=False`` streams ``client.messages.create(stream=True)`` as is.
    ``resilient_stream``'s own options (``max_attempts``, ``deadline``, ``stall_timeout``,
    ``base_delay``, ``max_delay``) pass through ``messages_kwargs`` to it; everything else
    is the request.
    The view is displayed (unless ``display=False``) and, in a notebook front end, the call
    returns at once; ``view.wait()`` (sync client) or ``await view`` gives the final
    ``Message``. When the stream ends, the view's output becomes a static record of the
    answer. Run unattended (nbclient, papermill, nbconvert) the call returns when the
    answer has ended; in terminal IPython the text streams to stdout (``_present``).
    """
    messages_kwargs.pop("stream", None)
    view = view if view is not None else StreamView(text_format=text_format_of(messages_kwargs))
    source: Any
    if resume:
        from ._resilient import resilient_stream

        source = resilient_stream(client, **messages_kwargs)  # lazy: the first request is made by the view
    else:
        create = client.messages.create
        if inspect.iscoroutinefunction(create) or _is_async_client(client):
            source = create(stream=True, **messages_kwargs)  # a coroutine, awaited in the task
        else:
            def source() -> Any:
                return create(stream=True, **messages_kwargs)
    try:
        start(view, source, display=display)
    except BaseException:
        if inspect.iscoroutine(source) and view.state == "idle":
            source.close()  # never awaited: silence the warning
        raise
    return view


def _is_async_client(client: Any) -> bool:
    try:
        import anthropic
    except ImportError:  # pragma: no cover - anthropic is a dependency
        return False
    return isinstance(client, anthropic.AsyncAnthropic)

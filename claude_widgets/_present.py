"""Start a StreamView and present it to whoever runs the cell (``_frontend``).

``stream()``, ``Chat.stream()`` and so ``%%claude`` all start their views here, so every
way of asking behaves the same wherever the notebook runs:

- a widget front end: the live widget, displayed; the cell returns at once (Stop works);
- unattended (nbclient, papermill, ``nbconvert --execute``, nbval): the same display,
  and the cell returns when the answer has ended, so the saved output is its record;
- a terminal: the text written to stdout as it arrives; the prompt comes back at the end;
- a script: nothing shown; ``view.wait()`` or ``await view`` for the result.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Any

from ._frontend import front_end, should_wait

if TYPE_CHECKING:
    from ._view import StreamView

__all__ = ["start"]


def start(view: StreamView, source: Any, *, display: bool = True) -> StreamView:
    """``view.consume(source)``, shown (unless ``display=False``) as the front end allows."""
    kind = front_end()
    if kind == "terminal" and not display:
        kind = "script"  # nothing to show, nobody to wait for
    if kind == "terminal":
        view.echo_to(sys.stdout)  # before consume: the first flush must be echoed too
    view.consume(source)
    if kind == "terminal":
        from IPython import get_ipython

        from ._view import _run_key

        key = _run_key(get_ipython())
        if key is not None:  # the cell's value is this view: its text is on screen already
            view._shown_in.add(key)
    elif display and kind != "script":
        from IPython.display import display as show

        show(view)  # type: ignore[no-untyped-call]  # the widget now; its static record at the end
    if should_wait(kind) and view._thread is not None:
        # (an async stream runs on this very loop: it can't be waited for here; `await view` does)
        with contextlib.suppress(Exception):  # the view shows the error; code gets it from view.wait()
            view.wait()
    return view

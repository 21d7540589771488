"""The StreamView's browser code, sent once per kernel instead of once per answer.

anywidget puts a widget's ES module (``_esm``) and CSS in its model's state: in every
``comm_open``, and in every saved notebook's widget state, once per model (~100 KB each:
view.js with marked and DOMPurify inlined, and view.css). So a StreamView's own ``_esm``
is ``static/loader.js`` (~1 KB), and the real module (zlib-compressed: a binary buffer
on the wire, ~70 KB of base64 when saved) and stylesheet live in one
:class:`ViewCode` model per kernel, which every StreamView names in its ``_code`` trait.
The loader fetches it through the widget manager, imports the module once per page,
and adds the stylesheet once. A saved notebook then carries the code once, however many
answers it holds.
"""

from __future__ import annotations

import hashlib
import threading
import zlib

import ipywidgets
import traitlets

from ._esm import CSS_PATH, STATIC, build_esm

__all__ = ["LOADER_ESM", "ViewCode", "view_code"]

def _strip_comments(js: str) -> str:
    """``loader.js`` without its comment lines and indentation: it is in every view's state."""
    lines = (line.strip() for line in js.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


LOADER_ESM = _strip_comments((STATIC / "loader.js").read_text(encoding="utf-8"))
"""The ``_esm`` of every StreamView: loads the shared code (``static/loader.js``)."""


class ViewCode(ipywidgets.Widget):  # type: ignore[misc]  # ipywidgets is untyped
    """A model with no view: the StreamView's ES module (zlib), its CSS, and a key for both.

    ``key`` names this version of the code in the page: the loader's import cache and the
    ``id`` of the one ``<style>`` it adds.
    """

    z = traitlets.Bytes(b"").tag(sync=True)
    css = traitlets.Unicode("").tag(sync=True)
    key = traitlets.Unicode("").tag(sync=True)


_shared: ViewCode | None = None
_lock = threading.Lock()


def view_code() -> ViewCode:
    """The kernel's shared :class:`ViewCode`, opened on first use (again if it was closed)."""
    global _shared
    with _lock:
        if _shared is None or _shared.comm is None:
            esm, css = build_esm(), CSS_PATH.read_text(encoding="utf-8")
            key = "claude-widgets-" + hashlib.sha256((esm + "\0" + css).encode()).hexdigest()[:16]
            _shared = ViewCode(z=zlib.compress(esm.encode("utf-8"), 9), css=css, key=key)
        return _shared

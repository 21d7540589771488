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

import functools
import hashlib
import threading
import zlib

import ipywidgets
import traitlets

from ._esm import CSS_PATH, STATIC, build_esm

__all__ = ["LOADER_ESM", "ViewCode", "release_code", "view_code"]

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
_users = 0
_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _packed(esm: str, css: str) -> tuple[bytes, str]:
    """The module compressed, and the key of this version of the code.

    Cached: the model is opened again by the first view after every view retired, i.e.
    once per answer in a notebook run cell by cell, and compressing ~300 KB at level 9
    took longer than the view's whole setup (~15 ms before the request is even sent).
    """
    key = "claude-widgets-" + hashlib.sha256((esm + "\0" + css).encode()).hexdigest()[:16]
    return zlib.compress(esm.encode("utf-8"), 9), key


def view_code() -> ViewCode:
    """The kernel's shared :class:`ViewCode` for one more view, opened on first use (again if closed)."""
    global _shared, _users
    with _lock:
        if _shared is None or _shared.comm is None:
            css = CSS_PATH.read_text(encoding="utf-8")
            z, key = _packed(build_esm(), css)
            _shared = ViewCode(z=z, css=css, key=key)
            _users = 0
        _users += 1
        return _shared


def release_code(code: ViewCode | None) -> None:
    """A view no longer needs the code (it became its record, or was closed).

    When no view needs it any more, the shared model is emptied and closed too, so that a
    notebook whose answers have all finished saves no copy of the code at all (~200 KB with
    the math and highlighting libraries); the next StreamView opens it again. Emptied first,
    in one update, because nbclient ignores ``comm_close`` and saves the last state it saw.
    """
    global _users
    with _lock:
        if code is None or code is not _shared or _users <= 0:
            return
        _users -= 1
        if _users:
            return
    try:
        with code.hold_sync():
            code.z, code.css = b"", ""
        code.close()
    except Exception:  # noqa: BLE001,S110 - a comm already gone: nothing to release
        pass

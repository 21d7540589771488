"""The StreamView ES module as one string: ``static/view.js`` plus its vendored libraries.

anywidget imports ``_esm`` from a ``blob:`` URL, where relative imports cannot resolve
and where there is no network (no CDN). So :func:`build_esm` puts the vendored
``marked``, ``DOMPurify``, ``Temml`` (LaTeX → MathML) and ``highlight.js`` builds (``static/vendor/``, unmodified) *inside* the module,
each zlib-compressed and base64-encoded in place of view.js's ``VENDOR`` placeholder.
The browser inflates each one with ``DecompressionStream("deflate")`` and imports it
from a ``blob:`` URL of its own, once per page (see the top of ``view.js``).

Compression matters because ``_esm`` travels in every widget's ``comm_open`` and is
stored in every saved widget state: ~135 KB of library source becomes ~55 KB.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import pathlib
import re
import zlib

__all__ = ["CSS_PATH", "VENDOR_FILES", "build_esm"]

STATIC = pathlib.Path(__file__).parent / "static"
CSS_PATH = STATIC / "view.css"
"""The stylesheet to use as the widget's ``_css``."""

VENDOR_FILES = {
    "marked": STATIC / "vendor" / "marked" / "marked.esm.js",
    "dompurify": STATIC / "vendor" / "dompurify" / "purify.es.mjs",
    "temml": STATIC / "vendor" / "temml" / "temml.min.js",
    "hljs": STATIC / "vendor" / "highlightjs" / "highlight.min.js",
}
"""The vendored single-file ESM builds, by the name ``view.js`` knows them by."""

_PLACEHOLDER = "/*@@CLAUDE_WIDGETS_VENDOR@@*/ null"
_VERSION = re.compile(r"(?:marked|DOMPurify|Highlight\.js) v?(\d+\.\d+\.\d+)|version:\"(\d+\.\d+\.\d+)\"")
# Temml ships its minified build as a classic script (``var temml=function(){…}()``):
# view.js imports it as a module with this export appended (the file stays unmodified).
_GLOBAL_EXPORT = {"temml": "temml"}


def _vendor_entry(name: str, path: pathlib.Path) -> dict[str, str]:
    source = path.read_bytes()
    match = _VERSION.search(source[:500].decode("utf-8", "replace")) or _VERSION.search(source.decode("utf-8"))
    entry = {
        "version": (match.group(1) or match.group(2)) if match else "unknown",
        "z": base64.b64encode(zlib.compress(source, 9)).decode("ascii"),
    }
    if name in _GLOBAL_EXPORT:
        entry["export"] = _GLOBAL_EXPORT[name]
    return entry


@functools.lru_cache(maxsize=1)
def build_esm() -> str:
    """``view.js`` with the vendored libraries embedded: the widget's ``_esm``."""
    view = (STATIC / "view.js").read_text(encoding="utf-8")
    if view.count(_PLACEHOLDER) != 1:
        raise RuntimeError(f"static/view.js must contain {_PLACEHOLDER!r} exactly once")
    vendor: dict[str, object] = {name: _vendor_entry(name, path) for name, path in VENDOR_FILES.items()}
    digest = hashlib.sha256()
    for path in VENDOR_FILES.values():
        digest.update(path.read_bytes())
    vendor["key"] = "-".join(
        f"{name}@{entry['version']}" for name, entry in vendor.items() if isinstance(entry, dict)
    ) + "-" + digest.hexdigest()[:12]
    return view.replace(_PLACEHOLDER, json.dumps(vendor, separators=(",", ":")))

"""The finished answer as a static, sanitised HTML record of the view.

Why a record replaces the live view when a stream ends: a saved notebook must show the
answer wherever no widget can run. GitHub and nbviewer have no kernel; nbconvert picks a
widget over every other format as soon as widget state is saved (nbclient saves it, so
does JupyterLab's "save widget state"), and anywidget's ES module cannot load in the
html-manager that nbconvert pages use, so the widget would be blank; JupyterLab itself,
reopening a notebook whose kernel is gone, shows "model not found" for a widget output.
An output made of this record and ``text/plain`` shows the answer in all of them.

Model output is untrusted, and a trusted notebook's ``text/html`` is inserted as is
(JupyterLab, nbconvert): Markdown is rendered without raw HTML (shown as text),
images become links (nothing is fetched), and nh3 keeps only the tags and attributes
Markdown produces, with http(s)/mailto/relative links. Everything else is escaped.
The record mirrors the live view's markup and class names, so the swap does not move
anything on screen, and carries the view's CSS for pages where the widget never loaded.
Deterministic by design (no times, no ids): nbval compares it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import nh3

from ._esm import CSS_PATH

STATE_LABELS = {"done": "Done", "stopped": "Stopped", "error": "Error"}

_ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "s", "del", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "code": {"class"},
    "ol": {"start"},
}
_ALIGN = {"align": {"left", "center", "right"}}


# Markdown's syntax without raw HTML (shown as text) and without typographic rewriting:
# CommonMark plus GFM tables and strikethrough, as the live view (marked) renders it.
_SYNTAX = ["blockquote", "code", "fence", "heading", "hr", "lheading", "list", "paragraph", "reference",
           "autolink", "backticks", "emphasis", "entity", "escape", "image", "link", "newline",
           "strikethrough", "table"]


@cache
def _renderer() -> Callable[[str], str]:
    """markdown-it-pyrs (Rust) where it has wheels, else markdown-it-py: the same parser.

    Why two: the record is rendered before ``view.wait()`` returns, and markdown-it-py
    takes ~1 µs a character (0.2 s for a 180 KB answer, more than the whole stream costs);
    the Rust port takes 1/20 of that but has no wheels for every Python.
    """
    try:
        from markdown_it_pyrs import MarkdownIt as FastMarkdownIt
    except ImportError:
        from markdown_it import MarkdownIt

        md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
        return md.render
    return FastMarkdownIt("zero").enable_many(_SYNTAX).render  # type: ignore[arg-type]


_IMG = re.compile(r'<img src="([^"]*)" alt="([^"]*)"(?: title="[^"]*")? ?/?>')
_ALIGN_STYLE = re.compile(r'<(th|td) style="text-align:(left|center|right)">')
_FENCE_END = re.compile(r"\n*</code></pre>")


def _image_link(m: re.Match[str]) -> str:
    # the live view's rule: a URL chosen by the model could carry data out; link it instead
    return f'<a class="cw-image-link" href="{m[1]}">[image: {m[2] or m[1]}]</a>'


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        tag_attribute_values={"th": _ALIGN, "td": _ALIGN},
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


def markdown_html(src: str) -> str:
    """Untrusted Markdown → sanitised HTML (raw HTML as text, images as links)."""
    out = _IMG.sub(_image_link, _renderer()(src))  # attribute values come escaped
    out = _ALIGN_STYLE.sub(r'<\1 align="\2">', out)  # a column's alignment as marked renders it
    out = _FENCE_END.sub("\n</code></pre>", out)  # an unclosed fence ends like a closed one
    out = out.replace("<br />\n", "<br />")  # as marked: a hard break is the <br> alone (paragraphs keep newlines)
    return str(_cleaner().clean(out))


@cache
def _css() -> str:
    css = CSS_PATH.read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    css = re.sub(r"\s*([{};,>])\s*", r"\1", css)
    return re.sub(r"\s+", " ", css).strip()


def _el(tag: str, cls: str, body: str = "", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{html.escape(v)}"' for k, v in attrs.items())
    return f'<{tag} class="{cls}"{extra}>{body}</{tag}>'


def _esc(s: str) -> str:
    return html.escape(s, quote=False)


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _block_html(b: Any) -> str:
    if b.kind == "text":
        return _el("div", "cw-block cw-text cw-md jp-RenderedHTMLCommon", markdown_html(b.text()))
    if b.kind in ("thinking", "redacted_thinking"):
        redacted = b.kind == "redacted_thinking"
        text = "" if redacted else b.text()
        label = "Thinking (redacted)" if redacted else "Thinking" if text else "Thinking (omitted)"
        summary = f'<summary>{_el("span", "cw-thinking-label", label)}</summary>'
        return _el("details", "cw-block cw-thinking", summary + _el("div", "cw-thinking-body", _esc(text)))
    if b.kind == "tool_result":
        kind, label = ("cw-tool-result cw-tool-error", "Tool error") if b.is_error else ("cw-tool-result",
                                                                                        "Tool result")
        value = _parsed(b.text())
        pretty = isinstance(value, (dict, list))  # as the view: a result is JSON only when an object
    else:
        kind, label = "cw-tool-call", "Tool call"
        value = b.input if b.done and b.input is not None else _parsed(b.text()) if b.text() else None
        pretty = value is not None
    body = json.dumps(value, indent=2, ensure_ascii=False, default=str) if pretty else b.text()
    head = _el("div", "cw-tool-head", _el("span", "cw-tool-label", label)
               + _el("span", "cw-tool-name", _esc(b.name or "tool")))
    return _el("div", f"cw-block cw-tool {kind}", head + _el("pre", "cw-tool-input", _esc(body)))


def record_html(blocks: list[Any], status: Mapping[str, Any]) -> str:
    """The record of a finished view: its status line, blocks and error, as the view shows them.

    ``status`` is the view's final ``status`` trait; its time fields are left out (not
    deterministic).
    """
    state, stop_reason = status["state"], status["stop_reason"]
    input_tokens, output_tokens = status["input_tokens"], status["output_tokens"]
    mark = "≈" if status.get("output_tokens_estimated") else ""  # an estimate after Stop: say so
    tokens = f"in {input_tokens} · out {mark}{output_tokens} tokens" if input_tokens or output_tokens else ""
    info = "".join([
        _el("span", "cw-state", STATE_LABELS.get(state, state)),
        _el("span", "cw-retry", _esc(status.get("recovery") or "")),
        _el("span", "cw-model", _esc(status["model"] or "")),
        _el("span", "cw-tokens", tokens),
        _el("span", "cw-stop-reason", f"stop: {_esc(stop_reason)}" if stop_reason else ""),
    ])
    bar = _el("div", "cw-bar", '<span class="cw-spinner" aria-hidden="true"></span>'
              + _el("span", "cw-info", info), role="status")
    chars = sum(len(b.text()) for b in blocks)
    body = bar + _el("div", "cw-blocks", "".join(_block_html(b) for b in blocks))
    if status["error"]:
        body += _el("div", "cw-error", _esc(status["error"]), role="alert")
    root = _el("div", "cw-root cw-record", body, data_cw_state=state, data_cw_text_chars=str(chars))
    return f'<div class="claude-widgets-streamview"><style>{_css()}</style>{root}</div>'

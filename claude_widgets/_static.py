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
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

import nh3

from ._chunks import chunked
from ._esm import CSS_PATH
from ._mathcode import MATHML_ATTRIBUTES, MATHML_TAGS, highlight, math_html
from ._mdguard import MAX_NESTING, too_deep, too_long
from ._record_css import prune
from ._sources import cite_info, marks_html, run_source, sources_html, strip_marks

STATE_LABELS = {"done": "Done", "stopped": "Stopped", "error": "Error"}

_ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "s", "del", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}
_ALLOWED_TAGS |= {"span", "div"} | MATHML_TAGS  # math (cw-math) and highlighted code (hljs-*)
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "code": {"class"},
    "ol": {"start", "class"},
    "span": {"class"},
    **{f"h{i}": {"class"} for i in range(1, 7)},
    "div": {"class"},
    **MATHML_ATTRIBUTES,
}
_ALIGN = {"align": {"left", "center", "right"}}
_MAX_LEVELS = 4 * MAX_NESTING + 20  # token levels: a list level is two, plus paragraph and inline


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

        # _mdguard bounds the nesting first; markdown-it-py's own cap (20 levels, where a
        # list level takes two) would silently drop the text below it
        md = MarkdownIt("commonmark", {"html": False, "maxNesting": _MAX_LEVELS}).enable(["table", "strikethrough"])
        return md.render
    return FastMarkdownIt("zero").enable_many(_SYNTAX).render  # type: ignore[arg-type]


_MATH_HINT = re.compile(r"\$|\\[(\[]")


@cache
def _math_renderer() -> Callable[[str], str]:
    """markdown-it-py with math: ``$…$``, ``$$…$$`` (dollarmath), ``\\(…\\)``, ``\\[…\\]`` (texmath).

    For a text that may hold math (the Rust parser has no plugins). The same rules as the
    live view's marked extensions: a ``$`` opens only before a non-space and not after a
    digit, closes only after a non-space and not before a digit (prices stay text).
    """
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.texmath import texmath_plugin

    md = MarkdownIt("commonmark", {"html": False, "maxNesting": _MAX_LEVELS}).enable(["table", "strikethrough"])
    dollarmath_plugin(md, allow_space=False, allow_digits=False, allow_labels=False, allow_blank_lines=False,
                      double_inline=True)
    texmath_plugin(md, delimiters="brackets")

    def inline(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        return math_html(tokens[idx].content, display=False, tag="span")

    def inline_double(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        return math_html(tokens[idx].content, display=True, tag="span")

    def block(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        return math_html(tokens[idx].content, display=True, tag="div") + "\n"

    md.add_render_rule("math_inline", inline)
    md.add_render_rule("math_inline_double", inline_double)
    for name in ("math_block", "math_block_eqno"):
        md.add_render_rule(name, block)
    return md.render


_IMG = re.compile(r'<img src="([^"]*)" alt="([^"]*)"(?: title="[^"]*")? ?/?>')
_ALIGN_STYLE = re.compile(r'<(th|td) style="text-align:(left|center|right)">')
_HEADING = re.compile(r"<h([1-6])>")
_AMP = "\ue000"  # a private-use character: stands for "&amp;" while nh3 runs
_CODE_END = "</code></pre>"
_BLOCK = r"(?:p|ul|ol|li|table|thead|tbody|tr|th|td|h[1-6]|blockquote|hr|pre|div)"
# The renderer's newline after a tag and before a block: a text node that lays out as nothing
# (no parent of a block keeps white space; a paragraph, which does, holds no blocks), yet the
# record is 11,000 nodes lighter for a 50k-token answer, for every pass over it: the swap's
# parse and MathJax's walk, and JupyterLab's table of contents, which sanitises it again
_NEWLINE_BEFORE_BLOCK = re.compile(rf">\n(?=</?{_BLOCK}[\s/>])")


def _fence_ends(out: str) -> str:
    """Every ``</code></pre>`` after exactly one newline (``re.sub(r"\\n*</code></pre>", …)``, in
    linear time: that regex tried ``\\n*`` at each of the HTML's characters, ~3 ms for 400 KB)."""
    parts = out.split(_CODE_END)
    if len(parts) == 1:
        return out
    last = parts.pop()
    return "".join(f"{p.rstrip(chr(10))}\n{_CODE_END}" for p in parts) + last


_CODE = re.compile(r'<pre><code class="language-([^"\s]+)">(.*?)</code></pre>', re.DOTALL)


def _highlighted(m: re.Match[str]) -> str:
    # as the live view: a code block in a language the highlighter knows gets hljs classes
    body = highlight(html.unescape(m[2]), html.unescape(m[1]))
    return m[0] if body is None else f'<pre><code class="hljs language-{m[1]}">{body}</code></pre>'


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


RENDER_FAILED = "the Markdown renderer failed"
"""The reason shown when rendering raised (the record then shows the text as it is)."""


def plain_html(src: str, reason: str) -> str:
    """The fallback for a text that cannot be rendered: a visible note, then ALL the text, escaped.

    The live view builds the same markup (``view.js``: ``TextItem.toPlain``).
    """
    note = f'<p class="cw-render-note" role="note">Shown as plain text: {_esc(reason)}</p>'
    return note + f'<div class="cw-plain-text">{_esc(src)}</div>'


def render_markdown(src: str) -> tuple[str, str | None]:
    """Untrusted Markdown → (sanitised HTML, None), or (the plain-text fallback, why).

    Never lets model output take the process down: a text nested too deep for the parser
    (``_mdguard``) is not given to it, and anything the parser raises is caught.
    """
    reason = too_deep(src) or too_long(src)
    if reason is None:
        try:
            return markdown_html(src), None
        except Exception:  # noqa: BLE001 - any failure of the renderer: show the text instead
            reason = RENDER_FAILED
    return plain_html(src, reason), reason


def markdown_html(src: str) -> str:
    """Untrusted Markdown → sanitised HTML (raw HTML as text, images as links).

    Renders whatever it is given: call :func:`render_markdown` for text that may be
    nested too deep.
    """
    render = _math_renderer() if _MATH_HINT.search(src) else _renderer()
    out = _IMG.sub(_image_link, render(src))  # attribute values come escaped
    out = _ALIGN_STYLE.sub(r'<\1 align="\2">', out)  # a column's alignment as marked renders it
    out = _fence_ends(out)  # an unclosed fence ends like a closed one
    out = _NEWLINE_BEFORE_BLOCK.sub(">", out)
    out = out.replace("<br />\n", "<br />")  # as marked: a hard break is the <br> alone (paragraphs keep newlines)
    # An answer's headings are not the notebook's: JupyterLab's table of contents lists the
    # headings of every HTML output (and keeps ~40 MB for a 50k-token answer's 300), never
    # those of a widget; "jp-toc-ignore" leaves them out, as they are out of it live.
    out = _HEADING.sub(r'<h\1 class="jp-toc-ignore">', out)
    # nh3 takes time quadratic in the "&amp;"s of one text node (1 MB of "a&b " → 16 s): the
    # renderer escaped the text already, so they pass through it as a character of their own
    amp = _AMP not in out and "&amp;" in out
    if amp:
        out = out.replace("&amp;", _AMP)
    out = str(_cleaner().clean(out))
    if amp:
        out = out.replace(_AMP, "&amp;")
    # after the sanitiser, which then reads a third less: the highlighter's markup is escaped
    # code in spans of its own classes (_mathcode.highlight)
    return _CODE.sub(_highlighted, out)


@cache
def _css() -> str:
    css = CSS_PATH.read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    css = re.sub(r"\s*([{};,>])\s*", r"\1", css)
    css = re.sub(r"([{;]-{0,2}[a-z][\w-]*):\s+", r"\1:", css)  # `prop: value` in declarations only
    return re.sub(r"\s+", " ", css).replace(";}", "}").strip()


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


def _text_html(src: str, fallbacks: list[str]) -> str:
    body, reason = render_markdown(src)
    if reason:
        fallbacks.append(reason)
        body = strip_marks(body)
    else:
        body = chunked(marks_html(body))  # a long text: its middle laid out lazily (_chunks)
    return _el("div", "cw-block cw-text cw-md jp-RenderedHTMLCommon" + (" cw-plain" if reason else ""), body)


def _run_html(run: list[Any], start: int, fallbacks: list[str]) -> str:
    """Adjacent text blocks as one text, with their citations (``_sources``); one block
    without citations as it is."""
    cites = [b.citations for b in run]
    if len(run) == 1 and not cites[0]:
        return _text_html(run[0].text(), fallbacks)
    src = run_source([b.text() for b in run], cites, [b.done for b in run], start)
    out = _text_html(src, fallbacks)
    infos = [cite_info(c) for cs in cites for c in cs]
    if infos:
        out += _el("div", "cw-block cw-sources", str(_cleaner().clean(sources_html(infos, start))))
    return out


def _json_text(text: str, done: bool) -> str:
    """A structured output as shown once final: pretty-printed when complete and valid (as
    view.js: ``JSON.stringify(JSON.parse(text), null, 2)``), else as it came."""
    if done:
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pass
    return text


def _is_json(b: Any) -> bool:
    """A structured output's text block that is JSON: flagged (``_answer``) and, once text came,
    starting with ``{`` or ``[``. A flagged block that starts otherwise (a model's preamble
    before a tool call, in a turn with tools) is Markdown, as any text (view.js: the same rule)."""
    return getattr(b, "format", None) == "json" and b.text().lstrip()[:1] in ("", "{", "[")


def _json_html(b: Any) -> str:
    """A structured output's text block: JSON code, highlighted, never read as Markdown."""
    text = _json_text(b.text(), b.done)
    body = highlight(text, "json")
    code = (f'<code class="hljs language-json">{body}' if body is not None
            else f'<code class="language-json">{_esc(text)}')
    end = "" if text.endswith("\n") or not text else "\n"  # as view.js's code renderer
    return _el("div", "cw-block cw-text cw-md cw-json jp-RenderedHTMLCommon", f"<pre>{code}{end}</code></pre>\n")


def _block_html(b: Any) -> str:
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


def fallback_label(n: int) -> str:
    """What the status line says when ``n`` blocks are shown as plain text (view.js: the same)."""
    return "" if not n else "1 block shown as plain text" if n == 1 else f"{n} blocks shown as plain text"


def to_fixed(x: float, digits: int) -> str:
    """``x.toFixed(digits)`` as view.js writes it, for the record to read the same: JavaScript
    rounds a tie (a float exactly halfway, as 0.25) up, Python's format to even (0.25 → "0.2"
    here, "0.3" live: seen in CI as a status line that changed at the swap)."""
    return str(Decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def format_elapsed(seconds: float) -> str:
    """As the live status line (view.js: formatElapsed)."""
    if seconds < 60:
        return f"{to_fixed(seconds, 1)} s"
    return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"


def _time_spans(status: Mapping[str, Any], output_tokens: int) -> list[str]:
    elapsed = float(status.get("elapsed") or 0.0)
    rate = f"{to_fixed(output_tokens / elapsed, 1)} tok/s" if output_tokens > 1 and elapsed > 0.2 else ""
    return [_el("span", "cw-elapsed", format_elapsed(elapsed)), _el("span", "cw-rate", rate)]


def record_html(blocks: list[Any], status: Mapping[str, Any]) -> str:
    """The record of a finished view: its status line, blocks and error, as the view shows them.

    ``status`` is the view's final ``status`` trait. Its elapsed time and rate are shown
    as the live view shows them (the same line, so nothing moves when the record replaces
    the view); they are the record's only varying values, each in a span of its own
    (``cw-elapsed``, ``cw-rate``) that nbval's sanitiser blanks
    (``notebooks/nbval_sanitize.cfg``).
    """
    state, stop_reason = status["state"], status["stop_reason"]
    input_tokens, output_tokens = status["input_tokens"], status["output_tokens"]
    mark = "≈" if status.get("output_tokens_estimated") else ""  # an estimate after Stop: say so
    tokens = f"in {input_tokens} · out {mark}{output_tokens} tokens" if input_tokens or output_tokens else ""
    fallbacks: list[str] = []
    parts: list[str] = []
    run: list[Any] = []
    cited = 0  # citations before the run
    for b in [*blocks, None]:
        json_block = b is not None and _is_json(b)
        if b is not None and b.kind == "text" and not json_block:
            run.append(b)
            continue
        if run:
            parts.append(_run_html(run, cited, fallbacks))
            cited += sum(len(r.citations) for r in run)
            run = []
        if b is not None:
            parts.append(_json_html(b) if json_block else _block_html(b))
    blocks_html = "".join(parts)
    info = "".join([
        _el("span", "cw-state", STATE_LABELS.get(state, state)),
        _el("span", "cw-fallback", fallback_label(len(fallbacks))) if fallbacks else "",
        _el("span", "cw-retry", _esc(status.get("recovery") or "")),
        _el("span", "cw-model", _esc(status["model"] or "")),
        _el("span", "cw-tokens", tokens),
        *_time_spans(status, output_tokens),
        _el("span", "cw-stop-reason", f"stop: {_esc(stop_reason)}" if stop_reason else ""),
    ])
    bar = _el("div", "cw-bar", '<span class="cw-spinner" aria-hidden="true"></span>'
              + _el("span", "cw-info", info), role="status")
    chars = sum(len(b.text()) for b in blocks)
    body = bar + _el("div", "cw-blocks", blocks_html)
    if status["error"]:
        body += _el("div", "cw-error", _esc(status["error"]), role="alert")
    root = _el("div", "cw-root cw-record", body, data_cw_state=state, data_cw_text_chars=str(chars))
    # tex2jax_ignore/mathjax_ignore: JupyterLab typesets HTML outputs with MathJax; the record
    # has its math as MathML already, and scanning a long answer for TeX costs the page ~1 s.
    # Those classes stop MathJax reading TeX, but it still walks every node below them (for a
    # mathjax_process inside). data-mjx: MathJax 3 (JupyterLab 4's) does not enter an element
    # that has it (HTMLDomStrings.handleContainer; the mark of its own output): for a 50k-token
    # record, 33 ms of the swap's task down to 0.5 ms (bench/record_in_lab.py).
    wrapper = '<div class="claude-widgets-streamview tex2jax_ignore mathjax_ignore" data-mjx="skip">'
    return f"{wrapper}<style>{prune(_css(), wrapper + root)}</style>{root}</div>"

"""Math and code in the static record, looking as the live view shows them.

Why these libraries: the live view typesets TeX with Temml (MathML, no fonts or script
needed to show it) and highlights code with highlight.js; a record has no script, so
Python does both ahead of time. latex2mathml turns TeX into MathML, which browsers
render natively, the way Temml's output is rendered live. Pygments highlights code; its
tokens get highlight.js's class names (``hljs-keyword``…), so one set of CSS rules
(``static/view.css``) colours both. The markup matches view.js's ``renderMath`` and
``code`` renderer: ``span.cw-math`` / ``div.cw-math.cw-math-display`` around the
``<math>``, or ``.cw-math-error`` with the TeX as code when it does not parse;
``<pre><code class="hljs language-x">`` for a language the highlighter knows. Python code is
highlighted by tree-sitter instead (``_pyhighlight``), for speed.

The output goes through the record's nh3 cleaner like all rendered Markdown:
``MATHML_TAGS`` and ``MATHML_ATTRIBUTES`` are what it lets through (no ``href``, no
``style``, no ``maction``, nothing from ``annotation-xml``).
"""

from __future__ import annotations

import html
from functools import cache
from typing import Any

from ._pyhighlight import LANGUAGES as PYTHON
from ._pyhighlight import highlight_python

__all__ = ["MATHML_ATTRIBUTES", "MATHML_TAGS", "highlight", "math_html"]

MATHML_TAGS = {
    "math", "mrow", "mi", "mo", "mn", "ms", "mtext", "mspace", "msup", "msub", "msubsup", "mfrac", "msqrt",
    "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
    "menclose", "merror", "mmultiscripts", "mprescripts", "none", "semantics", "annotation",
}
_MATHML_COMMON = {
    "mathvariant", "displaystyle", "scriptlevel", "mathcolor", "mathbackground", "mathsize", "dir", "class",
}
MATHML_ATTRIBUTES: dict[str, set[str]] = {tag: set(_MATHML_COMMON) for tag in MATHML_TAGS}
MATHML_ATTRIBUTES["math"] |= {"display", "xmlns"}
MATHML_ATTRIBUTES["mo"] |= {"stretchy", "fence", "separator", "lspace", "rspace", "largeop", "movablelimits",
                            "symmetric", "form", "minsize", "maxsize", "accent"}
MATHML_ATTRIBUTES["mfrac"] |= {"linethickness"}
MATHML_ATTRIBUTES["mspace"] |= {"width", "height", "depth"}
MATHML_ATTRIBUTES["mpadded"] |= {"width", "height", "depth", "lspace", "voffset"}
MATHML_ATTRIBUTES["mover"] |= {"accent"}
MATHML_ATTRIBUTES["munder"] |= {"accentunder"}
MATHML_ATTRIBUTES["munderover"] |= {"accent", "accentunder"}
MATHML_ATTRIBUTES["mtable"] |= {"columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines",
                                "rowlines", "frame", "width"}
MATHML_ATTRIBUTES["mtd"] |= {"columnalign", "rowalign", "columnspan", "rowspan"}
MATHML_ATTRIBUTES["menclose"] |= {"notation"}
MATHML_ATTRIBUTES["annotation"] |= {"encoding"}


def math_html(tex: str, display: bool, tag: str) -> str:
    """TeX → the record's markup for it (view.js: ``renderMath``); ``tag``: ``div`` for a
    math block, ``span`` inside a paragraph (``$$…$$`` there is displayed, as a span)."""
    from latex2mathml.converter import convert

    src = tex.strip()
    cls = "cw-math cw-math-display" if display else "cw-math"
    try:
        mathml = convert(src, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - any TeX it cannot parse: show the source
        return f'<{tag} class="{cls} cw-math-error"><code>{html.escape(src, quote=False)}</code></{tag}>'
    return f'<{tag} class="{cls}">{mathml}</{tag}>'


# Pygments token types → highlight.js scopes, most specific first (a type not listed
# takes its nearest listed parent's; none: no span).
_SCOPES = {
    "Keyword.Constant": "hljs-literal",
    "Keyword.Type": "hljs-type",
    "Keyword": "hljs-keyword",
    "Operator.Word": "hljs-keyword",
    "Name.Builtin.Pseudo": "hljs-variable language_",
    "Name.Builtin": "hljs-built_in",
    "Name.Function": "hljs-title function_",
    "Name.Class": "hljs-title class_",
    "Name.Decorator": "hljs-meta",
    "Name.Tag": "hljs-name",
    "Name.Attribute": "hljs-attr",
    "Name.Variable": "hljs-variable",
    "Name.Constant": "hljs-variable constant_",
    "Name.Label": "hljs-symbol",
    "Literal.String.Escape": "hljs-char escape_",
    "Literal.String.Interpol": "hljs-subst",
    "Literal.String.Regex": "hljs-regexp",
    "Literal.String": "hljs-string",
    "Literal.Number": "hljs-number",
    "Literal": "hljs-literal",
    "Comment.Preproc": "hljs-meta",
    "Comment": "hljs-comment",
    "Generic.Heading": "hljs-section",
    "Generic.Subheading": "hljs-section",
    "Generic.Inserted": "hljs-addition",
    "Generic.Deleted": "hljs-deletion",
    "Generic.Emph": "hljs-emphasis",
    "Generic.Strong": "hljs-strong",
}


# Where a language's lexer uses a type for something highlight.js names differently: JSON's
# keys are Name.Tag for Pygments, "attr" for highlight.js (its json grammar).
_LANG_SCOPES = {"json": {"Name.Tag": "hljs-attr"}}


@cache
def _scope(ttype: Any, lang: str = "") -> str | None:
    """highlight.js's class for a Pygments token type (types are singletons: cached per type)."""
    t = ttype
    own = _LANG_SCOPES.get(lang, {})
    while t is not None and len(t):
        name = ".".join(t)
        scope = own.get(name) or _SCOPES.get(name)
        if scope:
            return scope
        t = t.parent
    return None


@cache
def _lexer(name: str) -> Any:
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def highlight(code: str, lang: str) -> str | None:
    """``code`` as escaped HTML with highlight.js's span classes, or None (a language Pygments
    does not know: the code stays plain, as highlight.js leaves one it does not know).
    Python goes to tree-sitter (``_pyhighlight``: four times faster, and closer to highlight.js)."""
    lang = lang.lower()
    if lang in PYTHON:
        return highlight_python(code)
    lexer = _lexer(lang)
    if lexer is None:
        return None
    out: list[str] = []
    scope: str | None = None
    run: list[str] = []

    def flush() -> None:
        text = html.escape("".join(run), quote=False)
        out.append(f'<span class="{scope}">{text}</span>' if scope and text.strip() else text)
        run.clear()

    for ttype, value in lexer.get_tokens(code):
        s = _scope(ttype, lang)
        if s != scope and run:
            flush()
        scope = s
        run.append(value)
    if run:
        flush()
    return "".join(out)

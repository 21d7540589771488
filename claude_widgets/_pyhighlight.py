"""Python code in the static record, highlighted by tree-sitter in highlight.js's classes.

Why not Pygments, which highlights every other language: Python is the language of most
code in answers read in a notebook, and Pygments' lexer tries its rules one by one, in
Python, at each token (~4 µs a token): in a 50k-token answer with 400 Python blocks that
was half the record's time, paid after the last delta, before the answer is final.
tree-sitter parses in C and runs the query below in C (~1 µs a token, spans included).

The query names highlight.js's scopes, so that the record colours what the live view
colours (``view.js`` highlights with highlight.js 11.12.0): keywords, built-ins, literals
and types are highlight.js's own word lists (its ``python`` grammar, read with
``hljs.getLanguage('python').keywords``); the rest follows what it marks: ``def`` and
``class`` names, base classes, decorators, ``self``, strings with their ``{…}``
substitutions, numbers, comments. A code block that does not parse still gets the spans
of what tree-sitter recovered.

The output is escaped code in ``span``s of these classes only: it is added after the
record's sanitiser (``_static.markdown_html``), which it therefore must not need.
"""

from __future__ import annotations

import html
from functools import cache
from typing import Any

__all__ = ["LANGUAGES", "highlight_python"]

LANGUAGES = frozenset({"python", "py", "python3", "py3"})
"""The fence names routed here: Python's as Pygments names it (Starlark, Bazel and Sage, which
Pygments also lexes as Python, stay with Pygments)."""

# highlight.js 11.12.0, python grammar: hljs.getLanguage('python').keywords
_KEYWORDS = (
    "and as assert async await break case class continue def del elif else except finally for from global if "
    "import in is lambda lazy match nonlocal not or pass raise return try while with yield"
)
_BUILT_INS = (
    "__import__ abs aiter all anext any ascii bin bool breakpoint bytearray bytes callable chr classmethod "
    "compile complex delattr dict dir divmod enumerate eval exec filter float format frozendict frozenset getattr "
    "globals hasattr hash help hex id input int isinstance issubclass iter len list locals map max memoryview min "
    "next object oct open ord pow print property range repr reversed round sentinel set setattr slice sorted "
    "staticmethod str sum super tuple type vars zip"
)
_LITERALS = "__debug__ Ellipsis False None NotImplemented True"
_TYPES = "Any Callable Coroutine Dict List Literal Generic Optional Sequence Set Tuple Type Union"


def _any_of(capture: str, words: str) -> str:
    return f"(#any-of? @{capture} " + " ".join(f'"{w}"' for w in words.split()) + ")"


def _keyword_tokens() -> str:
    # only the words the grammar has as tokens (`lazy` is not one yet; `match` and `case` are
    # soft keywords: tokens where they act as keywords, identifiers elsewhere)
    lang = _language()
    words = [w for w in _KEYWORDS.split() if lang.id_for_node_kind(w, False)]
    return "[" + " ".join(f'"{w}"' for w in words) + "] @keyword"


# Capture names are highlight.js scopes ("title.function_" → class "hljs-title function_"),
# or "plain": no span. Earlier in this list wins where two capture the same node (a `def`
# named `print`).
_PRIORITY = ("plain", "comment", "string", "subst", "meta", "title.function_", "title.class_",
             "title.class_.inherited__", "keyword", "literal", "number", "variable.language_", "type", "built_in")


def _query_source() -> str:
    return "\n".join([
        "(comment) @comment",
        "(string) @string",
        "(interpolation) @subst",
        "[(integer) (float)] @number",
        "[(true) (false) (none)] @literal",
        "(decorator) @meta",
        "(function_definition name: (identifier) @title.function_)",
        "(class_definition name: (identifier) @title.class_)",
        "(class_definition superclasses: (argument_list (identifier) @title.class_.inherited__))",
        f"((identifier) @literal {_any_of('literal', _LITERALS)})",
        '((identifier) @variable.language_ (#eq? @variable.language_ "self"))',
        # highlight.js leaves `self` plain in a parameter list
        '(parameters ((identifier) @plain (#eq? @plain "self")))',
        f"((identifier) @type {_any_of('type', _TYPES)})",
        f"((identifier) @built_in {_any_of('built_in', _BUILT_INS)})",
        _keyword_tokens(),
    ])


@cache
def _language() -> Any:
    import tree_sitter_python
    from tree_sitter import Language

    return Language(tree_sitter_python.language())


@cache
def _parts() -> tuple[Any, Any, dict[str, tuple[int, str]]]:
    from tree_sitter import Parser, Query

    lang = _language()
    classes = {name: (rank, "hljs-" + name.replace(".", " ")) for rank, name in enumerate(_PRIORITY)}
    classes["plain"] = (0, "")
    return Parser(lang), Query(lang, _query_source()), classes


def highlight_python(code: str) -> str:
    """``code`` as escaped HTML in highlight.js's spans (nested where highlight.js nests:
    an f-string's ``{…}`` inside its string)."""
    from tree_sitter import QueryCursor

    parser, query, classes = _parts()
    src = code.encode("utf-8")
    tree = parser.parse(src)
    # (start, end) of each captured node → (rank, class): one class per node range
    spans: dict[tuple[int, int], tuple[int, str]] = {}
    for name, nodes in QueryCursor(query).captures(tree.root_node).items():
        rank, cls = classes[name]
        for node in nodes:
            key = (node.start_byte, node.end_byte)
            if key[0] < key[1] and (key not in spans or rank < spans[key][0]):
                spans[key] = (rank, cls)
    # outer before inner: by start, then the longer first
    order = sorted((k for k, v in spans.items() if v[1]), key=lambda k: (k[0], -k[1]))
    out: list[str] = []
    ends: list[int] = []  # the open spans' ends, innermost last
    pos = 0

    def text(upto: int) -> None:
        nonlocal pos
        if upto > pos:
            out.append(html.escape(src[pos:upto].decode("utf-8"), quote=False))
            pos = upto

    for start, end in order:
        while ends and ends[-1] <= start:
            text(ends.pop())
            out.append("</span>")
        if ends and end > ends[-1]:  # not nested in the open span (tree-sitter's nodes nest): skip it
            continue
        text(start)
        out.append(f'<span class="{spans[start, end][1]}">')
        ends.append(end)
    while ends:
        text(ends.pop())
        out.append("</span>")
    text(len(src))
    return "".join(out)

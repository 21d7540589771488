"""The record's stylesheet: only the rules that can match the record it goes with.

Why: a finished StreamView becomes a static record that carries its own CSS (GitHub,
nbviewer and exported pages have no widget stylesheet), and a notebook saves one record
per answer. The whole stylesheet (~7 KB minified, most of it for code highlighting, math,
tool calls and the live view's Stop button and copy buttons) repeated in every record made
saved notebooks several times heavier than their answers. A rule is kept when one of its
selectors names only classes that occur in the record; everything without a class
(variables, ``@keyframes``, element rules) is kept. Pruning never changes how the record
looks: a dropped rule could not match any element of it.
"""

from __future__ import annotations

import re
from functools import lru_cache

_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_CLASS_ATTR = re.compile(r'class="([^"]*)"')
_NOT = re.compile(r":not\([^()]*\)")
_HOST = ("jp-", "lm-", "vscode-")
"""Classes of the page around the record (JupyterLab, Lumino, VS Code): assumed present."""


def _blocks(css: str) -> list[str]:
    """Top-level rules of minified CSS: ``selector{...}`` and ``@at-rule{...{...}}`` as written."""
    out, depth, start = [], 0, 0
    for i, c in enumerate(css):
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                out.append(css[start:i + 1].strip())
                start = i + 1
    return [b for b in out if b]


@lru_cache(maxsize=8)
def _parsed(css: str) -> tuple[tuple[str, tuple[frozenset[str], ...]], ...]:
    rules: list[tuple[str, tuple[frozenset[str], ...]]] = []
    for block in _blocks(css):
        if block.startswith("@"):
            rules.append((block, ()))  # @keyframes, @media: kept whole
            continue
        selector = block[: block.index("{")]
        needs = tuple(frozenset(c for c in _CLASS.findall(_NOT.sub("", part)) if not c.startswith(_HOST))
                      for part in _split_selectors(selector))
        rules.append((block, needs))
    return tuple(rules)


def _split_selectors(selector: str) -> list[str]:
    """Split on top-level commas (not those inside ``:is(...)``/``:where(...)``)."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(selector):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(selector[start:i])
            start = i + 1
    parts.append(selector[start:])
    return parts


def prune(css: str, html: str) -> str:
    """The rules of ``css`` that may apply to ``html``."""
    present = {c for attr in _CLASS_ATTR.findall(html) for c in attr.split()}
    kept = []
    for block, needs in _parsed(css):
        if not needs or any(n <= present for n in needs):
            kept.append(block)
    return "".join(kept)

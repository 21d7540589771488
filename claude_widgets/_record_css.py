"""The record's stylesheet: only the rules that can match the record it goes with.

Why: a finished StreamView becomes a static record that carries its own CSS (GitHub,
nbviewer and exported pages have no widget stylesheet), and a notebook saves one record
per answer. The whole stylesheet (~8 KB minified, most of it for code highlighting, math,
tool calls and the live view's Stop button and copy buttons) repeated in every record made
saved notebooks several times heavier than their answers.

A rule is kept when one of its selectors names only classes and ``[attr="value"]`` pairs
that occur in the record; a rule without either (variables, element rules) is kept. An
``@media`` block keeps the rules of it that are kept, a ``@keyframes`` block is kept when a
kept rule names it (a record never animates: its state is final). Pruning never changes how
the record looks: a dropped rule could not match any element of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_ATTR_EQ = re.compile(r'\[([\w-]+)="([^"]*)"\]')
_CLASS_ATTR = re.compile(r'class="([^"]*)"')
_HTML_ATTR = re.compile(r'\s([\w-]+)="([^"]*)"')
_NOT = re.compile(r":not\([^()]*\)")
_KEYFRAMES = re.compile(r"@keyframes\s+([\w-]+)")
_HOST = ("jp-", "lm-", "vscode-")
"""Classes of the page around the record (JupyterLab, Lumino, VS Code): assumed present."""

_Needs = tuple[frozenset[str], ...]
"""Per selector of a rule: the classes (``.x``) and attributes (``[a="v"]``) it requires."""


def _top_level(text: str, cut: str, opener: str, closer: str) -> list[str]:
    """Split ``text`` after each ``cut`` character that sits outside ``opener``/``closer`` pairs.

    Blocks of minified CSS are cut at a ``}`` that closes depth 0 (``cut`` is the closer),
    selector lists at a ``,`` outside ``:is(...)``/``:where(...)`` (the comma is dropped).
    """
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
        if c == cut and depth == 0:
            end = i + 1 if cut == closer else i
            parts.append(text[start:end])
            start = i + 1
    parts.append(text[start:])
    return parts


def _needs(selector: str) -> _Needs:
    needs = []
    for part in _top_level(selector, ",", "(", ")"):
        part = _NOT.sub("", part)
        classes = {f".{c}" for c in _CLASS.findall(part) if not c.startswith(_HOST)}
        attrs = {f"[{a}={v}]" for a, v in _ATTR_EQ.findall(part)}
        needs.append(frozenset(classes | attrs))
    return tuple(needs)


@dataclass(frozen=True)
class _Rule:
    text: str
    """The whole rule; for an ``@media`` block, its head (``@media (...)``)."""
    needs: _Needs = ()
    inner: tuple[_Rule, ...] | None = None
    """The rules inside an ``@media`` block."""


@lru_cache(maxsize=8)
def _parsed(css: str) -> tuple[_Rule, ...]:
    rules = []
    for block in (b.strip() for b in _top_level(css, "}", "{", "}")):
        if not block:
            continue
        head = block[: block.index("{")]
        if block.startswith("@media"):
            rules.append(_Rule(head, inner=_parsed(block[len(head) + 1: -1])))
        elif block.startswith("@"):
            rules.append(_Rule(block))  # @keyframes (kept when used), @supports, @font-face: whole
        else:
            rules.append(_Rule(block, _needs(head)))
    return tuple(rules)


def _kept(rules: tuple[_Rule, ...], present: set[str]) -> list[str]:
    kept = []
    for rule in rules:
        if rule.inner is not None:
            inner = "".join(_kept(rule.inner, present))
            if inner:
                kept.append(f"{rule.text}{{{inner}}}")
        elif not rule.text.startswith("@keyframes") and (
                not rule.needs or any(n <= present for n in rule.needs)):
            kept.append(rule.text)
    return kept


def prune(css: str, html: str) -> str:
    """The rules of ``css`` that may apply to ``html``."""
    present = {f".{c}" for attr in _CLASS_ATTR.findall(html) for c in attr.split()}
    present |= {f"[{a}={v}]" for a, v in _HTML_ATTR.findall(html) if a != "class"}
    rules = _parsed(css)
    kept = "".join(_kept(rules, present))
    used = [r.text for r in rules if (m := _KEYFRAMES.match(r.text)) and re.search(rf"\b{m.group(1)}\b", kept)]
    return kept + "".join(used)

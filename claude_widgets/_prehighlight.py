"""The answer's code blocks highlighted while it streams, for the static record to reuse.

Why: the record (``_static``) is built before ``view.wait()`` returns, and Pygments is
most of its cost (~50 ms for the 400 code blocks of a 180 KB answer). The kernel thread
that reads the stream spends part of its time waiting for the next bytes; the flusher
thread (``_view``), between two flushes, highlights each fenced code block whose closing
fence has arrived (``work``), so that the record only highlights what was left.

Never a different record: a guess is keyed by the block's exact code and language, as the
record computes them from the rendered Markdown (``_static._highlighter``); highlighting is
a pure function of those two, so a reused result is the one the record would compute. A
block the scanner here gets wrong (a fence inside a list or a quote, an escaped info
string, a reset answer...) simply finds no match and is highlighted at the end, as before.
Each guess is used once: a block that occurs twice in an answer is highlighted twice.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from ._mathcode import highlight

__all__ = ["MAX_CODE", "Prehighlighted", "Prehighlighter"]

Prehighlighted = dict[tuple[str, str], list["str | None"]]
"""(language, code) → highlighted HTML (None: a language Pygments does not know), once per
occurrence; ``_static`` pops what it uses."""

MAX_CODE = 4_000
"""Longest code block (characters) highlighted while streaming: one job must not hold a
flush back by more than a few ms (Pygments: ~1 µs a character); longer ones wait for the end."""

_OPEN = re.compile(r"(`{3,}|~{3,})(.*)")
_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")


class _Fences:
    """One text block's lines, scanned for top-level fenced code (CommonMark's rules, simplified)."""

    __slots__ = ("fence", "lines", "partial", "size")

    def __init__(self) -> None:
        self.partial: list[str] = []  # the line not yet ended, in pieces (no quadratic joins)
        self.fence: tuple[str, int, str] | None = None  # (character, length, language) of the open fence
        self.lines: list[str] | None = []  # its code so far; None once longer than MAX_CODE
        self.size = 0

    def feed(self, text: str, jobs: list[tuple[str, str]]) -> None:
        start = 0
        while True:
            nl = text.find("\n", start)
            if nl < 0:
                if start < len(text):
                    self.partial.append(text[start:])
                return
            line = text[start:nl]
            if self.partial:
                self.partial.append(line)
                line = "".join(self.partial)
                self.partial.clear()
            self._line(line, jobs)
            start = nl + 1

    def _line(self, line: str, jobs: list[tuple[str, str]]) -> None:
        fence = self.fence
        if fence is None:
            if line[:1] in ("`", "~"):
                m = _OPEN.fullmatch(line)
                if m and not (m[1][0] == "`" and "`" in m[2]):
                    words = m[2].split()
                    self.fence = (m[1][0], len(m[1]), words[0] if words else "")
                    self.lines, self.size = [], 0
            return
        m = _CLOSE.fullmatch(line)
        if m and m[1][0] == fence[0] and len(m[1]) >= fence[1]:
            if fence[2] and self.lines is not None:
                jobs.append((fence[2], "".join(self.lines)))
            self.fence = None
            return
        if self.lines is not None:
            self.size += len(line) + 1
            if self.size > MAX_CODE:
                self.lines = None
            else:
                self.lines.append(line + "\n")


class Prehighlighter:
    """Fed the ops a view sends (any thread, under the answer's lock); worked by the flusher."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._incoming: list[tuple[int, str]] = []  # (block index, appended text), in order
        self._kinds: dict[int, str] = {}
        self._generation = 0  # a reset starts a new one: the worker drops what it had
        self._seen = 0  # the generation the worker's state belongs to
        self._fences: dict[int, _Fences] = {}
        self._jobs: list[tuple[str, str]] = []
        self._next = 0  # jobs before it are done
        self._done: dict[tuple[str, str], tuple[str | None, int]] = {}

    def feed(self, ops: list[list[Any]]) -> None:
        """Note the text blocks' appended text (``docs/widget-protocol.md``'s ops). Cheap."""
        with self._lock:
            for op in ops:
                kind = op[0]
                if kind == "append":
                    if self._kinds.get(op[1]) == "text":
                        self._incoming.append((op[1], op[3]))
                elif kind == "start":
                    self._kinds[op[1]] = op[2]["type"]
                elif kind == "reset":
                    self._incoming.clear()
                    self._kinds.clear()
                    self._generation += 1
                    self._done.clear()

    def pending(self) -> bool:
        return bool(self._incoming) or self._next < len(self._jobs)

    def work(self, until: float, clock: Callable[[], float]) -> None:
        """Scan what arrived, then highlight closed code blocks, each started before ``until``."""
        with self._lock:
            incoming, self._incoming = self._incoming, []
            generation = self._generation
        if generation != self._seen:
            self._seen = generation
            self._fences.clear()
            self._jobs.clear()
            self._next = 0
        for i, text in incoming:
            fences = self._fences.get(i)
            if fences is None:
                fences = self._fences[i] = _Fences()
            fences.feed(text, self._jobs)
        jobs = self._jobs
        while self._next < len(jobs) and clock() < until:
            lang, code = jobs[self._next]
            self._next += 1
            body = highlight(code, lang)
            with self._lock:
                if self._generation == generation:
                    key = (lang, code)
                    n = self._done[key][1] + 1 if key in self._done else 1
                    self._done[key] = (body, n)
        if self._next == len(jobs):
            jobs.clear()
            self._next = 0

    def results(self) -> Prehighlighted:
        """What was highlighted so far, each result once per block it was made for (a fresh copy)."""
        with self._lock:
            return {key: [body] * n for key, (body, n) in self._done.items()}

"""Joining a model's continuation to the text a reader already saw, without showing anything twice.

Models from Claude 4.6 on reject an assistant prefill, so an interrupted answer is resumed
the way Anthropic's streaming guide documents: the partial answer goes back as an
assistant turn and a user message asks the model to continue from where it left off
(:func:`continuation_prompt`). Unlike a prefill, the model then writes a *new* message
and is free to start it as it likes. Observed and simulated seams:

========================  ==================================  =================================
the model...              shown ``…over the``, it sends       reconciled by
========================  ==================================  =================================
continues exactly         ``" lazy dog"``                     nothing to do
repeats the last words    ``"over the lazy dog"``             trimming the overlap
restarts the sentence     ``"The fox jumped over the lazy"``  trimming the overlap
changes case / spacing    ``"The lazy dog"`` / ``"lazy dog"``  case- and whitespace-tolerant
                                                               overlap; a space at a
                                                               letter-letter seam
starts over               ``"Once upon … over the lazy dog"``  trimming the whole answer
starts over *differently*  ``"Of course. Once upon …"``        cannot be reconciled: reset
========================  ==================================  =================================

:class:`Reconciler` holds the continuation's first characters back until the seam is
decided, then releases text; the hold is bounded by the overlap window (or, for a model
that starts over, by the length of what was shown) and the work is linear in what it
holds. It never guesses silently: when the continuation repeats a long stretch of the
shown text that is not an overlap at the seam, it raises :class:`Unreconcilable` and the
caller restarts honestly (a :class:`~claude_widgets.ResetEvent`).
"""

from __future__ import annotations

__all__ = ["OVERLAP_WINDOW", "Reconciler", "Unreconcilable", "continuation_prompt"]

OVERLAP_WINDOW = 2000
"""Characters at the end of the shown text an overlap may cover (a restarted sentence or paragraph)."""

QUOTE_CHARS = 200
"""How much of the shown text the continuation prompt quotes."""

_SHINGLE = 40
"""A repeated stretch this long (normalised) that is not the seam's overlap means "started over"."""

_MIN_SHINGLE = 10
"""Shown text shorter than this is not checked for a restart (too little to tell)."""

_LONG_OVERLAP = 8
"""An overlap this long may begin mid-word (a model repeating the last N characters)."""

_HEAD = 200
"""How far into the continuation the repeated-stretch check looks."""


def continuation_prompt(shown: str) -> str:
    """The user message that asks a model to continue an interrupted answer.

    The wording follows Anthropic's streaming guide (error recovery for Claude 4.6 and
    later: "Your previous response was interrupted and ended with [previous_response].
    Continue from where you left off."); the quote is the end of the shown text, which
    the model also has in full as the preceding assistant turn.
    """
    tail = shown.rstrip()
    if len(tail) > QUOTE_CHARS:
        tail = "…" + tail[-QUOTE_CHARS:]
    return f"Your previous response was interrupted and ended with [{tail}]. Continue from where you left off."


class Unreconcilable(Exception):
    """The continuation cannot be joined to the shown text without showing something twice."""


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


class _Normalised:
    """A casefolded, whitespace-collapsed copy of a text, with the raw end of each character."""

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.raw_end: list[int] = []
        self._raw = 0
        self._space = False

    def feed(self, s: str) -> None:
        for c in s:
            self._raw += 1
            if c.isspace():
                if self.chars and not self._space:
                    self.chars.append(" ")
                    self.raw_end.append(self._raw)
                elif self.chars:
                    self.raw_end[-1] = self._raw  # a run of whitespace is one normalised space
                self._space = True
            else:
                self._space = False
                self.chars.append(c.lower())
                self.raw_end.append(self._raw)

    @property
    def text(self) -> str:
        return "".join(self.chars)


def normalise(s: str) -> str:
    n = _Normalised()
    n.feed(s)
    return n.text


class Reconciler:
    """Decides where a continuation joins ``shown`` and releases only what is new.

    Feed the continuation's text deltas to :meth:`feed`; each call returns the text to
    show now (possibly ``""`` while the seam is undecided). Call :meth:`finish` when the
    continuation's text block (or the message) ends. After the seam is decided, the first
    ``_HEAD`` characters released are still checked: a long stretch of the shown text
    repeated there means the model started over with other words, and :class:`Unreconcilable`
    is raised (the caller resets: explicit, never silently different text).
    ``trimmed`` is how many raw characters of the continuation were dropped as repeated
    and ``how`` says what was done, for :class:`~claude_widgets.Attempt`.
    """

    def __init__(self, shown: str, last_block: str | None = None, *, window: int = OVERLAP_WINDOW) -> None:
        block = shown if last_block is None else last_block
        tail = block[-window:]
        self._tail = normalise(tail)
        self._tail_starts = _word_starts(self._tail)
        self._all = normalise(shown)
        self._ends_space = bool(shown) and shown[-1].isspace()
        self._ends_letter = bool(shown) and shown[-1].isalpha()
        self._ends_stop = bool(shown) and shown[-1] in ".!?:;,"
        self._raw: list[str] = []
        self._norm = _Normalised()
        self._after = _Normalised()
        self._after_done = False
        self._shingle = min(_SHINGLE, len(self._all))
        self.decided = False
        self.trimmed = 0
        self.how = "continued"

    # ---- feeding
    def feed(self, s: str) -> str:
        if self.decided:
            self._check(s)
            return s
        self._raw.append(s)
        self._norm.feed(s)
        return self._try(final=False)

    def finish(self) -> str:
        """The continuation's block ended: decide with what arrived."""
        if self.decided:
            return ""
        return self._try(final=True)

    # ---- deciding
    def _try(self, *, final: bool) -> str:
        raw0 = self._raw[0] if self._raw else ""
        if raw0[:1].isspace() and not self._ends_space:
            self._after_done = True  # a leading space: the next word, exactly (a restart never starts so)
            return self._release(0, "continued")
        b = self._norm.text
        if not b:
            return self._release(0, "continued") if final else ""
        everything = self._all
        if everything and b.startswith(everything):
            return self._release(self._norm.raw_end[len(everything) - 1],
                                 "started over: the repeated answer was dropped")
        if not final:
            if everything.startswith(b):
                return ""  # may be starting over
            if b in self._tail:
                return ""  # may be repeating the last words
            if len(b) < _SHINGLE and b in everything:
                return ""  # may be repeating an earlier stretch (decided by the check)
        k = self._overlap(b)
        if k:
            return self._release(self._norm.raw_end[k - 1], f"repeated the last {k} characters: dropped")
        return self._release(0, "continued")

    def _overlap(self, b: str) -> int:
        """The longest end of the tail the continuation starts with, beginning at a word boundary."""
        tail = self._tail
        best_mid = 0
        for k in range(min(len(tail), len(b)), 0, -1):
            start = len(tail) - k
            if (start not in self._tail_starts and k < _LONG_OVERLAP) or tail[start:] != b[:k]:
                continue
            if not b[:k].strip():
                return k  # whitespace only: the seam's spacing
            if k == len(b) or not _is_word(b[k]) or not _is_word(b[k - 1]):
                return k
            if not best_mid and k >= 3:
                best_mid = k  # the model restarted a word it had begun ("jum" then "jumps")
        return best_mid

    def _release(self, raw_cut: int, how: str) -> str:
        self.decided = True
        self.trimmed = raw_cut
        raw = "".join(self._raw)
        self._raw = []
        rest = raw[raw_cut:]
        if self._ends_space:
            stripped = rest.lstrip()
            if raw_cut == 0 and stripped != rest:
                how = "continued (repeated whitespace dropped)"
            rest = stripped
        elif raw_cut == 0 and rest[:1].isalpha() and (
                self._ends_letter or (self._ends_stop and rest[:1].isupper())):
            rest = " " + rest  # a model starting a new message drops the word's leading space
            how = "continued (a space restored at the seam)"
        self.how = how
        self._check(rest)
        return rest

    def _check(self, s: str) -> None:
        """Raise if the start of what is released repeats a long stretch of the shown text."""
        after = self._after
        n = self._shingle
        if self._after_done or len(after.chars) >= _HEAD or n < _MIN_SHINGLE:
            return
        before = len(after.chars)
        after.feed(s[: 2 * _HEAD])
        text = after.text
        for end in range(max(before + 1, n), min(len(text), _HEAD) + 1):
            if text[end - n:end] in self._all:
                raise Unreconcilable("the continuation repeats the answer shown so far with other words "
                                     "(the model started over)")


def _word_starts(text: str) -> set[int]:
    """Offsets in normalised ``text`` where an overlap may begin: word starts and non-word characters."""
    starts = {0}
    for i in range(1, len(text) + 1):
        prev = text[i - 1]
        if i < len(text) and (not _is_word(prev) or not _is_word(text[i])):
            starts.add(i)
    return starts


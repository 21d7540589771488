"""Endless text, generated while it streams: the ``long`` scenario's answer.

Building a long answer whole before the first byte cost seconds of CPU on the event loop
(every other client waited) and memory in proportion to ``max_tokens``. An
:class:`Endless` text is a function that yields chunks on demand; the server tokenises,
cuts (``max_tokens``, ``stop_sequences``) and sends it chunk by chunk, so the first byte
leaves at once, memory stays constant, and the loop runs other clients between chunks.

The text is tokenised only up to a point where non-whitespace is followed by whitespace:
no piece of ``_tokens`` spans such a point, so tokenising part by part gives exactly the
pieces (and the delta boundaries) of tokenising the whole text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from itertools import chain, islice

from . import _tokens


@dataclass(frozen=True)
class Endless:
    """``head`` then the chunks of a generator, without end; ``skip`` characters of it were already sent."""

    chunks: Callable[[], Iterator[str]]
    skip: int = 0
    head: str = ""

    def text(self) -> Iterator[str]:
        """The text from ``skip`` on, chunk by chunk."""
        todo = self.skip
        for chunk in chain((self.head,), self.chunks()):
            if todo >= len(chunk):
                todo -= len(chunk)
                continue
            yield chunk[todo:]
            todo = 0

    def after(self, prefix: str) -> Endless | None:
        """The rest of the text after ``prefix``, or None if the text does not start with it."""
        seen = 0
        for chunk in self.text():
            if seen >= len(prefix):
                break
            want = prefix[seen: seen + len(chunk)]
            if not chunk.startswith(want):
                return None
            seen += len(chunk)
        return replace(self, skip=self.skip + len(prefix))

    def limit(self, max_tokens: int, stop_sequences: list[str]) -> Limited:
        return Limited(self, max_tokens, list(stop_sequences))


class Limited:
    """An endless text cut at ``max_tokens`` or at the first stop sequence, like ``_answer._cut``.

    :meth:`pieces` yields the token pieces to send; once it is exhausted, ``stop_reason``
    and ``stop_sequence`` say why it ended.
    """

    def __init__(self, text: Endless, max_tokens: int, stop_sequences: list[str]) -> None:
        self.source = text
        self.max_tokens = max_tokens
        self.stop_sequences = [s for s in stop_sequences if s]
        self.stop_reason = "max_tokens"
        self.stop_sequence: str | None = None

    def pieces(self) -> Iterator[str]:
        budget = self.max_tokens
        # A stop sequence can span chunks: a chunk is released only once enough of the next
        # ones has been generated to see any stop sequence that starts in it.
        lookahead = max((len(s) for s in self.stop_sequences), default=1) - 1
        chunks = self.source.text()
        pending = ""  # generated, not yet sent; starts at a chunk boundary
        while budget > 0:
            for more in islice(chunks, 1):
                pending += more
            hits = [(pending.find(s), s) for s in self.stop_sequences if s in pending]
            if hits:
                pos, seq = min(hits)
                before = _tokens.pieces(pending[:pos])
                if len(before) <= budget:
                    self.stop_reason, self.stop_sequence = "stop_sequence", seq
                yield from before[:budget]
                return
            # Send whole chunks that no stop sequence can reach into any more.
            cut = len(pending) - lookahead
            boundary = _last_boundary(pending, cut)
            if boundary <= 0:
                continue
            ready = _tokens.pieces(pending[:boundary])
            yield from ready[:budget]
            budget -= min(len(ready), budget)
            pending = pending[boundary:]


def _last_boundary(text: str, limit: int) -> int:
    """The last position <= ``limit`` where non-whitespace is followed by whitespace (a safe cut)."""
    i = min(limit, len(text) - 1)
    while i > 0:
        if text[i].isspace() and not text[i - 1].isspace():
            return i
        i -= 1
    return 0

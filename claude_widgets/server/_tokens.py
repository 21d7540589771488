"""Deterministic stand-ins for tokenisation: counting and splitting into deltas.

The offline server has no model and no tokenizer, but learners read ``usage`` and
watch deltas arrive, so both must be plausible and, above all, deterministic: the same
request always yields the same counts and the same delta boundaries (stored notebook
outputs are compared strictly). A GPT-2-style pre-tokenising regex gives about 1.3
pieces per English word, close to what the real API reports, and its pieces
concatenate back to the input exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice

# Words with their leading space, numbers in runs of up to 3 digits, punctuation runs,
# and whitespace. Every character matches exactly one alternative, so the pieces
# re-join to the original text (tested).
_PIECE = re.compile(r" ?[^\W\d_]+| ?\d{1,3}| ?[^\s\w]+|_+|\s+(?!\S)|\s+")

# Delta sizes in pieces, cycled: the real API sends "a few characters to a few words".
_DELTA_PIECES = (2, 3, 1, 4, 2, 3, 2, 1, 3, 4)


def pieces(text: str) -> list[str]:
    """Split ``text`` into token-like pieces that join back to it."""
    return _PIECE.findall(text)


def count_tokens(text: str) -> int:
    """A deterministic, plausible token count for ``text``."""
    return len(_PIECE.findall(text))


def deltas(text: str, *, start: int = 0) -> Iterator[tuple[str, int]]:
    """Yield ``(delta_text, tokens_in_delta)`` covering ``text`` in API-sized chunks.

    ``start`` shifts the cycle of chunk sizes so that neighbouring blocks don't all
    begin with the same rhythm.
    """
    return group(iter(pieces(text)), start=start)


def group(ps: Iterator[str], *, start: int = 0) -> Iterator[tuple[str, int]]:
    """:func:`deltas` for pieces that arrive one by one (an endless text, see ``_endless``)."""
    k = start
    while True:
        chunk = list(islice(ps, _DELTA_PIECES[k % len(_DELTA_PIECES)]))
        if not chunk:
            return
        k += 1
        yield "".join(chunk), len(chunk)


def json_deltas(text: str) -> Iterator[str]:
    """Chunks of serialised JSON the way ``input_json_delta`` arrives: a few characters each.

    The real API splits tool input at arbitrary points (mid-key, mid-string); so do we,
    to teach that ``partial_json`` is not valid JSON until the block stops.
    """
    sizes = (5, 9, 3, 12, 7, 4, 10, 6)
    i = 0
    k = 0
    while i < len(text):
        n = sizes[k % len(sizes)]
        k += 1
        yield text[i : i + n]
        i += n

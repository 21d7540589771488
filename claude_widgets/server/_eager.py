"""Fine-grained tool streaming: how a tool call's input goes over the wire, buffered or eager.

Two modes, as the API documents them (platform.claude.com/docs/en/agents-and-tools/tool-use/
fine-grained-tool-streaming):

- **Buffered** (the default): the API buffers each parameter value until it is complete
  and valid, then streams it in small chunks ('{"', 'query": "Ty', 'peScri', … in the
  docs' example). The chunks of a value arrive in a burst once the value is complete,
  and a value cut by ``max_tokens`` never reaches the stream (the maintainers' words in
  anthropics/anthropic-sdk-python#794; router-for-me/CLIProxyAPI#4675 shows it on the
  wire: the finished ``path`` arrives, the cut ``content`` does not).
- **Eager** (``eager_input_streaming: true`` on the tool, or, for tools that leave the
  field out, the legacy beta header ``fine-grained-tool-streaming-2025-05-14``): no
  buffering and no JSON validation. Chunks arrive as the input is generated, so the
  first one comes sooner, and they are longer with fewer word breaks ('{"query":
  "TypeScript 5.0 5.1 5.2 5.3', ' new features comparison'). When ``max_tokens`` cuts
  the call, the stream ends midway through a value: the concatenated ``partial_json`` is
  not valid JSON.

What the SDKs then do with a cut eager input (their ``lib/streaming`` code): the Python
SDK parses every prefix with jiter's partial mode, which accepts any truncation, so it
does not raise; ``messages.stream`` keeps the complete values (``partial_mode=True``
drops the unfinished string), and ``beta.messages.stream`` with the legacy beta header
keeps the unfinished string too (``partial_mode="trailing-strings"``). The raw text stays
available from the ``input_json`` events. The non-streaming body holds what
``messages.stream(...).get_final_message()`` rebuilds in the same mode, so the two agree.

Time is modelled too: a chunk is released when the pieces it needs have been
"generated" at :data:`PIECES_PER_UNIT` pieces per pacing unit (one text delta's worth of
the server's ``delay_ms``), so eager chunks start sooner while the total stays the same.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from . import _tokens
from ._errors import invalid

if TYPE_CHECKING:  # _answer imports this module to chunk tool input
    from ._answer import Answer

BETA = "fine-grained-tool-streaming-2025-05-14"
"""The legacy beta header that turns eager streaming on for tools without the field."""

PIECES_PER_UNIT = 2.5
"""Pieces generated per pacing unit: the average size of a text delta (``_tokens``)."""

_EAGER_SIZES = (8, 12, 16, 10, 14, 9)
"""Eager chunk sizes in pieces, cycled: several words each, as in the docs' example."""


def check_tool(tool: dict[str, Any], index: int) -> None:
    """``eager_input_streaming`` is a boolean or null (the SDK's ``ToolParam``)."""
    value = tool.get("eager_input_streaming")
    if value is not None and not isinstance(value, bool):
        raise invalid(f"tools.{index}.custom.eager_input_streaming: Input should be a valid boolean")


def eager_tools(tools: Iterable[Any], beta_header: str) -> frozenset[str]:
    """Names of the tools whose input streams eagerly in this request."""
    legacy = BETA in {b.strip() for b in beta_header.split(",")}
    return frozenset(t["name"] for t in tools if isinstance(t, dict) and isinstance(t.get("name"), str)
                     and (t.get("eager_input_streaming") is True
                          or (legacy and t.get("eager_input_streaming") is None)))


def mark(answer: Answer, names: frozenset[str]) -> Answer:
    """The answer with the tool calls of eager tools marked as such."""
    if not names:
        return answer
    return replace(answer, blocks=[replace(b, eager=True) if b.type == "tool_use" and b.name in names else b
                                   for b in answer.blocks])


def _value_ends(raw: str) -> list[int]:
    """Where each top-level value of the JSON object ``raw`` ends (a top-level comma, the last ``}``)."""
    ends: list[int] = []
    depth = 0
    in_string = escaped = False
    for i, ch in enumerate(raw):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                ends.append(i + 1)
        elif ch == "," and depth == 1:
            ends.append(i)
    return ends


def emitted(raw: str, *, eager: bool, cut: bool) -> str:
    """The part of the tool input ``raw`` that reaches the stream.

    All of it, except when ``max_tokens`` cut a buffered call: then only the values that
    were complete (the cut one stays in the buffer).
    """
    if eager or not cut:
        return raw
    ends = _value_ends(raw)
    return raw[: ends[-1]] if ends else ""


def _release_clock(raw: str, stops: list[int]) -> list[float]:
    """For each position in ``stops``, when the pieces up to it have been generated (pacing units)."""
    bounds = []
    at = 0
    for piece in _tokens.pieces(raw):
        at += len(piece)
        bounds.append(at)
    # the pieces needed to reach a position: those that end before it, plus the one it falls in
    return [(bisect.bisect_left(bounds, stop) + (1 if stop else 0)) / PIECES_PER_UNIT for stop in stops]


def input_chunks(raw: str, *, eager: bool, cut: bool) -> Iterator[tuple[str, float]]:
    """``(partial_json, hold)`` for the tool input ``raw``; ``hold`` is the pacing units to wait before it.

    ``raw`` is the input the model generated (the truncated JSON when ``cut``).
    """
    text = emitted(raw, eager=eager, cut=cut)
    if eager:
        ps = _tokens.pieces(text)
        chunks, i, k = [], 0, 0
        while i < len(ps):
            n = _EAGER_SIZES[k % len(_EAGER_SIZES)]
            chunks.append("".join(ps[i : i + n]))
            i, k = i + n, k + 1
        releases = _release_clock(raw, _ends(chunks))
    else:
        # The same small chunks as ever; each one waits until the value holding its last
        # character is complete, so a value's chunks arrive in a burst.
        chunks = list(_tokens.json_deltas(text))
        value_ends = _value_ends(raw)
        stops = [value_ends[min(bisect.bisect_left(value_ends, end), len(value_ends) - 1)] if value_ends else end
                 for end in _ends(chunks)]
        releases = _release_clock(raw, stops)
    previous = 0.0
    for chunk, release in zip(chunks, releases, strict=True):
        yield chunk, max(0.0, release - previous)
        previous = max(previous, release)


def _ends(chunks: list[str]) -> list[int]:
    ends, at = [], 0
    for chunk in chunks:
        at += len(chunk)
        ends.append(at)
    return ends

"""An answer (content blocks + stop reason) and how it streams as Messages API events.

Scenarios and cassettes decide *what* is answered; this module decides *how it goes
over the wire*, identically for all of them: the event sequence of the real API
(``message_start``, ``content_block_start``, ``ping``, deltas, ``content_block_stop``,
``message_delta`` with cumulative usage, ``message_stop``), deltas of a few tokens,
``max_tokens`` and ``stop_sequences`` cutting the answer exactly where the API would,
and continuation of a prefilled assistant turn.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import jiter

from . import _eager, _tokens
from ._endless import Endless, Limited

BlockType = Literal["text", "thinking", "tool_use"]
SIGNATURE_KEY = b"claude-widgets offline server"


@dataclass
class Block:
    type: BlockType
    text: str = ""
    """The text of a text block or the thinking of a thinking block."""
    name: str = ""
    id: str = ""
    input: dict[str, Any] = field(default_factory=dict)
    endless: Endless | None = None
    """For a text block that never ends (the ``long`` scenario): its text, generated as it is sent."""
    eager: bool = False
    """A tool call whose input streams without buffering (see ``_eager``)."""
    citations: list[dict[str, Any]] | None = None
    """A text block's citations (see ``_citations``); None for a block that cites nothing."""

    def output_text(self) -> str:
        """What this block costs in output tokens (tool input counts as its JSON)."""
        return json.dumps(self.input) if self.type == "tool_use" else self.text


@dataclass
class Answer:
    blocks: list[Block]
    stop_reason: str = "end_turn"


@dataclass(frozen=True)
class Event:
    """One SSE event; ``content`` marks the deltas that fault injection counts."""

    name: str
    data: dict[str, Any]
    content: bool = False
    hold: float | None = None
    """Pacing units to wait before this event; None: one unit for a content delta."""


def sign(thinking: str) -> str:
    """An opaque, verifiable signature for a thinking block (the API's is opaque too)."""
    digest = hashlib.sha256(SIGNATURE_KEY + thinking.encode()).digest()
    return base64.b64encode(b"\x12\x08offline" + digest * 3).decode()


def continue_after(answer: Answer, prefix: str) -> Answer:
    """The rest of ``answer`` after the text ``prefix`` a prefilled assistant turn holds.

    Resilient streaming relies on this: an answer interrupted after ``prefix`` and resumed
    with it as prefill continues exactly where it stopped, so the two parts join into the
    uninterrupted answer. A prefix that is not the answer's beginning (a learner's own
    prefill) is continued with the answer after a space.
    """
    text_so_far = ""
    for i, block in enumerate(answer.blocks):
        if block.type != "text":
            continue
        if block.endless is not None:
            after = block.endless.after(prefix[len(text_so_far):]) if prefix.startswith(text_so_far) else None
            if after is None:
                break
            return Answer([replace(block, endless=after)] + answer.blocks[i + 1 :], answer.stop_reason)
        candidate = text_so_far + block.text
        if candidate.startswith(prefix):
            rest = candidate[len(prefix):]
            tail = answer.blocks[i + 1 :]
            head = [replace(block, text=rest)] if rest else []
            return Answer(head + tail, answer.stop_reason)
        if not prefix.startswith(candidate):
            break
        text_so_far = candidate
    texts = [b for b in answer.blocks if b.type == "text"]
    first = texts[0].text if texts else ""
    joiner = "" if not prefix or prefix[-1] in "([{\"'/-" else " "
    if texts and texts[0].endless is not None:
        return Answer([replace(texts[0], endless=replace(texts[0].endless, skip=0, head=joiner))]
                      + [b for b in answer.blocks if b.type == "tool_use"], answer.stop_reason)
    return Answer([Block("text", joiner + first)] + [b for b in answer.blocks if b.type == "tool_use"],
                  answer.stop_reason)


def _usage(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
    }


def _cut(answer: Answer, max_tokens: int, stop_sequences: list[str]) -> tuple[list[Block], str, str | None]:
    """Apply ``stop_sequences`` and ``max_tokens``: the blocks actually produced and why it stopped."""
    out: list[Block] = []
    budget = max_tokens
    for block in answer.blocks:
        if block.endless is not None:
            # Endless: always cut, by max_tokens or a stop sequence; which one is known once sent
            # (see _limited).
            return out + [block], "max_tokens", None
        if block.type == "text" and stop_sequences:
            hits = [(block.text.find(s), s) for s in stop_sequences if s in block.text]
            if hits:
                pos, seq = min(hits)
                before = block.text[:pos]
                if _tokens.count_tokens(before) <= budget:
                    out.append(replace(block, text=before))
                    return out, "stop_sequence", seq
        cost = _tokens.count_tokens(block.output_text())
        if cost > budget:
            if block.type == "tool_use":
                partial = json.dumps(block.input)
                pieces = _tokens.pieces(partial)[:budget]
                out.append(replace(block, text="".join(pieces)))  # text holds the truncated JSON
            else:
                out.append(replace(block, text="".join(_tokens.pieces(block.text)[:budget])))
            return out, "max_tokens", None
        budget -= cost
        out.append(block)
    return out, answer.stop_reason, None


def _limited(blocks: list[Block], max_tokens: int, stop_sequences: list[str]) -> Limited | None:
    """The cut of a final endless block, with the budget the blocks before it left."""
    if not blocks or blocks[-1].endless is None:
        return None
    spent = sum(_tokens.count_tokens(b.output_text()) for b in blocks[:-1])
    return blocks[-1].endless.limit(max_tokens - spent, stop_sequences)


def message_skeleton(msg_id: str, model: str, input_tokens: int) -> dict[str, Any]:
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": _usage(input_tokens, 1),
    }


def stream_events(
    answer: Answer, *, msg_id: str, model: str, input_tokens: int, max_tokens: int,
    stop_sequences: list[str],
) -> Iterator[Event]:
    """The answer as the real API streams it."""
    blocks, stop_reason, stop_sequence = _cut(answer, max_tokens, stop_sequences)
    endless = _limited(blocks, max_tokens, stop_sequences)
    yield Event("message_start", {"type": "message_start",
                                  "message": message_skeleton(msg_id, model, input_tokens)})
    output_tokens = 0
    for index, block in enumerate(blocks):
        if block.type == "text":
            start: dict[str, Any] = {"type": "text", "text": ""}
            if block.citations is not None:
                start["citations"] = []  # the API's start of a cited block (then citations_delta)
        elif block.type == "thinking":
            start = {"type": "thinking", "thinking": "", "signature": ""}
        else:
            start = {"type": "tool_use", "id": block.id, "name": block.name, "input": {}}
        yield Event("content_block_start", {"type": "content_block_start", "index": index, "content_block": start})
        if index == 0:
            yield Event("ping", {"type": "ping"})
        if block.type == "tool_use":
            cut = stop_reason == "max_tokens" and index == len(blocks) - 1
            raw = block.text if cut else json.dumps(block.input)
            output_tokens += _tokens.count_tokens(raw)
            # The API opens every tool input with an empty partial_json.
            yield Event("content_block_delta", {"type": "content_block_delta", "index": index,
                                                "delta": {"type": "input_json_delta", "partial_json": ""}}, True)
            for chunk, hold in _eager.input_chunks(raw, eager=block.eager, cut=cut):
                yield Event("content_block_delta", {"type": "content_block_delta", "index": index,
                                                    "delta": {"type": "input_json_delta", "partial_json": chunk}},
                            True, hold)
        else:
            for citation in block.citations or ():
                yield Event("content_block_delta", {"type": "content_block_delta", "index": index,
                                                    "delta": {"type": "citations_delta", "citation": citation}}, True)
            kind, key = ("text_delta", "text") if block.type == "text" else ("thinking_delta", "thinking")
            chunks = (_tokens.group(endless.pieces(), start=index) if endless and block.endless
                      else _tokens.deltas(block.text, start=index))
            for chunk, n in chunks:
                output_tokens += n
                yield Event("content_block_delta", {"type": "content_block_delta", "index": index,
                                                    "delta": {"type": kind, key: chunk}}, True)
            if block.type == "thinking":
                yield Event("content_block_delta", {"type": "content_block_delta", "index": index,
                                                    "delta": {"type": "signature_delta",
                                                              "signature": sign(block.text)}}, True)
        yield Event("content_block_stop", {"type": "content_block_stop", "index": index})
    if endless:
        stop_reason, stop_sequence = endless.stop_reason, endless.stop_sequence
    yield Event("message_delta", {"type": "message_delta",
                                  "delta": {"stop_reason": stop_reason, "stop_sequence": stop_sequence},
                                  "usage": _usage(input_tokens, max(output_tokens, 1))})
    yield Event("message_stop", {"type": "message_stop"})


def message_json(
    answer: Answer, *, msg_id: str, model: str, input_tokens: int, max_tokens: int,
    stop_sequences: list[str],
) -> dict[str, Any]:
    """The non-streaming response: exactly what the stream accumulates to."""
    blocks, stop_reason, stop_sequence = _cut(answer, max_tokens, stop_sequences)
    endless = _limited(blocks, max_tokens, stop_sequences)
    if endless:
        blocks[-1] = replace(blocks[-1], text="".join(endless.pieces()), endless=None)
        stop_reason, stop_sequence = endless.stop_reason, endless.stop_sequence
    content: list[dict[str, Any]] = []
    for index, block in enumerate(blocks):
        if block.type == "tool_use" and stop_reason == "max_tokens" and index == len(blocks) - 1:
            # Cut by max_tokens: the input the stream's partial JSON gives (the SDK parses it with jiter).
            sent = _eager.emitted(block.text, eager=block.eager, cut=True)
            partial = jiter.from_json(sent.encode(), partial_mode=True) if sent else {}
            content.append({"type": "tool_use", "id": block.id, "name": block.name, "input": partial})
        elif block.type == "text":
            content.append({"type": "text", "text": block.text} if block.citations is None
                           else {"type": "text", "text": block.text, "citations": block.citations})
        elif block.type == "thinking":
            content.append({"type": "thinking", "thinking": block.text, "signature": sign(block.text)})
        else:
            content.append({"type": "tool_use", "id": block.id, "name": block.name, "input": block.input})
    output = sum(_tokens.count_tokens(b.output_text()) for b in blocks)
    msg = message_skeleton(msg_id, model, input_tokens)
    msg.update(content=content, stop_reason=stop_reason, stop_sequence=stop_sequence,
               usage=_usage(input_tokens, max(output, 1)))
    return msg

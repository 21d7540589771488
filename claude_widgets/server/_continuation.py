"""Both sides of resuming an interrupted answer, played honestly by the offline server.

**Recognising a continuation.** Models that reject an assistant prefill (Claude 4.6 and
later) are resumed as Anthropic's streaming guide documents: the partial answer is sent
back as an assistant turn, followed by a user message saying the previous response was
interrupted and asking to continue from where it left off. A request is treated as such a
continuation when its last message is a user turn of text only that

- mentions the previous/last/prior/earlier response, answer, reply, message or output
  being interrupted, cut off, cut short, truncated or incomplete, **and**
- asks to continue (``continue``, ``keep going``, ``carry on``, ``pick up``, ``resume``),

and the message before it is an assistant turn holding text. The documented wording
(``Your previous response was interrupted and ended with [...]. Continue from where you
left off.``) and its reasonable variants match; anything else is an ordinary new turn.
The answer then continues the scenario's answer (to the conversation before the partial
turn) from the partial text; with thinking on, a fresh thinking block comes first, as a
model thinks again on every request.

**Imperfect continuations** (fault spec ``continue=MODE``, see :mod:`._faults`): a real
model asked to continue does not always pick up at the exact character. ``exact`` (the
default) continues exactly; ``repeat`` repeats the last ``repeat=N`` characters (default
12, mid-word included); ``sentence`` restarts the last sentence; ``capital`` repeats the
last word with a capital letter; ``space`` drops the leading space of the continuation (or
doubles the whitespace when the partial text ends with some); ``restart`` starts the whole
answer over.

**Answers that vary** (fault spec ``vary=K``, or ``OfflineServer(vary=True)``: each new
request a different K): variant K of an answer opens with a different phrase, as sampling
gives different words each time. Variant 0 is the plain answer, so stored notebook outputs
do not change. A continuation continues the variant its partial text came from, as a
model continues what it wrote; ``restart`` with ``vary=K`` starts over *as variant K*, the
case a client cannot reconcile and must reset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ._answer import Answer, Block, continue_after
from ._request import MessagesRequest

OPENINGS = ("", "Certainly! ", "Of course. ", "Happy to help. ", "Good question. ", "Here goes. ")
"""Variant K of an answer opens with ``OPENINGS[K % len(OPENINGS)]``."""

MODES = ("exact", "repeat", "sentence", "capital", "space", "restart")

_INTERRUPTED = re.compile(
    r"\b(previous|last|prior|earlier)\s+(response|answer|reply|message|output)\b[^.]*?"
    r"\b(interrupted|cut\s+off|cut\s+short|truncated|incomplete)", re.IGNORECASE | re.DOTALL)
_CONTINUE = re.compile(r"\b(continue|keep\s+going|carry\s+on|pick\s+up|resume)\b", re.IGNORECASE)

CONTINUATION_THINKING = ("My previous response was interrupted. I'll continue from exactly where it "
                         "stopped, without repeating what is already there.")


@dataclass(frozen=True)
class Continuation:
    partial: str
    """The text of the interrupted assistant turn."""
    base: MessagesRequest
    """The request as it was before the interruption (its answer is what is continued)."""


def recognise(req: MessagesRequest) -> Continuation | None:
    """The continuation ``req`` asks for, or None for an ordinary request."""
    msgs = req.messages
    if len(msgs) < 3 or msgs[-1]["role"] != "user" or msgs[-2]["role"] != "assistant":
        return None
    last = msgs[-1]["content"]
    if not last or any(b.get("type") != "text" for b in last):
        return None
    ask = "\n".join(b.get("text", "") for b in last)
    if not (_INTERRUPTED.search(ask) and _CONTINUE.search(ask)):
        return None
    partial = "".join(b.get("text", "") for b in msgs[-2]["content"] if b.get("type") == "text")
    if not partial.strip():
        return None
    return Continuation(partial, replace(req, messages=msgs[:-2]))


def vary(answer: Answer, k: int) -> Answer:
    """Variant ``k`` of ``answer``: its first text block opens with another phrase."""
    opening = OPENINGS[k % len(OPENINGS)]
    if not opening:
        return answer
    blocks = list(answer.blocks)
    for i, b in enumerate(blocks):
        if b.type == "text":
            blocks[i] = replace(b, text=opening + b.text)
            break
    return Answer(blocks, answer.stop_reason)


def variant_of(answer: Answer, partial: str) -> Answer:
    """The variant of ``answer`` that ``partial`` is the beginning of (the plain one if none is)."""
    for k in range(len(OPENINGS)):
        candidate = vary(answer, k)
        if _text(candidate).startswith(partial.rstrip()):
            return candidate
    return answer


def _text(answer: Answer) -> str:
    return "".join(b.text for b in answer.blocks if b.type == "text")


def continue_answer(original: Answer, cont: Continuation, *, mode: str = "exact", repeat: int = 12,
                    variant: int | None = None, thinking: bool = False, omitted: bool = False) -> Answer:
    """The continuation of ``original`` (the base request's answer, thinking excluded) after the partial text."""
    plain = Answer([b for b in original.blocks if b.type != "thinking"], original.stop_reason)
    partial = cont.partial
    source = variant_of(plain, partial)  # the model continues what it wrote
    if mode == "restart":
        rest = vary(plain, variant) if variant is not None else source
    else:
        rest = continue_after(source, partial)
        rest = _imperfect(rest, partial, mode, repeat)
    blocks = list(rest.blocks)
    if thinking:
        blocks.insert(0, Block("thinking", "" if omitted else CONTINUATION_THINKING))
    return Answer(blocks, rest.stop_reason)


def _imperfect(rest: Answer, partial: str, mode: str, repeat: int) -> Answer:
    if mode == "exact" or not rest.blocks or rest.blocks[0].type != "text":
        return rest
    first = rest.blocks[0]
    text = first.text
    shown = partial
    if mode == "repeat":
        text = shown[-repeat:] + text if repeat > 0 else text
    elif mode == "sentence":
        cut = max(shown.rstrip().rfind(p) for p in (". ", "! ", "? ", "\n"))
        text = shown[cut + 1:].lstrip() + text if cut >= 0 else shown + text
    elif mode == "capital":
        last = shown.rstrip().rsplit(None, 1)[-1] if shown.strip() else ""
        if last[:1].isalpha():
            sep = " " if shown[-1:].isspace() and not text[:1].isspace() else ""
            text = last[:1].upper() + last[1:] + sep + text
    elif mode == "space":
        if shown[-1:].isspace():
            text = "\n" + text
        elif text[:1] == " " and text[1:2].isalpha():
            text = text[1:]
    return Answer([replace(first, text=text), *rest.blocks[1:]], rest.stop_reason)

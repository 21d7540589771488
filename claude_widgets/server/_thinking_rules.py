"""What the API refuses when thinking is on, and thinking blocks sent back altered or not at all.

Wordings are the API's, as reported verbatim in public bug reports:

- forced tool use: "Thinking may not be enabled when tool_choice forces tool use."
  (mastra-ai/mastra#7507);
- ``temperature``/``top_k``: the extended-thinking page lists both as incompatible
  (``temperature`` only at 1, ``top_k`` unset);
- a tool loop must send the assistant turn back starting with its thinking block, and
  signatures must verify (the extended-thinking page, "Preserving thinking blocks").

Signatures this server made (``_answer.sign``) are checked; one made by the real API (a
cassette's) can't be checked offline and is accepted.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ._answer import sign
from ._errors import invalid

_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
_OFFLINE_MARK = b"\x12\x08offline"


def _ours(signature: str) -> bool:
    try:
        return base64.b64decode(signature, validate=True).startswith(_OFFLINE_MARK)
    except (binascii.Error, ValueError):
        return False


def check_signatures(messages: list[dict[str, Any]]) -> None:
    """Every thinking block this server signed comes back unmodified."""
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        for j, block in enumerate(message["content"]):
            if block.get("type") != "thinking":
                continue
            signature = block.get("signature")
            if not isinstance(signature, str) or not isinstance(block.get("thinking"), str):
                raise invalid(f"messages.{i}.content.{j}.thinking.signature: Field required")
            if _ours(signature) and signature != sign(block["thinking"]):
                raise invalid(f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block")


def check(body: dict[str, Any], messages: list[dict[str, Any]], tool_choice: dict[str, Any], thinking: bool) -> None:
    """The API's refusals for a request with thinking on (``thinking`` says whether it is)."""
    check_signatures(messages)
    if not thinking:
        return
    if tool_choice.get("type") in ("any", "tool"):
        raise invalid("Thinking may not be enabled when tool_choice forces tool use.")
    if body.get("temperature") is not None and body["temperature"] != 1:
        raise invalid("`temperature` may only be set to 1 when thinking is enabled. Please consult our "
                      f"documentation at {_DOCS}#feature-compatibility")
    if body.get("top_k") is not None:
        raise invalid(f"`top_k` must be unset when thinking is enabled. Please consult our documentation at "
                      f"{_DOCS}#feature-compatibility")
    last_user = messages[-1] if messages[-1]["role"] == "user" else None
    in_tool_loop = last_user is not None and any(b.get("type") == "tool_result" for b in last_user["content"])
    if in_tool_loop and len(messages) >= 2:
        i = len(messages) - 2
        first = messages[i]["content"][0] if messages[i]["content"] else {"type": "nothing"}
        if first.get("type") not in ("thinking", "redacted_thinking"):
            raise invalid(
                f"messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
                f"`{first.get('type')}`. When `thinking` is enabled, a final `assistant` message must start with a "
                "thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend "
                "you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. "
                f"Please consult our documentation at {_DOCS}")

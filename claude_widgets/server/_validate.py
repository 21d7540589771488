"""Turning raw request bytes into a JSON body the rest of the server can trust, or an API 400.

``_request`` checks what the API's *rules* say (required fields, ranges, model rules);
this module guarantees the *shapes* that code (and the scenarios after it) relies on,
so that no request body, however hostile, ends in a plain-text 500 or in a 200 whose
stream is cut mid-way. It is called from one place, :func:`claude_widgets.server._app`'s
body reader, before anything else looks at the body:

1. :func:`parse_body` decodes strict UTF-8 and strict JSON (no ``NaN``), refuses nesting
   deeper than :data:`MAX_DEPTH` (deeper JSON made the decoder raise ``RecursionError``), and refuses lone UTF-16 surrogate escapes (``"\\ud800"``),
   which cannot be encoded back to UTF-8 and would break the response half-way.
   The real API answers these with ``The request body is not valid JSON: no low surrogate
   in string: line 1 column N (char M)`` (seen in anthropics/claude-code issues #1939,
   #2108, #60394): the same wording, from the same position, is produced here.
2. :func:`check_shapes` checks the nested fields whose wrong type would crash later code:
   tool ``input_schema`` (``properties`` a dictionary of schemas, ``required`` a list of
   strings, ``enum`` a non-empty list), ``tool_use`` blocks (``id``/``name`` strings, ``input``
   a dictionary) and ``tool_result`` blocks (``content`` a string or a list of blocks whose
   text is a string). Messages name the field path the way the API (pydantic) does:
   ``messages.1.content.0.tool_use.id: Input should be a valid string``.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from ._errors import APIError, invalid

MAX_DEPTH = 128
"""Deepest nesting of arrays/objects accepted (serde_json's and jiter's default limit is 128)."""

_NOT_JSON = "The request body is not valid JSON: "
_TOO_DEEP = f"{_NOT_JSON}recursion limit exceeded (arrays and objects nest deeper than {MAX_DEPTH} levels)"

# A JSON string literal. The lookahead-and-backreference is an atomic group (3.10 has no
# possessive quantifiers), so an unterminated string cannot make the match backtrack.
_STRING = re.compile(r'"(?:(?=(?P<run>[^"\\]+))(?P=run)|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# A \u escape of a high surrogate not followed by a low one, or a low surrogate not preceded
# by a high one. ``(?<!\\)(?:\\\\)*`` makes sure the backslash starts an escape (an even run
# of backslashes before it are escaped backslashes).
_LONE_HIGH = re.compile(r"(?<!\\)(?:\\\\)*(\\u[dD][89abAB][0-9a-fA-F]{2})(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})")
_LONE_LOW = re.compile(r"(?<!\\)(?:\\\\)*(?<!\\u[dD][89abAB][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})")


def _not_json(problem: str, text: str, pos: int) -> APIError:
    # JSONDecodeError formats "problem: line L column C (char P)" exactly as the API reports it.
    return invalid(_NOT_JSON + str(json.JSONDecodeError(problem, text, pos)))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON value")


def _too_deep(text: str) -> bool:
    """Whether arrays/objects nest deeper than :data:`MAX_DEPTH` (``text`` is valid JSON).

    Only C-level passes (regex substitutions, ``accumulate``): a 32 MB body of a million
    small objects is checked in a fraction of a second.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > MAX_DEPTH


def _lone_surrogate(text: str) -> tuple[str, int] | None:
    """The first lone surrogate escape, as the API's problem text and its position."""
    if "\\u" not in text:
        return None
    found = []
    high = _LONE_HIGH.search(text)
    if high:
        found.append(("no low surrogate in string", high.start(1)))
    low = _LONE_LOW.search(text)
    if low:
        found.append(("unexpected low surrogate in string", low.start(1)))
    return min(found, key=lambda f: f[1]) if found else None


def parse_body(raw: bytes) -> Any:
    """``raw`` as JSON, or the 400 the API gives for a body it cannot parse."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise invalid(f"{_NOT_JSON}invalid UTF-8 at byte {e.start}") from None
    try:
        body = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise invalid(_NOT_JSON + str(e)) from None
    except RecursionError:
        raise invalid(_TOO_DEEP) from None
    except ValueError as e:  # an integer of more than 4300 digits, NaN, Infinity
        raise invalid(f"{_NOT_JSON}{e}") from None
    if _too_deep(text):
        raise invalid(_TOO_DEEP)
    lone = _lone_surrogate(text)
    if lone is not None:
        raise _not_json(lone[0], text, lone[1])
    return body


# --------------------------------------------------------------------------- shapes

def _want(value: Any, kind: type, path: str, what: str) -> None:
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise invalid(f"{path}: Input should be {what}")


def _check_schema(schema: Any, path: str) -> None:
    """A JSON Schema object the scenarios walk: nested ``properties``, ``required``, ``enum``."""
    stack = [(schema, path)]
    while stack:
        node, where = stack.pop()
        _want(node, dict, where, "a valid dictionary")
        if "properties" in node:
            props = node["properties"]
            _want(props, dict, f"{where}.properties", "a valid dictionary")
            stack.extend((sub, f"{where}.properties.{name}") for name, sub in props.items())
        if "required" in node:
            _want(node["required"], list, f"{where}.required", "a valid list")
            for k, name in enumerate(node["required"]):
                _want(name, str, f"{where}.required.{k}", "a valid string")
        if "enum" in node:
            _want(node["enum"], list, f"{where}.enum", "a valid list")
            if not node["enum"]:
                raise invalid(f"{where}.enum: List should have at least 1 item after validation, not 0")
        if isinstance(node.get("items"), dict):
            stack.append((node["items"], f"{where}.items"))


def _check_tools(tools: Any) -> None:
    if not isinstance(tools, list):
        return  # _request reports it
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or tool.get("type") not in (None, "custom"):
            continue
        where = f"tools.{i}.custom"
        if "description" in tool and tool["description"] is not None:
            _want(tool["description"], str, f"{where}.description", "a valid string")
        if isinstance(tool.get("input_schema"), dict):
            _check_schema(tool["input_schema"], f"{where}.input_schema")


def _check_tool_result_content(content: Any, where: str) -> None:
    if isinstance(content, str) or content is None:
        return
    if not isinstance(content, list):
        raise invalid(f"{where}: Input should be a valid string or a list of content blocks")
    for k, block in enumerate(content):
        _want(block, dict, f"{where}.{k}", "a valid dictionary")
        if block.get("type") == "text" or "text" in block:  # the scenarios read any block's text
            _want(block.get("text"), str, f"{where}.{k}.text", "a valid string")


def _check_blocks(messages: Any) -> None:
    if not isinstance(messages, list):
        return
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for j, block in enumerate(content):
            if not isinstance(block, dict):
                continue
            where = f"messages.{i}.content.{j}"
            kind = block.get("type")
            if kind is not None:
                _want(kind, str, f"{where}.type", "a valid string")
            if kind == "tool_use":
                _want(block.get("id"), str, f"{where}.tool_use.id", "a valid string")
                _want(block.get("name"), str, f"{where}.tool_use.name", "a valid string")
                _want(block.get("input"), dict, f"{where}.tool_use.input", "a valid dictionary")
            elif kind == "tool_result":
                if "tool_use_id" in block:
                    _want(block["tool_use_id"], str, f"{where}.tool_result.tool_use_id", "a valid string")
                _check_tool_result_content(block.get("content"), f"{where}.tool_result.content")
                if block.get("is_error") is not None:
                    _want(block["is_error"], bool, f"{where}.tool_result.is_error", "a valid boolean")


def check_shapes(body: Any) -> None:
    """Raise the API's 400 for a nested field whose type later code could not handle."""
    if not isinstance(body, dict):
        return  # _request reports it
    _check_tools(body.get("tools"))
    _check_blocks(body.get("messages"))

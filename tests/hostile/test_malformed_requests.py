"""Issue 13, finding 5: no request body gets a plain-text 500; every malformed one an API 400.

The specific bodies the attack run found, then a property: hypothesis breaks a valid
request (with tools, a tool call and its result) at random places, with random JSON,
lone surrogates and deep nesting, and every answer must be an API-shaped 4xx or a
complete 200.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_widgets import DEFAULT_MODEL
from claude_widgets.server import OfflineServer

HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01", "content-type": "application/json"}
TOOL = {"name": "get_weather", "description": "Weather for a city",
        "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}
BASE: dict[str, Any] = {
    "model": DEFAULT_MODEL, "max_tokens": 200, "tools": [TOOL],
    "messages": [
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": [{"type": "text", "text": "Let me check."},
                                          {"type": "tool_use", "id": "toolu_1", "name": "get_weather",
                                           "input": {"location": "Paris"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                                      "content": [{"type": "text", "text": "18 °C"}]}]},
    ],
}


def _post(server: OfflineServer, raw: bytes) -> httpx.Response:
    return httpx.post(server.base_url + "/v1/messages", content=raw, headers=HEADERS, timeout=60)


def _assert_api_answer(r: httpx.Response, stream: bool) -> None:
    """An API-shaped 4xx, or a 200 that is whole (a stream ends with message_stop)."""
    if r.status_code == 200:
        if stream:
            assert r.text.rstrip().endswith('data: {"type":"message_stop"}'), r.text[-300:]
        else:
            assert r.json()["type"] == "message"
        return
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    body = r.json()
    assert body["type"] == "error" and isinstance(body["error"]["message"], str), body
    assert body["error"]["type"] in ("invalid_request_error", "not_found_error", "request_too_large"), body
    assert r.headers["x-should-retry"] == "false"


def _with(path: list[Any], value: Any, body: dict[str, Any] | None = None) -> dict[str, Any]:
    out = copy.deepcopy(BASE if body is None else body)
    node: Any = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


CASES = [
    ("JSON nested 10,000 deep", ("[" * 10_000 + "]" * 10_000).encode(),
     "The request body is not valid JSON: recursion limit exceeded"),
    ("metadata nested 5,000 deep",
     json.dumps(_with(["metadata"], {})).replace('"metadata": {}', '"metadata": ' + '{"a": ' * 5000 + "1" + "}" * 5000)
     .encode(), "recursion limit exceeded"),
    ("a lone surrogate in the prompt",
     json.dumps(_with(["messages", 0, "content"], "Weather in Paris?\ud800")).encode(),
     "The request body is not valid JSON: no low surrogate in string: line 1 column"),
    ("a lone surrogate in the prompt, streaming",
     json.dumps(_with(["stream"], True, _with(["messages", 0, "content"], "\ud800 x"))).encode(),
     "no low surrogate in string"),
    ("a lone low surrogate in the model", json.dumps(_with(["model"], "claude-\udc00")).encode(),
     "unexpected low surrogate in string"),
    ("a lone surrogate in a key", json.dumps(_with(["metadata"], {"\ud800": "x"})).encode(), "no low surrogate"),
    ("a lone surrogate in a tool name", json.dumps(_with(["tools", 0, "name"], "get\ud800")).encode(),
     "no low surrogate"),
    ("input_schema.properties as a list",
     json.dumps(_with(["tools", 0, "input_schema", "properties"], ["location"])).encode(),
     "tools.0.custom.input_schema.properties: Input should be a valid dictionary"),
    ("required: 5", json.dumps(_with(["tools", 0, "input_schema", "required"], 5)).encode(),
     "tools.0.custom.input_schema.required: Input should be a valid list"),
    ("a property schema that is a string",
     json.dumps(_with(["tools", 0, "input_schema", "properties", "location"], "string")).encode(),
     "tools.0.custom.input_schema.properties.location: Input should be a valid dictionary"),
    ("an empty enum", json.dumps(_with(["tools", 0, "input_schema", "properties", "location", "enum"], [])).encode(),
     "enum: List should have at least 1 item"),
    ("a tool_use id that is a list", json.dumps(_with(["messages", 1, "content", 1, "id"], ["toolu_1"])).encode(),
     "messages.1.content.1.tool_use.id: Input should be a valid string"),
    ("tool_use input that is a list", json.dumps(_with(["messages", 1, "content", 1, "input"], [1])).encode(),
     "messages.1.content.1.tool_use.input: Input should be a valid dictionary"),
    ("a tool_result text that is an int",
     json.dumps(_with(["messages", 2, "content", 0, "content", 0, "text"], 5)).encode(),
     "messages.2.content.0.tool_result.content.0.text: Input should be a valid string"),
    ("NaN", json.dumps(_with(["temperature"], float("nan"))).encode(), "NaN is not a valid JSON value"),
    ("bytes that are not UTF-8", b'{"model": "\xff"}', "The request body is not valid JSON: invalid UTF-8"),
]


@pytest.mark.parametrize(("raw", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_body_gets_the_api_400(server: OfflineServer, raw: bytes, message: str) -> None:
    r = _post(server, raw)
    assert r.status_code == 400, (r.status_code, r.text[:200])
    assert r.json()["error"]["type"] == "invalid_request_error"
    assert message in r.json()["error"]["message"]
    assert r.headers["content-type"] == "application/json"


# ---------------------------------------------------------------------------- the property

_chars = st.characters(codec=None, exclude_categories=())  # surrogates included
_scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(_chars, max_size=8))
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(_chars, max_size=6), inner, max_size=3), max_leaves=8)


def _paths(node: Any, prefix: list[Any]) -> list[list[Any]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, [*prefix, k])
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, [*prefix, i])
    return out


_PATHS = _paths(BASE, [])
_KEYS = sorted({str(p[-1]) for p in _PATHS if isinstance(p[-1], str)}
               | {"type", "text", "id", "name", "input", "content", "properties", "enum", "items", "is_error"})


@st.composite
def _broken_request(draw: st.DrawFn) -> tuple[bytes, bool]:
    body = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(body, []) or [["model"]]))
        node: Any = body
        try:
            for key in path[:-1]:
                node = node[key]
            if draw(st.booleans()) and isinstance(node[path[-1]], dict):
                node[path[-1]][draw(st.sampled_from(_KEYS))] = draw(_json)  # add or replace a known field
            else:
                node[path[-1]] = draw(_json)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation changed the shape under this path
    stream = draw(st.booleans())
    body["stream"] = stream
    if draw(st.integers(0, 9)) == 0:
        return ("[" * draw(st.integers(100, 3000))).encode() + json.dumps(body).encode(), stream
    return json.dumps(body).encode(), stream  # ensure_ascii: a lone surrogate travels as \\udXXX


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_broken_request())
def test_no_request_body_gets_a_500(server: OfflineServer, case: tuple[bytes, bool]) -> None:
    raw, stream = case
    _assert_api_answer(_post(server, raw), stream)


def test_the_unbroken_request_is_answered(server: OfflineServer) -> None:
    """The property's starting point is valid, so the property tests breakage, not a bad template."""
    r = _post(server, json.dumps({**BASE, "stream": True}).encode())
    assert r.status_code == 200
    events = [json.loads(line[5:]) for line in r.text.splitlines() if line.startswith("data:")]
    text = "".join(e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta")
    assert text.startswith("According to `get_weather` for Paris: **18 °C**")


@pytest.mark.parametrize("stream", [False, True])
def test_a_tool_result_with_null_content_is_answered(server: OfflineServer, stream: bool) -> None:
    """Found by the property above (a 500): `content: null` passes validation as an absent content."""
    body = _with(["messages", 2, "content", 0, "content"], None)
    r = _post(server, json.dumps({**body, "stream": stream}).encode())
    _assert_api_answer(r, stream)
    assert r.status_code == 200 and "None" not in r.text

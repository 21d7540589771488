"""Fine-grained tool streaming (``eager_input_streaming``), through the real SDK.

The docs (platform.claude.com/docs/en/agents-and-tools/tool-use/fine-grained-tool-streaming):
eager chunks are longer and start sooner; without it, each parameter value is buffered
until complete, so a value cut by ``max_tokens`` never reaches the stream; with it, the
stream can end midway through a value, in JSON that is not valid. The SDK parses the
partial JSON with jiter (it keeps what it can and does not raise); the non-streaming
body holds the same input as the stream's final message.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from claude_widgets import DEFAULT_MODEL
from claude_widgets.server import OfflineServer

BETA = "fine-grained-tool-streaming-2025-05-14"
MAKE_FILE = {"name": "make_file", "description": "Write text to a file",
             "input_schema": {"type": "object", "properties": {"path": {"type": "string"},
                                                               "copies": {"type": "integer"},
                                                               "text": {"type": "string"}},
                              "required": ["path", "copies", "text"]}}
POEM = "Roses are red, violets are blue, tokens arrive fast and so do you"
PROMPT = f"Use make_file to write '{POEM}' to /tmp/poem.txt, 12345 copies"
FULL = {"path": "/tmp/poem.txt", "copies": 12345, "text": POEM}
CUT_IN_NUMBER = 14
"""``max_tokens`` that cuts the call inside 12345 (after the piece "123")."""
CUT_IN_TEXT = 22
"""``max_tokens`` that cuts the call inside the poem (after "Roses are")."""


def _tool(eager: bool | None) -> dict[str, Any]:
    return MAKE_FILE if eager is None else {**MAKE_FILE, "eager_input_streaming": eager}


def _kwargs(eager: bool | None, max_tokens: int = 1024) -> dict[str, Any]:
    return {"model": DEFAULT_MODEL, "max_tokens": max_tokens, "tools": [_tool(eager)],
            "tool_choice": {"type": "any"}, "messages": [{"role": "user", "content": PROMPT}]}


def _stream(client: anthropic.Anthropic, **kwargs: Any) -> tuple[list[str], Any]:
    """The non-empty ``partial_json`` chunks and the final message."""
    with client.messages.stream(**kwargs) as stream:
        chunks = [e.partial_json for e in stream if e.type == "input_json" and e.partial_json]
        return chunks, stream.get_final_message()


def test_eager_chunks_are_fewer_and_longer(client: anthropic.Anthropic) -> None:
    buffered, buffered_msg = _stream(client, **_kwargs(None))
    eager, eager_msg = _stream(client, **_kwargs(True))
    assert json.loads("".join(buffered)) == json.loads("".join(eager)) == FULL
    assert buffered_msg.content[-1].input == eager_msg.content[-1].input == FULL
    assert len(eager) < len(buffered) / 2
    assert max(map(len, eager)) > 2 * max(map(len, buffered))
    # "fewer word breaks": an eager chunk ends at a word's end, never inside "Roses" or "violets"
    assert all(not (a[-1:].isalpha() and b[:1].isalpha()) for a, b in itertools.pairwise(eager))


@pytest.fixture(scope="module")
def paced_server() -> Iterator[OfflineServer]:
    with OfflineServer(delay_ms=50) as srv:
        yield srv


def _first_chunk_after(server: OfflineServer, eager: bool) -> float:
    """Seconds from the tool_use block's start to its first non-empty input chunk."""
    with anthropic.Anthropic(base_url=server.base_url, api_key="test-key", max_retries=0) as client:
        tool = {**MAKE_FILE, "eager_input_streaming": eager,
                "input_schema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}}
        started = 0.0
        with client.messages.stream(model=DEFAULT_MODEL, max_tokens=1024, tools=[tool], tool_choice={"type": "any"},
                                    messages=[{"role": "user", "content": PROMPT}]) as stream:
            for event in stream:
                if event.type == "content_block_start" and event.content_block.type == "tool_use":
                    started = time.monotonic()
                elif event.type == "input_json" and event.partial_json:
                    return time.monotonic() - started
        raise AssertionError("no input_json chunk")


def test_eager_input_starts_sooner(paced_server: OfflineServer) -> None:
    """Buffered, the first chunk waits until the whole poem is written; eager, it does not."""
    buffered = _first_chunk_after(paced_server, eager=False)
    eager = _first_chunk_after(paced_server, eager=True)
    assert eager + 0.1 < buffered, (eager, buffered)


def test_max_tokens_leaves_eager_input_invalid_json(client: anthropic.Anthropic) -> None:
    eager, eager_msg = _stream(client, **_kwargs(True, CUT_IN_TEXT))
    raw = "".join(eager)
    assert eager_msg.stop_reason == "max_tokens"
    assert raw.endswith('"text": "Roses are')  # midway through a value
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)
    # The SDK does not raise: jiter's partial mode keeps the complete values.
    assert eager_msg.content[-1].input == {"path": "/tmp/poem.txt", "copies": 12345}

    buffered, buffered_msg = _stream(client, **_kwargs(False, CUT_IN_TEXT))
    assert "".join(buffered) == '{"path": "/tmp/poem.txt", "copies": 12345'  # the cut poem stays buffered
    assert buffered_msg.content[-1].input == {"path": "/tmp/poem.txt", "copies": 12345}


def test_legacy_beta_header_makes_tools_without_the_field_eager(client: anthropic.Anthropic) -> None:
    """With the beta header the SDK keeps the unfinished string; ``eager_input_streaming: false`` opts out."""
    for eager, expected in ((None, {"path": "/tmp/poem.txt", "copies": 12345, "text": "Roses are"}),
                            (False, {"path": "/tmp/poem.txt", "copies": 12345})):
        with client.beta.messages.stream(betas=[BETA], **_kwargs(eager, CUT_IN_TEXT)) as stream:
            raw = "".join(e.partial_json for e in stream if e.type == "input_json")
            message = stream.get_final_message()
        assert message.content[-1].input == expected
        assert ("Roses" in raw) is (eager is None)


def test_non_streaming_body_holds_what_the_stream_gives(client: anthropic.Anthropic) -> None:
    """Cut inside 12345: eager streams "123" (a wrong number that looks whole), buffered holds it back."""
    for eager, expected in ((True, {"path": "/tmp/poem.txt", "copies": 123}), (False, {"path": "/tmp/poem.txt"})):
        created = client.messages.create(**_kwargs(eager, CUT_IN_NUMBER))
        _, streamed = _stream(client, **_kwargs(eager, CUT_IN_NUMBER))
        assert created.stop_reason == streamed.stop_reason == "max_tokens"
        assert created.content[-1].input == streamed.content[-1].input == expected
        assert client.messages.create(**_kwargs(eager)).content[-1].input == FULL


def test_eager_input_streaming_must_be_a_boolean(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="eager_input_streaming: Input should be a valid boolean"):
        client.messages.create(**{**_kwargs(None), "tools": [{**MAKE_FILE, "eager_input_streaming": "yes"}]})

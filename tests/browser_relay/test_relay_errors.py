"""What the relay tells the page when the upstream connection fails: before or during the answer.

The SDK (2.17 and later) raises ``APIConnectionError`` for both, so the relay must tell them
apart itself; read over real HTTP from the relay, with the offline server as the upstream.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import anthropic
import httpx
import pytest

from claude_widgets import DEFAULT_MODEL
from claude_widgets.server import OfflineServer

from .._ports import free_port
from .conftest import SECRET_KEY, load_relay

STORY = "Tell me a story"


def events(relay: Any, **params: str) -> list[dict[str, Any]]:
    """The relay's server-sent events for one prompt, as the page would read them."""
    out = []
    with httpx.stream("POST", relay.url + "chat", params=params, json={"prompt": STORY}, timeout=30) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                out.append(json.loads(line[len("data: "):]))
    return out


def test_a_connection_broken_mid_answer_is_not_called_unreachable(relay: Any, upstream: OfflineServer) -> None:
    got = events(relay, fault=f"drop-after=3; id={uuid.uuid4().hex[:8]}")
    assert [e["type"] for e in got] == ["text"] * 3 + ["error"], got
    assert got[-1]["message"] == "The connection to Claude's API broke mid-answer (RemoteProtocolError)."
    assert relay.wait_for_outcome().outcome == "error"


@pytest.fixture
def unreachable_relay() -> Any:
    port = free_port()  # nothing listens on it
    client = anthropic.AsyncAnthropic(base_url=f"http://127.0.0.1:{port}", api_key=SECRET_KEY, max_retries=0)
    with load_relay().RelayServer(client, model=DEFAULT_MODEL) as relay:
        yield relay
    assert client.is_closed()  # the relay owns the client it was handed


def test_an_upstream_that_cannot_be_reached_says_so(unreachable_relay: Any) -> None:
    got = events(unreachable_relay)
    assert got == [{"type": "error", "message": "The relay could not reach Claude's API (connection error)."}]
    assert SECRET_KEY not in json.dumps(got)

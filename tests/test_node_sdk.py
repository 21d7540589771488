"""The official TypeScript SDK streams from the offline server as it would from the real API.

``tests/node/stream_text_and_tool.mjs`` runs ``client.messages.stream(...)`` twice, a
plain answer and a ``get_weather`` tool call, then lists every model with
``client.models.list()`` auto-pagination and ``retrieve``s the default model, and ends
with one JSON summary line; ``tests/node/structured_and_tool_runner.mjs`` runs
``messages.parse()`` and a streamed answer with a JSON-schema output format, then
``beta.messages.toolRunner()``; ``tests/node/eager_and_citations.mjs`` streams a tool call cut
by ``max_tokens`` with and without ``eager_input_streaming``, and a cited answer. The
SDK's own ``MessageStream`` rebuilds the message from the events, so a wrong field,
event order or SSE framing shows up here as a mismatch or an exception in Node.

Never skipped: without Node or ``tests/node/node_modules`` this test fails and says how
to install them (``make test`` does both).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from claude_widgets._catalogue import MODELS, find
from claude_widgets._models import DEFAULT_MODEL

NODE_DIR = Path(__file__).parent / "node"
SCRIPT = NODE_DIR / "stream_text_and_tool.mjs"
STRUCTURED_SCRIPT = NODE_DIR / "structured_and_tool_runner.mjs"
EAGER_CITATIONS_SCRIPT = NODE_DIR / "eager_and_citations.mjs"
SDK = NODE_DIR / "node_modules" / "@anthropic-ai" / "sdk" / "package.json"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "`node` is not on PATH: install Node.js 20+ (`apt-get install -y nodejs npm`), or run `make test`"
        )
    if not SDK.is_file():
        pytest.fail(
            f"{SDK.relative_to(NODE_DIR.parent.parent)} is missing: run `npm ci` in tests/node, or `make test`"
        )
    return node


def _run(node: str, base_url: str, script: Path = SCRIPT) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env["ANTHROPIC_BASE_URL"] = base_url
    proc = subprocess.run(
        [node, str(script), DEFAULT_MODEL],
        cwd=NODE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, (
        f"node exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    *lines, last = proc.stdout.strip().splitlines()
    events = []
    for line in lines:
        label, _, payload = line.partition(" ")
        events.append((label, json.loads(payload)))
    return events, json.loads(last)


@pytest.mark.node
def test_typescript_sdk_streams_text_and_tool_use() -> None:
    node = _node()
    from claude_widgets.server import OfflineServer

    with OfflineServer(delay_ms=0) as srv:
        events, summary = _run(node, srv.base_url)

    deltas = [payload for label, payload in events if label == "text"]
    (final,) = [payload for label, payload in events if label == "final_message"]
    final_text = "".join(block["text"] for block in final["content"] if block["type"] == "text")
    assert len(deltas) >= 2, f"text arrived in {len(deltas)} delta(s), expected a stream: {deltas!r}"
    assert summary["text_events"] == len(deltas)
    assert "".join(deltas) == final_text == summary["text"]
    assert final_text.strip()
    assert summary["text_stop_reason"] == "end_turn"

    input_json = [payload for label, payload in events if label == "input_json"]
    (tool_use,) = [payload for label, payload in events if label == "tool_use"]
    assert summary["tool_name"] == "get_weather" == tool_use["name"]
    assert summary["tool_input"] == {"location": "Paris"} == tool_use["input"]
    assert tool_use["id"]
    assert summary["input_json_events"] == len(input_json) >= 2
    assert json.loads("".join(p["partial_json"] for p in input_json)) == {"location": "Paris"}
    assert input_json[-1]["snapshot"] == {"location": "Paris"}
    assert summary["tool_stop_reason"] == "tool_use"

    # The Models API: auto-pagination over pages of 5, and an alias resolved by retrieve().
    assert summary["model_ids"] == [m.id for m in MODELS if m.lifecycle != "retired"]
    entry = find(DEFAULT_MODEL)
    assert entry is not None
    (info,) = [payload for label, payload in events if label == "model_info"]
    assert info == entry.info()
    assert (summary["retrieved_id"], summary["retrieved_max_tokens"]) == (entry.id, entry.max_tokens)


@pytest.mark.node
def test_typescript_sdk_structured_outputs_and_tool_runner() -> None:
    node = _node()
    from claude_widgets.server import OfflineServer

    with OfflineServer(delay_ms=0) as srv:
        events, summary = _run(node, srv.base_url, STRUCTURED_SCRIPT)
        bodies = [r.body for r in srv.requests if r.path == "/v1/messages"]

    order = {"product_name": "Green Tea", "price": 5.5, "quantity": 2}
    assert summary["parsed"] == order == summary["streamed"]
    assert summary["structured_deltas"] >= 3, "the JSON document streams in several text deltas"
    assert summary["tool_calls"] == ["4821"]
    assert summary["runner_turns"] == 2
    assert "arrives tomorrow" in summary["runner_text"]
    assert [label for label, _ in events].count("runner_message") == 2
    runner_bodies = bodies[2:]
    assert runner_bodies[1]["messages"][-1]["content"][0]["type"] == "tool_result"


@pytest.mark.node
def test_typescript_sdk_eager_tool_streaming_and_citations() -> None:
    node = _node()
    from claude_widgets.server import OfflineServer

    with OfflineServer(delay_ms=0) as srv:
        _, summary = _run(node, srv.base_url, EAGER_CITATIONS_SCRIPT)

    buffered, eager = summary["cut"]["buffered"], summary["cut"]["eager"]
    assert buffered["stop_reason"] == eager["stop_reason"] == "max_tokens"
    # Buffered, the cut poem never reaches the stream; eager, the stream ends inside it (not valid JSON).
    # The TypeScript SDK's partial parser drops an unfinished string, and a trailing number it cannot
    # know to be complete (the Python SDK's jiter keeps the number).
    assert buffered["raw"] == '{"path": "/tmp/poem.txt", "copies": 12345'
    assert buffered["input"] == {"path": "/tmp/poem.txt"}
    assert eager["raw"].endswith('"text": "Roses are') and eager["chunks"] < buffered["chunks"]
    assert eager["input"] == {"path": "/tmp/poem.txt", "copies": 12345}
    # Citations: finalMessage() rebuilds what create() returns; one 'citation' event per citation.
    assert summary["streamed"] == summary["created"]
    citations = [c for block in summary["created"] for c in block.get("citations") or []]
    assert [c["cited_text"] for c in citations] == ["The grass is green. ", "The sky is blue."]
    assert summary["citation_events"] == citations

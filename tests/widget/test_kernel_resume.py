"""StreamView's default stream is resilient: a broken stream shows "retrying", then the whole answer once."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from claude_widgets import DEFAULT_MODEL
from claude_widgets.server import OfflineServer
from claude_widgets.server._scenarios import MARKDOWN_TOUR
from tests._kernel import Kernel, status_updates, stream_view_comm_ids


@pytest.fixture(scope="module")
def kernel(server: OfflineServer) -> Iterator[Kernel]:
    k = Kernel(block=False, front_end=True)
    k.check("import json, anthropic\nimport claude_widgets as cw\n"
            f"client = anthropic.Anthropic(base_url={server.base_url!r}, api_key='offline')\n")
    yield k
    k.close()


@pytest.mark.parametrize("fault", ["drop-after=20", "error-after=35", "status=529; retry-after-ms=50; times=2"])
def test_a_broken_stream_is_resumed_in_the_view(kernel: Kernel, fault: str) -> None:
    spec = f"{fault}; id={uuid.uuid4().hex[:8]}"
    run = kernel.check(
        f"view = cw.stream(client, model={DEFAULT_MODEL!r}, max_tokens=2000, "
        "messages=[{'role': 'user', 'content': 'hi'}], "
        f"extra_headers={{'x-offline-scenario': 'markdown-tour', 'x-offline-fault': {spec!r}}})\n"
        "message = view.wait(timeout=60)\n"
        "print(json.dumps([view.state, view.text, message.stop_reason, message.content[0].text]))")
    state, text, stop_reason, final = json.loads(run.stdout)
    assert state == "done" and stop_reason == "end_turn"
    assert text == final == MARKDOWN_TOUR  # nothing lost, nothing shown twice
    cid = stream_view_comm_ids(run.messages)[0]
    states = [s["state"] for s in status_updates(run.messages + kernel.drain(0.2), cid)]
    assert "retrying" in states and states[-1] == "done"
    retry = next(s["retry"] for s in status_updates(run.messages, cid) if s["state"] == "retrying")
    assert retry["attempt"] == 2 and retry["reason"]

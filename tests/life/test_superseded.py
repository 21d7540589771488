"""A re-run ``%%claude`` cell marks the later answers still on screen as superseded.

Re-running a cell replaces its turn and everything after it in the conversation; the
later cells' outputs stay on screen, so each is updated (its display id) to say it is no
longer part of the conversation. A real kernel, driven like JupyterLab (a ``cellId`` with
each request, so cells return at once and the updates come in the background).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests._kernel import Kernel
from tests.magic.test_magic import history

RUN_TIMEOUT = 60

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    k = Kernel(block=False, front_end=True)
    k.check("%load_ext claude_widgets")
    yield k
    k.close()


def run_cell(kernel: Kernel, code: str, cell_id: str) -> dict[str, Any]:
    """Execute like JupyterLab (a ``cellId``); every iopub message is kept in the backlog."""
    kernel.drain()
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": True}
    msg = kernel.session.msg("execute_request", content, metadata={"cellId": cell_id})
    kernel.kc.shell_channel.send(msg)
    msg_id = msg["header"]["msg_id"]
    idle = kernel.wait_for(lambda m: m["msg_type"] == "status" and m["parent_header"].get("msg_id") == msg_id
                           and m["content"]["execution_state"] == "idle", timeout=RUN_TIMEOUT)
    outputs = [m for m in kernel.backlog if m["parent_header"].get("msg_id") == msg_id and m is not idle]
    return {"outputs": outputs}


def _display_id(outputs: list[dict[str, Any]]) -> str:
    (shown,) = [m for m in outputs if m["msg_type"] == "display_data"]
    return str(shown["content"]["transient"]["display_id"])


def _last_update(kernel: Kernel, display_id: str, text: str) -> dict[str, Any]:
    def match(m: dict[str, Any]) -> bool:
        return (m["msg_type"] == "update_display_data"
                and m["content"]["transient"]["display_id"] == display_id
                and text in m["content"]["data"]["text/plain"])
    return kernel.wait_for(match, timeout=30)["content"]["data"]  # type: ignore[no-any-return]


def test_later_answers_say_they_left_the_conversation(kernel: Kernel) -> None:
    first, second, third = (uuid.uuid4().hex for _ in range(3))
    a = run_cell(kernel, "%%claude --chat s\nHello, my name is Ada.", cell_id=first)
    b = run_cell(kernel, "%%claude --chat s\nWhat is my name?", cell_id=second)
    c = run_cell(kernel, "%%claude --chat other\nWhat is my name?", cell_id=third)  # another chat
    shown_b, shown_c = _display_id(b["outputs"]), _display_id(c["outputs"])
    before = _last_update(kernel, shown_b, "Your name is **Ada**")
    assert "superseded" not in before["text/plain"]
    run_cell(kernel, "%%claude --chat s\nHello, my name is Grace.", cell_id=first)  # edit and re-run cell 1
    after = _last_update(kernel, shown_b, "superseded")
    assert after["text/plain"].startswith("[superseded: no longer part of the conversation")
    assert "Your name is **Ada**" in after["text/plain"]  # still readable
    assert 'class="cw-superseded"' in after["text/html"] and "Superseded: no longer part" in after["text/html"]
    assert "cw-record" in after["text/html"]
    assert len(history(kernel, "s")) == 2
    # the re-run cell itself and the other chat's answer are not marked
    kernel.drain(1.0)
    marked = {m["content"]["transient"]["display_id"] for m in kernel.backlog
              if m["msg_type"] == "update_display_data" and "superseded" in m["content"]["data"]["text/plain"]}
    assert marked == {shown_b}
    assert _display_id(a["outputs"]) not in marked and shown_c not in marked

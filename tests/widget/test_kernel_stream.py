"""StreamView in a real kernel, streaming from the offline server over HTTP.

What a front end would see is counted on iopub; the Stop button is a comm message sent
on the shell channel, the way JupyterLab sends it, while the kernel is idle.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from claude_widgets import DEFAULT_MODEL
from claude_widgets.server import OfflineServer
from tests._kernel import Kernel, comm_payload_bytes, msg_bytes, status_updates, stream_view_comm_ids

pytestmark = pytest.mark.kernel

REQUEST = f"model={DEFAULT_MODEL!r}, messages=[{{'role': 'user', 'content': 'Write at length.'}}]"


@pytest.fixture(scope="module")
def kernel(server: OfflineServer) -> Iterator[Kernel]:
    k = Kernel(block=False, front_end=True)  # the cell returns at once; the stream goes on in the background
    k.check(
        "import anthropic, threading, time\n"
        "from claude_widgets._stream import stream\n"
        f"client = anthropic.Anthropic(base_url={server.base_url!r}, api_key='offline', max_retries=0)\n"
        f"aclient = anthropic.AsyncAnthropic(base_url={server.base_url!r}, api_key='offline', max_retries=0)\n"
    )
    yield k
    k.close()


def headers(**h: str) -> str:
    return repr({k.replace("_", "-"): v for k, v in h.items()})


def ours(run_messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    ids = stream_view_comm_ids(run_messages)
    assert len(ids) == 1
    cid = ids[0]
    return cid, [m for m in run_messages if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == cid]


@pytest.mark.parametrize("max_tokens", [100, 1000, 5000, 20000])
def test_bytes_and_messages_at_zero_pacing(kernel: Kernel, max_tokens: int) -> None:
    run = kernel.check(
        "import json\n"
        f"view = stream(client, {REQUEST}, max_tokens={max_tokens}, "
        f"extra_headers={headers(x_offline_scenario='long')})\n"
        "msg = view.wait()\n"
        "print(json.dumps([len(view.text.encode()), view.status['elapsed'], msg.usage.output_tokens]))",
    )
    text_bytes, elapsed, tokens = json.loads(run.stdout)
    assert tokens == max_tokens
    _, comm = ours(run.messages)
    payload = sum(comm_payload_bytes(m) for m in comm)
    assert payload <= 1.5 * text_bytes + 2500, (payload, text_bytes)
    assert len(comm) <= 30 * elapsed + 8
    iopub = [m for m in run.messages if m["msg_type"] not in ("status", "execute_input", "stream")]
    # comm_open ×2 (view + layout; +1 for the kernel's shared ViewCode, once), display,
    # update_display, status ×3, snapshot, ops…, then retiring: one update, comm_close ×2
    assert len(iopub) <= 30 * elapsed + 16
    whole = sum(msg_bytes(kernel.session, m) for m in comm)
    assert whole <= payload + 1000 * len(comm)  # the envelope is paid per message, so few messages
    # the static record replacing the widget at the end: one message, linear in the answer
    (update,) = [m for m in run.messages if m["msg_type"] == "update_display_data"]
    record = len(json.dumps(update["content"]["data"], ensure_ascii=False).encode())
    # text/plain (1x) + text/html: Markdown tags, and a span per highlighted code token (the
    # long answer is half Python code), plus the CSS the record's elements use
    assert record <= 4 * text_bytes + 8000, (record, text_bytes)


def test_message_rate_when_paced(kernel: Kernel) -> None:
    """A slow server (5 ms a delta): ≤ ~30 comm messages a second however many deltas."""
    run = kernel.check(
        "import json\n"
        f"view = stream(client, {REQUEST}, max_tokens=600, "
        f"extra_headers={headers(x_offline_scenario='long', x_offline_delay_ms='5')})\n"
        "msg = view.wait()\n"
        "print(json.dumps([len(view.text.encode()), view.status['elapsed']]))",
    )
    text_bytes, elapsed = json.loads(run.stdout)
    assert elapsed > 0.8  # it really was paced
    _, comm = ours(run.messages)
    ops = [m for m in comm if m["content"]["data"].get("method") == "custom"]
    assert len(ops) <= 30 * elapsed + 2
    assert len(ops) >= 10 * elapsed  # and it does stream, not just flush at the end
    # each flush carries little text here: the bound is the text plus a small overhead per message
    # (a real API at ~50 deltas/s is like this: latency costs bytes, see bench/README.md)
    snapshot = max(comm_payload_bytes(m) for m in comm if m.get("buffers"))
    assert sum(comm_payload_bytes(m) for m in ops) <= text_bytes + 90 * len(ops)
    assert sum(comm_payload_bytes(m) for m in comm) <= text_bytes + 90 * len(ops) + snapshot + 1500
    seqs = [m["content"]["data"]["content"]["seq"] for m in ops]
    assert seqs == list(range(1, len(seqs) + 1))


def _start_slow_stream(kernel: Kernel, server: OfflineServer, fault: str, client: str = "client") -> tuple[str, str]:
    fid = uuid.uuid4().hex[:8]
    spec = f"{fault}; id={fid}"
    t0 = time.monotonic()
    run = kernel.check(
        f"view = stream({client}, {REQUEST}, max_tokens=3000, "
        f"extra_headers={headers(x_offline_scenario='long', x_offline_fault=spec)})",
    )
    assert time.monotonic() - t0 < 5, "the cell must return at once"
    cid, _ = ours(run.messages)
    # the first flushes may come while the cell still runs (a stall fault sends nothing after
    # them): keep them where wait_for looks
    kernel.backlog.extend(run.messages)
    return cid, spec


def _request_with(server: OfflineServer, spec: str) -> Any:
    return next(r for r in server.requests if r.headers.get("x-offline-fault") == spec)


def _wait_until_streaming(kernel: Kernel, cid: str) -> None:
    kernel.wait_for(lambda m: m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == cid
                    and m["content"]["data"].get("method") == "custom", timeout=20)


@pytest.mark.parametrize("fault", ["trickle=10", "stall-after=30; seconds=60"])
@pytest.mark.parametrize("client", ["client", "aclient"])
def test_stop_button_while_the_kernel_is_idle(kernel: Kernel, server: OfflineServer, fault: str,
                                              client: str) -> None:
    cid, spec = _start_slow_stream(kernel, server, fault, client)
    try:
        _stop_while_idle(kernel, server, cid, spec)
    finally:
        kernel.execute("view.stop()")  # a failed check must not leave a stream running for the next test


def _stop_while_idle(kernel: Kernel, server: OfflineServer, cid: str, spec: str) -> None:
    _wait_until_streaming(kernel, cid)
    time.sleep(0.3)
    t_stop = time.monotonic()
    kernel.send_comm_msg(cid, {"k": "stop"})
    final = kernel.wait_for(lambda m: m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == cid
                            and m["content"]["data"].get("state", {}).get("status", {}).get("state") == "stopped",
                            timeout=10)
    assert time.monotonic() - t_stop < 2.0
    assert final["content"]["data"]["state"]["status"]["error"] is None
    run = kernel.check(
        "import json\n"
        "msg = view.wait(timeout=5)\n"
        "print(json.dumps([view.state, len(view.text), view.error is None, msg.stop_reason,"
        " [t.name for t in threading.enumerate() if t.name.startswith('StreamView')]]))",
    )
    state, n, no_error, stop_reason, threads = json.loads(run.stdout)
    assert state == "stopped" and n > 0 and no_error and stop_reason is None
    assert threads == []
    deadline = time.monotonic() + 5
    while _request_with(server, spec).outcome == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _request_with(server, spec).outcome == "disconnected"


def test_keyboard_interrupt_in_wait_stops_the_stream(kernel: Kernel, server: OfflineServer) -> None:
    fid = uuid.uuid4().hex[:8]
    spec = f"trickle=10; id={fid}"
    msg_id = kernel.kc.execute(
        f"view = stream(client, {REQUEST}, max_tokens=3000, "
        f"extra_headers={headers(x_offline_scenario='long', x_offline_fault=spec)})\n"
        "view.wait()", store_history=False)
    time.sleep(1.5)
    kernel.km.interrupt_kernel()
    reply = kernel.kc.get_shell_msg(timeout=20)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kernel.kc.get_shell_msg(timeout=20)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    run = kernel.check("print(view.state, len(view.text) > 0)")
    assert run.stdout.split() == ["stopped", "True"]
    deadline = time.monotonic() + 5
    while _request_with(server, spec).outcome == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _request_with(server, spec).outcome == "disconnected"


@pytest.mark.parametrize(("fault", "exc", "message"), [
    ("status=529", "OverloadedError", "Overloaded (529): Overloaded"),
    ("error-after=20", "APIStatusError", "Overloaded (529): Overloaded"),
    ("drop-after=20", "APIConnectionError", "Connection dropped after "),  # anthropic>=2.17 wraps the drop
])
def test_errors_are_shown_and_raised(kernel: Kernel, fault: str, exc: str, message: str) -> None:
    spec = f"{fault}; id={uuid.uuid4().hex[:8]}"
    run = kernel.check(
        "import json\n"
        f"view = stream(client, {REQUEST}, max_tokens=500, resume=False, "
        f"extra_headers={headers(x_offline_scenario='long', x_offline_fault=spec)})\n"
        "try:\n"
        "    view.wait(timeout=30)\n"
        "except Exception as e:\n"
        "    raised = type(e).__name__\n"
        "print(json.dumps([raised, type(view.error).__name__, view.state, len(view.text)]))",
    )
    raised, error_type, state, n = json.loads(run.stdout)
    assert raised == error_type == exc and state == "error"
    cid, _ = ours(run.messages)
    final = status_updates(run.messages, cid)[-1]
    assert final["state"] == "error" and final["error"].startswith(message)
    if "after=20" in fault:
        assert n > 0  # the partial text is kept
    if fault.startswith("drop"):
        assert final["error"] == f"Connection dropped after {n} characters"


def test_authentication_error(kernel: Kernel, server: OfflineServer) -> None:
    run = kernel.check(
        f"bad = anthropic.Anthropic(base_url={server.base_url!r}, api_key='bad-key', max_retries=0)\n"
        f"view = stream(bad, {REQUEST}, max_tokens=50)\n"
        "try:\n    view.wait(timeout=30)\nexcept anthropic.AuthenticationError:\n    print('raised')",
    )
    assert run.stdout.strip() == "raised"
    cid, _ = ours(run.messages)
    assert status_updates(run.messages, cid)[-1]["error"] == "Authentication failed (401): invalid x-api-key"


def test_await_view_with_async_client(kernel: Kernel) -> None:
    run = kernel.check(
        f"view = stream(aclient, {REQUEST}, max_tokens=300, "
        f"extra_headers={headers(x_offline_scenario='markdown-tour')})\n"
        "msg = await view\n"
        "print(msg.stop_reason, ''.join(b.text for b in msg.content if b.type == 'text') == view.text,"
        " view.state, type(view._task).__name__)",
    )
    assert run.stdout.split() == ["end_turn", "True", "done", "Task"]


def test_final_display_update_carries_the_answer(kernel: Kernel) -> None:
    run = kernel.check(
        # paced: the first display is made before the answer can have ended (at delay 0 a busy
        # machine may end it first, and the display is then the record already: right, but not this test)
        f"view = stream(client, {REQUEST}, max_tokens=300, "
        f"extra_headers={headers(x_offline_scenario='markdown-tour', x_offline_delay_ms='5')})\n"
        "view.wait()\nprint(repr(view.text))",
    )
    text = eval(run.stdout)
    shown = [m for m in run.messages if m["msg_type"] == "display_data"]
    updated = [m for m in run.messages if m["msg_type"] == "update_display_data"]
    assert len(shown) == 1 and len(updated) == 1  # `stream()` displayed it once
    assert shown[0]["content"]["data"]["text/plain"] == "[streaming…]"
    display_id = shown[0]["content"]["transient"]["display_id"]
    assert updated[0]["content"]["transient"]["display_id"] == display_id
    data = updated[0]["content"]["data"]
    assert data["text/plain"] == text
    assert re.search(r"<h1[^>]*>A tour of Markdown</h1>", data["text/html"])
    assert "application/vnd.jupyter.widget-view+json" not in data  # the record replaces the widget


def test_view_as_the_last_line_is_not_shown_twice(kernel: Kernel) -> None:
    run = kernel.check(
        f"stream(client, {REQUEST}, max_tokens=20, extra_headers={headers(x_offline_scenario='haiku')})")
    assert len([m for m in run.messages if m["msg_type"] in ("display_data", "execute_result")]) == 1
    kernel.check("import time; time.sleep(0.5)")

"""Message threads (beta): the server holds the conversation; the SDK's threads and tool runner use it.

Each test drives anthropic's own ``client.beta.messages.thread(...)`` or
``tool_runner(...)`` and reads what went over the wire from ``server.requests``: later
turns send only their new messages, and the answer still knows the whole conversation.
"""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import pytest
from anthropic import beta_tool

from claude_widgets import DEFAULT_MODEL
from claude_widgets.server import OfflineServer

BETA = "message-threads-2026-08-12"


@beta_tool
def lookup_order(order_id: str) -> str:
    """Look up the shipping status of an order.

    Args:
        order_id: The order number, e.g. 4821
    """
    return f"Order {order_id} shipped two days ago and arrives tomorrow."


def _bodies(server: OfflineServer, since: int) -> list[dict[str, Any]]:
    return [r.body for r in server.requests[since:] if r.path == "/v1/messages"]


def _text(message: Any) -> str:
    return "".join(b.text for b in message.content if b.type == "text")


@pytest.mark.parametrize("stream", [False, True])
def test_thread_sends_only_new_messages_and_remembers(client: anthropic.Anthropic, server: OfflineServer,
                                                      stream: bool) -> None:
    since = len(server.requests)
    thread = client.beta.messages.thread(model=DEFAULT_MODEL, max_tokens=512, system="Be brief.")
    thread.send({"role": "user", "content": "Hello, my name is Ada."})
    question = {"role": "user", "content": "What is my name?"}
    if stream:
        with thread.stream(question) as s:  # type: ignore[arg-type]
            reply = s.get_final_message()
    else:
        reply = thread.send(question)  # type: ignore[arg-type]
    assert "Ada" in _text(reply)
    first, second = _bodies(server, since)
    assert first["thread"] == {"type": "create"} and first["system"] == "Be brief."
    assert second["thread"]["type"] == "continue"
    assert second["messages"] == [question] and "system" not in second


@pytest.mark.parametrize("stream", [False, True])
def test_tool_runner_runs_on_a_thread(client: anthropic.Anthropic, server: OfflineServer, stream: bool) -> None:
    since = len(server.requests)
    runner = client.beta.messages.tool_runner(
        model=DEFAULT_MODEL, max_tokens=1024, tools=[lookup_order], stream=stream,  # type: ignore[call-overload]
        messages=[{"role": "user", "content": "Where is my order #4821?"}])
    if stream:
        finals = []
        for s in runner:
            finals.append(s.get_final_message())
        final = finals[-1]
    else:
        final = runner.until_done()
    assert "arrives tomorrow" in _text(final)
    bodies = _bodies(server, since)
    assert [b["thread"]["type"] for b in bodies] == ["create", "continue"]
    (result,) = bodies[1]["messages"]
    assert result["content"][0]["type"] == "tool_result"


def test_fork_continues_independently(client: anthropic.Anthropic) -> None:
    thread = client.beta.messages.thread(model=DEFAULT_MODEL, max_tokens=512)
    thread.send({"role": "user", "content": "Hello, my name is Ada."})
    fork = thread.fork()
    fork_reply = fork.send({"role": "user", "content": "Actually, my name is Bea."})
    original = thread.send({"role": "user", "content": "What is my name?"})
    assert "Ada" in _text(original)
    assert "Bea" in _text(fork_reply)
    assert "Bea" in _text(fork.send({"role": "user", "content": "What is my name?"}))


def _raw(server: OfflineServer, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.base_url}/v1/messages", json=body, timeout=10,
                      headers={"x-api-key": "k", "anthropic-version": "2023-06-01", "anthropic-beta": BETA})


def test_the_api_rejections_carry_their_error_codes(server: OfflineServer) -> None:
    base = {"model": DEFAULT_MODEL, "max_tokens": 64}
    created = _raw(server, {**base, "thread": {"type": "create"},
                            "messages": [{"role": "user", "content": "Hi there, thread."}]})
    assert created.status_code == 200
    reply_id = created.json()["id"]
    cont = {**base, "thread": {"type": "continue", "previous_message_id": reply_id},
            "messages": [{"role": "user", "content": "And again."}]}
    assert _raw(server, cont).status_code == 200
    again = _raw(server, cont)
    assert again.status_code == 400
    assert again.json()["error"]["details"] == {"error_code": "thread_already_continued"}
    lost = _raw(server, {**cont, "thread": {"type": "continue", "previous_message_id": "msg_01nothing"}})
    assert lost.status_code == 404 and lost.json()["error"]["details"] == {"error_code": "thread_not_found"}
    thinking = _raw(server, {**base, "max_tokens": 4096, "thread": {"type": "create"},
                             "thinking": {"type": "enabled", "budget_tokens": 2048},
                             "messages": [{"role": "user", "content": "Hi"}]})
    assert thinking.status_code == 400
    assert thinking.json()["error"]["details"] == {"error_code": "thread_unsupported_request",
                                                   "unsupported": ["thinking"]}


def test_sdk_falls_back_when_a_request_cannot_be_threaded(client: anthropic.Anthropic, server: OfflineServer) -> None:
    since = len(server.requests)
    thread = client.beta.messages.thread(model=DEFAULT_MODEL, max_tokens=4096,
                                         thinking={"type": "enabled", "budget_tokens": 2048},
                                         unsupported_request_behavior="continue_unthreaded")
    reply = thread.send({"role": "user", "content": "Hello, my name is Ada."})
    assert reply.stop_reason == "end_turn"
    first, second = _bodies(server, since)
    assert first["thread"] == {"type": "create"} and "thread" not in second

"""The %%claude magic in a real kernel: options, conversations, re-runs, tools, faults, bad input."""

from __future__ import annotations

import json
import queue
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests._kernel import Kernel

pytestmark = pytest.mark.kernel

TOOLS = '''
def get_weather(location: str) -> str:
    """Get the current weather in a city.

    Args:
        location: The city, e.g. Paris.
    """
    return {"Paris": "18 °C, sunny", "London": "12 °C, light rain"}.get(location, "unknown")

def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression.

    Args:
        expression: e.g. 18 * 9 / 5 + 32
    """
    return str(round(eval(expression, {"__builtins__": {}}), 2))

def broken_weather(location: str) -> str:
    """Get the current weather in a city (its backend is down).

    Args:
        location: The city.
    """
    raise ConnectionError("weather service down")
'''


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    k = Kernel()
    k.check("import claude_widgets as cw\n%load_ext claude_widgets")
    yield k
    k.close()


def run_cell(kernel: Kernel, code: str, cell_id: str | None = None, timeout: float = 60) -> dict[str, Any]:
    """Execute like JupyterLab does (with a ``cellId`` in the request's metadata) or like nbclient (none)."""
    kernel.drain()
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": True}
    msg = kernel.session.msg("execute_request", content, metadata={"cellId": cell_id} if cell_id else {})
    kernel.kc.shell_channel.send(msg)
    msg_id = msg["header"]["msg_id"]
    outputs: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            m = kernel.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError(kernel.dump_stacks()) from None
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
        outputs.append(m)
    reply = kernel.kc.get_shell_msg(timeout=10)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kernel.kc.get_shell_msg(timeout=10)
    return {"reply": reply["content"], "outputs": outputs}


def value(kernel: Kernel, expression: str) -> Any:
    run = kernel.check(f"import json as _j\n_v = _j.dumps({expression}, default=str)",
                       user_expressions={"v": "_v"})
    return run.expression("v")


def final_text(outputs: list[dict[str, Any]]) -> str:
    """The text/plain the cell's display ends with (after its display update)."""
    shown: dict[str, str] = {}
    order: list[str] = []
    for m in outputs:
        if m["msg_type"] in ("display_data", "update_display_data"):
            did = m["content"].get("transient", {}).get("display_id", str(len(order)))
            if did not in shown:
                order.append(did)
            shown[did] = m["content"]["data"].get("text/plain", "")
    return "\n".join(shown[d] for d in order)


def history(kernel: Kernel, chat: str = "default") -> list[dict[str, Any]]:
    return value(kernel, f"get_ipython().magics_manager.registry['ClaudeMagics'].chats[{chat!r}].messages")  # type: ignore[no-any-return]


def test_load_twice_is_harmless_and_help_is_real(kernel: Kernel) -> None:
    kernel.check("%load_ext claude_widgets\n%reload_ext claude_widgets")
    out = run_cell(kernel, "%%claude?\n")
    help_text = json.dumps(out, default=str)
    for option in ("--model", "--system", "--max-tokens", "--temperature", "--thinking", "--tools", "--chat",
                   "--new", "--out", "--no-resume"):
        assert option in help_text


def test_cell_streams_an_answer_and_stores_it(kernel: Kernel) -> None:
    out = run_cell(kernel, "%%claude --new -o haiku_msg\nWrite a haiku about streaming", cell_id=uuid.uuid4().hex)
    assert out["reply"]["status"] == "ok"
    assert "Tokens drift like snow" in final_text(out["outputs"])
    assert value(kernel, "haiku_msg.content[-1].text").startswith("Tokens drift")
    assert value(kernel, "cw.last_message.id") == value(kernel, "haiku_msg.id")


def test_line_form(kernel: Kernel) -> None:
    # (not "...France?": IPython reads a line ending in "?" as a request for help)
    out = run_cell(kernel, "%claude --chat line Tell me the capital of France.")
    assert "The capital of France is **Paris**." in final_text(out["outputs"])


def test_options_reach_the_request(kernel: Kernel) -> None:
    run_cell(kernel, "%%claude --chat opts -m claude-haiku-4-5-20251001 -s 'Answer like a pirate.' "
                     "--max-tokens 7 --temperature 0.3\nTell me a story")
    body = value(kernel, "cw.offline_server().requests[-1].body")
    assert body["model"] == "claude-haiku-4-5-20251001" and body["system"] == "Answer like a pirate."
    assert body["max_tokens"] == 7 and body["temperature"] == 0.3
    assert value(kernel, "cw.last_message.stop_reason") == "max_tokens"


def test_thinking_option(kernel: Kernel) -> None:
    run_cell(kernel, "%%claude --chat think --thinking 2048\nIs 1,001 a prime number?")
    assert value(kernel, "[b.type for b in cw.last_message.content]") == ["thinking", "text"]
    assert value(kernel, "cw.offline_server().requests[-1].body['thinking']") == {"type": "enabled",
                                                                                "budget_tokens": 2048}


def test_templating_uses_ipython_expansion(kernel: Kernel) -> None:
    kernel.check("city = 'France'\nthing = 'capital'")
    run_cell(kernel, "%%claude --chat tpl\nWhat is the {thing} of $city? Literal braces: {{ok}}")
    body = value(kernel, "cw.offline_server().requests[-1].body")
    assert body["messages"][-1]["content"] == "What is the capital of France? Literal braces: {ok}"


def test_rerunning_a_cell_replaces_its_turn(kernel: Kernel) -> None:
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    run_cell(kernel, "%%claude --chat rerun\nHello, my name is Ada.", cell_id=first)
    run_cell(kernel, "%%claude --chat rerun\nWhat is my name?", cell_id=second)
    run_cell(kernel, "%%claude --chat rerun\nWhat is my name?", cell_id=second)  # re-run: replaces
    msgs = history(kernel, "rerun")
    assert [m["role"] for m in msgs] == ["user", "assistant", "user", "assistant"]
    assert "Your name is **Ada**" in msgs[-1]["content"][0]["text"]
    run_cell(kernel, "%%claude --chat rerun\nHello, my name is Grace.", cell_id=first)  # edits cell 1
    msgs = history(kernel, "rerun")
    assert len(msgs) == 2 and "Grace" in msgs[0]["content"]


def test_rerun_without_cell_id_falls_back_to_the_cell_text(kernel: Kernel) -> None:
    for _ in range(2):
        run_cell(kernel, "%%claude --chat nocellid\nWrite a haiku about streaming")
    assert len(history(kernel, "nocellid")) == 2


def test_two_chats_stay_apart(kernel: Kernel) -> None:
    run_cell(kernel, "%%claude --chat a --new\nHello, my name is Ada.")
    run_cell(kernel, "%%claude --chat b --new\nHello, my name is Bob.")
    run_cell(kernel, "%%claude --chat a\nWhat is my name?")
    assert "Ada" in history(kernel, "a")[-1]["content"][0]["text"]
    assert len(history(kernel, "b")) == 2


def test_two_step_tool_loop_with_python_functions(kernel: Kernel) -> None:
    kernel.check(TOOLS)
    out = run_cell(kernel, "%%claude --chat tools --tools get_weather,calculator\n"
                           "What's the weather in Paris, and what is that temperature in Fahrenheit?")
    assert out["reply"]["status"] == "ok"
    msgs = history(kernel, "tools")
    kinds = [[b.get("type") for b in m["content"]] if isinstance(m["content"], list) else ["str"] for m in msgs]
    assert kinds == [["str"], ["text", "tool_use"], ["tool_result"], ["text", "tool_use"], ["tool_result"], ["text"]]
    assert msgs[2]["content"][0]["content"] == "18 °C, sunny"
    assert msgs[4]["content"][0]["content"] == "64.4"
    assert "64.4" in msgs[-1]["content"][0]["text"]
    shown = final_text(out["outputs"])
    assert "get_weather" in shown and "calculator" in shown and "64.4" in shown


def test_a_tool_that_raises_is_reported_to_the_model(kernel: Kernel) -> None:
    kernel.check(TOOLS)
    run_cell(kernel, "%%claude --chat broken --tools broken_weather\nWhat's the weather in Oslo?")
    msgs = history(kernel, "broken")
    result = msgs[2]["content"][0]
    assert result["is_error"] is True and "ConnectionError: weather service down" in result["content"]
    assert "failed" in msgs[-1]["content"][0]["text"]


def test_mid_stream_fault_is_resumed(kernel: Kernel) -> None:
    kernel.check("cw.offline_server().set_fault('drop-after=5; times=1')")
    try:
        out = run_cell(kernel, "%%claude --chat fault\nTell me a story")
    finally:
        kernel.check("cw.offline_server().set_fault(None)")
    assert out["reply"]["status"] == "ok"
    text = history(kernel, "fault")[-1]["content"][0]["text"]
    assert text.startswith("The lighthouse keeper") and text.endswith("blinked three times.")
    assert text.count("The lighthouse keeper") == 1


def test_failed_turn_leaves_the_conversation_consistent(kernel: Kernel) -> None:
    run_cell(kernel, "%%claude --chat fail --new\nHello, my name is Ada.")
    kernel.check("cw.offline_server().set_fault('status=400; times=1')")
    try:
        out = run_cell(kernel, "%%claude --chat fail --no-resume\nWhat is my name?")
    finally:
        kernel.check("cw.offline_server().set_fault(None)")
    assert out["reply"]["status"] == "ok"  # the error is in the widget, not a traceback
    assert "400" in final_text(out["outputs"]) or "Invalid request" in final_text(out["outputs"])
    assert len(history(kernel, "fail")) == 2  # the failed question was not recorded


@pytest.mark.parametrize("code,message", [
    ("%%claude --frobnicate\nhi", "unrecognized arguments: --frobnicate"),
    ("%%claude --tools no_such_function\nhi", "there is no function named 'no_such_function'"),
    ("%%claude\nWhat about {undefined_variable}?", "the prompt uses `undefined_variable`, which is not defined"),
    ("%%claude\nWhat about $undefined_name?", "the prompt uses `undefined_name`, which is not defined"),
    ("%%claude\n   \n", "the prompt is empty"),
    ("%%claude --thinking lots\nhi", "give a token budget"),
])
def test_bad_input_gets_one_clear_line(kernel: Kernel, code: str, message: str) -> None:
    out = run_cell(kernel, code)
    reply = out["reply"]
    assert reply["status"] == "error" and reply["ename"] == "UsageError"
    assert message in reply["evalue"]
    tracebacks = [m for m in out["outputs"] if m["msg_type"] == "error"]
    assert all(len(m["content"]["traceback"]) <= 2 for m in tracebacks)  # no traceback wall


def test_unload(kernel: Kernel) -> None:
    kernel.check("%unload_ext claude_widgets")
    assert run_cell(kernel, "%%claude\nhi")["reply"]["ename"] == "UsageError"
    kernel.check("%load_ext claude_widgets")


def test_a_runaway_tool_loop_stops_at_the_limit(kernel: Kernel) -> None:
    kernel.check(TOOLS)
    run = kernel.check(
        "chat = cw.Chat(tools=[get_weather, calculator], max_steps=1)\n"
        "view = chat.stream(\"What's the weather in Paris, and what is that temperature in Fahrenheit?\")\n"
        "try:\n    view.wait(timeout=30)\nexcept cw.ToolLoopLimit as e:\n    print('limit:', e)\n"
        "print(view.state, len(chat.messages))")
    assert "limit: stopped after 1 requests: the model kept calling tools" in run.stdout
    assert run.stdout.strip().endswith("error 0")  # shown as an error; the turn left no trace


def test_a_later_cell_using_the_out_name_waits_for_it() -> None:
    """Run All, interactively: `-o NAME` is set when the answer ends, after the cell returned.

    A following cell that uses NAME waits for that answer first; a cell that doesn't, doesn't.
    """
    k = Kernel(env={"CLAUDE_WIDGETS_DELAY_MS": "40"}, block=False, front_end=True)  # streams in the background, paced
    try:
        k.check("%load_ext claude_widgets")
        first = run_cell(k, "%%claude --new -o later_msg\nWrite a haiku about streaming", cell_id=uuid.uuid4().hex)
        assert first["reply"]["status"] == "ok"
        other = run_cell(k, "print(bool(get_ipython().magics_manager.registry['ClaudeMagics']._pending))")
        assert [m["content"]["text"] for m in other["outputs"] if m["msg_type"] == "stream"] == ["True\n"]
        uses = run_cell(k, "print(later_msg.content[-1].text.splitlines()[0])")
        assert uses["reply"]["status"] == "ok", uses["reply"]
        assert [m["content"]["text"] for m in uses["outputs"] if m["msg_type"] == "stream"] == \
            ["Tokens drift like snow,\n"]
        assert value(k, "__import__('claude_widgets').last_message.id") == \
            value(k, "later_msg.id")
    finally:
        k.close()

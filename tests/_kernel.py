"""A real Jupyter kernel driven over ZMQ, with every iopub message kept and weighed."""

from __future__ import annotations

import ast
import contextlib
import json
import os
import queue
import signal
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.manager import KernelManager

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def msg_bytes(session: Any, msg: dict[str, Any]) -> int:
    """The size of a message on the wire: its signed frames plus binary buffers."""
    frames = session.serialize(msg)
    return sum(len(f) for f in frames) + sum(len(memoryview(b).cast("B")) for b in msg.get("buffers") or [])


def comm_payload_bytes(msg: dict[str, Any]) -> int:
    """What a comm message carries, without its envelope: the data JSON plus buffers."""
    data = json.dumps(msg["content"].get("data", {}), ensure_ascii=False, separators=(",", ":"))
    return len(data.encode()) + sum(len(memoryview(b).cast("B")) for b in msg.get("buffers") or [])


@dataclass
class Run:
    reply: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)
    idle_lost: bool = False
    """The kernel's idle status never arrived: iopub messages were dropped (a flood)."""

    @property
    def stdout(self) -> str:
        return "".join(m["content"]["text"] for m in self.messages
                       if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")

    @property
    def ok(self) -> bool:
        return self.reply["content"]["status"] == "ok"

    def expression(self, name: str) -> Any:
        """A ``user_expressions`` result that was a JSON string."""
        value = self.reply["content"]["user_expressions"][name]
        assert value["status"] == "ok", value
        return json.loads(ast.literal_eval(value["data"]["text/plain"]))


class Kernel:
    def __init__(self, env: dict[str, str] | None = None, *, block: bool | None = None,
                 front_end: bool = False) -> None:
        """``block``: set (True) or unset (False) ``CLAUDE_WIDGETS_BLOCK`` in the kernel, which
        makes a StreamView cell wait for its stream (the repo's conftest sets it for nbval);
        None inherits it. ``front_end``: send a ``cellId`` in each execute request's metadata,
        as JupyterLab, Notebook 7 and VS Code do (a StreamView cell then returns at once);
        without one the kernel is run like nbclient, and such a cell waits for its answer."""
        self.front_end = front_end
        environ = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
        if block is not None:
            environ.pop("CLAUDE_WIDGETS_BLOCK", None)
            if block:
                environ["CLAUDE_WIDGETS_BLOCK"] = "1"
        environ.update(env or {})
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(env=environ)
        self.kc = self.km.blocking_client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        self.session = self.kc.session
        self.backlog: list[dict[str, Any]] = []
        # on a hang, SIGUSR1 makes the kernel write every thread's stack here
        fd, self.stacks = tempfile.mkstemp(prefix="kernel-stacks-", suffix=".txt")
        os.close(fd)
        self.check(f"import faulthandler as _fh, signal as _sig\n"
                   f"_fh.register(_sig.SIGUSR1, file=open({self.stacks!r}, 'w'), all_threads=True)")

    def _dump_slow(self, code: str) -> None:
        with open(f"/tmp/slow-cell-{time.time():.0f}.txt", "w") as f:
            f.write(code + "\n\n" + self.dump_stacks())

    def dump_stacks(self) -> str:
        """Every thread's stack in the kernel, right now (for a test that timed out)."""
        try:
            os.kill(self.km.provisioner.process.pid, signal.SIGUSR1)  # type: ignore[union-attr]
            time.sleep(0.5)
            with open(self.stacks) as f:
                return f.read()
        except Exception as e:  # noqa: BLE001 - a debugging aid only
            return f"(could not dump the kernel's stacks: {e!r})"

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def execute(self, code: str, timeout: float = 120, user_expressions: dict[str, str] | None = None) -> Run:
        """Run ``code``; return once the kernel is idle again, with every iopub message of it."""
        self.drain()
        content = {"code": code, "silent": False, "store_history": False,
                   "user_expressions": user_expressions or {}, "allow_stdin": False, "stop_on_error": True}
        metadata = {"cellId": uuid.uuid4().hex} if self.front_end else {}
        msg = self.session.msg("execute_request", content, metadata=metadata)
        self.kc.shell_channel.send(msg)
        msg_id = msg["header"]["msg_id"]
        if os.environ.get("WIDGET_TEST_SLOW_DUMP"):  # debugging aid: stacks of a cell slower than N s
            import threading

            timer = threading.Timer(float(os.environ["WIDGET_TEST_SLOW_DUMP"]), self._dump_slow, args=(code,))
            timer.daemon = True
            timer.start()
        run = Run(reply={})
        deadline = time.monotonic() + timeout
        idle = False
        reply_at: float | None = None  # when the execute_reply came (the idle status may be lost)
        while not idle:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the cell did not finish in {timeout} s; kernel threads:\n"
                                   + self.dump_stacks())
            try:
                msg = self.kc.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                if reply_at is None:
                    with contextlib.suppress(queue.Empty):
                        reply = self.kc.get_shell_msg(timeout=0)
                        if reply["parent_header"].get("msg_id") == msg_id:
                            run.reply, reply_at = reply, time.monotonic()
                elif time.monotonic() - reply_at > 2.0:
                    # replied, and iopub silent since: ZMQ dropped messages (its idle status among
                    # them) because this reader fell behind a flood
                    run.idle_lost = True
                    break
                continue
            run.messages.append(msg)
            if (msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
                    and msg["parent_header"].get("msg_id") == msg_id):
                idle = True
        if os.environ.get("WIDGET_TEST_SLOW_DUMP"):
            timer.cancel()
        while run.reply.get("parent_header", {}).get("msg_id") != msg_id:
            run.reply = self.kc.get_shell_msg(timeout=max(1.0, deadline - time.monotonic()))
        return run

    def check(self, code: str, timeout: float = 120, user_expressions: dict[str, str] | None = None) -> Run:
        run = self.execute(code, timeout, user_expressions)
        if not run.ok:
            c = run.reply["content"]
            raise AssertionError(f"{c.get('ename')}: {c.get('evalue')}\n" + "\n".join(c.get("traceback", []))
                                 + "\n" + run.stdout)
        return run

    def drain(self, seconds: float = 0.0) -> list[dict[str, Any]]:
        """iopub messages that arrived outside an execution (a stream running in the background)."""
        got = []
        deadline = time.monotonic() + seconds
        while True:
            try:
                got.append(self.kc.get_iopub_msg(timeout=max(0.0, deadline - time.monotonic()) or 0.01))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    break
        self.backlog.extend(got)
        return got

    def wait_for(self, predicate: Any, timeout: float = 30) -> dict[str, Any]:
        """The first iopub message (in the backlog or arriving) for which ``predicate`` holds."""
        for m in self.backlog:
            if predicate(m):
                return m
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                m = self.kc.get_iopub_msg(timeout=0.1)
            except queue.Empty:
                continue
            self.backlog.append(m)
            if predicate(m):
                return m
        raise TimeoutError("no such iopub message")

    def send_comm_msg(self, comm_id: str, content: dict[str, Any]) -> None:
        """What the browser does for ``model.send(content)``: a comm_msg on the shell channel."""
        msg = self.session.msg("comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": content}})
        self.kc.shell_channel.send(msg)


def stream_view_comm_ids(messages: list[dict[str, Any]]) -> list[str]:
    """Comm ids of the StreamView models opened in these messages."""
    ids = []
    for m in messages:
        if m["msg_type"] == "comm_open":
            state = m["content"].get("data", {}).get("state", {})
            if str(state.get("_anywidget_id", "")).endswith("StreamView"):
                ids.append(m["content"]["comm_id"])
    return ids


def status_updates(messages: list[dict[str, Any]], comm_id: str) -> list[dict[str, Any]]:
    out = []
    for m in messages:
        if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id:
            data = m["content"]["data"]
            if data.get("method") == "update" and "status" in data.get("state", {}):
                out.append(data["state"]["status"])
    return out

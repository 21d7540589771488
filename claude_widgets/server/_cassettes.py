"""Cassettes: real API streams recorded as SSE text, replayed exactly.

A cassette is a ``.sse`` file holding a response body in the API's own
``event:``/``data:`` format, byte for byte, with an optional ``.json`` sidecar of the
same name recording the request it answered (``python -m claude_widgets.record`` writes
both). ``--cassette`` takes one file (every request gets it) or a folder: a request gets
the cassette whose recorded request has the same messages, else the same last user
message; with no match, the scenarios answer.

Replay is exact: the recorded bytes are sent unchanged, event by event. Only a request
that prefills an assistant turn (a resumed stream) is answered by re-rendering: the
recording is parsed into an answer and continued after the prefix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._answer import Answer, Block
from ._request import MessagesRequest


@dataclass
class Cassette:
    path: Path
    body: bytes
    request: dict[str, Any] | None

    def events(self) -> list[bytes]:
        """The recorded bytes cut after each event's blank line; they re-join exactly."""
        sep = b"\r\n\r\n" if b"\r\n\r\n" in self.body else b"\n\n"
        parts = self.body.split(sep)
        out = [p + sep for p in parts[:-1]]
        if parts[-1]:
            out.append(parts[-1])
        return out

    @staticmethod
    def event_name(chunk: bytes) -> str | None:
        for line in chunk.splitlines():
            if line.startswith(b"event:"):
                return line[6:].strip().decode()
        return None

    def answer(self) -> tuple[Answer, str]:
        """The recorded answer as blocks, and the model that produced it."""
        blocks: list[Block] = []
        partial: dict[int, str] = {}
        stop_reason = "end_turn"
        model = ""
        for chunk in self.events():
            data = b"".join(line[5:].strip() for line in chunk.splitlines() if line.startswith(b"data:"))
            if not data:
                continue
            ev = json.loads(data)
            kind = ev.get("type")
            if kind == "message_start":
                model = ev["message"].get("model", "")
            elif kind == "content_block_start":
                cb = ev["content_block"]
                blocks.append(Block(cb["type"], name=cb.get("name", ""), id=cb.get("id", "")))
            elif kind == "content_block_delta":
                d = ev["delta"]
                b = blocks[ev["index"]]
                if d["type"] == "text_delta":
                    b.text += d["text"]
                elif d["type"] == "thinking_delta":
                    b.text += d["thinking"]
                elif d["type"] == "input_json_delta":
                    partial[ev["index"]] = partial.get(ev["index"], "") + d["partial_json"]
            elif kind == "content_block_stop" and ev["index"] in partial:
                blocks[ev["index"]].input = json.loads(partial[ev["index"]] or "{}")
            elif kind == "message_delta":
                stop_reason = ev["delta"].get("stop_reason") or stop_reason
        return Answer([b for b in blocks if b.type in ("text", "thinking", "tool_use")], stop_reason), model


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for m in reversed(messages):
        if m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, str):
                return c
            return "\n".join(b.get("text", "") for b in c if isinstance(b, dict) and b.get("type") == "text")
    return ""


class CassetteLibrary:
    """One cassette file, or a folder of them matched to requests."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"cassette path not found: {self.path}")
        files = [self.path] if self.path.is_file() else sorted(self.path.glob("*.sse"))
        self.cassettes = [self._load(f) for f in files]
        self.single = self.path.is_file()

    @staticmethod
    def _load(path: Path) -> Cassette:
        sidecar = path.with_suffix(".json")
        request = json.loads(sidecar.read_text())["request"] if sidecar.exists() else None
        return Cassette(path, path.read_bytes(), request)

    def match(self, req: MessagesRequest) -> Cassette | None:
        if self.single:
            return self.cassettes[0]
        raw_messages = req.raw.get("messages", [])
        if req.prefill is not None:
            raw_messages = raw_messages[:-1]
        for c in self.cassettes:
            if c.request and c.request.get("messages") == raw_messages:
                return c
        wanted = _last_user_text(raw_messages).strip()
        for c in self.cassettes:
            if c.request and _last_user_text(c.request.get("messages", [])).strip() == wanted:
                return c
        return None

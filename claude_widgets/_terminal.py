"""A StreamView in a terminal: its ops written to stdout as plain text, as they are flushed.

Terminal IPython has no widget front end: the widget's messages go nowhere, and a
display would print ``[streaming…]`` now and the answer only after the next prompt. So
the view echoes each flushed batch of ops instead (the same batches a browser gets, ≤ ~30
writes a second, each flushed like ``print(..., end="", flush=True)``): text as it
arrives, thinking and tool calls under a one-line label, and how the stream ended.
"""

from __future__ import annotations

from typing import Any, TextIO

__all__ = ["TerminalEcho"]

_LABELS = {"thinking": "thinking", "redacted_thinking": "thinking (redacted)", "tool_use": "tool call",
           "tool_result": "tool result"}


class TerminalEcho:
    """Writes ops (``docs/widget-protocol.md``) to ``out`` as readable text."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.kinds: dict[int, str] = {}
        self.last: int | None = None  # the block written to last
        self.at_line_start = True
        self.wrote = False

    def _write(self, s: str) -> None:
        if s:
            self.out.write(s)
            self.at_line_start = s.endswith("\n")
            self.wrote = True

    def _newline(self) -> None:
        if not self.at_line_start:
            self._write("\n")

    def __call__(self, ops: list[list[Any]]) -> None:
        for op in ops:
            kind = op[0]
            if kind == "start":
                i, info = op[1], op[2]
                self.kinds[i] = info.get("type", "text")
                label = _LABELS.get(self.kinds[i])
                if self.wrote:
                    self._newline()
                    self._write("\n")
                if label:
                    name = info.get("name")
                    self._write(f"[{label}{': ' + name if name else ''}]\n")
                self.last = i
            elif kind == "append":
                self.last = op[1]
                self._write(op[3])
            elif kind == "reset":
                self._newline()
                self._write("[the stream restarted]\n")
                self.wrote = False
        self.out.flush()

    def end(self, state: str, error: str | None) -> None:
        """The stream ended: close the line, and say so when it did not end normally."""
        self._newline()
        if state == "stopped":
            self._write("[stopped]\n")
        elif state == "error":
            self._write(f"[error: {error}]\n")
        self.out.flush()

"""A StreamView in a terminal: its ops written to stdout as plain text, as they are flushed.

Terminal IPython has no widget front end: the widget's messages go nowhere, and a
display would print ``[streaming…]`` now and the answer only after the next prompt. So
the view echoes each flushed batch of ops instead (the same batches a browser gets, ≤ ~30
writes a second, each flushed like ``print(..., end="", flush=True)``): text as it
arrives, thinking and tool calls under a one-line label, and how the stream ended.
Adjacent text blocks run on as one text (the API splits an answer where citations start
and end), each cited block followed by its marks ``[n]``, the sources listed at the end
(``_sources``: the same numbering as the view's).
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
        self.cites: list[dict[str, Any]] = []
        self.marks: dict[int, str] = {}  # block → its citations' marks, written when it stops

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
                follows_text = self.last is not None and self.kinds.get(self.last) == "text"
                self.kinds[i] = info.get("type", "text")
                label = _LABELS.get(self.kinds[i])
                if self.kinds[i] == "text" and follows_text:
                    pass  # the same text goes on
                elif self.wrote:
                    self._newline()
                    self._write("\n")
                if label:
                    name = info.get("name")
                    self._write(f"[{label}{': ' + name if name else ''}]\n")
                self.last = i
            elif kind == "append":
                self.last = op[1]
                self._write(op[3])
            elif kind == "cite":
                self.cites.append(op[2])
                self.marks[op[1]] = self.marks.get(op[1], "") + f"[{len(self.cites)}]"
            elif kind == "stop":
                self._write(self.marks.pop(op[1], ""))
            elif kind == "reset":
                self._newline()
                self._write("[the stream restarted]\n")
                self.wrote = False
        self.out.flush()

    def end(self, state: str, error: str | None) -> None:
        """The stream ended: close the line, list the sources, and say so when it did not end normally."""
        self._newline()
        if self.cites:
            self._write("\nSources:\n")
            for n, c in enumerate(self.cites, 1):
                where = f", {c['where']}" if c.get("where") else ""
                url = f" <{c['url']}>" if c.get("url") else ""
                self._write(f"  [{n}] {c.get('title', '')}{where}{url}: “{c.get('quote', '')}”\n")
        if state == "stopped":
            self._write("[stopped]\n")
        elif state == "error":
            self._write(f"[error: {error}]\n")
        self.out.flush()

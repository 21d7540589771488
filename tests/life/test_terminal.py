"""Terminal IPython streams live: the text reaches stdout as it arrives, before the prompt returns.

A real ``ipython`` (the venv's, a TerminalInteractiveShell: no kernel, no widgets) in a
pty, against the embedded offline server paced at 40 ms an event.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pexpect
import pytest

pytestmark = pytest.mark.kernel

REQUEST = ("model=cw.DEFAULT_MODEL, max_tokens=300, "
           "messages=[{'role': 'user', 'content': 'Write a haiku about streaming'}]")


@pytest.fixture
def ipython() -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if k != "CLAUDE_WIDGETS_BLOCK" and not k.startswith("ANTHROPIC_")}
    env.update(CLAUDE_WIDGETS_OFFLINE="1", CLAUDE_WIDGETS_DELAY_MS="40", TERM="dumb",
               PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    child = pexpect.spawn(str(Path(sys.executable).parent / "ipython"),
                          ["--simple-prompt", "--no-banner", "--colors=NoColor", "--HistoryManager.enabled=False"],
                          env=env, encoding="utf-8", timeout=60, dimensions=(50, 200))
    child.expect(r"In \[1\]: ")
    child.sendline("import claude_widgets as cw; client = cw.client()")
    child.expect(r"In \[2\]: ")
    yield child
    child.sendline("exit")
    child.expect(pexpect.EOF)
    child.close()


def _stream_and_time(child: pexpect.spawn, line: str, first: str, prompt: str) -> tuple[float, str]:
    """Send ``line``; seconds from the first text to the next prompt, and what came before it."""
    child.sendline(line)
    child.expect(first)
    t_first = time.monotonic()
    child.expect(prompt)
    return time.monotonic() - t_first, first + child.before


def test_stream_writes_text_live_before_the_prompt(ipython: pexpect.spawn) -> None:
    waited, shown = _stream_and_time(ipython, f"view = cw.stream(client, {REQUEST})", "Tokens", r"In \[3\]: ")
    assert waited > 0.15, "the text came all at once, not as it streamed"  # ~4 events at 40 ms
    assert "Tokens drift like snow,\r\neach one lands before the next—\r\nthe answer takes shape." in shown
    assert "[streaming" not in shown
    ipython.sendline("print(view.state, len(view.text))")
    ipython.expect(r"In \[4\]: ")
    assert "\ndone " in ipython.before


def test_a_view_as_the_cells_value_is_not_printed_twice(ipython: pexpect.spawn) -> None:
    _, shown = _stream_and_time(ipython, f"cw.stream(client, {REQUEST})", "Tokens", r"In \[3\]: ")
    assert shown.count("Tokens drift") == 1


def test_line_magic_streams_live(ipython: pexpect.spawn) -> None:
    ipython.sendline("%load_ext claude_widgets")
    ipython.expect(r"In \[3\]: ")
    waited, shown = _stream_and_time(ipython, "%claude Write a haiku about streaming", "Tokens", r"In \[4\]: ")
    assert waited > 0.15
    assert shown.count("the answer takes shape.") == 1 and "[streaming" not in shown


def test_a_cited_answer_reads_as_one_text_with_its_sources(ipython: pexpect.spawn) -> None:
    doc = ("{'type': 'document', 'title': 'My Document', 'citations': {'enabled': True}, 'source': "
           "{'type': 'text', 'media_type': 'text/plain', 'data': 'The grass is green. The sky is blue.'}}")
    line = (f"view = cw.stream(client, model=cw.DEFAULT_MODEL, max_tokens=300, messages=[{{'role': 'user', "
            f"'content': [{doc}, {{'type': 'text', 'text': 'What color is the grass and sky?'}}]}}])")
    _, shown = _stream_and_time(ipython, line, "According", r"In \[3\]: ")
    assert "According to “My Document”: The grass is green.[1] The sky is blue.[2]\r\n" in shown
    assert "Sources:\r\n  [1] My Document: “The grass is green.”\r\n  [2] My Document: “The sky is blue.”" in shown

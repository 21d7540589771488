"""Issue 13, finding 7: the API key never reaches an exception, a log or a file.

Before: a key with a trailing newline was refused by the HTTP library with an error that
quoted it (``Illegal header value b'...\\n'``), retried 5 times as a dropped connection,
shown in tracebacks and debug logs; a base URL with ``user:password@`` was written into
a cassette's sidecar.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import traceback
from pathlib import Path

import anthropic
import pytest

import claude_widgets
from claude_widgets import DEFAULT_MODEL, RetryEvent, resilient_stream
from claude_widgets.server import OfflineServer

SECRET = "sk-ant-api03-SECRETSECRET"
QUESTION = {"model": DEFAULT_MODEL, "max_tokens": 50, "messages": [{"role": "user", "content": "a haiku"}]}


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch, server: OfflineServer) -> None:
    """``client()`` in online mode, its "real API" being the offline server."""
    monkeypatch.delenv("CLAUDE_WIDGETS_OFFLINE", raising=False)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)


def _everything(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


@pytest.mark.usefixtures("online")
def test_a_key_with_a_trailing_newline_works_and_is_never_shown(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET + "\n")
    caplog.set_level(logging.DEBUG)  # the SDK's and the HTTP library's debug logs included
    for name in ("anthropic", "httpx2", "httpcore2", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    reply = claude_widgets.client(max_retries=0).messages.create(**QUESTION)  # type: ignore[arg-type]
    assert "Tokens drift like snow" in reply.content[0].text  # type: ignore[union-attr]
    out, err = capfd.readouterr()
    assert "ANTHROPIC_API_KEY had whitespace around it" in err
    assert "SECRETSECRET" not in caplog.text + out + err


@pytest.mark.usefixtures("online")
@pytest.mark.parametrize("bad", [SECRET[:12] + "\n" + SECRET[12:], SECRET + "\x07", SECRET + " é", SECRET + "\r\nx"])
def test_a_key_that_cannot_be_sent_is_refused_without_being_shown(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", bad)
    with pytest.raises(ValueError, match="ANTHROPIC_API_KEY contains") as info:
        claude_widgets.client(max_retries=0).messages.create(**QUESTION)  # type: ignore[arg-type]
    assert "SECRET" not in _everything(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_a_request_that_cannot_be_written_is_not_retried(server: OfflineServer) -> None:
    """A key passed to the SDK directly still fails, but once, not 5 times as a "dropped connection"."""
    with anthropic.Anthropic(base_url=server.base_url, api_key=SECRET + "\n") as sdk:
        retries = []
        with pytest.raises(anthropic.APIConnectionError), \
                resilient_stream(sdk, base_delay=0, **QUESTION) as stream:  # type: ignore[arg-type]
            retries.extend(e for e in stream if isinstance(e, RetryEvent))
        assert retries == []


def _record(base_url: str, key: str, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANTHROPIC_API_KEY": key, "ANTHROPIC_BASE_URL": base_url}
    return subprocess.run([sys.executable, "-m", "claude_widgets.record", "-o", str(out), "a haiku"],
                          check=False, env=env, text=True, capture_output=True, timeout=60)


def test_the_recorder_strips_the_key_and_writes_no_credentials(server: OfflineServer, tmp_path: Path) -> None:
    url = server.base_url.replace("http://", "http://learner:hunter2@")
    done = _record(url, SECRET + "\n", tmp_path / "haiku.sse")
    assert done.returncode == 0, done.stderr
    sidecar = (tmp_path / "haiku.json").read_text()
    assert json.loads(sidecar)["base_url"] == server.base_url
    assert "hunter2" not in sidecar and "learner" not in sidecar and "SECRETSECRET" not in sidecar
    assert "SECRETSECRET" not in done.stdout + done.stderr


def test_the_recorder_refuses_a_key_that_cannot_be_sent(server: OfflineServer, tmp_path: Path) -> None:
    done = _record(server.base_url, SECRET[:12] + "\n" + SECRET[12:], tmp_path / "haiku.sse")
    assert done.returncode == 2
    assert "ANTHROPIC_API_KEY contains a line break" in done.stderr
    assert "SECRET" not in done.stdout + done.stderr
    assert not (tmp_path / "haiku.json").exists()

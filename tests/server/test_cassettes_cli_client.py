"""Cassettes (recorded, then replayed byte for byte), the command line, and client()."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anthropic
import httpx
import pytest

import claude_widgets
from claude_widgets import DEFAULT_MODEL
from claude_widgets.server import OfflineServer

REQUEST = {"model": DEFAULT_MODEL, "max_tokens": 500, "messages": [{"role": "user", "content": "Tell me a story"}]}
HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}


def _record(server: OfflineServer, out: Path, request: dict = REQUEST) -> None:  # type: ignore[type-arg]
    env = {**os.environ, "ANTHROPIC_API_KEY": "recording-key", "ANTHROPIC_BASE_URL": server.base_url}
    subprocess.run([sys.executable, "-m", "claude_widgets.record", "--request", "-", "-o", str(out)],
                   input=json.dumps(request), text=True, env=env, check=True, capture_output=True)


def _raw(base_url: str, request: dict, headers: dict | None = None) -> bytes:  # type: ignore[type-arg]
    with httpx.stream("POST", base_url + "/v1/messages", json={**request, "stream": True},
                      headers={**HEADERS, **(headers or {})}) as r:
        return r.read()


def test_recorded_cassette_replays_byte_for_byte(server: OfflineServer, tmp_path: Path) -> None:
    cassette = tmp_path / "story.sse"
    _record(server, cassette)
    sidecar = json.loads(cassette.with_suffix(".json").read_text())
    assert sidecar["request"]["messages"] == REQUEST["messages"]
    assert "recording-key" not in cassette.with_suffix(".json").read_text()  # the key is never saved
    recorded = cassette.read_bytes()
    # Edit the recording so that a replay can't be mistaken for a fresh answer.
    edited = recorded.replace(b"lighthouse", b"cassette")
    assert edited != recorded
    cassette.write_bytes(edited)
    with (OfflineServer(delay_ms=0, cassette=tmp_path) as replay,
          anthropic.Anthropic(base_url=replay.base_url, api_key="k") as sdk):
        assert _raw(replay.base_url, REQUEST) == edited
        with sdk.messages.stream(**REQUEST) as stream:  # type: ignore[arg-type]
            assert "The cassette keeper" in stream.get_final_text()
        # An unmatched prompt falls back to the scenarios.
        other = {**REQUEST, "messages": [{"role": "user", "content": "Write a haiku"}]}
        assert b"cassette" not in _raw(replay.base_url, other)


def test_single_cassette_file_answers_everything_and_resumes(server: OfflineServer, tmp_path: Path) -> None:
    cassette = tmp_path / "one.sse"
    _record(server, cassette)
    with (OfflineServer(delay_ms=0, cassette=cassette) as replay,
          anthropic.Anthropic(base_url=replay.base_url, api_key="k") as sdk):
        full = sdk.messages.create(model=DEFAULT_MODEL, max_tokens=500,
                                   messages=[{"role": "user", "content": "anything"}]).content[0].text
        assert full.startswith("The lighthouse keeper")
        prefix = full[:57].rstrip()
        cont = sdk.messages.create(model=DEFAULT_MODEL, max_tokens=500, messages=[
            {"role": "user", "content": "anything"}, {"role": "assistant", "content": prefix}]).content[0].text
        assert prefix + cont == full


def test_cassette_faults_count_content_deltas(server: OfflineServer, tmp_path: Path) -> None:
    _record(server, tmp_path / "story.sse")
    with (OfflineServer(delay_ms=0, cassette=tmp_path) as replay,
          anthropic.Anthropic(base_url=replay.base_url, api_key="k", max_retries=0) as sdk):
        seen = []
        with (pytest.raises(anthropic.APIStatusError),
              sdk.messages.stream(**REQUEST, extra_headers={"x-offline-fault": "error-after=5"}) as s):  # type: ignore[arg-type]
            seen.extend(s.text_stream)
        assert len(seen) == 5


def test_command_line_server_prints_its_url_first(tmp_path: Path) -> None:
    with subprocess.Popen([sys.executable, "-m", "claude_widgets.server", "--port", "0", "--delay-ms", "0"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:  # closes its pipes
        try:
            url = proc.stdout.readline().strip()  # type: ignore[union-attr]
            assert url.startswith("http://127.0.0.1:")
            with (anthropic.Anthropic(base_url=url, api_key="k") as sdk,
                  sdk.messages.stream(model=DEFAULT_MODEL, max_tokens=100,
                                      messages=[{"role": "user", "content": "Write a haiku"}]) as s):
                assert "Tokens drift" in s.get_final_text()
        finally:
            proc.terminate()
            proc.wait(10)


def test_command_line_rejects_a_bad_fault_spec() -> None:
    proc = subprocess.run([sys.executable, "-m", "claude_widgets.server", "--fault", "boom=1"],
                          check=False, capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0 and "x-offline-fault" in proc.stderr


def test_stock_sdk_example_runs_with_anthropic_base_url(tmp_path: Path) -> None:
    """The SDK's README streaming example, unmodified, against the CLI server."""
    example = tmp_path / "example.py"
    example.write_text(
        "import anthropic\n"
        "client = anthropic.Anthropic()\n"
        "with client.messages.stream(max_tokens=1024, messages=[{'role': 'user', 'content': 'Say hello there!'}],\n"
        f"                            model={DEFAULT_MODEL!r}) as stream:\n"
        "    for text in stream.text_stream:\n"
        "        print(text, end='', flush=True)\n"
        "    print()\n"
    )
    with subprocess.Popen([sys.executable, "-m", "claude_widgets.server", "--delay-ms", "0"],
                          stdout=subprocess.PIPE, text=True) as proc:  # closes its pipe
        try:
            url = proc.stdout.readline().strip()  # type: ignore[union-attr]
            env = {**os.environ, "ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": "any-key"}
            out = subprocess.run([sys.executable, str(example)], env=env, capture_output=True, text=True, check=True)
            assert "offline stand-in" in out.stdout
        finally:
            proc.terminate()
            proc.wait(10)


def test_client_is_offline_without_a_key_and_never_prints_it(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("CLAUDE_WIDGETS_OFFLINE", raising=False)
    monkeypatch.setenv("CLAUDE_WIDGETS_DELAY_MS", "0")
    assert claude_widgets.is_offline()
    sdk = claude_widgets.client()
    assert sdk.base_url.host == "127.0.0.1"
    assert sdk.messages.create(model=DEFAULT_MODEL, max_tokens=50,
                               messages=[{"role": "user", "content": "Write a haiku"}]).content[0].text
    assert claude_widgets.client().base_url == sdk.base_url  # one server per process


def test_client_uses_the_real_api_with_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-ant-api03-SECRET-never-print-me"
    monkeypatch.setenv("ANTHROPIC_API_KEY", secret)
    monkeypatch.delenv("CLAUDE_WIDGETS_OFFLINE", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    code = ("import claude_widgets; c = claude_widgets.client(); print(c.base_url); "
            "import claude_widgets as cw; print(cw.is_offline())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "api.anthropic.com" in out.stdout and "False" in out.stdout
    assert "using the Anthropic API" in out.stdout and not out.stderr  # a notebook shows stderr in red
    assert secret not in out.stdout + out.stderr
    monkeypatch.setenv("CLAUDE_WIDGETS_OFFLINE", "1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "127.0.0.1" in out.stdout and "offline mode" in out.stdout and not out.stderr
    assert secret not in out.stdout + out.stderr


async def test_async_client_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    async with (claude_widgets.async_client() as sdk,
                sdk.messages.stream(model=DEFAULT_MODEL, max_tokens=100,
                                    messages=[{"role": "user", "content": "Write a haiku"}]) as s):
        assert "snow" in await s.get_final_text()

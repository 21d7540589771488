"""What the server used to never produce: prompt-cache usage, ``service_tier``, rate-limit headers,
and the ``refusal`` / ``model_context_window_exceeded`` stop reasons. Streaming and not.
"""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import pytest

from claude_widgets import DEFAULT_MODEL
from claude_widgets.server import SCENARIOS, OfflineServer

# Long enough to be cached on any model (the minimum is 4,096 tokens for Haiku 4.5).
MANUAL = " ".join(f"Rule {i}: answer politely and cite section {i}." for i in range(700))


def _send(client: anthropic.Anthropic, stream: bool, **kwargs: Any) -> anthropic.types.Message:
    kwargs = {"model": DEFAULT_MODEL, "max_tokens": 256, **kwargs}
    if stream:
        with client.messages.stream(**kwargs) as s:
            return s.get_final_message()
    return client.messages.create(**kwargs)


@pytest.mark.parametrize("stream", [False, True])
def test_prompt_cache_is_written_then_read(client: anthropic.Anthropic, stream: bool) -> None:
    system = [{"type": "text", "text": f"{MANUAL} ({'stream' if stream else 'create'})",
               "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    first = _send(client, stream, system=system, messages=[{"role": "user", "content": "Hello there"}])
    second = _send(client, stream, system=system, messages=[{"role": "user", "content": "Another question"}])
    created = first.usage.cache_creation_input_tokens
    assert created and created > 4096
    assert first.usage.cache_read_input_tokens == 0
    assert first.usage.cache_creation is not None
    assert first.usage.cache_creation.ephemeral_1h_input_tokens == created
    assert first.usage.cache_creation.ephemeral_5m_input_tokens == 0
    assert second.usage.cache_read_input_tokens == created
    assert second.usage.cache_creation_input_tokens == 0
    assert 0 < second.usage.input_tokens < 50
    assert first.usage.service_tier == second.usage.service_tier == "standard"


def test_short_prompts_are_not_cached(client: anthropic.Anthropic) -> None:
    system = [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]
    message = _send(client, False, system=system, messages=[{"role": "user", "content": "Hi"}])
    assert message.usage.cache_creation_input_tokens == 0 and message.usage.cache_read_input_tokens == 0


@pytest.mark.parametrize("stream", [False, True])
def test_rate_limit_headers_on_every_response(server: OfflineServer, stream: bool) -> None:
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
    body = {"model": DEFAULT_MODEL, "max_tokens": 32, "stream": stream, "messages": [{"role": "user", "content": "Hi"}]}
    ok = httpx.post(f"{server.base_url}/v1/messages", json=body, headers=headers, timeout=10)
    bad = httpx.post(f"{server.base_url}/v1/messages", json={**body, "max_tokens": "x"}, headers=headers, timeout=10)
    for response in (ok, bad):
        for kind in ("requests", "input-tokens", "output-tokens", "tokens"):
            for part in ("limit", "remaining", "reset"):
                assert f"anthropic-ratelimit-{kind}-{part}" in response.headers, (response.status_code, kind, part)
    assert int(ok.headers["anthropic-ratelimit-requests-remaining"]) < int(ok.headers["anthropic-ratelimit-requests-limit"])


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(("how", "stop_reason"), [
    ({"x-offline-scenario": "refusal"}, "refusal"),
    ("This is a refusal demo.", "refusal"),
    ({"x-offline-scenario": "context-window"}, "model_context_window_exceeded"),
    ("Please fill the context window.", "model_context_window_exceeded"),
])
def test_refusal_and_full_context_window(client: anthropic.Anthropic, stream: bool, how: Any, stop_reason: str) -> None:
    headers = how if isinstance(how, dict) else {}
    prompt = how if isinstance(how, str) else "Tell me something."
    message = _send(client, stream, extra_headers=headers, messages=[{"role": "user", "content": prompt}])
    assert message.stop_reason == stop_reason
    assert message.content[0].type == "text" and message.content[0].text
    assert {"refusal", "context-window"} <= set(SCENARIOS)

"""Errors: validation, authentication, routes, injected statuses, SDK retries, mid-stream failures."""

from __future__ import annotations

import time
from typing import Any

import anthropic
import httpx
import httpx2
import pytest

from claude_widgets import DEFAULT_MODEL
from claude_widgets.server import OfflineServer

OK = {"model": DEFAULT_MODEL, "max_tokens": 100, "messages": [{"role": "user", "content": "Write a haiku"}]}
HEADERS = {"x-api-key": "k", "anthropic-version": "2023-06-01"}


def _post(server: OfflineServer, body: Any, headers: dict[str, str] | None = None, path: str = "/v1/messages",
          method: str = "POST") -> httpx.Response:
    return httpx.request(method, server.base_url + path, json=body, headers=HEADERS if headers is None else headers)


@pytest.mark.parametrize("body,message", [
    ({k: v for k, v in OK.items() if k != "max_tokens"}, "max_tokens: Field required"),
    ({**OK, "messages": []}, "messages: at least one message is required"),
    ({**OK, "messages": [{"role": "assistant", "content": "Hi"}]}, 'first message must use the "user" role'),
    ({**OK, "messages": [{"role": "robot", "content": "Hi"}]}, "messages.0.role: Input should be 'user' or 'assistant'"),
    ({**OK, "messages": [{"role": "user", "content": ""}]}, "must have non-empty content"),
    ({**OK, "max_tokens": "many"}, "max_tokens: Input should be a valid integer"),
    ({**OK, "max_tokens": 0}, "greater than or equal to 1"),
    ({**OK, "stream": "yes"}, "stream: Input should be a valid boolean"),
    ({**OK, "stop_sequences": "END"}, "stop_sequences: Input should be a valid list"),
    ({**OK, "temperature": 0.5, "model": "claude-haiku-4-5"} | {"temperature": "hot"}, "temperature: Input should be"),
    ({**OK, "frobnicate": True}, "frobnicate: Extra inputs are not permitted"),
    ({**OK, "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Sure "}]},
     "cannot end with trailing whitespace"),
    ({**OK, "model": "claude-haiku-4-5", "thinking": {"type": "enabled", "budget_tokens": 100}},
     "greater than or equal to 1024"),
    ({**OK, "model": "claude-haiku-4-5", "max_tokens": 2000, "thinking": {"type": "enabled", "budget_tokens": 4000}},
     "`max_tokens` must be greater than `thinking.budget_tokens`"),
])
def test_malformed_requests_get_400_invalid_request_error(server: OfflineServer, body: Any, message: str) -> None:
    r = _post(server, body)
    assert r.status_code == 400
    err = r.json()
    assert err["type"] == "error" and err["error"]["type"] == "invalid_request_error"
    assert message in err["error"]["message"]
    assert err["request_id"] == r.headers["request-id"]


def test_invalid_json_body_is_400(server: OfflineServer) -> None:
    r = httpx.post(server.base_url + "/v1/messages", content=b"{not json", headers=HEADERS)
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"]


def test_missing_anthropic_version_is_400(server: OfflineServer) -> None:
    r = _post(server, OK, headers={"x-api-key": "k"})
    assert r.status_code == 400 and "anthropic-version" in r.json()["error"]["message"]


def test_sdk_raises_bad_request_error(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model=DEFAULT_MODEL, max_tokens=10, messages=[])
    assert info.value.status_code == 400 and info.value.type == "invalid_request_error"  # type: ignore[attr-defined]
    assert info.value.request_id and info.value.request_id.startswith("req_")


def test_missing_key_is_401(server: OfflineServer) -> None:
    r = _post(server, OK, headers={"anthropic-version": "2023-06-01"})
    assert r.status_code == 401 and r.json()["error"] == {"type": "authentication_error",
                                                          "message": "x-api-key header is required"}


@pytest.mark.parametrize("key", ["bad-key", "sk-ant-invalid-123"])
def test_bad_key_raises_authentication_error(server: OfflineServer, key: str) -> None:
    with (anthropic.Anthropic(base_url=server.base_url, api_key=key, max_retries=0) as sdk,
          pytest.raises(anthropic.AuthenticationError, match="invalid x-api-key")):
        sdk.messages.create(**OK)  # type: ignore[arg-type]


def test_bearer_token_is_accepted(server: OfflineServer) -> None:
    with anthropic.Anthropic(base_url=server.base_url, auth_token="tok", max_retries=0) as sdk:
        assert sdk.messages.create(**OK).stop_reason == "end_turn"  # type: ignore[arg-type]


def test_unknown_route_is_404_and_wrong_method_405(server: OfflineServer) -> None:
    r = _post(server, OK, path="/v1/nothing")
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found_error"
    r = _post(server, None, method="GET")
    assert r.status_code == 405 and r.json()["error"]["type"] == "invalid_request_error"


def test_unknown_model_is_404(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError, match="model: gpt-4"):
        client.messages.create(model="gpt-4", max_tokens=10, messages=OK["messages"])


def test_oversized_body_is_413(server: OfflineServer) -> None:
    big = {**OK, "messages": [{"role": "user", "content": "x" * (33 * 1024 * 1024)}]}
    r = _post(server, big)
    assert r.status_code == 413 and r.json()["error"]["type"] == "request_too_large"


@pytest.mark.parametrize("status,exc,etype", [
    (429, anthropic.RateLimitError, "rate_limit_error"),
    (500, anthropic.InternalServerError, "api_error"),
    (503, anthropic.InternalServerError, "api_error"),
    (529, anthropic.OverloadedError, "overloaded_error"),
    (401, anthropic.AuthenticationError, "authentication_error"),
    (403, anthropic.PermissionDeniedError, "permission_error"),
    (413, anthropic.ContentTooLargeError, "request_too_large"),
])
def test_injected_status_raises_the_sdk_exception(client: anthropic.Anthropic, fault_id: str, status: int,
                                                  exc: type[Exception], etype: str) -> None:
    with (pytest.raises(exc) as info,
          client.messages.stream(**OK, extra_headers={"x-offline-fault": f"status={status}; id={fault_id}"})):  # type: ignore[arg-type]
        pass
    assert info.value.status_code == status  # type: ignore[attr-defined]
    assert info.value.body["error"]["type"] == etype  # type: ignore[attr-defined]


def test_sdk_retries_injected_529_honouring_retry_after_ms(server: OfflineServer, fault_id: str) -> None:
    server.reset()
    with anthropic.Anthropic(base_url=server.base_url, api_key="k", max_retries=3) as sdk:
        spec = f"status=529; retry-after-ms=150; times=2; id={fault_id}"
        t0 = time.monotonic()
        with sdk.messages.stream(**OK, extra_headers={"x-offline-fault": spec}) as stream:  # type: ignore[arg-type]
            assert stream.get_final_message().stop_reason == "end_turn"
        elapsed = time.monotonic() - t0
        mine = [r for r in server.requests if r.headers.get("x-offline-fault") == spec]
        assert [r.status for r in mine] == [529, 529, 200]
        assert [r.headers["x-stainless-retry-count"] for r in mine] == ["0", "1", "2"]
        assert 0.3 <= elapsed < 2.0  # two waits of 150 ms, not the SDK's default backoff


def test_retry_after_seconds_header_is_sent(server: OfflineServer, fault_id: str) -> None:
    r = _post(server, OK, headers={**HEADERS, "x-offline-fault": f"status=429; retry-after=7; id={fault_id}"})
    assert r.status_code == 429 and r.headers["retry-after"] == "7" and r.headers["x-should-retry"] == "true"


def test_sdk_gives_up_after_max_retries(server: OfflineServer, fault_id: str) -> None:
    with (anthropic.Anthropic(base_url=server.base_url, api_key="k", max_retries=1) as sdk,
          pytest.raises(anthropic.OverloadedError)):
        sdk.messages.create(**OK, extra_headers={"x-offline-fault": f"status=529; retry-after-ms=1; times=5; id={fault_id}"})  # type: ignore[arg-type]


def test_error_event_mid_stream_raises_and_keeps_partial_text(client: anthropic.Anthropic, fault_id: str) -> None:
    seen = []
    with (pytest.raises(anthropic.APIStatusError) as info,
          client.messages.stream(**OK, extra_headers={"x-offline-fault": f"error-after=3; id={fault_id}"}) as s):  # type: ignore[arg-type]
        seen.extend(s.text_stream)  # what arrived before the error stays
    assert len(seen) == 3
    assert info.value.body["error"]["type"] == "overloaded_error"  # type: ignore[attr-defined]


def test_dropped_connection_raises(client: anthropic.Anthropic, server: OfflineServer, fault_id: str) -> None:
    seen = []
    spec = f"drop-after=4; id={fault_id}"
    with (pytest.raises((httpx2.RemoteProtocolError, anthropic.APIConnectionError)),
          client.messages.stream(**OK, extra_headers={"x-offline-fault": spec}) as s):  # type: ignore[arg-type]
        seen.extend(s.text_stream)
    assert len(seen) == 4
    assert [r.outcome for r in server.requests if r.headers.get("x-offline-fault") == spec] == ["dropped"]


def test_fault_fires_only_times_n(client: anthropic.Anthropic, fault_id: str) -> None:
    headers = {"x-offline-fault": f"error-after=1; times=2; id={fault_id}"}
    for _ in range(2):
        with pytest.raises(anthropic.APIStatusError):
            list(client.messages.create(**OK, stream=True, extra_headers=headers))  # type: ignore[arg-type, call-overload]
    assert client.messages.create(**OK, extra_headers=headers).stop_reason == "end_turn"  # type: ignore[arg-type]


def test_stall_pauses_then_continues(client: anthropic.Anthropic, fault_id: str) -> None:
    t0 = time.monotonic()
    with client.messages.stream(**OK, extra_headers={"x-offline-fault": f"stall-after=2; seconds=0.4; id={fault_id}"}) as s:  # type: ignore[arg-type]
        text = s.get_final_text()
    assert time.monotonic() - t0 >= 0.4 and text


def test_stall_trips_the_sdk_read_timeout(server: OfflineServer, fault_id: str) -> None:
    with (anthropic.Anthropic(base_url=server.base_url, api_key="k", max_retries=0, timeout=0.3) as sdk,
          pytest.raises((httpx2.ReadTimeout, anthropic.APITimeoutError)),
          sdk.messages.stream(**OK, extra_headers={"x-offline-fault": f"stall-after=1; seconds=2; id={fault_id}"}) as s):  # type: ignore[arg-type]
        s.get_final_text()


def test_trickle_slows_every_event(client: anthropic.Anthropic, fault_id: str) -> None:
    t0 = time.monotonic()
    raw = client.messages.create(**OK, stream=True, extra_headers={"x-offline-fault": f"trickle=20; id={fault_id}"})  # type: ignore[arg-type, call-overload]
    events = list(raw) + ["ping"]  # the SDK hides the ping event; the server delayed it too
    assert time.monotonic() - t0 >= 0.02 * len(events) * 0.95


def test_malformed_fault_spec_is_400(server: OfflineServer) -> None:
    r = _post(server, OK, headers={**HEADERS, "x-offline-fault": "explode=yes"})
    assert r.status_code == 400 and "x-offline-fault" in r.json()["error"]["message"]


def test_server_wide_fault(fault_id: str) -> None:
    with (OfflineServer(delay_ms=0, fault="status=529; times=1") as srv,
          anthropic.Anthropic(base_url=srv.base_url, api_key="k", max_retries=0) as sdk):
        with pytest.raises(anthropic.OverloadedError):
            sdk.messages.create(**OK)  # type: ignore[arg-type]
        assert sdk.messages.create(**OK).stop_reason == "end_turn"  # type: ignore[arg-type]
        srv.set_fault("status=500")
        with pytest.raises(anthropic.InternalServerError):
            sdk.messages.create(**OK)  # type: ignore[arg-type]


def test_client_disconnect_is_seen_by_the_server(server: OfflineServer, fault_id: str) -> None:
    with anthropic.Anthropic(base_url=server.base_url, api_key="k") as sdk:
        spec = f"trickle=30; id={fault_id}"
        with sdk.messages.stream(model=DEFAULT_MODEL, max_tokens=2000, messages=[{"role": "user", "content": "Tell me a story"}],
                                 extra_headers={"x-offline-fault": spec}) as s:
            next(iter(s.text_stream))
        deadline = time.monotonic() + 3
        record = next(r for r in server.requests if r.headers.get("x-offline-fault") == spec)
        while record.outcome != "disconnected" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert record.outcome == "disconnected"


def test_unpaced_stream_notices_the_disconnect(server: OfflineServer, fault_id: str) -> None:
    """Regression: with zero pacing the server used to write a whole 10 MB answer into a closed socket."""
    spec = f"id={fault_id}"  # no fault, just a way to find this request
    with anthropic.Anthropic(base_url=server.base_url, api_key="k") as sdk:
        # A model whose max output (128k) leaves room for the whole long answer.
        with sdk.messages.stream(model="claude-sonnet-4-6", max_tokens=128_000, messages=[{"role": "user", "content": "x"}],
                                 extra_headers={"x-offline-scenario": "long", "x-offline-fault": spec}) as s:
            next(iter(s.text_stream))
        record = next(r for r in server.requests if r.headers.get("x-offline-fault") == spec)
        deadline = time.monotonic() + 5
        while record.outcome == "pending" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert record.outcome == "disconnected"
        assert record.content_deltas < 60_000  # far from the ~80,000 deltas of the whole answer

"""Bounds and policy against the real offline server: what raises, when, and with what left over."""

from __future__ import annotations

import logging
import time
from typing import Any

import anthropic
import pytest

from claude_widgets._resilient import (
    DeadlineExceeded,
    ResilientStreamError,
    RetriesExhausted,
    resilient_stream,
)
from claude_widgets.server import OfflineServer

from .conftest import SCENARIOS, Baseline, FakeClock, consume, content_of, fault_headers, requests_tagged

TEXT = SCENARIOS["text"]


def fake(clock: FakeClock, **kw: Any) -> dict[str, Any]:
    return {"sleep": clock.sleep, "monotonic": clock.monotonic, "random": lambda: 1.0, "base_delay": 1.0, **kw}


@pytest.mark.parametrize("status,exc", [(400, anthropic.BadRequestError), (403, anthropic.PermissionDeniedError),
                                        (404, anthropic.NotFoundError), (413, anthropic.APIStatusError)])
def test_non_retryable_statuses_raise_at_once(client: anthropic.Anthropic, server: OfflineServer, clock: FakeClock,
                                              status: int, exc: type[Exception]) -> None:
    headers, tag = fault_headers([f"status={status}"])
    with resilient_stream(client, attempt_headers=headers, **fake(clock), **TEXT) as s, pytest.raises(exc) as info:
        list(s)
    assert info.value.status_code == status  # type: ignore[attr-defined]
    assert len(requests_tagged(server, tag)) == 1 and clock.sleeps == [] and s.partial_text == ""


def test_bad_key_raises_authentication_error_with_the_apis_message(server: OfflineServer, clock: FakeClock) -> None:
    with anthropic.Anthropic(base_url=server.base_url, api_key="bad-key") as sdk:
        with pytest.raises(anthropic.AuthenticationError, match="invalid x-api-key"):
            resilient_stream(sdk, **fake(clock), **TEXT).get_final_text()
        assert clock.sleeps == []


def test_attempt_limit_raises_with_the_partial_text(client: anthropic.Anthropic, server: OfflineServer,
                                                    baselines: dict[str, Baseline], clock: FakeClock,
                                                    fault_id: str) -> None:
    """Every attempt makes progress then fails: the partial answer grows, then the limit stops it."""
    spec = f"error-after=5; times=10; id={fault_id}"
    s = resilient_stream(client, max_attempts=3, extra_headers={"x-offline-fault": spec}, **fake(clock), **TEXT)
    events: list[Any] = []
    with pytest.raises(RetriesExhausted) as info:
        for ev in s:
            events.append(ev)  # noqa: PERF402 - kept up to the failure
    err = info.value
    assert isinstance(err.__cause__, anthropic.APIStatusError)
    assert len(err.attempts) == 3 and clock.sleeps == [1.0, 2.0] and "3 attempt" in str(err)
    assert err.partial_text == s.partial_text == consume(events).text
    assert len(s.partial_text) > 40 and baselines["text"].text.startswith(s.partial_text)
    assert err.partial_message is not None and err.partial_message.content[0].text == err.partial_text  # type: ignore[union-attr]
    with pytest.raises(RetriesExhausted):
        s.get_final_message()  # the failure, again, not a confusing "incomplete"


def test_deadline_stops_retrying_before_a_wait_that_would_pass_it(client: anthropic.Anthropic, clock: FakeClock,
                                                                  fault_id: str) -> None:
    spec = f"status=529; times=10; id={fault_id}"
    s = resilient_stream(client, deadline=10, max_delay=60, extra_headers={"x-offline-fault": spec},
                         **fake(clock, base_delay=4), **TEXT)
    with pytest.raises(DeadlineExceeded, match="10 s deadline") as info:
        s.get_final_message()
    assert clock.sleeps == [4.0]  # the next wait, 8 s, would end past the deadline: not begun
    assert isinstance(info.value.__cause__, anthropic.InternalServerError) and len(info.value.attempts) == 2


def test_retry_after_beyond_the_deadline_raises_at_once(client: anthropic.Anthropic, clock: FakeClock,
                                                        fault_id: str) -> None:
    spec = f"status=429; retry-after=120; id={fault_id}"
    with pytest.raises(DeadlineExceeded, match="120 s"):
        resilient_stream(client, deadline=60, extra_headers={"x-offline-fault": spec}, **fake(clock),
                         **TEXT).get_final_text()
    assert clock.sleeps == []


def test_deadline_cuts_a_stalled_stream_in_real_time(client: anthropic.Anthropic, baselines: dict[str, Baseline],
                                                     fault_id: str) -> None:
    """The stall detector would wait 10 s; the deadline (0.5 s) caps the read timeout."""
    spec = f"stall-after=6; seconds=5; id={fault_id}"
    t0 = time.monotonic()
    s = resilient_stream(client, deadline=0.5, stall_timeout=10, extra_headers={"x-offline-fault": spec}, **TEXT)
    with pytest.raises(DeadlineExceeded) as info:
        s.get_final_text()
    assert time.monotonic() - t0 < 2.0
    assert info.value.partial_text and baselines["text"].text.startswith(info.value.partial_text)


def test_the_sdk_does_not_retry_on_its_own(server: OfflineServer, clock: FakeClock) -> None:
    """``max_retries=3`` on the client: the stream still makes exactly one request per attempt."""
    with anthropic.Anthropic(base_url=server.base_url, api_key="k", max_retries=3) as sdk:
        headers, tag = fault_headers(["status=529", "status=503"])
        s = resilient_stream(sdk, attempt_headers=headers, **fake(clock), **TEXT)
        s.get_final_message()
        assert len(requests_tagged(server, tag)) == 3 == len(s.attempts) and clock.sleeps == [1.0, 2.0]


def test_rejected_prefill_switches_to_the_continuation(client: anthropic.Anthropic, server: OfflineServer,
                                                      baselines: dict[str, Baseline], clock: FakeClock) -> None:
    """A 400 on the prefilled attempt (a model the catalogue thought took prefill): ask to continue instead.

    No reset: the reader keeps the partial answer, and the next attempt is the user-message
    continuation of the streaming guide.
    """
    headers, tag = fault_headers(["drop-after=10", "status=400"])
    s = resilient_stream(client, attempt_headers=headers, **fake(clock), **TEXT)
    view = consume(list(s))
    assert view.resets == 0 and view.text == baselines["text"].text == s.get_final_text()
    records = requests_tagged(server, tag)
    assert records[1].body["messages"][-1]["role"] == "assistant"
    assert records[2].body["messages"][-2]["role"] == "assistant"
    assert "Continue from where you left off" in records[2].body["messages"][-1]["content"]
    assert clock.sleeps == [1.0, 0.0] and "prefill rejected" in view.retries[1].reason
    assert [r.resume for r in view.retries] == [True, True]
    assert [a.strategy for a in s.attempts] == ["fresh", "prefill", "continuation"]


def test_a_model_that_thinks_by_default_and_rejects_prefill(client: anthropic.Anthropic, server: OfflineServer,
                                                            clock: FakeClock) -> None:
    """Claude Sonnet 5.5 thinks unasked (display omitted) and refuses prefill: the answer is continued.

    Its thinking block (complete, signed) is kept; the continuation's own thinking is not
    part of the answer; the merged message is the uninterrupted one.
    """
    kw = {**TEXT, "model": "claude-sonnet-5-5"}
    base = client.messages.create(**kw)
    headers, tag = fault_headers(["drop-after=8"])
    s = resilient_stream(client, attempt_headers=headers, **fake(clock), **kw)
    view = consume(list(s))
    assert view.resets == 0 and content_of(s.get_final_message()) == content_of(base) == view.content()
    assert [r.status for r in requests_tagged(server, tag)] == [200, 200]
    assert [a.strategy for a in s.attempts] == ["fresh", "continuation"]


def test_callers_own_prefill_is_kept_when_resuming(client: anthropic.Anthropic, server: OfflineServer,
                                                   clock: FakeClock) -> None:
    kw = {**TEXT, "messages": [*TEXT["messages"], {"role": "assistant", "content": "The lighthouse keeper"}]}
    base = client.messages.create(**kw)
    headers, tag = fault_headers(["drop-after=5"])
    s = resilient_stream(client, attempt_headers=headers, **fake(clock), **kw)
    assert s.get_final_text() == base.content[0].text
    resumed = requests_tagged(server, tag)[1].body["messages"]
    assert len(resumed) == 2 and resumed[1]["content"].startswith("The lighthouse keeper had")


def test_max_tokens_budget_shrinks_for_the_continuation(client: anthropic.Anthropic, server: OfflineServer,
                                                        clock: FakeClock) -> None:
    headers, tag = fault_headers(["drop-after=10"])
    s = resilient_stream(client, attempt_headers=headers, **fake(clock), **TEXT)
    s.get_final_text()
    first, second = requests_tagged(server, tag)
    kept = client.messages.count_tokens(model=TEXT["model"], messages=[
        {"role": "user", "content": second.body["messages"][-1]["content"]}]).input_tokens
    dot = client.messages.count_tokens(model=TEXT["model"], messages=[{"role": "user", "content": "."}]).input_tokens
    # what the kept text cost, measured with count_tokens (not one token per delta: that overshoots)
    assert second.body["max_tokens"] == first.body["max_tokens"] - (kept - dot + 1)
    assert second.body["max_tokens"] < first.body["max_tokens"] - 10


def test_log_lines_say_what_happened_and_never_the_key(server: OfflineServer, clock: FakeClock,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    secret = "sk-ant-api03-SECRET-do-not-log"
    with anthropic.Anthropic(base_url=server.base_url, api_key=secret, max_retries=0) as sdk:
        headers, _ = fault_headers(["status=529; retry-after=1", "drop-after=3", "status=500"])
        caplog.set_level(logging.DEBUG, logger="claude_widgets.resilient")
        resilient_stream(sdk, attempt_headers=headers, **fake(clock), **TEXT).get_final_text()
        lines = [r.getMessage() for r in caplog.records if r.name == "claude_widgets.resilient"]
        assert len(lines) == 3
        assert "attempt 1/5 failed (overloaded (529)" in lines[0] and "retrying in 1.00 s" in lines[0]
        assert "connection dropped" in lines[1] and "resuming after" in lines[1]
        for record in caplog.records:
            text = record.getMessage() + repr(record.args)
            assert secret not in text and "x-api-key" not in text.lower()


def test_stream_shape_like_the_sdk(client: anthropic.Anthropic, baselines: dict[str, Baseline],
                                   clock: FakeClock) -> None:
    headers, _ = fault_headers(["error-after=3"])
    with resilient_stream(client, attempt_headers=headers, **fake(clock), **TEXT) as s:
        first = next(iter(s))
        assert first.type == "message_start" and s.current_message_snapshot.id == first.message.id
        s.until_done()
        assert s.get_final_text() == baselines["text"].text
        assert s.request_id and s.request_id.startswith("req_") and s.response is None
    assert isinstance(RetriesExhausted("x"), ResilientStreamError)
    assert isinstance(RetriesExhausted("x"), anthropic.AnthropicError)

"""The async twin: the same guarantees with ``AsyncAnthropic`` and ``async with``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import anthropic
import pytest

from claude_widgets._resilient import (
    AsyncResilientStream,
    StreamClosed,
    resilient_stream,
    resilient_stream_async,
)
from claude_widgets.server import OfflineServer

from .conftest import SCENARIOS, Baseline, FakeClock, consume, content_of, fault_headers, requests_tagged
from .test_fault_matrix import resolve

ASYNC_CASES = [
    ("text", ["status=529; retry-after=1", "error-after={mid}"]),
    ("text", ["drop-after={ws}", "stall-after=2; seconds=1"]),
    ("tools", ["drop-after={in-tool}"]),
    ("tools", ["error-after={text-end}", "drop-after=2"]),
    ("thinking", ["error-after={in-thinking}", "status=500"]),
    ("thinking", ["drop-after={mid}"]),
]


@pytest.mark.parametrize("scenario,specs", ASYNC_CASES)
async def test_async_faults(aclient: anthropic.AsyncAnthropic, server: OfflineServer,
                            baselines: dict[str, Baseline], clock: FakeClock, scenario: str,
                            specs: list[str]) -> None:
    base = baselines[scenario]
    headers, tag = fault_headers(resolve(base, specs))
    async with resilient_stream_async(aclient, attempt_headers=headers, sleep=clock.asleep,
                                      monotonic=clock.monotonic, stall_timeout=0.25, **SCENARIOS[scenario]) as s:
        events = [ev async for ev in s]
        final = await s.get_final_message()
    assert content_of(final) == content_of(base.message) == consume(events).content()
    assert len(s.attempts) == len(requests_tagged(server, tag)) == len(clock.sleeps) + 1 >= 2

    headers, _ = fault_headers(resolve(base, specs))
    s2 = resilient_stream(aclient, attempt_headers=headers, sleep=clock.sleep, stall_timeout=0.25,
                          **SCENARIOS[scenario])
    assert isinstance(s2, AsyncResilientStream)  # the same entry point, typed by the client
    async with s2:
        text = "".join([t async for t in s2.text_stream])
    assert text == base.text == await s2.get_final_text()


async def test_async_non_retryable_raises(aclient: anthropic.AsyncAnthropic, fault_id: str) -> None:
    s = resilient_stream_async(aclient, extra_headers={"x-offline-fault": f"status=401; id={fault_id}"},
                               **SCENARIOS["text"])
    with pytest.raises(anthropic.AuthenticationError):
        await s.get_final_message()
    assert len(s.attempts) == 1


async def test_async_cancel_mid_stream(aclient: anthropic.AsyncAnthropic, server: OfflineServer,
                                       baselines: dict[str, Baseline]) -> None:
    """The StreamView's Stop for async sources: the task is cancelled while the read awaits."""
    headers, tag = fault_headers(["trickle=20"])
    s = resilient_stream_async(aclient, attempt_headers=headers, **SCENARIOS["text"])

    async def read() -> None:
        async for _ in s:
            pass

    task = asyncio.create_task(read())
    while len(s.partial_text) < 20:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    record = requests_tagged(server, tag)[0]
    for _ in range(300):
        if record.outcome == "disconnected":
            break
        await asyncio.sleep(0.01)
    assert record.outcome == "disconnected"
    assert baselines["text"].text.startswith(s.partial_text) and s.attempts[-1].outcome == "closed"
    with pytest.raises(StreamClosed):
        await s.get_final_message()


async def test_async_close_from_another_task(aclient: anthropic.AsyncAnthropic, server: OfflineServer) -> None:
    headers, tag = fault_headers(["trickle=20"])
    s = resilient_stream_async(aclient, attempt_headers=headers, **SCENARIOS["text"])
    seen: list[Any] = []

    async def stop_soon() -> None:
        while len(s.partial_text) < 20:
            await asyncio.sleep(0.01)
        await s.close()

    stopper = asyncio.create_task(stop_soon())
    t0 = time.monotonic()
    async for ev in s:
        seen.append(ev)
    await stopper
    assert time.monotonic() - t0 < 3 and not any(e.type == "retry" for e in seen)
    record = requests_tagged(server, tag)[0]
    for _ in range(300):
        if record.outcome == "disconnected":
            break
        await asyncio.sleep(0.01)
    assert record.outcome == "disconnected" and s.partial_text


async def test_async_close_wakes_the_backoff_wait(aclient: anthropic.AsyncAnthropic, fault_id: str) -> None:
    spec = f"status=503; retry-after=30; id={fault_id}"
    s = resilient_stream_async(aclient, extra_headers={"x-offline-fault": spec}, **SCENARIOS["text"])
    t0 = time.monotonic()
    events = []
    async for ev in s:
        events.append(ev)
        asyncio.get_running_loop().call_later(0.1, lambda: asyncio.ensure_future(s.close()))
    assert time.monotonic() - t0 < 2 and [e.type for e in events] == ["retry"]

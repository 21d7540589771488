"""Shared fixtures: one offline server per test session, and SDK clients pointed at it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import anthropic
import pytest

from claude_widgets.server import OfflineServer


@pytest.fixture(scope="session")
def server() -> Iterator[OfflineServer]:
    with OfflineServer(delay_ms=0) as srv:
        yield srv


# Clients are closed after their test: a pooled connection left to the garbage collector
# raised "ResourceWarning: unclosed socket" in whichever later test it happened to run in.
@pytest.fixture
def client(server: OfflineServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=server.base_url, api_key="test-key", max_retries=0) as sdk:
        yield sdk


@pytest.fixture
async def aclient(server: OfflineServer) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(base_url=server.base_url, api_key="test-key", max_retries=0) as sdk:
        yield sdk


@pytest.fixture
def fault_id() -> str:
    """A unique ``id=`` for fault specs, so that ``times=N`` counters never leak between tests."""
    return uuid.uuid4().hex[:8]

"""Prompt caching: breakpoints, cache writes on first use, reads of a repeated prefix, and usage.

From the prompt-caching page (platform.claude.com/docs/en/build-with-claude/prompt-caching):
the prefix is tools, then system, then messages; each ``cache_control`` block marks a
breakpoint (at most 4: "A maximum of 4 blocks with cache_control may be provided. Found 5.",
as reported verbatim in anthropics/claude-agent-sdk-typescript#432); a prefix shorter than
the model's minimum is not cached; an entry lives 5 minutes (``ttl: "1h"``: an hour),
refreshed by each read. ``usage`` then splits the prompt into ``cache_read_input_tokens``
(the longest cached prefix), ``cache_creation_input_tokens`` (from there to the last
breakpoint; by TTL in ``cache_creation``) and ``input_tokens`` (the rest), and says which
``service_tier`` served it.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from . import _tokens
from ._answer import Event
from ._errors import invalid

MAX_BREAKPOINTS = 4
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


def minimum_tokens(model: str) -> int:
    """The shortest cacheable prompt (the prompt-caching page, "Cache limitations")."""
    if model.startswith(("claude-haiku-4-5", "claude-opus-4-5")):
        return 4096
    if model.startswith(("claude-3-haiku", "claude-3-5-haiku")):
        return 2048
    return 1024


@dataclass(frozen=True)
class Breakpoint:
    tokens: int
    """Tokens of the prompt up to and including the marked block."""
    key: str
    """A digest of that prefix."""
    ttl: str


def _blocks(body: dict[str, Any]) -> Iterator[tuple[dict[str, Any], int]]:
    """Every block of the prompt in cache order, with its token cost."""
    for tool in body.get("tools") or []:
        if isinstance(tool, dict):
            yield tool, 20 + _tokens.count_tokens(json.dumps(tool, sort_keys=True))
    system = body.get("system")
    if isinstance(system, list):
        for block in system:
            if isinstance(block, dict):
                yield block, _tokens.count_tokens(str(block.get("text", "")))
    elif isinstance(system, str):
        yield {"type": "text", "text": system}, _tokens.count_tokens(system)
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            yield {"type": "text", "text": content}, 3 + _tokens.count_tokens(content)
        elif isinstance(content, list):
            for block in content:
                if isinstance(block, dict):
                    text = block["text"] if block.get("type") == "text" and isinstance(block.get("text"), str) \
                        else json.dumps({k: v for k, v in block.items() if k != "cache_control"}, sort_keys=True)
                    yield block, 3 + _tokens.count_tokens(text)


def breakpoints(body: dict[str, Any]) -> list[Breakpoint]:
    """The request's breakpoints; more than four is the API's 400."""
    out: list[Breakpoint] = []
    digest = hashlib.sha256(str(body.get("model")).encode())
    total = 0
    auto = body.get("cache_control")
    for block, cost in _blocks(body):
        total += cost
        digest.update(json.dumps({k: v for k, v in block.items() if k != "cache_control"}, sort_keys=True).encode())
        marker = block.get("cache_control")
        if isinstance(marker, dict):
            out.append(Breakpoint(total, digest.hexdigest(), str(marker.get("ttl") or "5m")))
    if isinstance(auto, dict):  # automatic caching: a breakpoint on the last block
        out.append(Breakpoint(total, digest.hexdigest(), str(auto.get("ttl") or "5m")))
    if len(out) > MAX_BREAKPOINTS:
        raise invalid(f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. Found {len(out)}.")
    return out


@dataclass
class CacheUse:
    read: int = 0
    created_5m: int = 0
    created_1h: int = 0


MAX_ENTRIES = 10_000
"""Past this many cached prefixes, the expired ones are dropped (live ones expire within an hour)."""


class CacheStore:
    """Cached prefixes by digest, each with its expiry (``clock`` is injectable for tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._expiry: dict[str, float] = {}
        self._clock = clock
        self._lock = threading.Lock()

    def use(self, body: dict[str, Any], model: str, total_tokens: int) -> CacheUse:
        """Read the longest cached prefix, write the rest up to the last breakpoint."""
        points = [p for p in breakpoints(body) if min(p.tokens, total_tokens) >= minimum_tokens(model)]
        use = CacheUse()
        now = self._clock()
        with self._lock:
            if len(self._expiry) > MAX_ENTRIES:  # bounded: expired prefixes are forgotten
                self._expiry = {k: t for k, t in self._expiry.items() if t > now}
            hit = next((p for p in reversed(points) if self._expiry.get(p.key, 0.0) > now), None)
            done = min(hit.tokens, total_tokens) if hit else 0
            use.read = done
            for point in points:
                self._expiry[point.key] = max(self._expiry.get(point.key, 0.0), now + TTL_SECONDS.get(point.ttl, 300.0))
                tokens = min(point.tokens, total_tokens)
                if tokens <= done:
                    continue
                if point.ttl == "1h":
                    use.created_1h += tokens - done
                else:
                    use.created_5m += tokens - done
                done = tokens
        return use


def patch_usage(usage: dict[str, Any], use: CacheUse, service_tier: str) -> None:
    """Fill a ``usage`` object (of a message or a ``message_delta``) with the cache split and tier."""
    created = use.created_5m + use.created_1h
    usage["input_tokens"] = max(0, int(usage.get("input_tokens", 0)) - use.read - created)
    usage["cache_creation_input_tokens"] = created
    usage["cache_read_input_tokens"] = use.read
    usage["cache_creation"] = {"ephemeral_5m_input_tokens": use.created_5m, "ephemeral_1h_input_tokens": use.created_1h}
    usage["service_tier"] = service_tier


def patch_events(events: Iterator[Event], use: CacheUse, service_tier: str) -> Iterator[Event]:
    for event in events:
        if event.name == "message_start":
            patch_usage(event.data["message"]["usage"], use, service_tier)
        elif event.name == "message_delta":
            patch_usage(event.data["usage"], use, service_tier)
        yield event


def service_tier(body: dict[str, Any]) -> str:
    """``standard``: the offline server has no priority capacity, whatever ``service_tier`` asks."""
    return "standard"

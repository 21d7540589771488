"""``client()`` / ``async_client()``: the real API with a key, the embedded server without.

The same notebook must run for a learner with no key (offline, on Binder, in CI) and
for one with a key, without editing a line. The choice is made here, once: the real API
when ``ANTHROPIC_API_KEY`` is set, unless ``CLAUDE_WIDGETS_OFFLINE=1`` forces offline
mode. The line that says which one is used never contains the key, nor the port (so
stored notebook outputs stay deterministic). The key is checked before any request
(``_secrets``): stripped of surrounding whitespace, refused with a message that does not
show it if it cannot be sent in a header.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import anthropic

from ._secrets import checked_api_key
from .server import OfflineServer

OFFLINE_API_KEY = "offline-no-key-needed"

_server: OfflineServer | None = None
_lock = threading.Lock()
_announced: set[str] = set()


def is_offline() -> bool:
    """True when :func:`client` would use the embedded server."""
    forced = os.environ.get("CLAUDE_WIDGETS_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
    return forced or not os.environ.get("ANTHROPIC_API_KEY")


def offline_server() -> OfflineServer:
    """The process-wide embedded server, started on first use (pacing: ``CLAUDE_WIDGETS_DELAY_MS``)."""
    global _server
    with _lock:
        if _server is None or not _server.running:
            _server = OfflineServer().start()
        return _server


def _announce(mode: str, message: str) -> None:
    """Say once which API answers. On stdout: a notebook shows stderr in a red box, as if an error."""
    if mode not in _announced:
        _announced.add(mode)
        print(message, flush=True)


def _settings(kwargs: dict[str, Any]) -> dict[str, Any]:
    if is_offline():
        server = offline_server()
        _announce("offline", "claude-widgets: offline mode, answers come from the embedded Messages API "
                             "server (set ANTHROPIC_API_KEY to use the real API)")
        return {"base_url": server.base_url, "api_key": OFFLINE_API_KEY, **kwargs}
    _announce("online", "claude-widgets: using the Anthropic API with the key from ANTHROPIC_API_KEY")
    if kwargs.get("api_key") is not None:
        return {**kwargs, "api_key": checked_api_key(kwargs["api_key"], "the api_key argument")}
    return {**kwargs, "api_key": checked_api_key(os.environ["ANTHROPIC_API_KEY"])}


def client(**kwargs: Any) -> anthropic.Anthropic:
    """An ``anthropic.Anthropic`` for the real API or the embedded server; ``kwargs`` go to the SDK."""
    return anthropic.Anthropic(**_settings(kwargs))


def async_client(**kwargs: Any) -> anthropic.AsyncAnthropic:
    """The ``AsyncAnthropic`` twin of :func:`client`."""
    return anthropic.AsyncAnthropic(**_settings(kwargs))

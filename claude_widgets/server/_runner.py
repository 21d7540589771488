"""Running the server: in a background thread of this process, or in the foreground.

A notebook kernel and a pytest fixture both need a server that starts in well under a
second, picks a free port, and goes away cleanly; uvicorn runs in a daemon thread with
its own event loop, so it works inside a kernel whose main loop is already running.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import uvicorn

from ._app import ServerConfig, ServerState, make_app
from ._cassettes import CassetteLibrary
from ._guard import HEADER_TIMEOUT, GuardedH11Protocol, install_accept_guard
from ._history import RequestRecord

if TYPE_CHECKING:
    from typing_extensions import Self

DEFAULT_DELAY_MS = 20.0
"""Pause before each content delta when none is given: about the pace of the real API."""


def default_delay_ms() -> float:
    """``CLAUDE_WIDGETS_DELAY_MS`` if set (0 makes notebooks and CI fast), else the default."""
    value = os.environ.get("CLAUDE_WIDGETS_DELAY_MS")
    return float(value) if value not in (None, "") else DEFAULT_DELAY_MS


def bind_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class _GuardedServer(uvicorn.Server):
    """uvicorn's server with the ``_guard`` accept handler on its event loop."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        install_accept_guard(asyncio.get_running_loop(), self.server_state)
        await super().startup(sockets)


def uvicorn_server(state: ServerState, *, log_level: str = "warning") -> uvicorn.Server:
    protocol = type("GuardedH11Protocol", (GuardedH11Protocol,), {"header_timeout": state.config.header_timeout})
    config = uvicorn.Config(make_app(state), log_level=log_level, access_log=False, lifespan="off",
                            timeout_graceful_shutdown=1, http=protocol)
    return _GuardedServer(config)


class OfflineServer:
    """The embedded Messages API server, in a background thread.

    Use it as a context manager (``with OfflineServer() as srv: ...``) or with
    :meth:`start`/:meth:`stop`. ``base_url`` is what ``ANTHROPIC_BASE_URL`` (or the SDK's
    ``base_url=``) should be; ``requests`` records what it saw and how each ended.
    ``header_timeout`` is how long a connection may take to send a request's headers (or
    pause within its body) before the server closes it (see ``_guard``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        delay_ms: float | None = None,
        fault: str | None = None,
        cassette: str | Path | None = None,
        require_api_key: bool = True,
        log_level: str = "warning",
        header_timeout: float = HEADER_TIMEOUT,
        vary: bool = False,
    ) -> None:
        self.host = host
        self._requested_port = port
        self._config = ServerConfig(
            delay_ms=default_delay_ms() if delay_ms is None else float(delay_ms),
            fault=fault,
            cassettes=CassetteLibrary(cassette) if cassette else None,
            require_api_key=require_api_key,
            header_timeout=header_timeout,
            vary=vary,
        )
        self._state = ServerState(self._config)
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def requests(self) -> list[RequestRecord]:
        """The most recent requests, oldest first (at most 1,000 of them: see ``_history``)."""
        return self._state.log.snapshot()

    @property
    def vary(self) -> bool:
        """Each new request answers with another variant (as sampling varies the words)."""
        return self._config.vary

    @vary.setter
    def vary(self, value: bool) -> None:
        self._config.vary = bool(value)

    @property
    def delay_ms(self) -> float:
        return self._config.delay_ms

    @delay_ms.setter
    def delay_ms(self, value: float) -> None:
        self._config.delay_ms = float(value)

    def set_fault(self, spec: str | None) -> None:
        """Apply ``spec`` to the following requests (None to stop); its ``times`` counter starts afresh."""
        self._config.fault = spec
        self._state.faults.reset()

    def reset(self) -> None:
        """Forget recorded requests and fault counters."""
        self._state.log.clear()
        self._state.faults.reset()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> Self:
        if self.running:
            return self
        self._sock = bind_socket(self.host, self._requested_port)
        self.port = self._sock.getsockname()[1]
        self._server = uvicorn_server(self._state, log_level=self._log_level)
        sock = self._sock
        server = self._server
        self._thread = threading.Thread(target=lambda: server.run(sockets=[sock]),
                                        name=f"claude-widgets-server:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the offline server did not start on {self.base_url}")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout / 2)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout / 2)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"running at {self.base_url}" if self.running else "stopped"
        return f"<OfflineServer {state}, delay_ms={self._config.delay_ms:g}>"

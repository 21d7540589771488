"""Fixtures for StreamView tests: a view whose custom messages and trait updates are recorded."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from claude_widgets._view import StreamView


class RecordedView:
    """A StreamView plus everything it sent (custom messages and trait updates), in order."""

    def __init__(self) -> None:
        self.view = StreamView()
        self.log: list[tuple[str, Any]] = []
        self.times: list[float] = []

        def send(content: dict[str, Any], buffers: Any = None) -> None:
            self.log.append(("msg", content))
            self.times.append(time.monotonic())

        self.view.send = send  # type: ignore[method-assign]
        self.view.observe(self._trait, names=["snapshot", "status"])

    def _trait(self, change: dict[str, Any]) -> None:
        self.log.append((change["name"], change["new"]))
        self.times.append(time.monotonic())

    @property
    def ops_messages(self) -> list[dict[str, Any]]:
        return [c for kind, c in self.log if kind == "msg" and c.get("k") == "ops"]

    @property
    def snapshots(self) -> list[bytes]:
        return [v for kind, v in self.log if kind == "snapshot"]

    @property
    def statuses(self) -> list[dict[str, Any]]:
        return [v for kind, v in self.log if kind == "status"]

    @property
    def states(self) -> list[str]:
        return [s["state"] for s in self.statuses]


@pytest.fixture
def rv() -> Iterator[RecordedView]:
    r = RecordedView()
    yield r
    r.view.stop()
    r.view.close()

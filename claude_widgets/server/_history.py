"""The server's memory of recent requests (``OfflineServer.requests``), bounded.

Tests and curious learners read what the server saw and how each request ended. An
unbounded list grew with every request (eight 21.7 MB bodies took the server from 100 to
1,584 MB), so the log keeps only the most recent requests: at most :data:`MAX_RECORDS`
of them, and at most :data:`MAX_BODY_BYTES` of request bodies between them (the newest
record is always kept whole). A body is stored as the bytes that arrived, not as the
parsed JSON (which takes several times more memory), and parsed again when read.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

MAX_RECORDS = 1000
"""How many requests ``OfflineServer.requests`` remembers."""
MAX_BODY_BYTES = 8 * 1024 * 1024
"""How many bytes of request bodies it keeps in all (the newest body is kept even when larger)."""


@dataclass
class RequestRecord:
    """What the server saw and did, for tests and for curious learners (``server.requests``)."""

    path: str
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    outcome: str = "pending"
    """``completed``, ``error`` (HTTP error), ``error-event``, ``dropped``, ``disconnected``."""
    content_deltas: int = 0
    request_id: str = ""
    raw_body: bytes | None = field(default=None, repr=False)
    """The request body as received, once it parsed as JSON (None before, or if it did not)."""

    @property
    def body(self) -> Any:
        """The request body as JSON (parsed anew on each access: the log keeps only bytes)."""
        return None if self.raw_body is None else json.loads(self.raw_body)


class RequestLog:
    """The most recent :class:`RequestRecord` objects, within :data:`MAX_RECORDS` and :data:`MAX_BODY_BYTES`."""

    def __init__(self, max_records: int = MAX_RECORDS, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.max_records = max_records
        self.max_body_bytes = max_body_bytes
        self._records: deque[RequestRecord] = deque()
        self._body_bytes = 0
        self._lock = threading.Lock()

    def add(self, record: RequestRecord) -> RequestRecord:
        with self._lock:
            self._records.append(record)
            self._trim()
        return record

    def keep_body(self, record: RequestRecord, raw: bytes) -> None:
        """Store ``raw`` as ``record``'s body, forgetting the oldest records if the budget is spent."""
        with self._lock:
            if record.raw_body is not None:
                self._body_bytes -= len(record.raw_body)
            record.raw_body = raw
            if any(r is record for r in reversed(self._records)):
                self._body_bytes += len(raw)
                self._trim()

    def _trim(self) -> None:
        while len(self._records) > 1 and (len(self._records) > self.max_records
                                          or self._body_bytes > self.max_body_bytes):
            dropped = self._records.popleft()
            if dropped.raw_body is not None:
                self._body_bytes -= len(dropped.raw_body)

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._body_bytes = 0

    def __len__(self) -> int:
        return len(self._records)

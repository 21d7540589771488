"""Fault injection: the failures a streaming client must survive, on demand.

A fault spec is a ``;``-separated list of ``key=value`` (whitespace ignored), given per
request in the ``x-offline-fault`` header or per server (``--fault`` / ``fault=``):

``status=529`` (429, 500, 503…)
    Answer that HTTP status with the API's JSON error body. Add ``retry-after=S``
    and/or ``retry-after-ms=MS`` to send those headers.
``error-after=K``
    Stream K content deltas, then an SSE ``event: error`` (``overloaded_error``; choose
    another type with ``error=api_error``).
``drop-after=K``
    Stream K content deltas, then close the connection abruptly.
``stall-after=K; seconds=S``
    Stream K content deltas, then send nothing for S seconds, then continue.
``trickle=MS``
    Delay every event by MS milliseconds.
``continue=MODE; repeat=N``
    When the request is a continuation of an interrupted answer (a user message asking
    to continue, see :mod:`._continuation`), continue imperfectly: ``exact``, ``repeat``
    (the last N characters again, default 12), ``sentence``, ``capital``, ``space``,
    ``restart``.
``vary=K``
    Answer with variant K (a different opening phrase, as sampling varies the words).
``times=N``
    Fire on the first N requests carrying this exact spec (default 1); later requests
    pass untouched, so an SDK retry or a resume eventually succeeds. ``id=X`` only makes
    a spec unique, so that two tests don't share a counter.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from ._errors import invalid

_KEYS = {"status", "retry-after", "retry-after-ms", "error-after", "error", "drop-after", "stall-after",
         "seconds", "trickle", "times", "id", "continue", "repeat", "vary"}


@dataclass(frozen=True)
class Fault:
    status: int | None = None
    retry_after: str | None = None
    retry_after_ms: str | None = None
    error_after: int | None = None
    error_type: str = "overloaded_error"
    drop_after: int | None = None
    stall_after: int | None = None
    stall_seconds: float = 0.0
    trickle_ms: float = 0.0
    times: int = 1
    continue_mode: str = "exact"
    repeat: int = 12
    vary: int | None = None

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """Parse a spec; a malformed one is a 400 that names the problem."""
        values: dict[str, str] = {}
        for part in spec.replace(" ", "").replace("\t", "").split(";"):
            if not part:
                continue
            key, sep, value = part.partition("=")
            if not sep or key not in _KEYS:
                raise invalid(f"x-offline-fault: cannot parse '{part}' (known keys: {', '.join(sorted(_KEYS))})")
            values[key] = value

        def num(key: str) -> int | None:
            if key not in values:
                return None
            try:
                return int(values[key])
            except ValueError:
                raise invalid(f"x-offline-fault: {key} must be an integer, got '{values[key]}'") from None

        def real(key: str) -> float:
            try:
                return float(values.get(key, 0))
            except ValueError:
                raise invalid(f"x-offline-fault: {key} must be a number, got '{values[key]}'") from None

        fault = cls(
            status=num("status"),
            retry_after=values.get("retry-after"),
            retry_after_ms=values.get("retry-after-ms"),
            error_after=num("error-after"),
            error_type=values.get("error", "overloaded_error"),
            drop_after=num("drop-after"),
            stall_after=num("stall-after"),
            stall_seconds=real("seconds"),
            trickle_ms=real("trickle"),
            times=num("times") or 1,
            continue_mode=values.get("continue", "exact"),
            repeat=num("repeat") if "repeat" in values else 12,  # type: ignore[arg-type]
            vary=num("vary"),
        )
        from ._continuation import MODES
        if fault.continue_mode not in MODES:
            raise invalid(f"x-offline-fault: continue must be one of {', '.join(MODES)}, got '{fault.continue_mode}'")
        if fault.status is not None and not 400 <= fault.status <= 599:
            raise invalid(f"x-offline-fault: status must be an HTTP error status (400-599), got {fault.status}")
        return fault


MAX_SPECS = 1024
"""How many distinct specs ``FaultBook`` counts; the least recently used one is forgotten first."""


class FaultBook:
    """Counts how often each spec fired, so ``times=N`` means the first N requests.

    The counts are kept for the :data:`MAX_SPECS` most recently used specs only (every
    distinct ``id=`` is a new spec, and nothing else ever frees them); a spec forgotten
    that way starts afresh, as after :meth:`reset`.
    """

    def __init__(self, max_specs: int = MAX_SPECS) -> None:
        self._fired: OrderedDict[str, int] = OrderedDict()
        self._max_specs = max_specs
        self._lock = threading.Lock()

    def take(self, spec: str) -> Fault | None:
        """The fault to apply to this request, or None once the spec has fired ``times`` times."""
        fault = Fault.parse(spec)
        with self._lock:
            fired = self._fired.get(spec, 0)
            if fired >= fault.times:
                return None
            self._fired[spec] = fired + 1
            self._fired.move_to_end(spec)
            while len(self._fired) > self._max_specs:
                self._fired.popitem(last=False)
        return fault

    def reset(self) -> None:
        with self._lock:
            self._fired.clear()

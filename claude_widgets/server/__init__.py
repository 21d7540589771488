"""An offline server that speaks Anthropic's Messages API, streaming included.

The official SDKs (Python and TypeScript) work against it unmodified: point
``ANTHROPIC_BASE_URL`` (or ``base_url=``) at it and use any API key. It answers
``POST /v1/messages`` (SSE when ``stream: true``, JSON otherwise) and
``POST /v1/messages/count_tokens``, with the real API's events, headers, error bodies
and status codes, from built-in scenarios, a generic answer, or recorded cassettes.

Three ways to start it::

    python -m claude_widgets.server --port 0 --delay-ms 20   # prints its URL first

    with OfflineServer(delay_ms=0) as srv:                   # in-process, for tests
        client = anthropic.Anthropic(base_url=srv.base_url, api_key="offline")

    client = claude_widgets.client()                         # implicitly, with no API key

Per-request headers:

``x-offline-scenario: NAME``
    Pick a scripted answer (see :data:`SCENARIOS`) instead of matching the prompt.
``x-offline-fault: SPEC``
    Inject a failure; the spec syntax is documented in :mod:`claude_widgets.server._faults`:
    ``status=529``, ``retry-after=S``, ``retry-after-ms=MS``, ``error-after=K``,
    ``drop-after=K``, ``stall-after=K; seconds=S``, ``trickle=MS``, ``times=N``, ``id=X``.
``x-offline-delay-ms: MS``
    Pacing for this request only.

The API keys ``bad-key``, ``invalid`` and any starting with ``sk-ant-invalid`` get a 401,
to demonstrate authentication errors.
"""

from __future__ import annotations

from ._app import INVALID_KEYS
from ._faults import Fault
from ._history import RequestRecord
from ._runner import DEFAULT_DELAY_MS, OfflineServer
from ._scenarios import SCENARIOS as _TEXT_SCENARIOS
from ._special import NAMES as _SPECIAL_SCENARIOS

SCENARIOS = _TEXT_SCENARIOS + _SPECIAL_SCENARIOS
"""Names accepted by the ``x-offline-scenario`` header."""

__all__ = ["DEFAULT_DELAY_MS", "INVALID_KEYS", "SCENARIOS", "Fault", "OfflineServer", "RequestRecord"]

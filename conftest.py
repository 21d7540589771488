"""Repository-wide pytest set-up: notebooks run offline, unpaced, and wait for their streams.

Kernels started by nbval inherit this environment: the embedded server answers
(``CLAUDE_WIDGETS_OFFLINE``), with no pacing (``CLAUDE_WIDGETS_DELAY_MS=0``), and a
StreamView cell returns only when its stream has ended (``CLAUDE_WIDGETS_BLOCK=1``), so
the final answer lands in that cell's output, where it was stored.
"""

from __future__ import annotations

import os

os.environ["CLAUDE_WIDGETS_OFFLINE"] = "1"
os.environ["CLAUDE_WIDGETS_DELAY_MS"] = "0"
os.environ["CLAUDE_WIDGETS_BLOCK"] = "1"
os.environ.pop("ANTHROPIC_API_KEY", None)
os.environ.pop("ANTHROPIC_BASE_URL", None)

pytest_plugins = ["tests.nbval_display_updates"]

"""``import claude_widgets`` stays cheap: every kernel pays it in its first cell.

``jsonschema`` (the offline server's schema checks) builds rfc3987-syntax's grammars with
lark when imported, ~1 s on this machine, 40% of the package's import; it is imported on
the first request with a schema instead (``server/_structured.py``).
"""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_package_leaves_jsonschema_for_the_first_schema() -> None:
    code = ("import sys, claude_widgets, claude_widgets.server; "
            "print(sorted(m for m in ('jsonschema', 'rfc3987_syntax', 'lark') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stdout

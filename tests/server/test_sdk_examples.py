"""The anthropic SDK's own examples run, unmodified, against the offline server.

The examples ship in the SDK's sdist (``examples/``), not in the wheel that is
installed, so the test downloads the sdist of the installed version once with pip from
the package index into a cache folder (``$CLAUDE_WIDGETS_CACHE`` or
``~/.cache/claude-widgets``) and runs each example in a subprocess with only
``ANTHROPIC_BASE_URL`` and ``ANTHROPIC_API_KEY`` set. ``tools_runner_deferred_streaming.py``
asks before deleting a file: its prompt is answered ``y`` on stdin.

Without network access to the package index (and no cached sdist) this test fails and
says so: it never skips.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from importlib.metadata import version
from pathlib import Path

import pytest

from claude_widgets.server import OfflineServer

SDK_VERSION = version("anthropic")
CACHE = Path(os.environ.get("CLAUDE_WIDGETS_CACHE") or Path.home() / ".cache" / "claude-widgets")

# example -> a line its output must contain (what shows the feature worked, not just ran)
EXAMPLES = {
    "messages.py": "stop_reason='end_turn'",
    "messages_stream.py": "accumulated message:",
    "tools.py": "Final response:",
    "tools_stream.py": "snapshot: {'location': 'SF'}",
    "tools_runner.py": "Fetching weather for SF",
    "tools_runner_deferred_streaming.py": "Deleted /tmp/demo/app.log",
    "thinking.py": "Thinking:",
    "thinking_stream.py": "Text:",
    "structured_outputs.py": "product_name='Green Tea' price=5.5 quantity=2",
    "structured_outputs_streaming.py": "Final parsed order: product_name='Green Tea' price=5.5 quantity=2",
    "images.py": '"stop_reason": "end_turn"',
    "message_threads.py": "Order 4821 shipped",
}


def sdk_examples() -> Path:
    """The ``examples/`` folder of the installed SDK version's sdist, downloaded once."""
    target = CACHE / f"anthropic-{SDK_VERSION}-examples"
    if (target / "examples").is_dir():
        return target / "examples"
    CACHE.mkdir(parents=True, exist_ok=True)
    sdist = CACHE / f"anthropic-{SDK_VERSION}.tar.gz"
    if not sdist.is_file():
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", f"anthropic=={SDK_VERSION}", "--no-deps",
             "--no-binary", ":all:", "--disable-pip-version-check", "-q", "-d", str(CACHE)],
            capture_output=True, text=True, timeout=300, check=False)
        if proc.returncode != 0 or not sdist.is_file():
            pytest.fail(f"could not download the anthropic {SDK_VERSION} sdist from the package index:\n{proc.stderr}")
    prefix = f"anthropic-{SDK_VERSION}/examples/"
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(prefix) and m.isfile()]
        if not members:
            pytest.fail(f"the anthropic {SDK_VERSION} sdist has no examples/ folder")
        for member in members:
            member.name = "examples/" + member.name[len(prefix):]
        tar.extractall(target, members=members, filter="data")
    return target / "examples"


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_sdk_example_runs_unmodified(server: OfflineServer, example: str) -> None:
    folder = sdk_examples()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_WIDGETS_"))}
    env.update(ANTHROPIC_BASE_URL=server.base_url, ANTHROPIC_API_KEY="offline", COLUMNS="200")
    proc = subprocess.run([sys.executable, str(folder / example)], cwd=folder, env=env, input="y\n",
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"{example} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert EXAMPLES[example] in proc.stdout, proc.stdout[-3000:]

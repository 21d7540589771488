"""The offline server in its own process, for what must be measured from outside: RSS, fds, logs."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ServerProcess:
    proc: subprocess.Popen[str]
    base_url: str
    stderr_path: Path

    def rss_mb(self) -> float:
        """Resident memory of the server process, from /proc (VmRSS, in kB)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS in /proc status")

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


@contextmanager
def server_process(*args: str, nofile: int | None = None) -> Iterator[ServerProcess]:
    """``python -m claude_widgets.server --delay-ms 0 ARGS``; ``nofile`` lowers its fd limit."""
    # The limit is set inside the child, before the server starts (no preexec_fn: unsafe with threads).
    launcher = ("import resource, runpy, sys; n = int(sys.argv.pop(1)); "
                "n and resource.setrlimit(resource.RLIMIT_NOFILE, (n, n)); "
                "sys.argv[0] = 'claude_widgets.server'; runpy.run_module('claude_widgets.server', run_name='__main__')")
    with tempfile.TemporaryDirectory() as tmp:
        err = Path(tmp) / "stderr.log"
        with err.open("w") as stderr:
            proc = subprocess.Popen([sys.executable, "-c", launcher, str(nofile or 0), "--delay-ms", "0", *args],
                                    stdout=subprocess.PIPE, stderr=stderr, text=True)
        try:
            url = proc.stdout.readline().strip()  # type: ignore[union-attr]
            assert url.startswith("http://"), f"the server did not start: {err.read_text()}"
            yield ServerProcess(proc, url, err)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()  # type: ignore[union-attr]

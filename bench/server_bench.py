"""How fast the offline server streams: events/s to the Python SDK and to a raw HTTP reader, and TTFB.

The server runs in its own process (``python -m claude_widgets.server --delay-ms 0``) so the
figures are not distorted by sharing the GIL with the reader. Run::

    python bench/server_bench.py            # writes bench/results/server.md
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import anthropic
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from claude_widgets import DEFAULT_MODEL

TOKENS = (1_000, 5_000, 20_000)
REPEAT = 3
HEADERS = {"x-api-key": "bench", "anthropic-version": "2023-06-01", "x-offline-scenario": "long"}


def body(tokens: int) -> dict:  # type: ignore[type-arg]
    return {"model": DEFAULT_MODEL, "max_tokens": tokens, "stream": True,
            "messages": [{"role": "user", "content": "benchmark"}]}


def raw_reader(url: str, tokens: int) -> tuple[int, int, float, float]:
    """Events, bytes, seconds, and time to first byte, reading the body with plain httpx."""
    with httpx.Client(timeout=60) as http:
        t0 = time.perf_counter()
        with http.stream("POST", url + "/v1/messages", json=body(tokens), headers=HEADERS) as r:
            ttfb = 0.0
            buf = b""
            n_bytes = 0
            events = 0
            for chunk in r.iter_raw():
                if not ttfb:
                    ttfb = time.perf_counter() - t0
                n_bytes += len(chunk)
                buf += chunk
                *complete, buf = buf.split(b"\n\n")
                events += len(complete)
        return events, n_bytes, time.perf_counter() - t0, ttfb


def sdk_reader(url: str, tokens: int) -> tuple[int, float]:
    client = anthropic.Anthropic(base_url=url, api_key="bench")
    t0 = time.perf_counter()
    n = 0
    with client.messages.create(**body(tokens), extra_headers={"x-offline-scenario": "long"}) as stream:  # type: ignore[call-overload]
        for _ in stream:
            n += 1
    return n + 1, time.perf_counter() - t0  # + the ping the SDK hides


def ttfb_small(url: str, n: int = 30) -> float:
    samples = []
    with httpx.Client(timeout=30) as http:
        for _ in range(n):
            t0 = time.perf_counter()
            with http.stream("POST", url + "/v1/messages", json=body(50), headers=HEADERS) as r:
                next(r.iter_raw())
                samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "claude_widgets.server", "--delay-ms", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()  # type: ignore[union-attr]
        rows = []
        for tokens in TOKENS:
            raw = [raw_reader(url, tokens) for _ in range(REPEAT)]
            sdk = [sdk_reader(url, tokens) for _ in range(REPEAT)]
            events, n_bytes = raw[0][0], raw[0][1]
            raw_s = statistics.median(r[2] for r in raw)
            sdk_s = statistics.median(s[1] for s in sdk)
            rows.append((tokens, events, n_bytes, events / raw_s, n_bytes / raw_s / 1e6, events / sdk_s,
                         statistics.median(r[3] for r in raw) * 1000))
        small = ttfb_small(url) * 1000
    finally:
        proc.terminate()
        proc.wait(10)
    lines = [
        "| answer (tokens) | SSE events | bytes | raw reader events/s | raw MB/s | Python SDK events/s | TTFB (ms) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *(f"| {t:,} | {e:,} | {b:,} | {re:,.0f} | {mb:.1f} | {se:,.0f} | {tf:.1f} |" for t, e, b, re, mb, se, tf in rows),
        "",
        f"Median time to first byte of a short answer (30 requests, keep-alive): **{small:.1f} ms**.",
        "",
        (f"Server: `python -m claude_widgets.server --delay-ms 0` in its own process; median of {REPEAT} runs; "
        "reader and server share the machine's cores."),
    ]
    table = "\n".join(lines)
    print(table)
    out = Path(__file__).parent / "results" / "server.md"
    out.write_text("# Offline server throughput\n\nMeasured by `python bench/server_bench.py`.\n\n" + table + "\n")


if __name__ == "__main__":
    main()

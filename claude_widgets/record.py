"""``python -m claude_widgets.record``: record a real API stream into a cassette.

The response body is written byte for byte as it arrives (``NAME.sse``), next to a
sidecar (``NAME.json``) with the request that produced it, so that
``python -m claude_widgets.server --cassette DIR`` can replay it exactly. It needs
``ANTHROPIC_API_KEY`` (``ANTHROPIC_BASE_URL`` is honoured, which is how the tests record
from the offline server). The key is sent only in the request header: it is never
printed and never written to the sidecar, and neither is a ``user:password@`` in the base URL.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from ._models import DEFAULT_MODEL
from ._secrets import APIKeyError, checked_api_key, redact_url

API_VERSION = "2023-06-01"


def record(request: dict[str, Any], out: Path, *, api_key: str, base_url: str) -> Path:
    """Send ``request`` (forced to stream) and write the raw SSE body to ``out``; returns the sidecar path."""
    body = {**request, "stream": True}
    headers = {"x-api-key": api_key, "anthropic-version": API_VERSION, "content-type": "application/json"}
    out.parent.mkdir(parents=True, exist_ok=True)
    with httpx.stream("POST", base_url.rstrip("/") + "/v1/messages", json=body, headers=headers,
                      timeout=httpx.Timeout(600, connect=10)) as response:
        if response.status_code != 200:
            response.read()
            raise SystemExit(f"record: the API answered {response.status_code}: {response.text[:500]}")
        with out.open("wb") as f:
            for chunk in response.iter_raw():
                f.write(chunk)
        request_id = response.headers.get("request-id")
    sidecar = out.with_suffix(".json")
    sidecar.write_text(json.dumps({
        "request": body,
        "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "request_id": request_id,
        "base_url": redact_url(base_url),
    }, indent=2, ensure_ascii=False) + "\n")
    return sidecar


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m claude_widgets.record",
                                     description="Record a Messages API stream into a cassette (.sse + .json).")
    parser.add_argument("prompt", nargs="?", help="the user message (or use --request)")
    parser.add_argument("-o", "--out", required=True, help="cassette path, e.g. cassettes/haiku.sse")
    parser.add_argument("-m", "--model", default=DEFAULT_MODEL)
    parser.add_argument("--max-tokens", type=int, default=1024)
    parser.add_argument("--system")
    parser.add_argument("--request", help="a JSON file (or - for stdin) with a full request body instead of a prompt")
    args = parser.parse_args(argv)
    api_key = os.environ.get("ANTHROPIC_API_KEY")
    if not api_key:
        parser.error("ANTHROPIC_API_KEY is not set: recording needs the real API (or ANTHROPIC_BASE_URL "
                     "pointing at a server) and a key")
    try:
        api_key = checked_api_key(api_key)
    except APIKeyError as e:
        parser.error(str(e))
    if args.request:
        request = json.loads(sys.stdin.read() if args.request == "-" else Path(args.request).read_text())
    elif args.prompt:
        request = {"model": args.model, "max_tokens": args.max_tokens,
                   "messages": [{"role": "user", "content": args.prompt}]}
        if args.system:
            request["system"] = args.system
    else:
        parser.error("give a prompt or --request FILE")
    base_url = os.environ.get("ANTHROPIC_BASE_URL", "https://api.anthropic.com")
    out = Path(args.out).with_suffix(".sse")
    record(request, out, api_key=api_key, base_url=base_url)
    print(f"recorded {out} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

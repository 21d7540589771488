"""``python -m claude_widgets.server``: the offline Messages API server in the foreground.

Prints its base URL as the first line on stdout (so a script can read it and set
``ANTHROPIC_BASE_URL``), then serves until interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ._app import ServerConfig, ServerState
from ._cassettes import CassetteLibrary
from ._faults import Fault
from ._guard import HEADER_TIMEOUT
from ._runner import bind_socket, default_delay_ms, uvicorn_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m claude_widgets.server",
        description="An offline server that speaks Anthropic's Messages API (streaming included).")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: a free port)")
    parser.add_argument("--cassette", help="a recorded .sse file, or a folder of them, to replay")
    parser.add_argument("--delay-ms", type=float, default=None,
                        help=f"pause before each content delta (default: $CLAUDE_WIDGETS_DELAY_MS or "
                             f"{default_delay_ms():g})")
    parser.add_argument("--fault", help="a fault spec applied to every request, e.g. 'status=529; times=2'")
    parser.add_argument("--vary", action="store_true",
                        help="answers vary between requests, as sampling does (see _continuation)")
    parser.add_argument("--no-auth", action="store_true", help="accept requests without an API key")
    parser.add_argument("--header-timeout", type=float, default=HEADER_TIMEOUT,
                        help=f"seconds a client has to send a request's headers before it is disconnected "
                             f"(default {HEADER_TIMEOUT:g})")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    if args.fault:
        Fault.parse(args.fault)  # fail now, not on the first request
    config = ServerConfig(
        delay_ms=default_delay_ms() if args.delay_ms is None else args.delay_ms,
        fault=args.fault,
        cassettes=CassetteLibrary(args.cassette) if args.cassette else None,
        require_api_key=not args.no_auth,
        header_timeout=args.header_timeout,
        vary=args.vary,
    )
    # The package's logger has only a NullHandler (a library's convention): in the foreground,
    # its warnings (e.g. running out of file descriptors) go to stderr like uvicorn's.
    own = logging.getLogger("claude_widgets.server")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
    own.addHandler(handler)
    own.setLevel(args.log_level.upper())
    sock = bind_socket(args.host, args.port)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"http://{host}:{sock.getsockname()[1]}", flush=True)
    server = uvicorn_server(ServerState(config), log_level=args.log_level)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

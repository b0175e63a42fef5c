"""`python -m nomadclient.testing`: serve a stand-in NOMAD API until interrupted.

The first line on stdout is the API base URL (scripts read it to find the server), then one
line per user account. Ctrl-C or SIGTERM stops the server and removes its temporary files.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from ._server import DEFAULT_ADMINS, DEFAULT_USERS, NomadStandIn


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit status."""
    args = _parser().parse_args(argv)
    users = dict(args.user) if args.user else None
    try:
        server = NomadStandIn(
            users=users,
            processing_delay=args.processing_delay,
            api_version=args.api_version,
            host=args.host,
            port=args.port,
        ).start()
    except (OSError, RuntimeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, request_stop)
    try:
        print(server.api_url, flush=True)
        for username, password in (users or DEFAULT_USERS).items():
            role = " (admin)" if users is None and username in DEFAULT_ADMINS else ""
            print(f"user {username} password {password}{role}", flush=True)
        print(f"NOMAD {args.api_version} stand-in running; press Ctrl-C to stop.", file=sys.stderr)
        # a timed wait keeps the main thread responsive to Ctrl-C on every platform
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nomadclient.testing",
        description="Serve a stand-in of the NOMAD v1 API for offline tests.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (loopback)")
    parser.add_argument(
        "--port", type=int, default=8000, help="port to listen on; 0 picks a free one"
    )
    parser.add_argument(
        "--user",
        action="append",
        type=_user_spec,
        metavar="NAME:PASSWORD",
        help="a user account (repeatable); default: test:password and the admin admin:password",
    )
    parser.add_argument(
        "--processing-delay",
        type=_non_negative_float,
        default=0.05,
        metavar="SECONDS",
        help="seconds each processing step takes",
    )
    parser.add_argument(
        "--api-version", choices=("2.0", "1.3"), default="2.0", help="NOMAD version to emulate"
    )
    return parser


def _user_spec(text: str) -> tuple[str, str]:
    name, colon, password = text.partition(":")
    if not colon or not name or not password:
        raise argparse.ArgumentTypeError(f"expected NAME:PASSWORD, got {text!r}")
    return name, password


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


if __name__ == "__main__":
    sys.exit(main())

"""`python -m nomadclient`: the command line (for now, the demo workflow)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m nomadclient", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="run the demo workflow against an embedded stand-in NOMAD server"
    )
    demo.add_argument(
        "--url",
        help="a deployment name or API URL to run against instead (needs credentials)",
    )
    demo.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    from .client import NomadClient
    from .demo import embedded_deployment, run_demo
    from .errors import NomadError

    try:
        if args.url:
            with NomadClient(args.url) as nomad:
                run_demo(nomad)
        else:
            with embedded_deployment() as nomad:
                run_demo(nomad)
    except NomadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m benchmarks [--entries N] [--megabytes M] [--standin-entries K]`: print figures."""

from __future__ import annotations

import argparse

from . import client, standin


def main() -> None:
    """Run every benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--standin-entries", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=5_000)
    parser.add_argument("--megabytes", type=int, default=64)
    args = parser.parse_args()
    standin.main(args.standin_entries)
    client.pagination(args.entries)
    client.transfers(args.megabytes)


if __name__ == "__main__":
    main()

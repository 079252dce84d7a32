"""``python -m assume_role_lab.emulator``: run the strict AWS emulator on 127.0.0.1.

Prints the endpoint URL as the first line on stdout once it accepts requests;
with --seed-json it first seeds the demo world and writes it there as JSON.
"""

from __future__ import annotations

import argparse

from .server import run_cli


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m assume_role_lab.emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--seed-json", metavar="PATH", help="seed the demo world and write it to PATH")
    parser.add_argument("--exit-with-parent", action="store_true", help="exit when stdin reaches end of file")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    run_cli(args.port, seed_json=args.seed_json, exit_with_parent=args.exit_with_parent, verbose=args.verbose)


if __name__ == "__main__":
    main()

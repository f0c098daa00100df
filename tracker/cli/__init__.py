"""``tracker`` command line: one module per subcommand, each with ``register(subparsers)``.

Subcommand modules import heavy dependencies (torch, grpc) inside their handlers, so that
``tracker --help`` and the light commands start fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from tracker import __version__
from tracker.cli import (
    demo_cmd,
    eval_cmd,
    export_cmd,
    health_cmd,
    serve_cmd,
    stream_cmd,
    track_cmd,
)
from tracker.errors import TrackerError

SUBCOMMANDS = (
    track_cmd,
    eval_cmd,
    serve_cmd,
    stream_cmd,
    demo_cmd,
    health_cmd,
    export_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tracker",
        description="Multi-object tracking: detector + re-ID + DeepSORT-style tracker, "
        "offline on MOTChallenge sequences and videos, or as a gRPC streaming service.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Our own loggers at INFO; third-party chatter (motmetrics logs timings on the root
    # logger) only from WARNING up.
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("tracker").setLevel(logging.DEBUG if args.verbose else logging.INFO)
    try:
        return int(args.handler(args) or 0)
    except TrackerError as error:
        print(f"tracker {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tracker {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

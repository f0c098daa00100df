"""``tracker health``: exit 0 if a server reports SERVING (Docker HEALTHCHECK, probes)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "health",
        help="check a server's gRPC health status",
        description="Ask a server's standard gRPC health service; exit 0 if SERVING, "
        "1 otherwise (not serving, unreachable, or timed out).",
    )
    parser.add_argument("--server", default="127.0.0.1:50051", help="HOST:PORT")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds (default 5)")
    parser.add_argument("--tls", action="store_true", help="connect with TLS")
    parser.add_argument("--ca-cert", type=Path, help="PEM root certificate for --tls")
    parser.add_argument(
        "--service", default="", help="service name to check ('' = overall, the default)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tracker.client import check_health

    roots = args.ca_cert.read_bytes() if args.ca_cert else None
    serving = check_health(
        args.server,
        timeout=args.timeout,
        tls=args.tls or roots is not None,
        root_certificates=roots,
        service=args.service,
    )
    print("SERVING" if serving else "NOT_SERVING")
    return 0 if serving else 1

"""``tracker health``: exit 0 if a server reports SERVING (Docker HEALTHCHECK, probes).

The exit code tells a loading server from a missing one: 0 SERVING, 1 NOT_SERVING (the server
answers but is loading its models or shutting down), 3 UNREACHABLE (nothing answers at that
address: not listening, timed out, or a TLS mismatch) or an unknown ``--service``. Docker's
HEALTHCHECK treats every non-zero code as unhealthy (2 is reserved there, so it is not used).
"""

from __future__ import annotations

import argparse
from pathlib import Path

EXIT_CODES = {"SERVING": 0, "NOT_SERVING": 1, "UNREACHABLE": 3, "SERVICE_UNKNOWN": 3}
_MEANING = {
    "SERVING": "the server is ready",
    "NOT_SERVING": "the server answers but is not ready (loading its models or shutting down)",
    "UNREACHABLE": "nothing answers there (not listening, timed out, or a TLS mismatch)",
    "SERVICE_UNKNOWN": "the server does not know that --service",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "health",
        help="check a server's gRPC health status",
        description="Ask a server's standard gRPC health service. Exit 0 if SERVING, 1 if "
        "NOT_SERVING (up, but loading its models or shutting down), 3 if nothing answers "
        "(not listening, timed out, TLS mismatch) or the --service is unknown.",
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
    from tracker.client import health_status

    roots = args.ca_cert.read_bytes() if args.ca_cert else None
    status = health_status(
        args.server,
        timeout=args.timeout,
        tls=args.tls or roots is not None,
        root_certificates=roots,
        service=args.service,
    )
    print(f"{status}: {args.server}: {_MEANING[status]}")
    return EXIT_CODES[status]

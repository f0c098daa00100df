"""``tracker serve``: run the gRPC tracking service until SIGTERM/SIGINT, then drain."""

from __future__ import annotations

import argparse
from dataclasses import fields

from tracker.errors import TrackerError
from tracker.service.settings import SETTINGS, ServerSettings

DESCRIPTION = """\
Serve multi-object tracking over gRPC (tracker.v1.Tracker/Track, a bidirectional stream per
camera). Health is NOT_SERVING until the models are loaded and warmed up. On SIGTERM the server
stops reading, answers every frame it has read, and exits.

Every flag can also be set by its environment variable (the flag wins); weights are looked up
in $TRACKER_WEIGHTS_DIR, ./weights and ../shared/weights. --detector none serves
public-detection streams only (clients send their detections)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the gRPC tracking service",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for field in fields(ServerSettings):
        spec = SETTINGS[field.name]
        default = field.default
        shown = "unset" if default is None else default
        if isinstance(default, bool):
            parser.add_argument(
                spec.flag,
                dest=field.name,
                action="store_true",
                default=None,
                help=f"{spec.help} [${spec.env}, default off]",
            )
            continue
        kind = type(default) if isinstance(default, int | float) else str
        parser.add_argument(
            spec.flag,
            dest=field.name,
            type=kind,
            default=None,
            choices=("json", "text") if field.name == "log_format" else None,
            help=f"{spec.help} [${spec.env}, default {shown}]",
        )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from tracker.service.logs import configure_logging
    from tracker.service.models import check_model_names

    settings = ServerSettings.resolve(vars(args))
    check_model_names(settings)  # a typo is reported at once, not after a model has loaded
    configure_logging(settings.log_format, getattr(args, "verbose", False))
    return asyncio.run(serve(settings))


async def serve(settings: ServerSettings) -> int:
    """Start, wait for a signal (or a model-loading failure), drain, stop."""
    import asyncio
    import functools
    import logging
    import signal

    from tracker.service.models import build_pipeline
    from tracker.service.server import TrackerServer

    log = logging.getLogger("tracker.serve")
    server = TrackerServer(functools.partial(build_pipeline, settings), settings)
    await server.start()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    stop_wait = loop.create_task(stop.wait())
    ready = loop.create_task(server.wait_ready())
    await asyncio.wait([stop_wait, ready], return_when=asyncio.FIRST_COMPLETED)
    failed = ready.done() and ready.exception() is not None
    if not failed and not stop.is_set():
        await stop.wait()
    log.info("draining" if not failed else "stopping after a model-loading failure")
    ready.cancel()
    await server.stop()
    if failed:
        error = ready.exception()
        if isinstance(error, TrackerError):
            raise error
        return 1
    return 0

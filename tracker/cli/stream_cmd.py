"""``tracker stream``: send a video, image folder, RTSP stream or MOT sequence to a server."""

from __future__ import annotations

import argparse
import os
from dataclasses import fields
from pathlib import Path
from typing import Any, Literal

from tracker.cli.options import add_tracker_options, tracker_config
from tracker.errors import TrackerError
from tracker.motion import CAMERA_MOTION_MODES

DESCRIPTION = """\
Stream frames to a tracking server (tracker serve) and receive tracks. JPEG/PNG files are sent
as they are, video frames are JPEG-encoded. Writes the MOTChallenge result file
(frame,id,x,y,w,h,score,-1,-1,-1) and optionally a video with the tracks drawn.

--dets FILE sends the boxes of a MOT det file (or deep_sort .npy) with each frame
(public-detection mode): the server skips its detector.
--policy latest lets the server drop the oldest queued frames when it falls behind (live
cameras: only the newest frame matters); --policy all never drops and slows the sender
instead. The default is latest for rtsp/http streams and all for files and folders, so a
file is never tracked with holes."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "stream",
        help="stream a video/folder/RTSP/MOT sequence through a tracking server",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_client_options(parser)
    parser.add_argument(
        "--source", required=True, help="video file, image folder, MOT sequence folder, rtsp:// URL"
    )
    parser.add_argument("--out", type=Path, help="MOT result file to write")
    parser.add_argument("--save-video", type=Path, help="write an annotated video (mp4)")
    parser.add_argument(
        "--policy",
        choices=("latest", "all"),
        default=None,
        help="drop policy (default: latest for live streams, all for files and folders)",
    )
    parser.add_argument("--fps", type=float, help="send at most N frames per second")
    parser.add_argument("--max-frames", type=int, help="stop after N frames")
    parser.add_argument(
        "--max-in-flight",
        type=int,
        help="policy all: frames sent ahead of the answers (default 16); "
        "bounds latency and buffering",
    )
    add_stream_options(parser)
    parser.set_defaults(handler=run)


def add_client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", default="127.0.0.1:50051", help="HOST:PORT")
    parser.add_argument("--tls", action="store_true", help="connect with TLS")
    parser.add_argument("--ca-cert", type=Path, help="PEM root certificate for --tls")
    parser.add_argument(
        "--token", default=None, help="bearer token [$TRACKER_AUTH_TOKEN]; sent as metadata"
    )


def add_stream_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dets",
        "--detections",
        dest="detections",
        type=Path,
        help="MOT det file / deep_sort .npy: public-detection mode",
    )
    parser.add_argument(
        "--embedder", default="", help="'' = the server's embedder, 'none' = motion-only"
    )
    parser.add_argument("--min-score", type=float, default=0.0, help="detection score filter")
    parser.add_argument(
        "--camera-motion",
        choices=CAMERA_MOTION_MODES,
        default="",
        help="compensate camera motion from the frames: off or flow (default: the server's)",
    )
    parser.add_argument(
        "--classes", type=int, nargs="*", default=[], help="keep only these class ids"
    )
    parser.add_argument("--stream-id", default=None, help="name for the server's logs")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_tracker_options(parser)


def stream_options(
    args: argparse.Namespace,
    stream_id: str,
    policy: Literal["latest", "all"],
    fps: float | None = None,
) -> Any:
    """The StreamOptions for these flags (only changed tracker parameters are sent)."""
    from tracker.client import StreamOptions
    from tracker.core import DeepSortConfig

    config = tracker_config(args.tracker_overrides)
    default = DeepSortConfig()
    changed = {
        f.name: getattr(config, f.name)
        for f in fields(DeepSortConfig)
        if getattr(config, f.name) != getattr(default, f.name)
    }
    return StreamOptions(
        stream_id=args.stream_id or stream_id,
        detector="public" if args.detections else "",
        embedder=args.embedder,
        classes=tuple(args.classes),
        min_score=args.min_score,
        tracker=changed,
        policy=policy,
        fps=fps,
        camera_motion=args.camera_motion,
    )


def connect(args: argparse.Namespace) -> Any:
    from tracker.client import TrackerClient

    roots = args.ca_cert.read_bytes() if args.ca_cert else None
    return TrackerClient(
        args.server,
        tls=args.tls or roots is not None,
        root_certificates=roots,
        token=args.token or os.environ.get("TRACKER_AUTH_TOKEN") or None,
    )


def run(args: argparse.Namespace) -> int:
    import grpc

    from tracker.client.runner import DEFAULT_IN_FLIGHT, run_stream
    from tracker.detect.public import detections_by_frame
    from tracker.io.sources import open_source

    source = open_source(args.source)
    detections = detections_by_frame(args.detections) if args.detections else None
    policy: Literal["latest", "all"] = args.policy or ("latest" if source.is_live else "all")
    options = stream_options(args, source.name, policy, source.fps)
    try:
        with connect(args) as client:
            stats = run_stream(
                client,
                source,
                options,
                out=args.out,
                save_video=args.save_video,
                fps_limit=args.fps,
                detections=detections,
                max_frames=args.max_frames,
                max_in_flight=args.max_in_flight or DEFAULT_IN_FLIGHT,
                progress=not args.quiet,
            )
    except grpc.RpcError as error:
        status = f"{error.code().name}: {error.details()}"
        raise TrackerError(f"server {args.server}: {status}") from None
    print(stats.summary())
    for line in stats.first_errors:
        print(f"  {line}")
    if args.out:
        print(f"wrote {args.out}")
    return 0

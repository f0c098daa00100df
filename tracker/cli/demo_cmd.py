"""``tracker demo``: the whole system on PETS09-S2L1 in one command.

Starts a server on 127.0.0.1 (a free port), streams the sequence through it with policy
``all``, writes the MOT result file, stops the server and prints TrackEval's scores.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tracker.cli.options import add_runtime_option
from tracker.errors import TrackerError

SEQUENCE = "PETS09-S2L1"
DESCRIPTION = f"""\
Start a tracking server on 127.0.0.1, stream {SEQUENCE} (795 frames, MOT15) through it over
gRPC with drop policy 'all', write the result file, stop the server and score the result with
TrackEval (HOTA, MOTA, IDF1; motmetrics as cross-check).

By default the server runs its own detector and re-ID embedder on the JPEG frames.
--detections NAME instead sends the precomputed boxes SEQ/det/det_NAME.txt with each frame
(public-detection mode; the server loads no detector)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help=f"serve + stream + score {SEQUENCE} end to end",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--data",
        type=Path,
        help="the shared data folder (default: ../shared/data beside the repository)",
    )
    parser.add_argument(
        "--detections",
        default=None,
        help="public-detection mode with SEQ/det/det_NAME.txt, e.g. yolov5n, frcnn "
        "(default: the server's detector)",
    )
    parser.add_argument("--detector", default="auto", help="server detector (default auto)")
    parser.add_argument("--detector-weights", help="detector weights file")
    parser.add_argument(
        "--embedder", default="osnet", help="server re-ID embedder, or 'none' (default osnet)"
    )
    parser.add_argument("--embedder-weights", help="embedder weights file")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda (default auto)")
    add_runtime_option(parser)
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="CPU threads per model call (default 1: client and server share this machine; "
        "0 = torch's default)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("out/demo"), help="output folder (default out/demo)"
    )
    parser.add_argument("--max-frames", type=int, help="stop after N frames (quick look)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run)


def find_data(explicit: Path | None) -> Path:
    """``--data``, else ``../shared/data`` beside the repository, else beside the cwd."""
    candidates = (
        [explicit]
        if explicit
        else [
            Path(__file__).resolve().parents[3] / "shared" / "data",
            Path.cwd().parent / "shared" / "data",
        ]
    )
    for candidate in candidates:
        if (candidate / "MOT15" / "train" / SEQUENCE / "img1").is_dir():
            return candidate
    raise TrackerError(
        f"{SEQUENCE} not found in {', '.join(map(str, candidates))}; pass --data DIR "
        f"(the folder holding MOT15/train/{SEQUENCE})"
    )


def run(args: argparse.Namespace) -> int:
    import logging

    import grpc

    from tracker.client import StreamOptions, TrackerClient
    from tracker.client.runner import run_stream
    from tracker.detect.public import detections_by_frame
    from tracker.io.sources import open_source
    from tracker.service.background import BackgroundServer
    from tracker.service.models import build_pipeline
    from tracker.service.settings import ServerSettings

    data = find_data(args.data)
    seq_dir = data / "MOT15" / "train" / SEQUENCE
    detections = None
    if args.detections:
        det_file = seq_dir / "det" / f"det_{args.detections}.txt"
        if not det_file.is_file():
            names = sorted(p.stem.removeprefix("det_") for p in (seq_dir / "det").glob("det_*"))
            raise TrackerError(f"no {det_file}; available: {', '.join(names)}")
        detections = detections_by_frame(det_file)
    settings = ServerSettings(
        host="127.0.0.1",
        port=0,
        metrics_port=0,
        device=args.device,
        runtime=args.runtime,
        torch_threads=args.torch_threads,
        detector="none" if detections is not None else args.detector,
        detector_weights=args.detector_weights,
        embedder=args.embedder,
        embedder_weights=args.embedder_weights,
    )
    results = args.out / "results" / f"{SEQUENCE}.txt"
    if not getattr(args, "verbose", False):  # the progress bar says it all; keep warnings
        logging.getLogger("tracker.service").setLevel(logging.WARNING)
    print("starting the server and loading the models ...", flush=True)
    with BackgroundServer(lambda: build_pipeline(settings), settings) as background:
        print(f"server on {background.target}; streaming {SEQUENCE} (policy all)", flush=True)
        source = open_source(str(seq_dir))
        options = StreamOptions(
            stream_id=f"demo-{SEQUENCE}",
            detector="public" if detections is not None else "",
            embedder="none" if args.embedder == "none" else "",
            policy="all",
            fps=source.fps,
        )
        try:
            with TrackerClient(background.target) as client:
                stats = run_stream(
                    client,
                    source,
                    options,
                    out=results,
                    detections=detections,
                    max_frames=args.max_frames,
                    progress=not args.quiet,
                )
        except grpc.RpcError as error:
            raise TrackerError(
                f"demo stream failed: {error.code().name}: {error.details()}"
            ) from None
    print(stats.summary())
    print(f"wrote {results}")
    if stats.errors:
        raise TrackerError(f"{stats.errors} frames failed: " + "; ".join(stats.first_errors))
    if args.max_frames is not None:
        print("(--max-frames: a partial sequence is not scored)")
        return 0
    from tracker.eval import evaluate
    from tracker.eval.report import format_table

    scores = evaluate(data / "MOT15" / "train", results.parent, seqs=[SEQUENCE])
    print(format_table(scores))
    return 0

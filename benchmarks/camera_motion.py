"""Camera-motion compensation from the frames (``--camera-motion flow``): does it help, and
what does it cost?

There is no full moving-camera sequence with frames and ground truth in ../shared, so:

1. **Synthetic pan/zoom of PETS09-S2L1.** A window that pans (sinusoidally, in x and y) and
   zooms (slowly) is cut from each of the 795 frames and resized to a fixed output size; the
   ground truth and ``det_yolov5n.txt`` are mapped by the same per-frame affine (boxes
   clipped to the output, those less than half inside dropped). The camera motion is then
   known exactly, so an ``oracle`` run (the true affine) bounds what an estimator can give.
   The sequences are written under ``--work`` (never committed).
2. **The static original** PETS09-S2L1: compensation must not cost accuracy there.
3. **Real frames of moving cameras**: MOT17-mini holds 4-8 consecutive frames of seven MOT17
   sequences with ground truth. Each person's box at frame t-1, moved by the estimated
   camera motion, should overlap its box at frame t better than the unmoved box on the
   moving-camera sequences (05, 10, 11, 13) and about as well on the static ones.
4. **Cost**: the estimator alone on the 795 decoded PETS09 frames, OpenCV on 1 thread.

Tracking is ``tracker track --seq SEQ --dets det_yolov5n.txt``'s path (public detections,
frames read for re-ID crops and camera motion; ``tracker.source_tracking.track_source``),
motion-only and with OSNet x0.25 (MSMT17), the tracker's defaults; scored with TrackEval.

    PYTHONPATH=. python -m benchmarks.camera_motion [--work out/camera_motion] [--no-osnet]
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from benchmarks.harness import DATA, PETS09, environment, markdown_table, save, score
from tracker.core.affinity import iou_matrix
from tracker.motion.flow import FlowCameraMotion

OUT_SIZE = (576, 432)  # output (width, height) of the synthetic sequences
MOT17_MINI = DATA / "MOT17-mini" / "train"
MOVING = ("MOT17-05-FRCNN", "MOT17-10-FRCNN", "MOT17-11-FRCNN", "MOT17-13-FRCNN")
STATIC = ("MOT17-02-FRCNN", "MOT17-04-FRCNN", "MOT17-09-FRCNN")
DETS = "det_yolov5n.txt"
MODES = ("off", "flow", "oracle")


@dataclass(frozen=True)
class Pan:
    """A camera path over the source frames: window centre and zoom per frame."""

    name: str
    amplitude: tuple[float, float]  # px of the source frame, x and y
    period: tuple[float, float]  # frames, x and y
    zoom: tuple[float, float]  # mean and amplitude of the zoom factor (output / window)
    zoom_period: float

    def window(self, t: int, width: int, height: int) -> tuple[float, float, float]:
        """(x0, y0, scale): the window's top-left corner in source pixels and output/source."""
        zoom = self.zoom[0] + self.zoom[1] * math.sin(2 * math.pi * t / self.zoom_period)
        w, h = OUT_SIZE[0] / zoom, OUT_SIZE[1] / zoom
        cx = width / 2 + self.amplitude[0] * math.sin(2 * math.pi * t / self.period[0])
        cy = height / 2 + self.amplitude[1] * math.sin(2 * math.pi * t / self.period[1] + 1.0)
        x0, y0 = cx - w / 2, cy - h / 2
        if x0 < 0 or y0 < 0 or x0 + w > width or y0 + h > height:
            raise ValueError(f"pan {self.name}: window leaves the frame at t={t}")
        return x0, y0, zoom

    def speed(self, width: int, height: int, frames: int) -> float:
        """Largest per-frame displacement of the output's centre pixel (output px)."""
        worst = 0.0
        for t in range(1, frames):
            a, b = self.affine(t - 1, width, height), self.affine(t, width, height)
            centre = np.array([OUT_SIZE[0] / 2, OUT_SIZE[1] / 2, 1.0])
            source = np.linalg.solve(np.vstack([a, [0, 0, 1]]), centre)
            worst = max(worst, float(np.hypot(*(b @ source - centre[:2]))))
        return worst

    def affine(self, t: int, width: int, height: int) -> NDArray[np.float64]:
        """Source pixels -> output pixels of frame t (2x3)."""
        x0, y0, s = self.window(t, width, height)
        return np.array([[s, 0.0, -s * x0], [0.0, s, -s * y0]])


PANS = {
    "fast": Pan("fast", (90.0, 60.0), (30.0, 47.0), (1.15, 0.15), 160.0),
    "slow": Pan("slow", (40.0, 25.0), (120.0, 170.0), (1.1, 0.08), 300.0),
}


def camera_motion_between(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Output pixels of the previous frame (affine ``a``) -> this frame's (affine ``b``)."""
    square = np.vstack([a, [0.0, 0.0, 1.0]])
    return (np.vstack([b, [0.0, 0.0, 1.0]]) @ np.linalg.inv(square))[:2]


def _map_rows(rows: NDArray[np.float64], affine: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Map MOT rows' boxes (cols 2-5, xywh) in place; returns the rows to keep (at least
    half of the box inside the output)."""
    s, tx, ty = affine[0, 0], affine[0, 2], affine[1, 2]
    x1, y1 = rows[:, 2] * s + tx, rows[:, 3] * s + ty
    x2, y2 = x1 + rows[:, 4] * s, y1 + rows[:, 5] * s
    area = (x2 - x1) * (y2 - y1)
    cx1, cy1 = np.clip(x1, 0, OUT_SIZE[0]), np.clip(y1, 0, OUT_SIZE[1])
    cx2, cy2 = np.clip(x2, 0, OUT_SIZE[0]), np.clip(y2, 0, OUT_SIZE[1])
    inside = (cx2 - cx1) * (cy2 - cy1)
    keep = (inside >= 0.5 * area) & (cx2 - cx1 >= 1) & (cy2 - cy1 >= 1)
    rows[:, 2], rows[:, 3], rows[:, 4], rows[:, 5] = cx1, cy1, cx2 - cx1, cy2 - cy1
    return keep


def _write_rows(path: Path, rows: NDArray[np.float64], integer_cols: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            head = ",".join(str(int(v)) for v in row[:integer_cols])
            tail = ",".join(f"{v:.2f}" if k < 4 else f"{v:.4g}" for k, v in
                            enumerate(row[integer_cols:]))  # fmt: skip
            out.write(f"{head},{tail}\n")


def make_synthetic(pan: Pan, root: Path, frames: int | None = None) -> tuple[Path, list]:
    """Write ``root/PETS09-S2L1-<PAN>`` (img1, gt, det, seqinfo.ini); returns it and the
    per-frame source->output affines (index 0 = frame 1)."""
    name = f"PETS09-S2L1-{pan.name.upper()}"
    seq = root / name
    sources = sorted((PETS09 / "img1").glob("*.jpg"))[:frames]
    first = cv2.imread(str(sources[0]))
    height, width = first.shape[:2]
    affines = [pan.affine(t, width, height) for t in range(len(sources))]
    done = seq / "img1" / f"{len(sources):06d}.jpg"
    if not done.is_file():
        if seq.exists():
            shutil.rmtree(seq)
        (seq / "img1").mkdir(parents=True)
        for t, path in enumerate(sources):
            image = cv2.imread(str(path))
            out = cv2.warpAffine(image, affines[t], OUT_SIZE, flags=cv2.INTER_LINEAR)
            cv2.imwrite(str(seq / "img1" / path.name), out, [cv2.IMWRITE_JPEG_QUALITY, 85])
    for kind, source in (
        ("gt/gt.txt", PETS09 / "gt" / "gt.txt"),
        (f"det/{DETS}", PETS09 / "det" / DETS),
    ):
        rows = np.loadtxt(source, delimiter=",", ndmin=2)
        rows = rows[rows[:, 0] <= len(sources)]
        keep = np.zeros(len(rows), bool)
        for t in range(len(sources)):
            at = rows[:, 0] == t + 1
            sub = rows[at]
            keep_sub = _map_rows(sub, affines[t])
            rows[at] = sub
            keep[np.flatnonzero(at)[keep_sub]] = True
        _write_rows(seq / kind, rows[keep], 2)
    (seq / "seqinfo.ini").write_text(
        "[Sequence]\n"
        f"name={name}\nimDir=img1\nframeRate=7\nseqLength={len(sources)}\n"
        f"imWidth={OUT_SIZE[0]}\nimHeight={OUT_SIZE[1]}\nimExt=.jpg\n",
        encoding="utf-8",
    )
    return seq, affines


class _Oracle:
    """The true camera motion of a synthetic sequence, in the estimator's place."""

    def __init__(self, affines: list) -> None:
        self.affines, self.t = affines, 0

    def estimate(self, frame: object, boxes: object = None) -> NDArray[np.float64]:
        t, self.t = self.t, self.t + 1
        if t == 0:
            return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        return camera_motion_between(self.affines[t - 1], self.affines[t])


def track(
    seq: Path,
    mode: str,
    embedder: object,
    out: Path,
    affines: list | None = None,
    frames: int | None = None,
) -> dict[str, float]:
    """One run of ``tracker track --seq SEQ --dets det_yolov5n.txt``'s path; returns timing."""
    from tracker.detect.public import detections_by_frame
    from tracker.io.sources import MotSequenceSource
    from tracker.pipeline import Pipeline
    from tracker.source_tracking import track_source

    source = MotSequenceSource(seq)
    pipeline = Pipeline(None, embedder)  # type: ignore[arg-type]
    public = detections_by_frame(seq / "det" / DETS)
    if mode == "oracle":
        if affines is None:
            raise ValueError("oracle needs the synthetic sequence's affines")
        original = pipeline.new_stream

        def with_oracle(*args: object, **kwargs: object) -> object:
            kwargs["camera_motion"] = "off"
            stream = original(*args, **kwargs)  # type: ignore[arg-type]
            stream.camera = _Oracle(affines)  # type: ignore[assignment]
            return stream

        pipeline.new_stream = with_oracle  # type: ignore[method-assign]
        mode = "off"
    run = track_source(
        source, pipeline, results_path=out, progress=False, public_detections=public,
        camera_motion=mode, max_frames=frames,
    )  # fmt: skip
    return {"frames": run.frames, "track_ms": 1000 * run.stage_seconds["track"] / run.frames}


def evaluate_sequences(
    seqs: dict[str, tuple[Path, list | None]], work: Path, osnet: bool, frames: int | None
) -> dict[str, dict[str, dict[str, float]]]:
    """HOTA/IDF1/... per (sequence, appearance, mode)."""
    from tracker.device import set_torch_threads
    from tracker.reid import build_embedder

    set_torch_threads(1)
    embedders: dict[str, object] = {"motion": None}
    if osnet:
        embedders["osnet"] = build_embedder("osnet", device="cpu")
    table: dict[str, dict[str, dict[str, float]]] = {}
    for name, (seq, affines) in seqs.items():
        for label, embedder in embedders.items():
            for mode in MODES:
                if mode == "oracle" and affines is None:
                    continue
                results = work / "results" / f"{label}-{mode}"
                results.mkdir(parents=True, exist_ok=True)
                start = time.perf_counter()
                timing = track(seq, mode, embedder, results / f"{seq.name}.txt", affines, frames)
                metrics = score(seq.parent, results, [seq.name], "MOT15")[seq.name]
                key = f"{label}/{mode}"
                table.setdefault(name, {})[key] = {
                    **{k: float(metrics[k]) for k in ("HOTA", "IDF1", "MOTA", "IDSW")},
                    **timing,
                    "seconds": time.perf_counter() - start,
                }
                row = table[name][key]
                print(f"{name:10s} {key:14s} HOTA {row['HOTA']:.3f} IDF1 {row['IDF1']:.3f} "
                      f"IDSW {row['IDSW']:.0f} track {row['track_ms']:.2f} ms/frame",
                      flush=True)  # fmt: skip
    return table


def estimator_cost(frames: int, repeats: int) -> dict[str, float]:
    """ms per frame of ``FlowCameraMotion.estimate`` on decoded PETS09 frames (1 thread),
    with the frame's detections masked, next to a baseline of reading the frame into grey
    (cv2.cvtColor) measured in the same loop, so the ratio survives a busy machine."""
    from tracker.detect.public import detections_by_frame

    cv2.setNumThreads(1)
    paths = sorted((PETS09 / "img1").glob("*.jpg"))[:frames]
    images = [cv2.imread(str(p)) for p in paths]
    dets = detections_by_frame(PETS09 / "det" / DETS)
    empty = np.zeros((0, 4), np.float32)
    boxes = [dets[t + 1].boxes if t + 1 in dets else empty for t in range(len(images))]
    runs, grey = [], []
    for _ in range(repeats):
        estimator = FlowCameraMotion()
        start = time.perf_counter()
        for image, box in zip(images, boxes, strict=True):
            estimator.estimate(image, box)
        runs.append(1000 * (time.perf_counter() - start) / len(images))
        start = time.perf_counter()
        for image in images:
            cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        grey.append(1000 * (time.perf_counter() - start) / len(images))
    return {
        "frames": len(images),
        "repeats": repeats,
        "ms_per_frame_min": min(runs),
        "ms_per_frame_median": float(np.median(runs)),
        "grey_conversion_ms_median": float(np.median(grey)),
        "frame": f"{images[0].shape[1]}x{images[0].shape[0]}",
    }


def _iou_same_ids(prev: NDArray[np.float64], cur: NDArray[np.float64]) -> NDArray[np.float64]:
    """IoU of each box of ``prev`` with the box of ``cur`` in the same row (same id)."""
    return np.diag(iou_matrix(prev, cur))


def warp_boxes(boxes: NDArray[np.float64], affine: NDArray[np.float64]) -> NDArray[np.float64]:
    """xyxy boxes moved as the tracker moves its states: centre by the affine, size by its
    zoom (sqrt |det|)."""
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2 @ affine[:, :2].T + affine[:, 2]
    half = (boxes[:, 2:] - boxes[:, :2]) / 2 * math.sqrt(abs(np.linalg.det(affine[:, :2])))
    return np.hstack([centre - half, centre + half])


def mot17_mini_overlap(seq: Path) -> dict[str, float]:
    """Mean IoU of each person's gt box at t-1 (moved by the estimated camera motion, or
    not) with its box at t, over the consecutive frames of a MOT17-mini sequence."""
    gt = np.loadtxt(seq / "gt" / "gt.txt", delimiter=",", ndmin=2)
    gt = gt[(gt[:, 6] == 1) & (gt[:, 7] == 1)]  # pedestrians to evaluate
    dets = np.loadtxt(seq / "det" / "det.txt", delimiter=",", ndmin=2)
    frames = sorted(int(p.stem) for p in (seq / "img1").glob("*.jpg"))
    estimator = FlowCameraMotion()
    before, after, shifts = [], [], []
    for t in frames:
        image = cv2.imread(str(seq / "img1" / f"{t:06d}.jpg"))
        d = dets[dets[:, 0] == t, 2:6].copy()
        d[:, 2:] += d[:, :2]
        motion = estimator.estimate(image, d)
        if t - 1 not in frames:
            continue
        shifts.append(float(np.hypot(*motion[:, 2])))
        prev, cur = gt[gt[:, 0] == t - 1], gt[gt[:, 0] == t]
        ids = np.intersect1d(prev[:, 1], cur[:, 1])
        p = prev[np.argsort(prev[:, 1])][np.searchsorted(np.sort(prev[:, 1]), ids)]
        c = cur[np.argsort(cur[:, 1])][np.searchsorted(np.sort(cur[:, 1]), ids)]
        pb, cb = p[:, 2:6].copy(), c[:, 2:6].copy()
        pb[:, 2:] += pb[:, :2]
        cb[:, 2:] += cb[:, :2]
        before.append(_iou_same_ids(pb, cb))
        after.append(_iou_same_ids(warp_boxes(pb, motion), cb))
    b, a = np.concatenate(before), np.concatenate(after)
    return {
        "pairs": len(shifts),
        "boxes": len(b),
        "iou_unmoved": float(b.mean()),
        "iou_moved": float(a.mean()),
        "mean_shift_px": float(np.mean(shifts)),
    }


def _markdown(report: dict, command: str) -> str:
    lines = [
        "# Camera-motion compensation from the frames (`--camera-motion flow`)",
        "",
        f"Command: `{command}`. Tracker defaults, public detections `{DETS}`, TrackEval "
        "(HOTA / IDF1 / MOTA / IDSW). `oracle` feeds the true camera motion of the synthetic "
        "sequences (the bound for any estimator). `track ms` is the tracking step per frame "
        "(camera-motion estimate included, embedding not).",
        "",
        "Synthetic sequences: a window panning sinusoidally (and zooming slowly) over each "
        f"PETS09-S2L1 frame, resized to {OUT_SIZE[0]}x{OUT_SIZE[1]}; gt and detections mapped "
        "the same way. Largest camera displacement per frame (output px): "
        + ", ".join(f"{k} {v:.1f}" for k, v in report["pan_speed_px"].items())
        + ".",
        "",
    ]
    rows = []
    for seq, runs in report["tracking"].items():
        for key, m in runs.items():
            rows.append([seq, key, m["HOTA"], m["IDF1"], m["MOTA"], int(m["IDSW"]),
                         m["track_ms"]])  # fmt: skip
    lines.append(markdown_table(["sequence", "appearance/mode", "HOTA", "IDF1", "MOTA", "IDSW",
                                 "track ms"], rows))  # fmt: skip
    cost = report["estimator_cost"]
    lines += [
        "",
        f"## Cost of the estimator ({cost['frame']} frames, OpenCV 1 thread)",
        "",
        f"{cost['ms_per_frame_median']:.2f} ms/frame median over {cost['repeats']} passes of "
        f"{cost['frames']} decoded frames (min {cost['ms_per_frame_min']:.2f}); converting a "
        f"frame to grey alone, in the same loop: {cost['grey_conversion_ms_median']:.2f} ms.",
        "",
        "## Real moving cameras: MOT17-mini",
        "",
        "Mean IoU of each pedestrian's gt box at frame t-1 with its box at t, unmoved and moved "
        "by the estimated camera motion (`tests/test_camera_motion.py` keeps floors on these).",
        "",
    ]
    rows = [
        [seq, "moving" if seq in MOVING else "static", m["pairs"], m["boxes"], m["iou_unmoved"],
         m["iou_moved"], m["mean_shift_px"]]
        for seq, m in report["mot17_mini"].items()
    ]  # fmt: skip
    lines.append(markdown_table(["sequence", "camera", "frame pairs", "boxes", "IoU unmoved",
                                 "IoU moved", "mean shift px"], rows))  # fmt: skip
    env = report["environment"]
    lines += ["", f"Environment: {', '.join(f'{k} {v}' for k, v in env.items())}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--work",
        type=Path,
        default=Path("out/camera_motion"),
        help="where the synthetic sequences and results go (out/camera_motion)",
    )
    parser.add_argument("--pans", nargs="+", choices=sorted(PANS), default=["fast", "slow"])
    parser.add_argument("--frames", type=int, help="first N frames only (smoke test)")
    parser.add_argument("--no-osnet", action="store_true", help="motion-only runs only")
    parser.add_argument("--cost-repeats", type=int, default=3)
    parser.add_argument("--stem", default="camera_motion", help="results file name")
    args = parser.parse_args(argv)
    command = "python -m benchmarks.camera_motion " + " ".join(argv or sys.argv[1:])
    root = args.work / "MOT15" / "train"  # "MOT15" in the path: TrackEval's MOT15 settings
    seqs: dict[str, tuple[Path, list | None]] = {}
    speeds = {}
    for name in args.pans:
        seq, affines = make_synthetic(PANS[name], root, args.frames)
        seqs[f"pan-{name}"] = (seq, affines)
        speeds[name] = PANS[name].speed(768, 576, len(affines))
    seqs["static"] = (PETS09, None)
    report: dict[str, object] = {
        "command": command,
        "pan_speed_px": speeds,
        "tracking": evaluate_sequences(seqs, args.work, not args.no_osnet, args.frames),
        "estimator_cost": estimator_cost(args.frames or 795, args.cost_repeats),
        "mot17_mini": {s: mot17_mini_overlap(MOT17_MINI / s) for s in MOVING + STATIC},
        "environment": environment(),
    }
    print(_markdown(report, command))
    if args.frames is None:
        save(args.stem, report, _markdown(report, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A moving camera without frames: MOT15 dev, motion only, with the whole scene panning.

Three of the five held-out MOT15 sequences are filmed from a moving camera at 10-14 fps
(issue 11), but among the development sequences only ETH-Sunnyday moves, and none of them
has frames, so camera motion cannot be compensated from the pixels there. This benchmark
asks how each tracker degrades when the camera moves and nobody compensates: every box of
``det/det_frcnn.txt`` and of the ground truth of the six MOT15 development sequences is
shifted by the same sinusoidal camera path (x and y, incommensurate periods, in seconds so
that a 7 fps and a 30 fps sequence pan alike), and the trackers run motion-only on the
shifted boxes, each at its best score filter.

The pans are pure translations, the easiest kind of camera motion: they measure how fast a
tracker's motion model and gates follow a common acceleration of every person. A camera
that moves forward or zooms also scales people and moves them away from a centre, each by
its own amount; the ``zoom`` path scales every box about the image centre by up to 15 %
(period 4 s), which a translation-only camera model cannot follow. For a static camera the
ranking is the MOT15 table of ``benchmarks.mot15_motion``.

    PYTHONPATH=. python -m benchmarks.camera_pan_dets [--trackers ...] [--filters 0 0.8]
"""

from __future__ import annotations

import argparse
import math
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from benchmarks import harness
from benchmarks.peers import available
from benchmarks.suites import MOT15_DEV
from tracker.io.mot import read_seqinfo

TRACKERS = (
    "ours-motion",
    "roboflow-bytetrack",
    "roboflow-sort",
    "boxmot-bytetrack",
    "boxmot-ocsort",
    "ultralytics-bytetrack",
)
DETS = "det_frcnn.txt"


@dataclass(frozen=True)
class CameraPan:
    """A camera path: the scene shifts by ``x(t) = a W sin(2 pi t / T)``,
    ``y(t) = 0.3 a H sin(2 pi t / (0.7 T))`` and is scaled about the image centre by
    ``1 + z sin(2 pi t / T)``, t in seconds."""

    name: str
    amplitude: float  # of the image width (x) and, times 0.3, of its height (y)
    period: float  # seconds (x); y's is 0.7 of it, so the path never repeats exactly
    zoom: float = 0.0  # the scale's amplitude (0.15: from 0.85 to 1.15 of the static size)

    def scale(self, seconds: NDArray[np.float64]) -> NDArray[np.float64]:
        """``(N,)`` zoom factor at each time."""
        return 1.0 + self.zoom * np.sin(2 * math.pi * seconds / self.period)

    def shift(self, seconds: NDArray[np.float64], width: int, height: int) -> NDArray[np.float64]:
        """``(N, 2)`` camera shift in pixels at each time."""
        x = self.amplitude * width * np.sin(2 * math.pi * seconds / self.period)
        y = 0.3 * self.amplitude * height * np.sin(2 * math.pi * seconds / (0.7 * self.period))
        return np.stack([x, y], axis=1)

    def peak_speed(self) -> float:
        """Largest horizontal camera speed, image widths per second."""
        return 2 * math.pi * self.amplitude / self.period


PANS = (
    CameraPan("static", 0.0, 1.0),
    CameraPan("slow", 0.2, 8.0),
    CameraPan("fast", 0.2, 4.0),
    CameraPan("zoom", 0.0, 4.0, zoom=0.15),
)


def shift_rows(rows: NDArray[np.float64], pan: CameraPan, fps: float, size: tuple[int, int]):
    """MOT rows (frame, id, left, top, w, h, ...) moved with the camera at ``fps``: scaled
    about the image centre (``size`` is width, height), then shifted."""
    out = np.array(rows, dtype=np.float64, copy=True)
    seconds = out[:, 0] / fps
    if pan.zoom:
        scale = pan.scale(seconds)[:, None]
        centre = np.array(size, dtype=np.float64) / 2
        out[:, 2:4] = centre + scale * (out[:, 2:4] - centre)
        out[:, 4:6] *= scale
    out[:, 2:4] += pan.shift(seconds, *size)
    return out


def make_panned(pan: CameraPan, root: Path, sequences: tuple[str, ...] = MOT15_DEV) -> Path:
    """Write ``root/<seq>/{seqinfo.ini, gt/gt.txt, det/DETS}`` moved by ``pan``; returns root."""
    source = harness.DATA / "MOT15" / "train"
    for seq in sequences:
        info = read_seqinfo(source / seq)
        target = root / seq
        (target / "gt").mkdir(parents=True, exist_ok=True)
        (target / "det").mkdir(exist_ok=True)
        shutil.copy(source / seq / "seqinfo.ini", target / "seqinfo.ini")
        for rel in ("gt/gt.txt", f"det/{DETS}"):
            rows = np.loadtxt(source / seq / rel, delimiter=",", ndmin=2)
            moved = shift_rows(rows, pan, info.frame_rate, (info.width, info.height))
            np.savetxt(target / rel, moved, delimiter=",", fmt="%.17g")
    return root


def run_pan(pan: CameraPan, trackers: list[str], filters: list[float]) -> harness.Sweep:
    with tempfile.TemporaryDirectory(prefix=f"pan-{pan.name}-") as tmp:
        root = make_panned(pan, Path(tmp))
        inputs = [harness.load_sequence(root / s / "det" / DETS, root / s) for s in MOT15_DEV]
        return harness.sweep(trackers, inputs, root, "MOT15", filters)


def summary(runs: dict[str, harness.Sweep]) -> dict[str, dict[str, dict[str, object]]]:
    """pan -> tracker -> its best filter (combined HOTA) and the scores there."""
    out: dict[str, dict[str, dict[str, object]]] = {}
    for pan, sweep in runs.items():
        for name, by_filter in sweep.items():
            best = harness.best_filter(by_filter)
            metrics = by_filter[best].metrics
            out.setdefault(pan, {})[name] = {
                "filter": best,
                "scores": {
                    seq: {k: metrics[seq][k] for k in ("HOTA", "IDF1", "MOTA", "IDSW")}
                    for seq in ("COMBINED", *MOT15_DEV)
                },
            }
    return out


def markdown(table: dict, command: str, env: dict[str, str]) -> str:
    lines = [
        "# A moving camera without frames (MOT15 dev, motion only, synthetic pan and zoom)",
        "",
        f"Command: `{command}`. " + (__doc__ or "").split("\n\n")[1].replace("\n", " "),
        "",
        "Camera paths: "
        + "; ".join(
            f"{p.name}: amplitude {p.amplitude:g} of the width, period {p.period:g} s, peak "
            f"{p.peak_speed():.2f} widths/s" + (f", zoom +/- {p.zoom:g}" if p.zoom else "")
            for p in PANS
        )
        + ". Each tracker at its best score filter by combined HOTA.",
        "",
        "## Combined HOTA / IDF1",
        "",
    ]
    trackers = list(next(iter(table.values())))
    header = ("tracker", *(f"{p} HOTA / IDF1 (filter)" for p in table), "fast / static HOTA")
    rows = []
    for name in trackers:
        cells = []
        for pan in table:
            entry = table[pan][name]
            c = entry["scores"]["COMBINED"]
            cells.append(f"{c['HOTA']:.2f} / {c['IDF1']:.2f} ({entry['filter']})")
        combined = {p: table[p][name]["scores"]["COMBINED"]["HOTA"] for p in table}
        rows.append((name, *cells, f"{combined['fast'] / combined['static']:.3f}"))
    lines += [harness.markdown_table(header, rows), ""]
    for pan in table:
        lines += [f"## Per sequence, {pan} (HOTA / IDF1)", ""]
        rows = [
            (name, *(f"{table[pan][name]['scores'][s]['HOTA']:.2f} / "
                     f"{table[pan][name]['scores'][s]['IDF1']:.2f}" for s in MOT15_DEV))
            for name in trackers
        ]  # fmt: skip
        lines += [harness.markdown_table(("tracker", *MOT15_DEV), rows), ""]
    lines.append(harness.environment_markdown(env))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--trackers", nargs="+", default=list(TRACKERS))
    parser.add_argument(
        "--filters", nargs="+", type=float, default=[0.0, 0.8],
        help="min-score filters each tracker runs at (the best is reported); default 0 0.8",
    )  # fmt: skip
    parser.add_argument("--tag", default="", help="suffix of the result files' names")
    args = parser.parse_args(argv)
    names, missing = available(args.trackers)
    if missing:
        print(f"not installed, skipped: {', '.join(missing)}", file=sys.stderr)
    runs = {pan.name: run_pan(pan, names, args.filters) for pan in PANS}
    table = summary(runs)
    command = ("python -m benchmarks.camera_pan_dets " + shlex.join(argv or sys.argv[1:])).strip()
    env = harness.environment()
    payload = {
        "command": command,
        "environment": env,
        "pans": [vars(p) for p in PANS],
        "skipped_not_installed": missing,
        "best": table,
        "runs": {pan: harness.sweep_json(sweep) for pan, sweep in runs.items()},
    }
    stem = "camera_pan_dets" + (f"_{args.tag}" if args.tag else "")
    json_path, md_path = harness.save(stem, payload, markdown(table, command, env))
    print(f"wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

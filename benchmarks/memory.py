"""Peak resident memory of one tracker over one sequence, each tracker in its own process.

Peak RSS of a process never goes down, so trackers cannot share one: the parent starts
``python -m benchmarks.memory --tracker NAME ...`` per tracker and reads the JSON line the
child prints: its RSS after imports and loading the inputs (before tracking) and its peak
RSS (``VmHWM``) after tracking every frame. The difference is what tracking added.

``VmHWM`` rather than ``getrusage().ru_maxrss``: Linux carries the forked parent's high-water
mark into ``ru_maxrss`` across ``exec``, so a child started from a big process (the bench
itself, with torch loaded) would report the parent's peak.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _status_mb(field: str) -> float | None:
    """A ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in MiB, None without /proc."""
    status = Path("/proc/self/status")
    if not status.is_file():
        return None
    for line in status.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024.0
    return None


def _rss_mb() -> float:
    return _status_mb("VmRSS") or 0.0


def _peak_mb() -> float:
    """Peak RSS of this process; ``ru_maxrss`` (KiB on Linux) only where /proc is missing."""
    peak = _status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(tracker: str, dets: Path, seq_dir: Path) -> dict[str, float]:
    from benchmarks import harness
    from benchmarks.peers import build

    seq = harness.load_sequence(dets, seq_dir)
    built = build(tracker, seq.info)
    before = _rss_mb()
    harness.run_sequence(built, seq)
    return {"rss_before_mb": before, "peak_rss_mb": _peak_mb(), "frames": len(seq.frames)}


def measure(tracker: str, dets: Path, seq_dir: Path, timeout: float = 900.0) -> dict[str, float]:
    """Run ``child`` in a fresh interpreter and return what it reports."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    )
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", "--tracker", tracker,
         "--dets", str(dets), "--seq-dir", str(seq_dir)],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"memory run of {tracker} failed: {done.stderr.strip()[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracker", required=True)
    parser.add_argument("--dets", type=Path, required=True, help="MOT det.txt or deep_sort .npy")
    parser.add_argument("--seq-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    print(json.dumps(child(args.tracker, args.dets, args.seq_dir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

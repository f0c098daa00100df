"""Peak resident memory of the default models per runtime: a fresh process builds YOLOv5n +
OSNet x0.25 (``tracker.service.models.build_pipeline``, what ``tracker serve`` loads) and
tracks the first PETS09-S2L1 frames; its peak RSS (VmHWM) is read at the end. Exports come
from a warm cache (a first, unmeasured process fills it).

    PYTHONPATH=. python -m benchmarks.model_memory --runtimes torch auto
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness import PETS09, environment, save

REPO = Path(__file__).resolve().parents[1]

CHILD = """
import sys
from pathlib import Path
import cv2
from tracker.service.models import build_pipeline
from tracker.service.settings import ServerSettings
pipeline = build_pipeline(ServerSettings(device="cpu", runtime=sys.argv[1], torch_threads=1,
                                         detector="yolov5", embedder="osnet"))
stream = pipeline.new_stream()
for path in sorted(Path(sys.argv[2]).glob("*.jpg"))[: int(sys.argv[3])]:
    pipeline.process([(stream, cv2.imread(str(path)))])
for line in Path("/proc/self/status").read_text().splitlines():
    if line.startswith(("VmHWM", "VmRSS")):
        print(line)
"""


def measure(runtime: str, frames: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, runtime, str(PETS09 / "img1"), str(frames)],
        check=True, capture_output=True, text=True, cwd=REPO,
    ).stdout  # fmt: skip
    values = dict(line.split(":") for line in out.splitlines() if line.startswith("Vm"))
    return {k: round(int(v.split()[0]) / 1024, 1) for k, v in values.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtimes", nargs="+", default=["torch", "auto"])
    parser.add_argument("--frames", type=int, default=20)
    args = parser.parse_args()
    for runtime in args.runtimes:
        measure(runtime, 1)  # fills the export cache
    rows = [{"runtime": r, **measure(r, args.frames)} for r in args.runtimes]
    report = {
        "what": __doc__.split("\n\n")[0],
        "command": "PYTHONPATH=. python -m benchmarks.model_memory " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rows": rows,
    }
    lines = [
        "# Peak memory of the default models per runtime",
        "",
        report["what"],
        "",
        f"Command: `{report['command']}` ({report['date']}).",
        "",
        "| runtime | peak RSS MiB (VmHWM) | RSS at the end MiB |",
        "|---|---|---|",
    ]
    lines += [f"| {r['runtime']} | {r['VmHWM']} | {r['VmRSS']} |" for r in rows]
    report["environment"] = environment()
    save("model_memory", report, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""JPEG decoding of PETS09-S2L1 frames (768x576): OpenCV vs libjpeg-turbo's scaled decoding
(simplejpeg, DCT scaling M/8) at the scales a 640 / 512 / 416 detector input would allow.

Interleaved rounds over the same 100 frames; ms per frame, median of rounds. Also checks that
simplejpeg's full-size output equals OpenCV's pixel for pixel.

    PYTHONPATH=. python -m benchmarks.jpeg_decode --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import cv2
import numpy as np

from benchmarks.harness import PETS09, environment, save


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--frames", type=int, default=100)
    args = parser.parse_args()
    import simplejpeg

    cv2.setNumThreads(1)
    data = [p.read_bytes() for p in sorted((PETS09 / "img1").glob("*.jpg"))[: args.frames]]

    def scaled(width: int, height: int) -> Callable[[bytes], np.ndarray]:
        return lambda b: simplejpeg.decode_jpeg(
            b, colorspace="BGR", min_width=width, min_height=height
        )

    decoders: dict[str, Callable[[bytes], np.ndarray]] = {
        "opencv imdecode (full)": lambda b: cv2.imdecode(np.frombuffer(b, np.uint8), 1),
        "simplejpeg full": lambda b: simplejpeg.decode_jpeg(b, colorspace="BGR"),
        "simplejpeg >= 640x480 (7/8: 672x504)": scaled(640, 480),
        "simplejpeg >= 512x384 (6/8: 576x432)": scaled(512, 384),
        "simplejpeg >= 416x312 (5/8: 480x360)": scaled(416, 312),
        "simplejpeg >= 384x288 (4/8: 384x288)": scaled(384, 288),
    }
    samples: dict[str, list[float]] = {name: [] for name in decoders}
    for _ in range(args.rounds):
        for name, decode in decoders.items():
            start = time.perf_counter()
            for item in data:
                decode(item)
            samples[name].append(1000 * (time.perf_counter() - start) / len(data))
    same = all(
        np.array_equal(cv2.imdecode(np.frombuffer(b, np.uint8), 1), decoders["simplejpeg full"](b))
        for b in data[:10]
    )
    rows = [
        {
            "decoder": name,
            "shape": list(decoders[name](data[0]).shape),
            "median_ms": round(statistics.median(v), 2),
            "min_ms": round(min(v), 2),
        }
        for name, v in samples.items()
    ]
    report = {
        "what": __doc__.split("\n\n")[0],
        "command": "PYTHONPATH=. python -m benchmarks.jpeg_decode " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "simplejpeg": simplejpeg.__version__,
        "opencv": cv2.__version__,
        "simplejpeg_full_equals_opencv": same,
        "rows": rows,
    }
    lines = [
        "# JPEG decoding: OpenCV vs scaled libjpeg-turbo",
        "",
        report["what"],
        "",
        f"Command: `{report['command']}` ({report['date']}; simplejpeg {simplejpeg.__version__}, "
        f"OpenCV {cv2.__version__}). simplejpeg full size == OpenCV pixel for pixel: {same}.",
        "",
        "| decoder | output shape | median ms/frame | min ms/frame |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['decoder']} | {'x'.join(map(str, r['shape']))} | {r['median_ms']} | {r['min_ms']} |"
        for r in rows
    ]
    report["environment"] = environment()
    save("jpeg_decode", report, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

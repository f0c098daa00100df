"""Paths to the shared development data/weights, and a torch thread limit for model tests.

The test machine is shared: with several processes busy, torch's intra-op threads spin against
each other and a 2-thread forward pass runs 3-6x slower than a 1-thread one, so model tests
pin torch to one thread (restored afterwards).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
WEIGHTS = SHARED / "weights"
DATA = SHARED / "data"
PETS = DATA / "MOT15" / "train" / "PETS09-S2L1"


def write_short_pets(folder: Path, frames: int) -> Path:
    """The first ``frames`` PETS09 frames as a MOT sequence ``folder/PETS09-short`` with its
    YOLOv5n det file as ``det/det.txt``."""
    import shutil

    seq = folder / "PETS09-short"
    (seq / "img1").mkdir(parents=True)
    (seq / "det").mkdir()
    for i in range(1, frames + 1):
        shutil.copy(PETS / "img1" / f"{i:06d}.jpg", seq / "img1" / f"{i:06d}.jpg")
    info = (PETS / "seqinfo.ini").read_text().replace("seqLength=795", f"seqLength={frames}")
    (seq / "seqinfo.ini").write_text(info.replace("name=PETS09-S2L1", "name=PETS09-short"))
    rows = [r for r in (PETS / "det" / "det_yolov5n.txt").read_text().splitlines()
            if int(r.split(",")[0]) <= frames]  # fmt: skip
    (seq / "det" / "det.txt").write_text("\n".join(rows) + "\n")
    return seq


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

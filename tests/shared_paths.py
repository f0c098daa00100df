"""Where the shared development data and weights live, relative to the repository."""

from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
WEIGHTS = SHARED / "weights"
DATA = SHARED / "data"
PETS = DATA / "MOT15" / "train" / "PETS09-S2L1"

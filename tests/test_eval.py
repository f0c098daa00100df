"""The evaluation reproduces the official reference numbers and agrees with motmetrics."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tracker.core import DeepSortConfig
from tracker.errors import TrackerError
from tracker.eval import evaluate
from tracker.offline import track_sequence

_REFERENCE_COLUMNS = ("HOTA", "DetA", "AssA", "MOTA", "MOTP", "IDF1", "FP", "FN", "IDSW", "Frag")


def _reference_table(markdown: str) -> dict[str, dict[str, float]]:
    """Rows of the per-sequence table in REFERENCE_METRICS.md, keyed by sequence."""
    section = markdown.split("## Per sequence", 1)[1]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 12 and re.match(r"MOT17-|COMBINED", cells[0]):
            rows[cells[0]] = dict(zip(_REFERENCE_COLUMNS, map(float, cells[1:11]), strict=True))
    return rows


def test_reproduces_the_mot17_reference_metrics_to_the_last_digit(shared_data: Path) -> None:
    mot17 = shared_data / "MOT17"
    reference = _reference_table((mot17 / "REFERENCE_METRICS.md").read_text())
    assert len(reference) == 22
    result = evaluate(
        mot17 / "train", mot17 / "trackers/MPNTrack/data", with_motmetrics=False, parallel=2
    )
    ours = {**result.sequences, "COMBINED": result.combined}
    for seq, expected in reference.items():
        for column, value in expected.items():
            assert round(ours[seq][column], 3) == value, (seq, column)


@pytest.fixture(scope="module")
def our_mot15_results(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    out = tmp_path_factory.mktemp("mot15")
    for seq in ("PETS09-S2L1", "TUD-Stadtmitte", "KITTI-17"):
        seq_dir = shared_data / "MOT15/train" / seq
        track_sequence(seq_dir, seq_dir / "det/det_frcnn.txt", out / f"{seq}.txt",
                       DeepSortConfig(), motion_only=True, progress=False)  # fmt: skip
    return out


def test_motmetrics_agrees_with_trackeval_on_our_results(
    shared_data: Path, our_mot15_results: Path
) -> None:
    result = evaluate(shared_data / "MOT15/train", our_mot15_results)
    assert result.benchmark == "MOT15"
    for seq, metrics in [*result.sequences.items(), ("COMBINED", result.combined)]:
        cross = result.motmetrics_combined if seq == "COMBINED" else result.motmetrics[seq]
        assert cross["MOTA"] == pytest.approx(metrics["MOTA"], abs=0.05), seq
        assert cross["IDF1"] == pytest.approx(metrics["IDF1"], abs=0.05), seq
        # The two count a switch differently in rare edge cases (e.g. after a gap).
        assert abs(cross["IDSW"] - metrics["IDSW"]) <= 2, seq
        assert cross["FP"] == metrics["FP"] and cross["FN"] == metrics["FN"], seq


def test_a_result_for_an_unknown_sequence_is_named(shared_data: Path, tmp_path: Path) -> None:
    (tmp_path / "MOT17-99-XYZ.txt").write_text("1,1,1,1,5,5,1,-1,-1,-1\n")
    with pytest.raises(TrackerError, match=r"MOT17-99-XYZ.txt: the ground truth has no sequence"):
        evaluate(shared_data / "MOT17/train", tmp_path)


def test_result_rows_beyond_the_sequence_or_with_duplicate_ids_are_named(
    shared_data: Path, tmp_path: Path
) -> None:
    result = tmp_path / "TUD-Campus.txt"
    result.write_text("1,1,1,1,5,5,1,-1,-1,-1\n999,1,1,1,5,5,1,-1,-1,-1\n")
    with pytest.raises(TrackerError, match=r"data row 2 has frame 999, but TUD-Campus has 71"):
        evaluate(shared_data / "MOT15/train", tmp_path)
    result.write_text("1,1,1,1,5,5,1,-1,-1,-1\n1,1,9,9,5,5,1,-1,-1,-1\n")
    with pytest.raises(TrackerError, match=r"track id 1 appears more than once in frame 1"):
        evaluate(shared_data / "MOT15/train", tmp_path)


def test_missing_result_file_for_a_requested_sequence(shared_data: Path, tmp_path: Path) -> None:
    shutil.copy(shared_data / "MOT15/train/TUD-Campus/gt/gt.txt", tmp_path / "TUD-Campus.txt")
    with pytest.raises(TrackerError, match=r"no result file for \['KITTI-17'\]"):
        evaluate(shared_data / "MOT15/train", tmp_path, seqs=["TUD-Campus", "KITTI-17"])
    perfect = evaluate(shared_data / "MOT15/train", tmp_path, seqs=["TUD-Campus"])
    assert perfect.combined["HOTA"] == pytest.approx(100.0)

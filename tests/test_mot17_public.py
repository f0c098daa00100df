"""The held-out MOT17 public-detection benchmark (``benchmarks.mot17_public``): its inputs are
whole sequences, and its report shows ours at the default next to its best filter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import harness, mot17_public, motion_report
from benchmarks.tuning import loso
from tracker.io.mot import read_seqinfo


def test_the_held_out_sequences_are_whole_and_outside_the_tuning_units() -> None:
    gt_dir, inputs = mot17_public.load_inputs()
    tuned = {unit.seq for unit in loso.units()}
    for seq in inputs:
        assert seq.name not in tuned
        assert not any(seq.name[:8] in name for name in tuned)  # not MOT17-09's footage
        # every frame of the sequence, not MOT17-mini's sample of images
        assert len(seq.frames) == read_seqinfo(gt_dir / seq.name).length
        det_file = harness.DATA / "MOT17-mini" / "train" / seq.name / "det" / "det.txt"
        rows = len(det_file.read_text(encoding="utf-8").split())
        assert seq.detections == rows
        assert (gt_dir / seq.name / "gt" / "gt.txt").is_file()


@pytest.mark.timeout(120)
def test_the_report_shows_ours_at_its_default_beside_its_best_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(harness, "RESULTS", tmp_path)
    status = motion_report.run(
        module="mot17_public",
        title="one held-out sequence",
        intro="A test.",
        benchmark="MOT17",
        load=lambda: mot17_public.load_inputs(("MOT17-05-FRCNN",)),
        trackers=["ours-motion"],
        argv=["--score-filters", "0", "0.99", "--tag", "test"],
    )
    assert status == 0
    payload = json.loads((tmp_path / "mot17_public_test.json").read_text(encoding="utf-8"))
    runs = payload["runs"]["ours-motion"]
    assert set(runs) == {"0", "0.99"}
    # Keeping only the surest boxes loses most people: the default is the best filter.
    assert payload["best_filter_by_combined_hota"]["ours-motion"] == "0"
    hota = runs["0"]["metrics"]["MOT17-05-FRCNN"]["HOTA"]
    assert 30.0 < hota < 70.0
    markdown = (tmp_path / "mot17_public_test.md").read_text(encoding="utf-8")
    assert markdown.startswith("# one held-out sequence")
    assert f"| ours-motion (0) | {hota:.3f} /" in markdown

"""The LOSO protocol's grid handling (benchmarks/tuning/loso.py), and its replay of the
pipeline's embedding skip (120 frames of one sequence)."""

from __future__ import annotations

import pytest

from benchmarks.tuning import loso


def test_fix_holds_a_grid_parameter_at_one_of_its_values() -> None:
    grid = loso.fixed_grid(loso.GRID, ["max_age=2.0", "score_fusion=relative"])
    assert grid["max_age"] == [2.0]
    assert grid["score_fusion"] == ["relative"]
    assert grid["report_misses"] == loso.GRID["report_misses"]
    shrink = len(loso.GRID["max_age"]) * len(loso.GRID["score_fusion"])
    assert len(loso.configs(grid)) * shrink == len(loso.configs(loso.GRID))
    assert loso.fixed_grid(loso.GRID, ["time_base=seqinfo"])["time_base"] == ["seqinfo"]


def test_fix_may_list_values_among_the_grid_and_switch_values() -> None:
    grid = loso.fixed_grid(loso.GRID, ['time_base=["seqinfo", "30fps"]'])
    assert grid["time_base"] == ["seqinfo", "30fps"]  # 30fps is a switch value, not a grid one
    assert loso.GRID["time_base"] == ["seqinfo"]  # a copy: the module's grid is untouched


def test_fix_may_choose_any_defined_appearance_fusion() -> None:
    grid = loso.fixed_grid(loso.GRID, ['appearance_mode=["weighted-1.0", "weighted-0.5"]'])
    assert grid["appearance_mode"] == ["weighted-1.0", "weighted-0.5"]
    with pytest.raises(SystemExit, match="--fix"):
        loso.fixed_grid(loso.GRID, ["appearance_mode=weighted-0.3"])


@pytest.mark.parametrize("fix", ["nope=1", "max_age=3.0", "time_base", "max_age=[2.0,3.0]"])
def test_fix_rejects_unknown_names_and_values(fix: str) -> None:
    with pytest.raises(SystemExit, match="--fix"):
        loso.fixed_grid(loso.GRID, [fix])


def test_a_switch_prefers_its_first_listed_value_among_ties() -> None:
    """Round 6's score fusions differed by 0.00005 of left-out objective: noise must not
    flip a default, so values within SWITCH_TIE of the best go to the first listed; a
    real difference still wins."""
    tie = loso.SWITCH_TIE / 2
    by_value = {
        "none": {"mean_objective": 61.40},
        "score": {"mean_objective": 61.75},
        "relative": {"mean_objective": 61.75 + tie},
    }
    assert loso.preferred_value(by_value) == "score"
    by_value["relative"]["mean_objective"] = 61.75 + 2 * loso.SWITCH_TIE
    assert loso.preferred_value(by_value) == "relative"


def test_scores_may_set_the_new_track_threshold_apart() -> None:
    two, _ = loso.tracker_config({"scores": "0.5/0.6"})
    three, _ = loso.tracker_config({"scores": "0.5/0.6/0.7", "score_fusion": "relative"})
    assert (two.min_score, two.high_score, two.new_track_min_score) == (0.5, 0.6, 0.6)
    assert (three.min_score, three.high_score, three.new_track_min_score) == (0.5, 0.6, 0.7)
    assert three.score_fusion == "relative"


def test_replaying_the_embedding_skip_without_a_skip_changes_nothing(shared_data) -> None:
    """``--replay-skip`` zeroes the rows ``detections_needing_appearance`` leaves out; with
    the skip off it asks for every confident detection, and the tracker ignores the
    features of the others, so the result is ``track_detections``'s."""
    from dataclasses import replace

    import numpy as np

    from benchmarks.appearance_skip import replay_skip
    from tracker.core import DeepSortConfig
    from tracker.io.mot import read_detections, read_seqinfo
    from tracker.offline import track_detections

    seq = shared_data / "MOT17/train/MOT17-09-SDP"
    dets = read_detections(shared_data / "MOT17/deep_sort_npy/MOT17-09-SDP.npy")
    info = read_seqinfo(seq)
    config = replace(DeepSortConfig(), appearance_skip_iou=None)
    replayed = replay_skip(dets, 120, config, info.frame_rate).columns
    plain, _ = track_detections(dets, 120, config, True, frame_rate=info.frame_rate)
    for key, column in plain.items():
        np.testing.assert_array_equal(replayed[key], column)
    assert len(plain["ids"]) > 100


def test_without_coasting_output_its_filters_are_not_run_twice() -> None:
    """At ``report_misses`` 0 nothing coasting is reported, so neither which missed tracks
    (``coast_report``) nor whose predictions are trusted (``coast_min_iou``,
    ``coast_max_scale``) can change a result: those configurations share one run; with
    coasting they do not."""
    from pathlib import Path

    unit = loso.Unit("u", "u", Path("."), Path("."), False, "g", 14.0, "u")
    filters = {"coast_report": "occluded", "coast_min_iou": 0.7, "coast_max_scale": 1.2}
    base = {"max_age": 4.0, **filters}
    silent = loso.canonical({**base, "report_misses": 0.0}, unit)
    assert silent == {"max_age": 4.0, "report_misses": 0.0}
    coasting = loso.canonical({**base, "report_misses": 1.0}, unit)
    assert {k: coasting[k] for k in filters} == filters


def test_the_held_out_units_are_no_tuning_units_footage() -> None:
    tuning = loso.units()
    held_out = loso.held_out_units()
    assert len(held_out) == 6
    assert {u.footage for u in held_out}.isdisjoint({u.footage for u in tuning})
    assert {u.seq for u in held_out}.isdisjoint({u.seq for u in tuning})
    assert not any(u.use_features for u in held_out)


def test_the_held_out_section_says_where_the_default_beats_the_best_peer() -> None:
    held_out = {
        "MOT17-05-FRCNN": {"HOTA": 41.0, "IDF1": 52.0},
        loso.HELD_OUT_COMBINED: {"HOTA": 49.3, "IDF1": 57.5},
    }
    peers = {
        "MOT17-05-FRCNN": {"HOTA": 45.7, "IDF1": 51.0},
        loso.HELD_OUT_COMBINED: {"HOTA": 47.3, "IDF1": 55.2},
    }
    lines = loso.held_out_markdown(held_out, peers)
    assert "| MOT17-05-FRCNN | 41.000 / 52.000 | 45.700 / 51.000 | no / yes |" in lines
    assert f"| **{loso.HELD_OUT_COMBINED}** | 49.300 / 57.500 | 47.300 / 55.200 | yes / yes |" in (
        lines
    )
    assert loso.held_out_markdown({}, peers) == []

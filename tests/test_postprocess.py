"""Offline gap filling and smoothing of MOT result rows (tracker.postprocess)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tracker.postprocess import interpolate_gaps


def _columns(rows: list[tuple[int, int, float]]) -> dict[str, np.ndarray]:
    """(frame, id, x) rows -> columns of 10 x 20 boxes at (x, 0)."""
    frames, ids, xs = (np.array(c) for c in zip(*rows, strict=True))
    boxes = np.column_stack([xs, np.zeros(len(xs)), xs + 10, np.full(len(xs), 20.0)])
    return {"frames": frames, "ids": ids, "boxes_xyxy": boxes, "scores": np.full(len(xs), 0.8)}


def test_short_gaps_are_filled_on_straight_lines_and_long_ones_left() -> None:
    rows = [(1, 1, 0.0), (2, 1, 10.0), (5, 1, 40.0), (20, 1, 50.0), (1, 2, 100.0), (3, 2, 80.0)]
    out = interpolate_gaps(_columns(rows), max_gap=2)
    track1 = out["frames"][out["ids"] == 1].tolist()
    assert track1 == [1, 2, 3, 4, 5, 20]  # the 14-frame gap stays open
    keys = list(zip(out["frames"].tolist(), out["ids"].tolist(), strict=True))
    x = dict(zip(keys, out["boxes_xyxy"][:, 0], strict=True))
    assert x[(3, 1)] == pytest.approx(20.0) and x[(4, 1)] == pytest.approx(30.0)
    assert x[(2, 2)] == pytest.approx(90.0)
    # sorted by frame then id, like a MOT file
    assert keys == sorted(keys)
    assert np.all(out["scores"] == np.float32(0.8))


def test_max_gap_zero_changes_nothing_but_the_order() -> None:
    rows = [(3, 2, 5.0), (1, 1, 0.0), (4, 1, 30.0)]
    out = interpolate_gaps(_columns(rows), max_gap=0)
    assert out["frames"].tolist() == [1, 3, 4]
    assert out["ids"].tolist() == [1, 2, 1]


def test_smoothing_keeps_straight_motion_and_reduces_jitter() -> None:
    rng = np.random.default_rng(0)
    frames = np.arange(1, 61)
    straight = _columns([(int(f), 1, 3.0 * f) for f in frames])
    out = interpolate_gaps(straight, max_gap=0, sigma=2.0)
    inner = slice(6, -6)  # away from the ends, a symmetric kernel leaves a line unchanged
    np.testing.assert_allclose(out["boxes_xyxy"][inner], straight["boxes_xyxy"][inner])
    noisy = _columns([(int(f), 1, 3.0 * f + rng.normal(0, 2)) for f in frames])
    smoothed = interpolate_gaps(noisy, max_gap=0, sigma=2.0)["boxes_xyxy"][:, 0]
    error_before = np.abs(noisy["boxes_xyxy"][:, 0] - 3.0 * frames).mean()
    error_after = np.abs(smoothed - 3.0 * frames).mean()
    assert error_after < 0.7 * error_before


def test_empty_results_stay_empty() -> None:
    empty = {"frames": np.zeros(0), "ids": np.zeros(0), "boxes_xyxy": np.zeros((0, 4))}
    out = interpolate_gaps(empty, max_gap=5, sigma=1.0)
    assert len(out["frames"]) == 0 and out["boxes_xyxy"].shape == (0, 4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_gap": -1}, "max_gap"),
        ({"max_gap": 2.5}, "max_gap"),
        ({"max_gap": 10**6}, "max_gap"),
        ({"max_gap": 1, "sigma": math.nan}, "sigma"),
        ({"max_gap": 1, "sigma": -1.0}, "sigma"),
    ],
)
def test_bad_parameters_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        interpolate_gaps(_columns([(1, 1, 0.0)]), **kwargs)


def test_inconsistent_or_duplicate_rows_are_rejected() -> None:
    columns = _columns([(1, 1, 0.0), (1, 1, 5.0)])
    with pytest.raises(ValueError, match="twice in one frame"):
        interpolate_gaps(columns, max_gap=1)
    columns = _columns([(1, 1, 0.0), (2, 1, 5.0)])
    columns["ids"] = columns["ids"][:1]
    with pytest.raises(ValueError, match="differ in length"):
        interpolate_gaps(columns, max_gap=1)
    columns = _columns([(1, 1, 0.0), (2, 1, np.nan)])
    with pytest.raises(ValueError, match="NaN"):
        interpolate_gaps(columns, max_gap=1)

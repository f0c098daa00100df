"""Property-based tests (hypothesis) of the tracker config, the tracker with camera motion
and frame rates, and the offline gap filling. Each property prints how many examples ran."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.core import DeepSort, DeepSortConfig
from tracker.postprocess import interpolate_gaps

EXAMPLES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


_RAN: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _report_examples(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    print(f"\n{request.node.name}: {_RAN.get(request.node.name, 0)} examples")


def _count(name: str) -> None:
    _RAN[name] = _RAN.get(name, 0) + 1


_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
)
_NAMES = sorted(f.name for f in fields(DeepSortConfig))


@EXAMPLES
@given(values=st.dictionaries(st.sampled_from(_NAMES), _NUMBERS, max_size=4))
def test_config_is_valid_or_names_a_bad_field(values: dict) -> None:
    _count("test_config_is_valid_or_names_a_bad_field")
    try:
        config = DeepSortConfig.from_dict(values)
    except ValueError as error:
        assert any(name in str(error) for name in values)
        return
    for name in _NAMES:
        value = getattr(config, name)
        if isinstance(value, float):
            assert math.isfinite(value)
    tracker = DeepSort(config, frame_rate=10.0)  # a valid config always builds a tracker
    tracker.update([[0.0, 0.0, 10.0, 20.0]], [0.9], features=np.ones((1, 4)))


_BOX = st.tuples(st.floats(0, 1000), st.floats(0, 1000), st.floats(2, 300), st.floats(2, 300)).map(
    lambda b: [b[0], b[1], b[0] + b[2], b[1] + b[3]]
)


@EXAMPLES
@given(
    frames=st.lists(st.lists(_BOX, max_size=6), min_size=1, max_size=12),
    shift=st.tuples(st.floats(-40, 40), st.floats(-40, 40)),
    zoom=st.floats(0.8, 1.25),
    frame_rate=st.floats(1.0, 120.0),
)
def test_tracker_outputs_stay_finite_under_camera_motion(
    frames: list, shift: tuple, zoom: float, frame_rate: float
) -> None:
    _count("test_tracker_outputs_stay_finite_under_camera_motion")
    config = DeepSortConfig(n_init=1, report_misses=1.0, observation_reupdate=True)
    tracker = DeepSort(config, frame_rate=frame_rate)
    motion = np.array([[zoom, 0.0, shift[0]], [0.0, zoom, shift[1]]])
    for boxes in frames:
        array = np.asarray(boxes, np.float64).reshape(-1, 4)
        out = tracker.update(array, np.full(len(array), 0.9), camera_motion=motion)
        assert np.all(np.isfinite(out.boxes))
        assert len(set(out.ids.tolist())) == len(out)


_ROWS = st.lists(
    st.tuples(st.integers(1, 40), st.integers(1, 4), st.floats(0, 500)), max_size=40
).map(lambda rows: list({(f, i): x for f, i, x in rows}.items()))


@EXAMPLES
@given(rows=_ROWS, max_gap=st.integers(0, 10), sigma=st.sampled_from([0.0, 1.0]))
def test_gap_filling_keeps_every_row_and_adds_only_short_gaps(
    rows: list, max_gap: int, sigma: float
) -> None:
    _count("test_gap_filling_keeps_every_row_and_adds_only_short_gaps")
    frames = np.array([k[0] for k, _ in rows], np.int64)
    ids = np.array([k[1] for k, _ in rows], np.int64)
    xs = np.array([x for _, x in rows], np.float64)
    boxes = np.column_stack([xs, xs, xs + 10, xs + 20]) if rows else np.zeros((0, 4))
    out = interpolate_gaps({"frames": frames, "ids": ids, "boxes_xyxy": boxes}, max_gap, sigma)
    before = set(zip(frames.tolist(), ids.tolist(), strict=True))
    after = list(zip(out["frames"].tolist(), out["ids"].tolist(), strict=True))
    assert before <= set(after) and len(set(after)) == len(after)
    assert after == sorted(after)
    for track in set(ids.tolist()):
        seen = np.sort(frames[ids == track]).tolist()
        expected = set(seen)
        for start, end in itertools.pairwise(seen):
            if end - start - 1 <= max_gap:
                expected.update(range(start + 1, end))
        assert set(out["frames"][out["ids"] == track].tolist()) == expected
    if max_gap == 0 and sigma == 0.0:
        np.testing.assert_allclose(
            np.sort(out["boxes_xyxy"][:, 0]), np.sort(boxes[:, 0]) if rows else np.zeros(0)
        )

"""The soak benchmark (benchmarks/service_soak.py), short: several streams at once through
one server (in a child process), every frame answered in order, no error, server memory
flat after the warm-up. The committed full run is benchmarks/results/service_soak.md."""

from __future__ import annotations

from benchmarks.service_soak import soak


def test_short_soak_answers_every_frame_with_flat_memory() -> None:
    streams, frames = 4, 1000
    result = soak(streams, frames, sample_s=0.25)
    summary = result.summary()
    failures = [s.failure or s.first_error for s in result.stats if s.failure or s.errors]
    assert not failures, failures
    assert summary["frames_answered"] == summary["frames_sent"] == streams * frames
    assert summary["all_in_order"]
    assert summary["rss_growth_after_warmup_mib"] < 16, result.rss

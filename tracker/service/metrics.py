"""Prometheus metrics of one server, in its own registry (no process-global collectors).

A per-server ``CollectorRegistry`` lets tests run several servers in one process and read
their numbers without cross-talk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

STAGES = ("decode", "detect", "embed", "track", "queue", "total")
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class ServiceMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.frames = Counter(
            "tracker_frames", "Frames answered, by outcome", ["outcome"], registry=r
        )
        self.drops = Counter(
            "tracker_frames_dropped", "Frames dropped by policy LATEST", registry=r
        )
        self.stage_seconds = Histogram(
            "tracker_stage_seconds",
            "Per-frame seconds by stage",
            ["stage"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "tracker_batch_size",
            "Frames per model batch",
            buckets=(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64),
            registry=r,
        )
        self.active_streams = Gauge("tracker_active_streams", "Open Track streams", registry=r)
        self.active_tracks = Gauge(
            "tracker_active_tracks", "Live tracks over all streams", registry=r
        )
        self.tracks_created = Counter(
            "tracker_tracks_created", "Tracks confirmed for the first time", registry=r
        )
        self.detections_cut = Counter(
            "tracker_detections_cut",
            "Detections left out by --max-detections / --max-tracks",
            ["reason"],
            registry=r,
        )
        self.sessions_rejected = Counter(
            "tracker_sessions_rejected", "Track calls refused, by reason", ["reason"], registry=r
        )

    def observe_stages(self, times: dict[str, float]) -> None:
        for stage, seconds in times.items():
            self.stage_seconds.labels(stage).observe(seconds)

    def value(self, name: str, labels: dict[str, Any] | None = None) -> float:
        """Current value of a sample (for tests and logs); 0 if it does not exist yet."""
        sample = self.registry.get_sample_value(name, labels or {})
        return 0.0 if sample is None else float(sample)

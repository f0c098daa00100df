"""Server settings: one frozen dataclass, resolved from flags, then environment, then defaults.

The deploy files (Docker, Kubernetes) configure the server through the ``TRACKER_*``
environment variables only, so every flag has one and the names are part of the contract.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from tracker.errors import TrackerError

RUNTIMES = ("auto", "torch", "onnx", "openvino")


@dataclass(frozen=True)
class Setting:
    """How one field is exposed: its flag, its environment variable, and its help text."""

    flag: str
    env: str
    help: str


@dataclass(frozen=True)
class ServerSettings:
    host: str = "0.0.0.0"
    port: int = 50051
    metrics_port: int = 9100
    device: str = "auto"
    runtime: str = "auto"
    torch_threads: int = 0
    detector: str = "auto"
    detector_weights: str | None = None
    embedder: str = "osnet"
    embedder_weights: str | None = None
    max_sessions: int = 16
    max_batch: int = 8
    max_wait_ms: float = 10.0
    max_message_bytes: int = 16 * 1024 * 1024
    max_pixels: int = 3840 * 2160
    max_detections: int = 1000
    max_tracks: int = 1000
    max_gallery_mib: float = 256.0
    idle_timeout_s: float = 60.0
    queue_size: int = 4
    drain_timeout_s: float = 10.0
    tls_cert: str | None = None
    tls_key: str | None = None
    auth_token: str | None = None
    log_format: str = "text"
    reuse_port: bool = False

    def __post_init__(self) -> None:
        problems = []
        for name in (
            "max_sessions",
            "max_batch",
            "max_message_bytes",
            "max_pixels",
            "max_detections",
            "max_tracks",
            "queue_size",
        ):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.torch_threads < 0:
            problems.append(f"torch_threads must be >= 0, got {self.torch_threads}")
        for name in ("port", "metrics_port"):
            if not 0 <= getattr(self, name) <= 65535:
                problems.append(f"{name} must be a port number 0-65535, got {getattr(self, name)}")
        if not self.max_gallery_mib > 0:
            problems.append(f"max_gallery_mib must be > 0, got {self.max_gallery_mib}")
        for name in ("max_wait_ms", "idle_timeout_s", "drain_timeout_s"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0, got {getattr(self, name)}")
        if (self.tls_cert is None) != (self.tls_key is None):
            problems.append("TLS needs both a certificate and a key (--tls-cert and --tls-key)")
        if self.runtime not in RUNTIMES:
            problems.append(f"runtime must be one of {', '.join(RUNTIMES)}, got {self.runtime!r}")
        if self.log_format not in ("json", "text"):
            problems.append(f"log_format must be 'json' or 'text', got {self.log_format!r}")
        if problems:
            raise TrackerError("invalid server settings: " + "; ".join(problems))

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    @classmethod
    def resolve(
        cls, flags: Mapping[str, Any], environ: Mapping[str, str] | None = None
    ) -> ServerSettings:
        """Flag value if given (not ``None``), else ``TRACKER_*`` variable, else the default."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            spec = SETTINGS[field.name]
            if flags.get(field.name) is not None:
                values[field.name] = flags[field.name]
            elif environ.get(spec.env, "") != "":
                values[field.name] = _parse(field.name, spec.env, environ[spec.env], field.default)
        return cls(**values)


def _parse(name: str, env: str, raw: str, default: object) -> object:
    """Environment strings to the field's type (the type of its default)."""
    if isinstance(default, bool):
        value = raw.strip().lower()
        if value in ("1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off"):
            return False
        raise TrackerError(f"${env}={raw!r} is not a valid boolean for {name} (1/0, true/false)")
    if not isinstance(default, int | float):
        return raw
    kind = float if isinstance(default, float) else int
    try:
        return kind(raw)
    except ValueError:
        raise TrackerError(f"${env}={raw!r} is not a valid {kind.__name__} for {name}") from None


SETTINGS: dict[str, Setting] = {
    "host": Setting("--host", "TRACKER_HOST", "address to listen on"),
    "port": Setting("--port", "TRACKER_PORT", "gRPC port (0 = any free port)"),
    "metrics_port": Setting(
        "--metrics-port", "TRACKER_METRICS_PORT", "Prometheus metrics HTTP port (0 disables)"
    ),
    "device": Setting("--device", "TRACKER_DEVICE", "auto, cpu, cuda or cuda:N"),
    "runtime": Setting(
        "--runtime",
        "TRACKER_RUNTIME",
        "inference runtime: auto (CPU: fastest installed per model; CUDA: torch fp16), torch, "
        "onnx, openvino; exports are cached in $TRACKER_CACHE_DIR/exports",
    ),
    "torch_threads": Setting(
        "--torch-threads",
        "TRACKER_TORCH_THREADS",
        "CPU threads per model call (0 = torch's default; 1 is fastest on small shared hosts)",
    ),
    "detector": Setting("--detector", "TRACKER_DETECTOR", "detector model name"),
    "detector_weights": Setting(
        "--detector-weights", "TRACKER_DETECTOR_WEIGHTS", "detector weights file"
    ),
    "embedder": Setting("--embedder", "TRACKER_EMBEDDER", "re-ID embedder name ('none': off)"),
    "embedder_weights": Setting(
        "--embedder-weights", "TRACKER_EMBEDDER_WEIGHTS", "embedder weights file"
    ),
    "max_sessions": Setting("--max-sessions", "TRACKER_MAX_SESSIONS", "concurrent streams"),
    "max_batch": Setting("--max-batch", "TRACKER_MAX_BATCH", "frames per model batch"),
    "max_wait_ms": Setting(
        "--max-wait-ms", "TRACKER_MAX_WAIT_MS", "how long a batch waits to fill up"
    ),
    "max_message_bytes": Setting(
        "--max-message-bytes", "TRACKER_MAX_MESSAGE_BYTES", "largest gRPC message accepted"
    ),
    "max_pixels": Setting("--max-pixels", "TRACKER_MAX_PIXELS", "largest frame (width*height)"),
    "max_detections": Setting(
        "--max-detections",
        "TRACKER_MAX_DETECTIONS",
        "detections per frame: more public detections are an in-band error, a detector's "
        "are cut to the best-scoring",
    ),
    "max_tracks": Setting(
        "--max-tracks",
        "TRACKER_MAX_TRACKS",
        "live tracks per stream: at the limit, a frame's detections are cut to the "
        "best-scoring that cannot push the stream over it",
    ),
    "max_gallery_mib": Setting(
        "--max-gallery-mib",
        "TRACKER_MAX_GALLERY_MIB",
        "appearance memory a stream may reserve: gallery_budget x feature bytes x "
        "--max-tracks (galleries are allocated per track up front)",
    ),
    "idle_timeout_s": Setting(
        "--idle-timeout",
        "TRACKER_IDLE_TIMEOUT_S",
        "close a stream that sends no config or frame for this many seconds (0 = never)",
    ),
    "queue_size": Setting("--queue-size", "TRACKER_QUEUE_SIZE", "frames queued per stream"),
    "drain_timeout_s": Setting(
        "--drain-timeout", "TRACKER_DRAIN_TIMEOUT_S", "seconds SIGTERM waits for in-flight frames"
    ),
    "tls_cert": Setting("--tls-cert", "TRACKER_TLS_CERT", "PEM certificate (enables TLS)"),
    "tls_key": Setting("--tls-key", "TRACKER_TLS_KEY", "PEM private key"),
    "auth_token": Setting(
        "--auth-token", "TRACKER_AUTH_TOKEN", "require 'authorization: Bearer <token>'"
    ),
    "log_format": Setting("--log-format", "TRACKER_LOG_FORMAT", "json or text"),
    "reuse_port": Setting(
        "--reuse-port",
        "TRACKER_REUSE_PORT",
        "let several servers listen on the same gRPC port (SO_REUSEPORT); off by default, so "
        "a taken port is an error instead of a second server that gets half the clients",
    ),
}

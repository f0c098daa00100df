"""The client side of the Track stream: a synchronous gRPC client and the runner behind
``tracker stream`` / ``tracker demo``. It shares only the wire contract (``tracker._proto``)
with ``tracker.service``; neither imports the other.

    from tracker.client import StreamOptions, TrackerClient
"""

from tracker.client.client import (
    ClientFrame,
    StreamOptions,
    TrackerClient,
    TrackResult,
    check_health,
    health_status,
)

__all__ = [
    "ClientFrame",
    "StreamOptions",
    "TrackResult",
    "TrackerClient",
    "check_health",
    "health_status",
]

"""Standard gRPC health checking: NOT_SERVING until the models are loaded and warmed up.

Kubernetes probes and ``tracker health`` ask for the overall status ("") or for the Tracker
service by name; both flip together.
"""

from __future__ import annotations

from grpc_health.v1 import health, health_pb2

TRACKER_SERVICE = "tracker.v1.Tracker"


class Health:
    def __init__(self) -> None:
        self.servicer = health.aio.HealthServicer()
        self.serving = False

    async def set_serving(self, serving: bool) -> None:
        self.serving = serving
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for service in ("", TRACKER_SERVICE):
            await self.servicer.set(service, status)

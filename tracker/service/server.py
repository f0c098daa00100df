"""The grpc.aio server: the Tracker service, health, reflection, metrics, auth, TLS, drain.

``TrackerServer(pipeline, settings)`` takes the Pipeline (or a function that builds it, so
the server can answer health checks with NOT_SERVING while the models load). Tests inject a
small pipeline; ``tracker serve`` injects the real models. Who owns which task, thread and
queue is written down in docs/SERVICE.md ("Concurrency").
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any, NoReturn

import grpc
from google.protobuf.message import DecodeError
from grpc_reflection.v1alpha import reflection

from tracker import __version__
from tracker._proto import tracker_pb2 as pb
from tracker._proto import tracker_pb2_grpc as pb_grpc
from tracker.errors import TrackerError
from tracker.io.codec import FrameError
from tracker.pipeline import Pipeline
from tracker.service.auth import BearerTokenInterceptor
from tracker.service.batch import BatchLimits, BatchRunner
from tracker.service.health import TRACKER_SERVICE, Health
from tracker.service.logs import TracebackLimiter, safe_text
from tracker.service.metrics import ServiceMetrics
from tracker.service.models import model_device
from tracker.service.scheduler import Scheduler
from tracker.service.session import END, Failure, FrameJob, Session
from tracker.service.settings import ServerSettings
from tracker.service.wire import ConfigError, payload_from_frame, spec_from_config

log = logging.getLogger(__name__)
PipelineSource = Pipeline | Callable[[], Pipeline]
_POLL_S = 1.0  # how often a quiet call checks its idle timeout


class Undecodable:
    """A request whose bytes are not a valid message: the call ends with INVALID_ARGUMENT
    (grpc would otherwise end it with UNKNOWN and a Python exception text)."""

    def __init__(self, error: DecodeError) -> None:
        self.error = error


def _parse(message: type[Any]) -> Callable[[bytes], Any]:
    def parse(data: bytes) -> Any:
        try:
            return message.FromString(data)
        except DecodeError as error:
            return Undecodable(error)

    return parse


def _not_a_message(kind: str, index: int) -> str:
    return f"message {index} is not a valid {kind} (protobuf could not parse its bytes)"


class TrackerServicer(pb_grpc.TrackerServicer):
    def __init__(self, server: TrackerServer) -> None:
        self.server = server

    async def GetInfo(
        self, request: pb.GetInfoRequest | Undecodable, context: grpc.aio.ServicerContext
    ) -> pb.ServerInfo:
        if isinstance(request, Undecodable):
            await _abort(
                context, grpc.StatusCode.INVALID_ARGUMENT, _not_a_message("GetInfoRequest", 1)
            )
        return self.server.info()

    async def Track(
        self, request_iterator: AsyncIterator[pb.TrackRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.TrackResponse]:
        server = self.server
        server.admitted += 1
        session: Session | None = None
        try:
            session = await server.open_session(request_iterator, context)
            reader = asyncio.get_running_loop().create_task(
                server.read_frames(request_iterator, session), name="read-frames"
            )
            server.calls[session] = reader
            while True:
                try:
                    response = await asyncio.wait_for(session.responses.get(), server.poll_s)
                except asyncio.TimeoutError:
                    if server.is_idle(session):
                        await _abort(
                            context,
                            grpc.StatusCode.DEADLINE_EXCEEDED,
                            f"no frame for {server.settings.idle_timeout_s:g} s; stream closed",
                        )
                    continue
                if response is END:
                    break
                yield response
                session.response_sent()
            failure = session.failure
            if failure is None and server.draining:
                failure = Failure(
                    grpc.StatusCode.UNAVAILABLE,
                    f"server is shutting down; all {session.answered} frames it read were answered",
                )
            if failure is not None:
                context.set_code(failure.code)
                context.set_details(failure.details)
        finally:
            if session is not None:
                reader_task = server.calls.get(session)
                if reader_task is not None:
                    reader_task.cancel()
                server.close_session(session)
            server.admitted -= 1


class TrackerServer:
    def __init__(self, pipeline: PipelineSource, settings: ServerSettings) -> None:
        self.settings = settings
        self.metrics = ServiceMetrics()
        self.health = Health()
        self._pipeline_source = pipeline
        self.pipeline: Pipeline | None = None
        self.scheduler: Scheduler | None = None
        # One worker thread for all model work (loading, warm-up, batches): one device, and
        # the event loop never blocks on a model.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracker-model")
        # Decoding and detecting the next batch while the model thread tracks this one
        # (the scheduler keeps each stream's frames in order).
        self.front_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracker-front")
        self.calls: dict[Session, asyncio.Task[None]] = {}
        self.admitted = 0  # Track calls counted against max_sessions, configured or not
        self.device = ""  # the device the models run on, once loaded
        self.errors = TracebackLimiter()
        self.draining = False
        self.port = 0
        self.metrics_port = 0
        self._grpc: grpc.aio.Server | None = None
        self._http: Any = None
        self._ready = asyncio.Event()
        self._loader: asyncio.Task[None] | None = None
        self._no_calls = asyncio.Event()
        self._no_calls.set()

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Listen (health NOT_SERVING), then load and warm up the models (health SERVING).

        A port that is taken raises ``TrackerError`` (one line for the CLI); SO_REUSEPORT is
        off unless ``reuse_port`` asks for it, so a second server cannot silently share a port.
        """
        s = self.settings
        options = [
            ("grpc.max_receive_message_length", s.max_message_bytes),
            ("grpc.max_send_message_length", s.max_message_bytes),
            ("grpc.so_reuseport", 1 if s.reuse_port else 0),
        ]
        interceptors = [BearerTokenInterceptor(s.auth_token)] if s.auth_token else []
        if s.metrics_port:
            from prometheus_client import start_http_server

            try:
                self._http, _ = start_http_server(s.metrics_port, s.host, self.metrics.registry)
            except OSError as error:
                raise TrackerError(_port_error("metrics", s.host, s.metrics_port, error)) from None
            self.metrics_port = self._http.server_port
        try:
            server = grpc.aio.server(options=options, interceptors=interceptors)
            _add_tracker_service(TrackerServicer(self), server)
            from grpc_health.v1 import health_pb2_grpc

            health_pb2_grpc.add_HealthServicer_to_server(self.health.servicer, server)
            reflection.enable_server_reflection(
                (
                    pb.DESCRIPTOR.services_by_name["Tracker"].full_name,
                    "grpc.health.v1.Health",
                    reflection.SERVICE_NAME,
                ),
                server,
            )
            await self.health.set_serving(False)
            self.port = self._listen(server)
            await server.start()
        except BaseException:
            self._stop_http()
            raise
        self._grpc = server
        log.info(
            "listening",
            extra={"port": self.port, "metrics_port": self.metrics_port, "tls": s.tls},
        )
        self._loader = asyncio.get_running_loop().create_task(self._load(), name="load-models")

    def _listen(self, server: grpc.aio.Server) -> int:
        s = self.settings
        address = f"{s.host}:{s.port}"
        if s.port and not s.reuse_port:
            _check_port_free(s.host, s.port)  # before grpc, which logs its own multi-line error
        try:
            if s.tls_cert and s.tls_key:
                credentials = grpc.ssl_server_credentials(
                    [(_read(s.tls_key, "TLS key"), _read(s.tls_cert, "TLS certificate"))]
                )
                port = server.add_secure_port(address, credentials)
            else:
                port = server.add_insecure_port(address)
        except RuntimeError:
            port = 0
        if port == 0:
            raise TrackerError(f"cannot listen for gRPC on {address}: the port is in use")
        return int(port)

    def _stop_http(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    async def _load(self) -> None:
        s = self.settings
        loop = asyncio.get_running_loop()
        source = self._pipeline_source
        started = time.perf_counter()
        try:
            if isinstance(source, Pipeline):
                pipeline = source
            else:
                pipeline = await loop.run_in_executor(self.executor, source)
            limits = BatchLimits(s.max_pixels, s.max_detections, s.max_tracks)
            runner = BatchRunner(pipeline, limits, self.metrics, self.errors)
            await loop.run_in_executor(self.executor, runner.warm_up)
        except TrackerError as error:  # user-fixable (weights missing, ...): no traceback
            log.error("loading the models failed: %s", error)
            raise
        except Exception:
            log.exception("loading the models failed; the server stays NOT_SERVING")
            raise
        self.pipeline = pipeline
        self.device = model_device(pipeline)
        self.scheduler = Scheduler(
            runner, s.max_batch, s.max_wait_ms / 1000, self.metrics, self.executor,
            self.front_executor,
        )  # fmt: skip
        self.scheduler.start()
        self._ready.set()
        await self.health.set_serving(True)
        log.info("models ready", extra={"seconds": round(time.perf_counter() - started, 3)})

    async def wait_ready(self, timeout: float | None = None) -> None:
        """Until the models are loaded and warmed up; re-raises a loading failure."""
        if self._loader is None:
            raise RuntimeError("the server was not started")
        await asyncio.wait_for(asyncio.shield(self._loader), timeout)

    async def stop(self, grace: float | None = None) -> None:
        """Drain: stop reading, answer every frame already read, end the calls, shut down."""
        grace = self.settings.drain_timeout_s if grace is None else grace
        self.draining = True
        await self.health.set_serving(False)
        for session, reader in list(self.calls.items()):
            reader.cancel()
            session.finish_input()
        if self.calls:
            try:
                await asyncio.wait_for(self._no_calls.wait(), grace)
            except asyncio.TimeoutError:
                log.warning("drain timed out", extra={"open_streams": len(self.calls)})
        if self._grpc is not None:
            await self._grpc.stop(grace=1.0)
        if self._loader is not None:
            self._loader.cancel()
            await asyncio.gather(self._loader, return_exceptions=True)
        if self.scheduler is not None:
            await self.scheduler.stop()
        self.executor.shutdown(wait=True)
        self.front_executor.shutdown(wait=True)
        self._stop_http()
        log.info("stopped")

    # -- calls ---------------------------------------------------------------------------

    async def open_session(
        self, request_iterator: AsyncIterator[pb.TrackRequest], context: grpc.aio.ServicerContext
    ) -> Session:
        """Admit the call, read and check its StreamConfig (within the idle timeout), then
        open the session; or end the call with the status that says why not.

        Every Track call counts against ``max_sessions`` from its start (``admitted``), so a
        call that never sends a config holds a slot, until the idle timeout, like any other.
        """
        pipeline, scheduler = self.pipeline, self.scheduler
        if self.draining or pipeline is None or scheduler is None:
            await _abort(
                context,
                grpc.StatusCode.UNAVAILABLE,
                "server is shutting down" if self.draining else "models are still loading",
            )
        if self.admitted > self.settings.max_sessions:
            self.metrics.sessions_rejected.labels("max_sessions").inc()
            await _abort(
                context,
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"server is at its limit of {self.settings.max_sessions} concurrent streams",
            )
        timeout = self.settings.idle_timeout_s or None
        try:
            first = await asyncio.wait_for(request_iterator.__anext__(), timeout)
        except StopAsyncIteration:
            await _abort(
                context, grpc.StatusCode.INVALID_ARGUMENT, "empty stream: send a StreamConfig first"
            )
        except asyncio.TimeoutError:
            self.metrics.sessions_rejected.labels("no_config").inc()
            await _abort(
                context,
                grpc.StatusCode.DEADLINE_EXCEEDED,
                f"no StreamConfig within {self.settings.idle_timeout_s:g} s; stream closed",
            )
        if isinstance(first, Undecodable):
            await _abort(
                context, grpc.StatusCode.INVALID_ARGUMENT, _not_a_message("TrackRequest", 1)
            )
        if first.WhichOneof("payload") != "config":
            await _abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                "the first message must carry a StreamConfig, not a frame",
            )
        try:
            spec = spec_from_config(
                first.config,
                pipeline.detector.name if pipeline.detector is not None else None,
                pipeline.embedder.name if pipeline.embedder is not None else None,
                pipeline.tracker_config,
                self.gallery_budget_limit(),
            )
            state = pipeline.new_stream(
                spec.tracker, spec.detection_filter, spec.fps, spec.camera_motion,
                spec.image_size,
            )  # fmt: skip
        except (ConfigError, ValueError) as error:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, f"bad StreamConfig: {error}")
        session = Session(
            spec=spec,
            state=state,
            queue_size=self.settings.queue_size,
            on_ready=scheduler.notify,
            on_drop=self.metrics.drops.inc,
        )
        scheduler.add(session)
        self._no_calls.clear()
        self.metrics.active_streams.inc()
        log.info("stream opened", extra={"stream_id": spec.stream_id, "policy": spec.policy})
        return session

    async def read_frames(
        self, request_iterator: AsyncIterator[pb.TrackRequest | Undecodable], session: Session
    ) -> None:
        """Queue every frame the client sends; at its half-close, let the call finish. An
        undecodable message ends the call with INVALID_ARGUMENT once the frames read before
        it are answered."""
        index = 1  # the config was message 1
        failure = None
        try:
            async for request in request_iterator:
                index += 1
                session.touch()
                if isinstance(request, Undecodable):
                    failure = Failure(
                        grpc.StatusCode.INVALID_ARGUMENT,
                        _not_a_message("TrackRequest", index)
                        + f"; the call ended after the {session.received} frames before it",
                    )
                    break
                await session.put(self._job(request, session))
                if session.closed:
                    return
        except Exception as error:  # the connection broke: answer what was read, then end
            reason = {"stream_id": session.spec.stream_id, "reason": safe_text(repr(error), 200)}
            log.info("stream read ended", extra=reason)
        session.finish_input(failure)

    def _job(self, request: pb.TrackRequest, session: Session) -> FrameJob:
        now = time.perf_counter()
        kind = request.WhichOneof("payload")
        if kind != "frame":
            error = "only the first message may be a config" if kind else "empty message"
            return FrameJob(session, 0, 0.0, now, None, error)
        frame = request.frame
        try:
            payload = payload_from_frame(
                frame, session.spec, self.settings.max_pixels, self.settings.max_detections
            )
        except FrameError as error:
            return FrameJob(session, frame.frame_id, frame.timestamp, now, None, str(error))
        except Exception as error:  # a bug in a check must cost this frame only
            self.errors.error(log, "checking a frame failed", error)
            message = f"server failed to read this frame: {safe_text(str(error), 200)}"
            return FrameJob(session, frame.frame_id, frame.timestamp, now, None, message)
        return FrameJob(session, frame.frame_id, frame.timestamp, now, payload)

    def gallery_budget_limit(self) -> int | None:
        """The largest ``gallery_budget`` a stream that embeds may ask for: each track's
        gallery (``budget x dim`` float32) is allocated up front, so ``max_tracks`` of them
        must fit in ``max_gallery_mib``. None without an embedder (no features kept)."""
        embedder = self.pipeline.embedder if self.pipeline is not None else None
        if embedder is None:
            return None
        s = self.settings
        per_feature = 4 * embedder.dim * s.max_tracks
        return max(int(s.max_gallery_mib * 2**20 // per_feature), 1)

    @property
    def poll_s(self) -> float:
        """How often a quiet call wakes up to check its idle timeout."""
        timeout = self.settings.idle_timeout_s
        return _POLL_S if timeout == 0 else min(_POLL_S, timeout)

    def is_idle(self, session: Session) -> bool:
        """No frame for ``idle_timeout_s`` (0 = never) and nothing left to answer."""
        timeout = self.settings.idle_timeout_s
        quiet = time.monotonic() - session.last_activity
        return 0 < timeout < quiet and not session.queue and session.backlog == 0

    def close_session(self, session: Session) -> None:
        """Free the session at once: queue, tracker, scheduler slot, metrics."""
        if self.calls.pop(session, None) is None:
            return
        session.close()
        if self.scheduler is not None:
            self.scheduler.remove(session)
        self.metrics.active_streams.dec()
        self.metrics.active_tracks.set(sum(s.live_tracks for s in self.calls))
        if not self.calls:
            self._no_calls.set()
        log.info(
            "stream closed",
            extra={
                "stream_id": session.spec.stream_id,
                "received": session.received,
                "answered": session.answered,
                "dropped": session.dropped,
            },
        )

    def info(self) -> pb.ServerInfo:
        s = self.settings
        info = pb.ServerInfo(
            version=__version__,
            device=self.device,
            max_sessions=s.max_sessions,
            max_batch=s.max_batch,
            max_pixels=s.max_pixels,
            max_message_bytes=s.max_message_bytes,
            ready=self._ready.is_set(),
        )
        pipeline = self.pipeline
        if pipeline is not None and pipeline.detector is not None:
            info.models.add(role="detector", name=pipeline.detector.name)
        if pipeline is not None and pipeline.embedder is not None:
            embedder = pipeline.embedder
            info.models.add(role="embedder", name=embedder.name, detail=f"{embedder.dim}-d")
        for package in ("grpcio", "protobuf", "numpy", "torch", "ultralytics", "opencv-python"):
            if package in ("torch", "ultralytics") and package not in sys.modules:
                continue  # report only what this server actually loaded
            try:
                info.versions[package] = metadata.version(package)
            except metadata.PackageNotFoundError:
                continue
        return info


def _add_tracker_service(servicer: TrackerServicer, server: grpc.aio.Server) -> None:
    """``add_TrackerServicer_to_server`` with deserializers that turn undecodable bytes into
    ``Undecodable`` for the handler instead of failing the call with UNKNOWN."""
    handlers = {
        "Track": grpc.stream_stream_rpc_method_handler(
            servicer.Track,
            request_deserializer=_parse(pb.TrackRequest),
            response_serializer=pb.TrackResponse.SerializeToString,
        ),
        "GetInfo": grpc.unary_unary_rpc_method_handler(
            servicer.GetInfo,
            request_deserializer=_parse(pb.GetInfoRequest),
            response_serializer=pb.ServerInfo.SerializeToString,
        ),
    }
    name = pb.DESCRIPTOR.services_by_name["Tracker"].full_name
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(name, handlers),))


def _check_port_free(host: str, port: int) -> None:
    """Bind the address the way a server would (SO_REUSEADDR, no SO_REUSEPORT) and let go."""
    try:
        infos = socket.getaddrinfo(host.strip("[]") or None, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise TrackerError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise TrackerError(_port_error("gRPC", host, port, error)) from None


def _port_error(what: str, host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        flag = "--port" if what == "gRPC" else "--metrics-port"
        return (
            f"cannot listen for {what} on {host}:{port}: the port is in use "
            f"(another server?); stop it or choose another with {flag}"
        )
    return f"cannot listen for {what} on {host}:{port}: {error.strerror or error}"


async def _abort(
    context: grpc.aio.ServicerContext, code: grpc.StatusCode, message: str
) -> NoReturn:
    """``context.abort`` always raises; this says so to the type checker."""
    await context.abort(code, message)
    raise RuntimeError("context.abort returned")


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise TrackerError(f"cannot read the {what} {path}: {error.strerror}") from None


__all__ = ["TRACKER_SERVICE", "PipelineSource", "TrackerServer"]

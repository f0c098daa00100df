"""The gRPC streaming service: server, per-stream sessions, cross-stream scheduler.

Import the pieces from their modules (``tracker.service.server``, ...; the client is
``tracker.client``); this package itself imports nothing, so ``import tracker.service``
stays free of grpc.
"""

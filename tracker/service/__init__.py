"""The gRPC streaming service: server, per-stream sessions, cross-stream scheduler, client.

Import the pieces from their modules (``tracker.service.server``, ``tracker.service.client``);
this package itself imports nothing, so ``import tracker.service`` stays free of grpc.
"""

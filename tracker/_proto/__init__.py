"""Generated gRPC stubs for proto/tracker/v1/tracker.proto; regenerate with scripts/gen_proto.sh."""

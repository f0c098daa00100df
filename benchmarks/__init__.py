"""Benchmarks: accuracy and speed runs against peers; results in benchmarks/results/."""

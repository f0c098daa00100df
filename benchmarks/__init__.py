"""Accuracy and speed runs of our tracker against peers (``python -m benchmarks.<script>``);
results in benchmarks/results/."""

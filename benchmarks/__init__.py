"""Latency figures of the stand-in server (run `python -m benchmarks`)."""

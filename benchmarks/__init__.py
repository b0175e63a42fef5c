"""Speed and memory figures of the stand-in and the SDK (run `python -m benchmarks`)."""

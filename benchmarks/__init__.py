"""Reproducible benchmarks of camserver; run ``python -m benchmarks.run`` (see README there)."""

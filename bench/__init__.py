"""Benchmarks on generated data at scale: ``make bench`` (``python -m bench``)."""

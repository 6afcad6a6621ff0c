"""Benchmarks that print numbers. Run them all with ``make bench`` (``python -m bench``)."""

"""Benchmarks (``make bench`` runs ``python -m tests.bench``): figures printed, not pass/fail."""

"""Benchmarks run by `make bench` (see bench/run.py); results go to BENCHMARKS.md."""

"""Benchmarks: each prints its figures and, where there is one, a baseline and the ratio."""

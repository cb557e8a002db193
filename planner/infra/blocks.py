"""Per-pair kernels worked out a block of rows at a time.

A kernel of some twenty numpy steps over a million parcel–edge pairs makes a dozen new arrays of 8 MB
at each call: memory the process has not touched yet (a page fault every 4 KB) and that no cache holds.
Measured on the bench park's water network (1,075,938 pairs, 2 cores, Intel Xeon): the circle bound of
:meth:`planner.infra.tap_pairs._Candidates.least_apart` took 0.27 s at its first call and 0.047 s at the
next ones over all rows at once, and 0.031–0.034 s at every call a block of 32,768 rows at a time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["BLOCK", "by_blocks"]

BLOCK = 32_768
"""Rows a kernel works on at once: its temporaries (256 KB a float column) stay in the CPU's cache."""


def by_blocks(kernel: Callable[[np.ndarray], np.ndarray], rows: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """``kernel(rows)``, which gives a value a row, worked out ``block`` rows at a time: the same values."""
    if len(rows) <= block:
        return kernel(rows)
    first = kernel(rows[:block])
    out = np.empty(len(rows), dtype=first.dtype)
    out[:block] = first
    for start in range(block, len(rows), block):
        out[start : start + block] = kernel(rows[start : start + block])
    return out

"""Failpoints: named places in the write path where a fault test can make the process die.

A test sets ``PLANNER_FAILPOINTS`` to ``name:n`` entries (comma-separated) before it starts a
server; the n-th time that process reaches the point ``name`` it sends itself SIGKILL, exactly
as ``kill -9`` would: no ``finally`` blocks, no atexit handlers, no rollback but the store's own.
Unset — always, outside such tests — a point costs one dictionary lookup.

The points (:data:`POINTS`) sit where a crash would leave the most to repair: just before and
just after each write transaction commits, and between an edit and its recomputation.

>>> reach("store.commit.before")  # no failpoint set: nothing happens
"""

from __future__ import annotations

import os
import signal
import threading

__all__ = ["ENV", "POINTS", "reach"]

ENV = "PLANNER_FAILPOINTS"
POINTS = ("store.commit.before", "store.commit.after", "analysis.recompute.before")
"""Every failpoint the planner has (a test can name only these)."""

_lock = threading.Lock()
_counts: dict[str, int] = {}


def _armed() -> dict[str, int]:
    armed = {}
    for entry in os.environ.get(ENV, "").split(","):
        name, _, nth = entry.strip().partition(":")
        if name:
            if name not in POINTS or not nth.isdigit() or int(nth) < 1:
                msg = f"{ENV} entry {entry.strip()!r} must be name:n with n >= 1 and name one of {', '.join(POINTS)}"
                raise ValueError(msg)
            armed[name] = int(nth)
    return armed


def reach(name: str) -> None:
    """Count one arrival at point ``name``; die as by ``kill -9`` if this is the arrival a test armed."""
    if ENV not in os.environ:
        return
    nth = _armed().get(name)
    if nth is None:
        return
    with _lock:
        _counts[name] = _counts.get(name, 0) + 1
        hit = _counts[name] == nth
    if hit:
        os.kill(os.getpid(), signal.SIGKILL)

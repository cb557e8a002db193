"""Chains of prerequisites: how deep each work lies, and the works level by level, in steps of the logarithm.

A works table's prerequisites (each work's ``requires``) form a forest; an extension grows
segment by segment, so a chain can be hundreds of works long. Walking every chain a link at
a time costs the works times the longest chain; pointer jumping costs the works times its
logarithm.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["by_depth", "chain_depth"]


def chain_depth(requires: np.ndarray) -> np.ndarray:
    """How many links lie before each row along ``requires`` (each row's parent, ``-1``: none), by pointer jumping.

    Raises ``ValueError`` where the links close a cycle (a chain of prerequisites never does).
    """
    depth = (requires >= 0).astype(int)
    up = requires.copy()
    for _ in range(max(len(requires), 1).bit_length() + 1):
        open_ = np.flatnonzero(up >= 0)
        if not len(open_):
            return depth
        # both from the values before this step: each row adds its ancestor's count and jumps over it
        depth[open_], up[open_] = depth[open_] + depth[up[open_]], up[up[open_]]
    msg = "the prerequisites of the works close a cycle"
    raise ValueError(msg)


def by_depth(depth: np.ndarray) -> list[np.ndarray]:
    """The rows at depth 0, 1, … (each level's rows in increasing order)."""
    order = np.argsort(depth, kind="stable")
    bounds = np.searchsorted(depth[order], np.arange(int(depth.max(initial=0)) + 2))
    return [order[a:b] for a, b in itertools.pairwise(bounds)]

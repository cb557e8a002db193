"""What finding a parcel's candidate edges needs of a network's edges, made once per service distance.

:func:`planner.infra.taps.network_taps` looks every parcel's grown envelope up among the edges.
A long slanted edge's envelope is much larger than the edge, so such edges are looked up in
pieces (:func:`pieces_of`). The lookup depends on the edges and the service distance alone: a
network keeps it (``Network.tap_lookup``, not sent with it to another process or the disk), so
that tapping one edited parcel does not cut every long edge again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from planner.infra.owners import line_ends

__all__ = ["EdgeLookup", "pieces_of"]


@dataclass
class EdgeLookup:
    """What finding candidates needs of a network's edges, made once per service distance: each edge's ends and
    vertices, the long slanted ones (``wide``), and a tree of those cut in pieces with each piece's edge."""

    start: np.ndarray
    end: np.ndarray
    count: np.ndarray
    wide: np.ndarray
    pieces: shapely.STRtree | None
    piece_edge: np.ndarray

    @classmethod
    def of(
        cls, edge_geoms: np.ndarray, reach: float, ends: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    ) -> EdgeLookup:
        """The lookup of ``edge_geoms`` for parcels' envelopes grown by ``reach`` (m). ``ends``: their
        :func:`planner.infra.owners.line_ends` where known."""
        start, end, count = line_ends(edge_geoms) if ends is None else ends
        # a straight edge whose envelope is wide both ways (slanted, longer than the reach) is looked up in pieces
        wide = (count == 2) & (np.abs(end - start).min(axis=1) > reach)
        if not wide.any():
            return cls(start, end, count, wide, None, np.zeros(0, dtype=np.int64))
        return cls(start, end, count, wide, *pieces_of(start, end, np.flatnonzero(wide), reach))


def pieces_of(start: np.ndarray, end: np.ndarray, wide: np.ndarray, reach: float) -> tuple[shapely.STRtree, np.ndarray]:
    """A tree of the straight edges ``wide`` cut in pieces some four reaches long, and the edge of each piece.

    A long slanted edge's envelope is much larger than the edge (a line across a park, which
    no other line cuts, meets the grown envelopes of thousands of parcels it passes far from);
    its pieces' envelopes hug it. Each piece's envelope is grown by a micrometre, so that the
    pieces cover the edge whatever the rounding of their ends: every parcel whose grown
    envelope the edge meets meets a piece's.
    """
    step = end[wide] - start[wide]
    parts = np.ceil(np.hypot(step[:, 0], step[:, 1]) / (4 * reach)).astype(np.int64)
    edge = np.repeat(wide, parts)
    at = np.arange(len(edge)) - np.repeat(np.cumsum(parts) - parts, parts)
    share = np.repeat(1.0 / parts, parts)
    a = start[edge] + (end[edge] - start[edge]) * (at * share)[:, None]
    b = start[edge] + (end[edge] - start[edge]) * ((at + 1) * share)[:, None]
    low, high = np.minimum(a, b) - 1e-6, np.maximum(a, b) + 1e-6
    return shapely.STRtree(shapely.box(low[:, 0], low[:, 1], high[:, 0], high[:, 1])), edge

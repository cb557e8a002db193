"""Noding lines that run along the axes on the millimetre grid, without GEOS, to the same segments.

:func:`~planner.infra.network.build_network` nodes a network's lines with
``shapely.get_parts(shapely.union_all(lines, grid_size=0.001))``: snap rounding on a 1 mm
grid. Where every line is one straight segment, horizontal or vertical, with its ends on
that grid, snap rounding moves nothing: every crossing of two such segments lies on the
grid (the x of one, the y of the other), and a segment passes through a grid cell
("hot pixel") only where it touches the point in its middle. The noded segments are then
each line cut at every point where another line touches it (the crossings, and the ends
of the stretch two collinear lines share). GEOS gives them line by line in the order of the
lines, each line's pieces in its own direction, and a piece that an earlier line gave
already (the same two ends) only once, as that line gave it; :func:`axis_noded` gives the
same, in that order (``tests/infra/test_noding.py`` checks it against GEOS on random
layers). Any other layer (a bent or slanted line, an end off the grid) is left to GEOS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import shapely.ops

__all__ = ["GRID_M", "SHORT_M", "SPACED_M", "AxisNoding", "axis_noded", "open_rings", "opened_rings"]

GRID_M = 0.001
"""The noding grid (m)."""
SPACED_M = 0.02
"""Lines that do not touch are spaced if at least this far apart (m; twice the 1 cm of the owners' search)."""
SHORT_M = 0.03
"""Segments up to this long may have another line within 1 cm of their middle (m)."""


def _on_grid(values: np.ndarray) -> bool:
    """Whether every value is a point of the grid as GEOS rounds to it (``round(v * 1000) / 1000 == v``)."""
    scale = 1.0 / GRID_M
    return bool((np.rint(values * scale) / scale == values).all())


@dataclass
class AxisNoding:
    """The noded segments (``pieces``), the line each came from (``line``: the first that gave it), and whether no
    two lines come within :data:`SPACED_M` of each other without touching (``spaced``)."""

    pieces: np.ndarray
    line: np.ndarray
    spaced: bool
    shared: np.ndarray
    """Per line: it shares a stretch with another (collinear) line."""

    def owners(self, lines: int, line: np.ndarray, length: np.ndarray) -> np.ndarray:
        """The first of the first ``lines`` lines that lies within 1 cm of the middle of each segment, where sure.

        ``line``, ``length``: each segment's line (as in :attr:`line`) and its length, after
        the segments were cut further along their lines (at the sources). Between spaced
        lines, the only line within 1 cm of the middle of a segment longer than :data:`SHORT_M`
        is the one that holds it, where that line shares no stretch with another. Elsewhere (a
        segment of a connector, a short one, a stretch two lines share, lines not spaced) -1:
        to be found by the distance.
        """
        owner = np.where((line < lines) & (length > SHORT_M) & ~self.shared[line], line, -1)
        return owner if self.spaced else np.full(len(line), -1)


def axis_noded(geoms: np.ndarray) -> AxisNoding | None:
    """``shapely.get_parts(shapely.union_all(geoms, grid_size=GRID_M))`` for axis-parallel segments on the grid.

    ``geoms``: linestrings of positive length. Returns None (noding left to GEOS) unless every
    one is a single horizontal or vertical segment with both ends on the grid.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if not n or (shapely.get_type_id(geoms) != 1).any() or (shapely.get_num_coordinates(geoms) != 2).any():
        return None
    if shapely.has_z(geoms).any():
        return None
    coords = shapely.get_coordinates(geoms).reshape(n, 2, 2)
    if not np.isfinite(coords).all() or not _on_grid(coords):
        return None
    a, b = coords[:, 0], coords[:, 1]
    vertical = a[:, 0] == b[:, 0]
    horizontal = a[:, 1] == b[:, 1]
    if not (vertical ^ horizontal).all():  # slanted (or a point)
        return None
    low, high = np.minimum(a, b), np.maximum(a, b)
    # a segment is its own envelope: envelopes that meet are segments that meet
    i, j = shapely.STRtree(geoms).query(shapely.box(*(low - SPACED_M).T, *(high + SPACED_M).T))
    other = i != j
    i, j = i[other], j[other]
    gap = np.maximum(np.maximum(low[i], low[j]) - np.minimum(high[i], high[j]), 0.0)
    touch = (gap == 0.0).all(axis=1)
    spaced = not (np.hypot(gap[:, 0], gap[:, 1])[~touch] <= SPACED_M).any()
    i, j = i[touch], j[touch]
    overlap = (np.minimum(high[i], high[j]) - np.maximum(low[i], low[j])).max(axis=1) > 0
    shared = np.zeros(n, dtype=bool)
    shared[i[overlap]] = True
    # where j touches i: a point, or the stretch both share (its two ends)
    first = np.maximum(low[i], low[j])
    last = np.minimum(high[i], high[j])
    axis = np.where(vertical, 1, 0)  # the coordinate that runs along each line
    owner = np.concatenate([np.arange(n), np.arange(n), i, i])
    along = np.concatenate(
        [
            a[np.arange(n), axis],
            b[np.arange(n), axis],
            first[np.arange(len(i)), axis[i]],
            last[np.arange(len(i)), axis[i]],
        ]
    )
    # each line's cuts in its own direction: from a toward b
    sign = np.where(a[np.arange(n), axis] <= b[np.arange(n), axis], 1.0, -1.0)
    order = np.lexsort((along * sign[owner], owner))
    owner, along = owner[order], along[order]
    keep = np.r_[True, (owner[1:] != owner[:-1]) | (along[1:] != along[:-1])]
    owner, along = owner[keep], along[keep]
    # consecutive cuts of one line are a piece
    same = owner[1:] == owner[:-1]
    line = owner[:-1][same]
    start, stop = along[:-1][same], along[1:][same]
    fixed = np.where(vertical, a[:, 0], a[:, 1])[line]  # the coordinate that stays the same along each line
    vert = vertical[line]
    p = np.where(vert[:, None], np.column_stack([fixed, start]), np.column_stack([start, fixed]))
    q = np.where(vert[:, None], np.column_stack([fixed, stop]), np.column_stack([stop, fixed]))
    ends = np.stack([p, q], axis=1)
    # a piece an earlier line gave already: once, as that line gave it (only lines sharing a stretch give one twice)
    twice = np.flatnonzero(shared[line])
    kept = np.ones(len(line), dtype=bool)
    if len(twice):
        lo = np.where((p[twice, 0] < q[twice, 0]) | ((p[twice, 0] == q[twice, 0]) & (p[twice, 1] < q[twice, 1])), 0, 1)
        key = np.column_stack([ends[twice, lo], ends[twice, 1 - lo]])
        by_key = np.lexsort((twice, key[:, 3], key[:, 2], key[:, 1], key[:, 0]))
        k = key[by_key]
        kept[twice[by_key]] = np.r_[True, (k[1:] != k[:-1]).any(axis=1)]
    return AxisNoding(shapely.linestrings(ends[kept]), line[kept], spaced, shared)


def open_rings(segments: np.ndarray) -> np.ndarray:
    """Closed segments (a ring main) cut in two halves, so that each is an edge between two nodes."""
    return opened_rings(segments)[0]


def opened_rings(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`open_rings`, and for each segment returned the one of ``segments`` it is (half of)."""
    closed = shapely.is_closed(segments)
    if not closed.any():
        return segments, np.arange(len(segments))
    rings = segments[closed]
    halves = [shapely.ops.substring(r, 0, 0.5, normalized=True) for r in rings]
    halves += [shapely.ops.substring(r, 0.5, 1, normalized=True) for r in rings]
    ring = np.flatnonzero(closed)
    opened = np.concatenate([segments[~closed], np.array(halves, dtype=object)])
    return opened, np.r_[np.flatnonzero(~closed), ring, ring]

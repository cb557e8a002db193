"""The nodes of a network's noded pieces, and the line each piece came from (:mod:`planner.infra.network`).

The pieces' ends rounded to the millimetre are the graph's nodes (:func:`grid_nodes`); each
piece takes the ``line_id`` of the input line its middle lies on, to a centimetre
(:func:`owners`): the only such line, found by numpy distances to a few candidate segments,
else the first a tree of the lines returns.
"""

from __future__ import annotations

import numpy as np
import shapely

from planner.infra.snapround import near_pairs, squared_distance_m2

__all__ = ["grid_nodes", "line_ends", "middles", "owners"]


def grid_nodes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct points rounded to the millimetre (``np.round(points, 3)``), sorted by x then y, and each point's.

    As ``np.unique(keys, axis=0)`` gives them: each point a single int64 key of its millimetres
    (half the time of sorting complex numbers; ``np.round`` divides the same integers by 1000).
    """
    mm = np.rint(points * 1000.0)
    if not len(mm) or not np.isfinite(mm).all():
        keys = np.round(points, 3)
        unique, inverse = np.unique(keys[:, 0] + 1j * keys[:, 1], return_inverse=True)
        return np.column_stack([unique.real, unique.imag]), inverse.ravel()
    low = mm.min(axis=0)
    span = mm.max(axis=0) - low + 1
    if span[0] * span[1] >= 2.0**62:  # wider than a park: as complex numbers
        unique, inverse = np.unique(mm[:, 0] / 1000.0 + 1j * (mm[:, 1] / 1000.0), return_inverse=True)
        return np.column_stack([unique.real, unique.imag]), inverse.ravel()
    at = (mm - low).astype(np.int64)
    width = int(span[1])
    keys, inverse = np.unique(at[:, 0] * width + at[:, 1], return_inverse=True)
    nodes = np.column_stack([(keys // width + low[0]) / 1000.0, (keys % width + low[1]) / 1000.0])
    return nodes, inverse.ravel()


def line_ends(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each line's first and last point (x, y), and its number of vertices."""
    coords, which = shapely.get_coordinates(lines, return_index=True)
    count = np.bincount(which, minlength=len(lines))
    last = np.cumsum(count) - 1
    return coords[last - count + 1], coords[last], count


def middles(segments: np.ndarray, starts: np.ndarray, ends: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The point (x, y) halfway along each segment (``starts``, ``ends``: its end points; ``count``: its vertices)."""
    out: np.ndarray = (starts + ends) / 2  # most segments are straight: the middle of the two ends
    bent = np.flatnonzero(count != 2)
    if len(bent):
        out[bent] = shapely.get_coordinates(shapely.line_interpolate_point(segments[bent], 0.5, normalized=True))
    return out


def owners(geoms: np.ndarray, middles: np.ndarray) -> np.ndarray:
    """The input line each noded segment came from: the line its middle (x, y) lies on (to a centimetre)."""
    owner = _sole_owners(geoms, middles)
    ask = np.flatnonzero(owner < 0)
    if len(ask):
        owner[ask] = _first_owners(geoms, shapely.points(middles[ask]))
    return owner


def _sole_owners(geoms: np.ndarray, middles: np.ndarray) -> np.ndarray:
    """The line within 1 cm of each middle (x, y) where there is exactly one, else -1.

    A long slanted line's envelope covers much of a park, so a tree of the lines offers every
    middle hundreds of them; :func:`~planner.infra.snapround.near_pairs` (the middles in cells,
    the lines' segments cut in chunks of a cell) offers a few. Each candidate segment is then
    measured by :func:`~planner.infra.snapround.squared_distance_m2`, which agrees with GEOS's
    ``Distance::pointToSegment`` (whose least over a line's segments its ``dwithin`` of a point
    and a line takes) to about 10⁻¹¹ m in a park's coordinates; GEOS itself decides a distance
    within 5 nm of 1 cm, and the lines of several parts (whose parts' joins are no segments).
    Where two lines or none are within 1 cm, :func:`_first_owners` decides as before (the first a
    tree of the lines returns).
    """
    xy, which = shapely.get_coordinates(geoms, return_index=True)
    joined = np.flatnonzero(which[1:] == which[:-1])  # each vertex to the next of its line (parts of one: a superset)
    a, b = xy[joined], xy[joined + 1]
    # every segment within 1 cm of a middle (and a few farther): see planner.infra.snapround.near_pairs
    found, piece = near_pairs(middles, a, b, 0.01 + 0.001)
    line = which[joined][piece]
    ax, ay = a[:, 0][piece], a[:, 1][piece]
    mx, my = middles[:, 0][found], middles[:, 1][found]
    gap = squared_distance_m2(mx, my, ax, ay, b[:, 0][piece] - ax, b[:, 1][piece] - ay) - 0.01**2
    near = gap <= 0.0
    ask = (np.abs(gap) <= 1e-10) | (shapely.get_type_id(geoms) != 1)[line]  # |d - 1 cm| under about 5 nm
    if ask.any():  # GEOS's own answer, on the (middle, line) pair
        near[ask] = shapely.dwithin(shapely.points(middles[found[ask]]), geoms[line[ask]], 0.01)
    pairs = np.sort(found[near].astype(np.int64) * len(geoms) + line[near])
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
    found, line = pairs // len(geoms), pairs % len(geoms)
    count = np.bincount(found, minlength=len(middles))
    owner = np.full(len(middles), -1)
    owner[found] = line
    owner[count != 1] = -1
    return owner


def _first_owners(geoms: np.ndarray, middles: np.ndarray) -> np.ndarray:
    """The first line a tree of the lines finds within 1 cm of each middle (points), else the nearest."""
    found, lines = shapely.STRtree(geoms).query(middles, predicate="dwithin", distance=0.01)
    owner = np.full(len(middles), -1)
    owner[found[::-1]] = lines[::-1]  # the first match of each middle
    lost = np.flatnonzero(owner < 0)
    if len(lost):  # snap rounding moved it farther: the nearest line
        owner[lost] = shapely.STRtree(geoms).query_nearest(middles[lost], all_matches=False)[1]
    return owner

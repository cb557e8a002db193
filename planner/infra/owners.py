"""The nodes of a network's noded pieces, and the line each piece came from (:mod:`planner.infra.network`).

The pieces' ends rounded to the millimetre are the graph's nodes (:func:`grid_nodes`); each
piece takes the ``line_id`` of the input line its middle lies on, to a centimetre
(:func:`owners`): the only such line, found by numpy distances to a few candidate segments,
else the first a tree of the lines returns. Of the pieces snap rounding gave, most are sure from the
noding alone (:func:`noded_owners`): only those near where two lines come within a centimetre are searched.
"""

from __future__ import annotations

import numpy as np
import shapely

from planner.infra.snapround import candidates, cell_points, near_pairs, point_to_segment_m, sides, squared_distance_m2

__all__ = ["ends_of", "grid_nodes", "line_coords", "line_ends", "middles", "noded_owners", "owners"]

_NEAR_M = 0.001
"""A snap-rounded piece lies this close to the line that gave it (m): a pixel's centre is within 0.71 mm of the
stretch of line that passes through the pixel."""
_REACH_M = 0.011
"""Another line this close to a piece's middle may be within 1 cm of it (m): :func:`owners`' own reach."""
_BOX_M = 10.0
"""Two lines whose box of :func:`noded_owners` is wider than this (m) have all their pieces searched."""


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
    return ends_of(*line_coords(lines))


def line_coords(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lines' vertices (x, y) one after the other, and where each line's begin with one more at the end (as
    the offsets of ``shapely.to_ragged_array``)."""
    coords, which = shapely.get_coordinates(lines, return_index=True)
    offsets = np.zeros(len(lines) + 1, dtype=np.int64)
    np.cumsum(np.bincount(which, minlength=len(lines)), out=offsets[1:])
    return coords, offsets


def ends_of(coords: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`line_ends` of the lines held as :func:`line_coords`."""
    count = np.diff(offsets)
    return coords[offsets[:-1]], coords[offsets[1:] - 1], count


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


def noded_owners(joined: np.ndarray, lines: int, line: np.ndarray, middles: np.ndarray) -> np.ndarray:
    """Each snap-rounded piece's owner where it is sure from the noding alone, else -1 (to be found by :func:`owners`).

    ``joined``: the lines noded (the first ``lines`` of them the network's own, then the
    connectors); ``line``: the one of them that gave each piece; ``middles``: each piece's middle
    (x, y). A piece's points are the centres of pixels its line passes through, so its middle lies
    within :data:`_NEAR_M` of a segment ``s`` of that line. Another line lies within 1 cm of the
    middle only through a segment ``t`` that comes within ``_NEAR_M + _REACH_M`` of ``s``, and
    only inside the box of such a pair: both envelopes grown by ``_REACH_M``, and about where the
    two segments' lines cross, the rhombus of the points within ``_NEAR_M`` of one and
    ``_REACH_M`` of the other (no farther than ``(_NEAR_M + _REACH_M) / sin θ`` from the
    crossing). A middle in no such box has its own line alone within 1 cm: :func:`owners` would
    give that line. The pieces of a connector, in a box, or of two lines whose box is wider than
    :data:`_BOX_M` (lines running side by side) are left to :func:`owners`.
    """
    xy, which = shapely.get_coordinates(joined, return_index=True)
    joins = np.flatnonzero(which[1:] == which[:-1])
    a, b, seg_line = xy[joins], xy[joins + 1], which[joins]
    i, j = candidates(a, b, _NEAR_M + _REACH_M)
    other = seg_line[i] != seg_line[j]
    i, j = i[other], j[other]
    near = _close(a, b, i, j, _NEAR_M + _REACH_M)
    i, j = i[near], j[near]
    low = np.fmax(np.minimum(a[i], b[i]), np.minimum(a[j], b[j])) - _REACH_M
    high = np.fmin(np.maximum(a[i], b[i]), np.maximum(a[j], b[j])) + _REACH_M
    centre, half = _crossings(a[i], b[i], a[j], b[j])
    low, high = np.fmax(low, centre - half[:, None]), np.fmin(high, centre + half[:, None])
    wide = (high - low > _BOX_M).any(axis=1)
    small = ~wide & (low <= high).all(axis=1)
    owner = np.where((line < lines) & ~np.isin(line, seg_line[np.r_[i[wide], j[wide]]]), line, -1)
    owner[_in_boxes(middles, low[small], high[small])] = -1
    return owner


def _in_boxes(points: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Whether each point (x, y) lies in any of the boxes ``low`` – ``high`` (edges included), none wider than
    :data:`_BOX_M`: the boxes in cells of that side (each in at most 2 × 2), each point tried on those of its cell."""
    if not len(low) or not len(points):
        return np.zeros(len(points), dtype=bool)
    origin = np.minimum(points.min(axis=0), low.min(axis=0))
    first = ((low - origin) // _BOX_M).astype(np.int64)
    last = ((high - origin) // _BOX_M).astype(np.int64)
    width = int(max(last[:, 0].max(), (points[:, 0].max() - origin[0]) // _BOX_M)) + 1
    box, key = [], []
    for dx in (0, 1):
        for dy in (0, 1):
            ok = np.flatnonzero((first[:, 0] + dx <= last[:, 0]) & (first[:, 1] + dy <= last[:, 1]))
            box.append(ok)
            key.append((first[ok, 1] + dy) * width + first[ok, 0] + dx)
    box_at, keys = np.concatenate(box), np.concatenate(key)
    order = np.argsort(keys, kind="stable")
    box_at, keys = box_at[order], keys[order]
    cell = ((points - origin) // _BOX_M).astype(np.int64)
    at = cell[:, 1] * width + cell[:, 0]
    lo, hi = np.searchsorted(keys, at, side="left"), np.searchsorted(keys, at, side="right")
    k, point = cell_points(box_at, lo, hi - lo, np.arange(len(points)))
    hit = ((points[point] >= low[k]) & (points[point] <= high[k])).all(axis=1)
    out = np.zeros(len(points), dtype=bool)
    out[point[hit]] = True
    return out


def _close(p0: np.ndarray, p1: np.ndarray, i: np.ndarray, j: np.ndarray, reach: float) -> np.ndarray:
    """Whether segments ``i`` and ``j`` (of p0 → p1) come within ``reach`` (m) of each other.

    They do where they cross; they do not where one lies beyond ``reach`` of the other's line, both its ends on one
    side (the noder's side determinants, :func:`~planner.infra.snapround.sides`); else where an end lies within
    ``reach`` of the other segment (where rounding misjudges a crossing, an end lies within a nanometre of the other
    segment).
    """
    a0, a1, b0, b1 = p0[i], p1[i], p0[j], p1[j]
    (b_0, b_1, a_0, a_1), _ = sides(p0, p1, i, j)
    cross = (b_0 * b_1 < 0) & (a_0 * a_1 < 0)
    beyond = (reach * (1 + 1e-9)) * np.array([np.hypot(*(a1 - a0).T), np.hypot(*(b1 - b0).T)])
    far = ((b_0 * b_1 > 0) & (np.minimum(np.abs(b_0), np.abs(b_1)) > beyond[0])) | (
        (a_0 * a_1 > 0) & (np.minimum(np.abs(a_0), np.abs(a_1)) > beyond[1])
    )
    ask = np.flatnonzero(~cross & ~far)
    ends = [(a0, b0, b1), (a1, b0, b1), (b0, a0, a1), (b1, a0, a1)]
    apart: np.ndarray = np.minimum.reduce([point_to_segment_m(p[ask], s0[ask], s1[ask]) for p, s0, s1 in ends])
    out: np.ndarray = cross.copy()
    out[ask] = apart <= reach * (1 + 1e-9)
    return out


def _crossings(a0: np.ndarray, a1: np.ndarray, b0: np.ndarray, b1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the lines of segments a0 → a1 and b0 → b1 cross, and how far from there a point may lie within
    ``_NEAR_M`` of one and ``_REACH_M`` of the other (m): ``(_NEAR_M + _REACH_M) / sin θ``, a thousandth more for
    the rounding; NaN and ``inf`` where they run parallel or nearly (sin θ < 10⁻⁶: the envelopes alone bound it)."""
    da, db, gap = a1 - a0, b1 - b0, b0 - a0
    len_a, len_b = np.hypot(da[:, 0], da[:, 1]), np.hypot(db[:, 0], db[:, 1])
    cross = da[:, 0] * db[:, 1] - da[:, 1] * db[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        sine = np.abs(cross) / (len_a * len_b)
        steep = sine >= 1e-6
        t = np.where(steep, (gap[:, 0] * db[:, 1] - gap[:, 1] * db[:, 0]) / cross, np.nan)
        half = np.where(steep, (_NEAR_M + _REACH_M) / sine * 1.001 + 1e-6, np.inf)
    return a0 + da * t[:, None], half


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

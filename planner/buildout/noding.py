"""Noding a network with every candidate work: GEOS on the lines that meet, the loose road segments as they are.

:func:`~planner.infra.network.build_network` nodes a network's lines with
``shapely.union_all(lines, grid_size=0.001)`` (snap rounding on a 1 mm grid). With every
candidate extension of a network in service, most lines are road segments that meet
others only at their ends, and GEOS spends most of its time re-noding them.
:func:`node_lines` gives the same segments: a straight line whose ends lie on the grid
and which comes within :data:`NEAR_M` of another line only at an end both share exactly is
one segment of the result as it is (snap rounding would neither move nor split it); the
others are noded by GEOS together. The segments come in the order GEOS gives them: each
line's pieces in the order of the lines.

Where every segment of every line runs along an axis with its ends on the grid (a road grid
drawn so, as the bench's), :func:`noded` gives the same without GEOS (:func:`axis_lines_noded`);
lines drawn otherwise (slanted, as surveyed networks are) are noded by numpy as GEOS's snap
rounding nodes them (:func:`planner.infra.snapround.snap_noded`, the same pieces in the same
order), and only what that does not take (lines with Z) goes to :func:`node_lines`.
"""

from __future__ import annotations

import numpy as np
import shapely

from planner.infra.noding import axis_noded
from planner.infra.snapround import snap_noded

__all__ = ["GRID_M", "NEAR_M", "axis_lines_noded", "node_lines", "noded"]

GRID_M = 0.001
"""The noding grid of :func:`~planner.infra.network.build_network` (m)."""
NEAR_M = 0.005
"""Lines closer than this may be noded together by snap rounding on the grid (m; a pixel's diagonal is 0.0014)."""
_TRIM_M = 0.01  # a line's middle: the line without this much at either end
_ON_M = 0.002  # a piece of a line lies this close to it, snapping on the grid included


def node_lines(geoms: np.ndarray) -> np.ndarray:
    """``shapely.get_parts(shapely.union_all(geoms, grid_size=GRID_M))``, with the loose straight lines passed through.

    ``geoms``: linestrings, none empty. Returns the noded segments, each line's pieces in
    the order of the lines, as GEOS gives them.
    """
    geoms = np.asarray(geoms, dtype=object)
    loose = _loose(geoms)
    rest = np.flatnonzero(~loose)
    if not len(rest):
        return geoms
    noded = shapely.get_parts(shapely.union_all(geoms[rest], grid_size=GRID_M))
    noded = noded[shapely.length(noded) > 0]
    # GEOS gives each line's pieces in the order of the lines (a piece two lines share, with the first):
    # the loose lines are put back in their places, so that ties along the network fall as they would
    middles = _middles(noded)
    found, line = shapely.STRtree(geoms[rest]).query(middles, predicate="dwithin", distance=_ON_M)
    # the line nearest the piece's middle, the first of those as near
    apart = shapely.distance(middles[found], geoms[rest[line]])
    first = np.lexsort((rest[line], apart, found))
    found, line = found[first], line[first]
    head = np.r_[True, found[1:] != found[:-1]]
    owner = np.full(len(noded), len(geoms))
    owner[found[head]] = rest[line[head]]
    lost = np.flatnonzero(owner == len(geoms))
    if len(lost):  # moved farther by the snapping: the nearest line
        found, line = shapely.STRtree(geoms[rest]).query_nearest(_middles(noded[lost]), all_matches=True)
        np.minimum.at(owner, lost[found], rest[line])
    key = np.concatenate([owner, np.flatnonzero(loose)])
    order = np.lexsort((np.arange(len(key)), key))
    return np.concatenate([noded, geoms[loose]])[order]


def noded(geoms: np.ndarray) -> np.ndarray:
    """:func:`node_lines`, by numpy: :func:`axis_lines_noded` where every line runs along the axes on the grid, else
    :func:`~planner.infra.snapround.snap_noded` (any linestrings without Z); GEOS only for what neither takes."""
    axis = axis_lines_noded(geoms)
    if axis is not None:
        return axis
    snapped = snap_noded(geoms)
    return node_lines(geoms) if snapped is None else snapped.pieces


def axis_lines_noded(geoms: np.ndarray) -> np.ndarray | None:
    """GEOS's noding of lines whose every segment is horizontal or vertical with its ends on the grid, without GEOS.

    None (left to GEOS) for any other lines. Each line is cut into its segments, noded by
    :func:`~planner.infra.noding.axis_noded` (GEOS's pieces of the segments, in GEOS's order);
    the pieces are then joined again where a line bends at a point no other piece touches: GEOS
    cuts a line where another line (or the line itself elsewhere) touches it, not at its own
    vertices. Only where the lines run along the axes: the candidate works along a road grid
    drawn so (the bench's); a surveyed network, slanted, is left to :func:`node_lines`.
    """
    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms) or (shapely.get_type_id(geoms) != 1).any() or shapely.has_z(geoms).any():
        return None
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    if (np.bincount(which, minlength=len(geoms)) < 2).any():
        return None
    inner = which[1:] == which[:-1]  # consecutive vertices of one line: a segment
    line = which[:-1][inner]
    a, b = coords[:-1][inner], coords[1:][inner]
    if (a == b).all(axis=1).any():
        return None
    if len(line) == len(geoms):  # every line one segment: GEOS's pieces as they are
        axis = axis_noded(geoms)
        return None if axis is None else axis.pieces
    segments = shapely.linestrings(np.stack([a, b], axis=1))
    axis = axis_noded(segments)
    if axis is None:
        return None
    seg = axis.line
    ends = shapely.get_coordinates(axis.pieces).reshape(-1, 2, 2)
    start, end = ends[:, 0], ends[:, 1]
    # a piece ending where its line bends into its next segment, whose first piece starts there
    join = (
        (seg[1:] == seg[:-1] + 1)
        & (line[seg[1:]] == line[seg[:-1]])
        & (end[:-1] == b[seg[:-1]]).all(axis=1)
        & (start[1:] == a[seg[1:]]).all(axis=1)
    )
    # ... and no other segment touches there (a piece it gave there may have been one given already)
    bend = np.flatnonzero(join)
    found, other = shapely.STRtree(segments).query(shapely.points(end[bend]), predicate="intersects")
    elsewhere = (other != seg[bend[found]]) & (other != seg[bend[found] + 1])
    join[bend[np.unique(found[elsewhere])]] = False
    if not join.any():
        return axis.pieces
    first = np.r_[True, ~join]
    group = np.cumsum(first) - 1
    points = np.concatenate([start[first], end])
    owner = np.concatenate([group[first], group])
    order = np.lexsort((np.r_[np.full(first.sum(), -1), np.arange(len(seg))], owner))
    joined: np.ndarray = shapely.linestrings(points[order], indices=owner[order])
    return joined


def _middles(lines: np.ndarray) -> np.ndarray:
    """The point halfway along each line (of two points: between its ends)."""
    coords, which = shapely.get_coordinates(lines, return_index=True)
    count = np.bincount(which, minlength=len(lines))
    last = np.cumsum(count) - 1
    out = np.empty(len(lines), dtype=object)
    straight = count == 2
    out[straight] = shapely.points((coords[last - 1][straight] + coords[last][straight]) / 2)
    out[~straight] = shapely.line_interpolate_point(lines[~straight], 0.5, normalized=True)
    return out


def _loose(geoms: np.ndarray) -> np.ndarray:
    """Which lines are a segment of the noded result as they are (see the module notes)."""
    n = len(geoms)
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    count = np.bincount(which, minlength=n)
    last = np.cumsum(count) - 1
    a, b = coords[last - count + 1], coords[last]
    off_grid = (np.round(coords / GRID_M) * GRID_M != coords).any(axis=1)
    on_grid = np.bincount(which, weights=off_grid, minlength=n) == 0
    straight = (count == 2) & (np.hypot(*(b - a).T) > 4 * _TRIM_M)
    maybe = np.flatnonzero(straight & on_grid)
    if not len(maybe):
        return np.zeros(n, dtype=bool)
    # every line whose box, widened by NEAR_M, meets the box of a line that may be loose
    low, high = shapely.bounds(geoms[maybe])[:, :2] - NEAR_M, shapely.bounds(geoms[maybe])[:, 2:] + NEAR_M
    found, j = shapely.STRtree(geoms).query(shapely.box(low[:, 0], low[:, 1], high[:, 0], high[:, 1]))
    i = maybe[found]
    other = i != j
    i, j = i[other], j[other]
    shared = np.zeros(len(i), dtype=bool)
    for end_i in (a, b):
        for end_j in (a, b):
            shared |= (end_i[i] == end_j[j]).all(axis=1)
    # lines that share no end spoil each other where they come near; straight lines sharing an end, where
    # the middle of one comes near the other; any other line near a line spoils it
    bad = ~shared | ~straight[j]
    apart = ~shared
    bad[apart] = shapely.dwithin(geoms[i[apart]], geoms[j[apart]], NEAR_M)
    pair = shared & straight[j]
    bad[pair] = _middle_near(a, b, i[pair], j[pair]) | _middle_near(a, b, j[pair], i[pair])
    loose = np.zeros(n, dtype=bool)
    loose[maybe] = True
    loose[i[bad]] = False
    return loose


def _middle_near(a: np.ndarray, b: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Whether the middle of straight line ``i`` comes within NEAR_M of straight line ``j`` (sharing an end with it).

    Straight lines sharing an end meet nowhere else unless they overlap, and then an end of
    one lies on the other: the distance is the least from an end of one to the other.
    """
    step = (b[i] - a[i]) / np.hypot(*(b[i] - a[i]).T)[:, None] * _TRIM_M
    p, q = a[i] + step, b[i] - step
    near = np.minimum(_to_segment(p, a[j], b[j]), _to_segment(q, a[j], b[j]))
    near = np.minimum(near, np.minimum(_to_segment(a[j], p, q), _to_segment(b[j], p, q)))
    out: np.ndarray = near <= NEAR_M
    return out


def _to_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from each point ``p`` to the segment from ``a`` to ``b`` (rows)."""
    ab = b - a
    t = np.clip(((p - a) * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-300), 0.0, 1.0)
    out: np.ndarray = np.hypot(*(a + t[:, None] * ab - p).T)
    return out

"""Snap-rounded noding of any straight-segment lines with numpy: GEOS's ``union_all(grid_size=0.001)`` without GEOS.

:func:`~planner.infra.network.build_network` nodes a network's lines with
``shapely.get_parts(shapely.union_all(lines, grid_size=0.001))``: GEOS's snap-rounding noder
(``SnapRoundingNoder``) on the 1 mm grid, then its overlay keeps each noded edge once. For
lines that run along the axes on the grid :mod:`planner.infra.noding` gives the same
directly; :func:`snap_noded` gives it for lines of any direction and any number of
vertices, following GEOS's steps:

1. the *intersections*: where two segments cross or touch at a point interior to one of them
   (an end of one on the other, the ends of a stretch two collinear segments share), and
   where a vertex lies within :data:`NEAR_M` of another segment (not near its ends); each is
   added to its segments, which are split there (unrounded: GEOS's noded coordinates);
2. the *hot pixels*: the 1 mm cells (centred on grid points, half-open: the left and bottom
   sides in, the right and top out) about each vertex and each intersection, rounded half up.
   A pixel is a *node* if it holds an intersection, or two vertices (of one line or two), or
   if a split segment passes through it without having an end in it (found by
   :func:`planner.infra.hotpixels.pixel_hits`);
3. each line, its points rounded to the grid, is cut at every node pixel its split segments
   pass through (ordered along the segment, two as far along in x order in its direction as
   GEOS's ``SegmentPointComparator`` has them; a split segment that rounding collapses to a
   point passes through none), at its vertices in node pixels, and where it turns right
   back (A, B, A: at B); a piece that an earlier line gave already (the same first two
   points from its lesser end: GEOS's ``EdgeKey``) is kept once, as that line gave it, and the
   pieces come line by line in the order of the lines, each in its line's direction.

The arithmetic is GEOS's: the crossing point by the same formula, in the same order of
operations (``Intersection::intersection``, coordinates conditioned by the middle of the two
envelopes' overlap), so it is the same double; the rounding as ``PrecisionModel`` rounds
(``floor(v * 1000)`` plus one where the rest is at least a half). GEOS decides on which side
of a segment a point lies (crossing or not, a pixel's corner) in double-double arithmetic,
numpy in doubles: the two differ only where a point lies within about 1e-15 of the segment's
length from it, that is where a crossing lies within a nanometre or so of a pixel's edge or
corner (and a GEOS built to fuse multiplications and additions would round the crossing's last
bits otherwise, with the same effect). There a node may fall on the neighbouring grid point
(1 mm away) or a piece be cut once more or less: the tolerance is one grid step, and elsewhere
none; ``tests/infra/test_snapround.py`` checks random slanted networks and the
degenerate cases (crossings, T, shared stretches, duplicates, near-parallel lines) equal to
GEOS's to the bit. Lines with Z, or that are not linestrings, are left to GEOS (None).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from planner.infra.hotpixels import pixel_hits

__all__ = [
    "GRID_M",
    "NEAR_M",
    "SnapNoding",
    "candidates",
    "cell_points",
    "near_pairs",
    "point_to_segment_m",
    "sides",
    "snap_noded",
    "squared_distance_m2",
]

GRID_M = 0.001
"""The noding grid (m)."""
SCALE = 1.0 / GRID_M
"""GEOS's precision model's scale (1000.0, exactly)."""
NEAR_M = GRID_M / 100.0
"""A vertex this close to another segment is an intersection (GEOS's ``INTERSECTION_NEARNESS_FACTOR``, m)."""


@dataclass
class SnapNoding:
    """The noded pieces and, for each, the line that gave it (the first of the lines that gave it)."""

    pieces: np.ndarray
    line: np.ndarray


def round_half_up(scaled: np.ndarray) -> np.ndarray:
    """GEOS's ``util::round``: the nearest integer, halves upward."""
    low = np.floor(scaled)
    out: np.ndarray = low + (scaled - low >= 0.5)
    return out


def snap_noded(geoms: np.ndarray) -> SnapNoding | None:
    """``shapely.get_parts(shapely.union_all(geoms, grid_size=GRID_M))``, pieces of zero length dropped, by numpy.

    ``geoms``: linestrings. Returns None (left to GEOS) for anything else, or lines with Z or
    coordinates that are not finite.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if not n or (shapely.get_type_id(geoms) != 1).any() or shapely.has_z(geoms).any():
        return None
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    if not np.isfinite(coords).all():
        return None
    # repeated vertices are no segment
    keep = np.r_[True, (which[1:] != which[:-1]) | (coords[1:] != coords[:-1]).any(axis=1)]
    coords, which = coords[keep], which[keep]
    inner = np.flatnonzero(which[1:] == which[:-1])  # segment k runs from vertex inner[k] to inner[k] + 1
    if not len(inner):
        return None
    p0, p1 = coords[inner], coords[inner + 1]
    crossings, on_seg = _intersections(p0, p1)
    chain, chain_line, tail, vertex_at, crossing_at = _chains(coords, which, inner, p0, p1, crossings, on_seg)
    pixels, node, chain_pixel = _hot_pixels(chain, vertex_at, crossing_at)
    # GEOS snaps the segments split at the intersections (unrounded), but not those rounding collapses to a point
    k = np.flatnonzero(~tail[:-1] & (chain_pixel[:-1] != chain_pixel[1:]))
    sub, pix = pixel_hits(chain[k], chain[k + 1], pixels, chain_pixel[k], chain_pixel[k + 1], GRID_M)
    sub = k[sub]
    node[pix] = True  # a pixel a segment passes through without an end in it is a node
    return _pieces(chain, chain_line, pixels, node, chain_pixel, sub, pix)


def _chains(
    coords: np.ndarray,
    which: np.ndarray,
    inner: np.ndarray,
    p0: np.ndarray,
    p1: np.ndarray,
    crossings: np.ndarray,
    on_seg: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each line's vertices with the intersections added on its segments, in order (GEOS's noded coordinates).

    Returns the points (unrounded), each one's line, whether each is its line's last point, and
    the point each vertex and each intersection is (equal points in a row on a line are one).
    """
    x0, y0 = p0[on_seg, 0], p0[on_seg, 1]
    dx, dy = p1[on_seg, 0] - x0, p1[on_seg, 1] - y0
    t = ((crossings[:, 0] - x0) * dx + (crossings[:, 1] - y0) * dy) / (dx * dx + dy * dy)
    at_vertex, at_crossing = _merged(len(coords), inner[on_seg], t)
    xy = np.empty((len(coords) + len(on_seg), 2))
    xy[at_vertex], xy[at_crossing] = coords, crossings
    line = np.empty(len(xy), dtype=np.int64)
    line[at_vertex], line[at_crossing] = which, which[inner[on_seg]]
    fresh = np.r_[True, (line[1:] != line[:-1]) | (xy[1:, 0] != xy[:-1, 0]) | (xy[1:, 1] != xy[:-1, 1])]
    group = np.cumsum(fresh) - 1
    xy, line = xy[fresh], line[fresh]
    tail = np.r_[line[1:] != line[:-1], True]
    return xy, line, tail, group[at_vertex], group[at_crossing]


def _merged(n: int, at: np.ndarray, along: np.ndarray, tie: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Where n points in a row and extra points go when each extra is put after point ``at``, those after one point
    ordered by ``along``, then ``tie`` (if given; else as given): the positions of the n points, and of the extras.

    The order ``np.lexsort((along, kind, at))`` gives (the n points at ``arange(n)``, kind 0; the extras kind 1)
    without sorting the n points."""
    order = np.lexsort((along, at) if tie is None else (tie, along, at))
    count = np.bincount(at, minlength=n)
    points = np.arange(n) + (np.cumsum(count) - count)
    extras = np.empty(len(at), dtype=np.int64)
    extras[order] = at[order] + np.arange(1, len(at) + 1)
    return points, extras


def _in_env(s0: np.ndarray, s1: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Whether points p lie in the envelopes of segments s0 → s1 (boundary included)."""
    out: np.ndarray = ((np.minimum(s0, s1) <= p) & (p <= np.maximum(s0, s1))).all(axis=1)
    return out


def _is_end(p: np.ndarray, s0: np.ndarray, s1: np.ndarray) -> np.ndarray:
    """Whether points p are an end of segments s0 → s1."""
    out: np.ndarray = (p == s0).all(axis=1) | (p == s1).all(axis=1)
    return out


def _crossing(p1: np.ndarray, p2: np.ndarray, q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """GEOS's ``Intersection::intersection`` of lines p1 p2 and q1 q2, operation by operation."""
    low = np.maximum(np.minimum(p1, p2), np.minimum(q1, q2))
    high = np.minimum(np.maximum(p1, p2), np.maximum(q1, q2))
    mid = (low + high) / 2.0
    p1x, p1y = (p1 - mid).T
    p2x, p2y = (p2 - mid).T
    q1x, q1y = (q1 - mid).T
    q2x, q2y = (q2 - mid).T
    px, py, pw = p1y - p2y, p2x - p1x, p1x * p2y - p2x * p1y
    qx, qy, qw = q1y - q2y, q2x - q1x, q1x * q2y - q2x * q1y
    x, y, w = py * qw - qy * pw, qx * pw - px * qw, px * qy - qx * py
    with np.errstate(divide="ignore", invalid="ignore"):
        xy: np.ndarray = np.column_stack([x / w, y / w]) + mid
    # GEOS: a point outside both envelopes (or none at all) is replaced by the nearest end
    bad = ~np.isfinite(xy).all(axis=1) | ~(_in_env(p1, p2, xy) & _in_env(q1, q2, xy))
    if bad.any():
        xy[bad] = _nearest_end(p1[bad], p2[bad], q1[bad], q2[bad])
    return xy


def point_to_segment_m(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """GEOS's ``Distance::pointToSegment``."""
    d = b - a
    len2 = (d * d).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = ((p - a) * d).sum(axis=1) / len2
        s = ((a[:, 1] - p[:, 1]) * d[:, 0] - (a[:, 0] - p[:, 0]) * d[:, 1]) / len2
    dist = np.abs(s) * np.sqrt(len2)
    dist = np.where(r <= 0.0, np.hypot(*(p - a).T), dist)
    end = np.where(len2 == 0, np.hypot(*(p - a).T), np.hypot(*(p - b).T))
    out: np.ndarray = np.where((r >= 1.0) | (len2 == 0), end, dist)
    return out


def squared_distance_m2(
    px: np.ndarray, py: np.ndarray, ax: np.ndarray, ay: np.ndarray, dx: np.ndarray, dy: np.ndarray
) -> np.ndarray:
    """The square of the distance from each point (``px``, ``py``) to the segment from (``ax``, ``ay``) to
    (``ax + dx``, ``ay + dy``), flat columns: no root, no hypot (a fifth of the time of :func:`point_to_segment_m`
    on a million pairs; within about 10⁻¹¹ m of it in a park's coordinates). A segment of no length: its point."""
    wx: np.ndarray = px - ax  # new arrays, worked on in place (a fifth less time than a new one at each step)
    wy: np.ndarray = py - ay
    length2 = dx * dx
    length2 += dy * dy
    t = wx * dx
    t += wy * dy
    with np.errstate(divide="ignore", invalid="ignore"):
        t /= length2
    np.clip(t, 0.0, 1.0, out=t)
    t[length2 == 0] = 0.0
    wx -= t * dx
    wy -= t * dy
    wx *= wx
    wy *= wy
    wx += wy
    return wx


def _nearest_end(p1: np.ndarray, p2: np.ndarray, q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """GEOS's ``nearestEndpoint``: the end of either segment nearest the other segment."""
    cands = [(p1, q1, q2), (p2, q1, q2), (q1, p1, p2), (q2, p1, p2)]
    dists = np.column_stack([point_to_segment_m(p, a, b) for p, a, b in cands])
    pick = np.argmin(dists, axis=1)  # the first of equal distances, as GEOS
    out: np.ndarray = np.stack([c[0] for c in cands], axis=1)[np.arange(len(pick)), pick]
    return out


def candidates(p0: np.ndarray, p1: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) of segments whose envelopes, grown by ``margin``, overlap."""
    low, high = np.minimum(p0, p1), np.maximum(p0, p1)
    tree = shapely.STRtree(shapely.box(*low.T, *high.T))
    i, j = tree.query(shapely.box(*(low - margin).T, *(high + margin).T))
    mine = i < j
    return i[mine], j[mine]


def _intersections(p0: np.ndarray, p1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GEOS's intersections of the segments (unrounded): the points (each a node pixel's source), and for each the
    segment it is added to (a crossing to both segments, so it comes twice)."""
    i, j = candidates(p0, p1, NEAR_M)
    dets, near = sides(p0, p1, i, j)
    pa0, pa1, pb0, pb1 = (np.sign(det).astype(np.int8) for det in dets)
    meet = (pa0 * pa1 <= 0) & (pb0 * pb1 <= 0)
    meet[meet] = _envelopes_meet(p0, p1, i[meet], j[meet])
    collinear = meet & (pa0 == 0) & (pa1 == 0) & (pb0 == 0) & (pb1 == 0)
    points, owners = [], []
    hit = np.zeros(len(i), dtype=bool)  # an interior intersection: no near-vertex test
    # one point: an end on the other segment (copied, in GEOS's order), else the crossing
    k = np.flatnonzero(meet & ~collinear)
    a0, a1, b0, b1 = p0[i[k]], p1[i[k]], p0[j[k]], p1[j[k]]
    xy = _crossing(a0, a1, b0, b1)
    for flag, end in ((pb1, a1), (pb0, a0), (pa1, b1), (pa0, b0)):
        on = flag[k] == 0
        xy[on] = end[on]
    for e0, e1 in ((a1, b1), (a1, b0), (a0, b1), (a0, b0)):
        same = (e0[:, 0] == e1[:, 0]) & (e0[:, 1] == e1[:, 1])
        xy[same] = e0[same]
    interior = ~(_is_end(xy, a0, a1) & _is_end(xy, b0, b1))
    hit[k[interior]] = True
    points += [xy[interior], xy[interior]]
    owners += [i[k[interior]], j[k[interior]]]
    # a shared stretch: both its ends (GEOS's cascade), where one is interior to a segment
    c = np.flatnonzero(collinear)
    a0, a1, b0, b1 = p0[i[c]], p1[i[c]], p0[j[c]], p1[j[c]]
    first, second, found = _overlap_ends(a0, a1, b0, b1)
    ends = _is_end(first, a0, a1) & _is_end(first, b0, b1) & _is_end(second, a0, a1) & _is_end(second, b0, b1)
    interior = found & ~ends
    hit[c[interior]] = True
    for end in (first, second):
        points += [end[interior], end[interior]]
        owners += [i[c[interior]], j[c[interior]]]
    # a vertex within NEAR_M of the other segment (and not of its ends), where the two have no interior intersection
    for maybe, vertex, seg, edge in zip(near, (p0, p1, p0, p1), (j, j, i, i), (i, i, j, j), strict=True):
        m = np.flatnonzero(maybe & ~hit)
        v, s0, s1 = vertex[edge[m]], p0[seg[m]], p1[seg[m]]
        far = (np.hypot(*(v - s0).T) >= NEAR_M) & (np.hypot(*(v - s1).T) >= NEAR_M)
        close = far & (point_to_segment_m(v, s0, s1) < NEAR_M)
        points.append(v[close])
        owners.append(seg[m[close]])
    return np.concatenate(points).reshape(-1, 2), np.concatenate(owners).astype(np.int64)


def sides(
    p0: np.ndarray, p1: np.ndarray, i: np.ndarray, j: np.ndarray
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """For pairs of segments a = (i), b = (j): the determinants ``(s1 - s0) × (c - s0)`` (in doubles, as GEOS's side
    test in doubles) of b's ends c about a and of a's about b; and for a0, a1 about b, b0, b1 about a, where the vertex
    may lie within NEAR_M of the other segment.

    A vertex nearer a segment than NEAR_M is nearer its line: |det| < NEAR_M × the segment's length
    (here twice that, and more than the determinant's rounding, so that none near is left out).
    """
    ax0, ay0, ax1, ay1 = p0[i, 0], p0[i, 1], p1[i, 0], p1[i, 1]
    bx0, by0, bx1, by1 = p0[j, 0], p0[j, 1], p1[j, 0], p1[j, 1]
    adx, ady, bdx, bdy = ax1 - ax0, ay1 - ay0, bx1 - bx0, by1 - by0
    a_reach, b_reach = 2.0 * NEAR_M * np.hypot(adx, ady), 2.0 * NEAR_M * np.hypot(bdx, bdy)
    dets, near = [], []
    for sx, sy, dx, dy, cx, cy, reach in (
        (ax0, ay0, adx, ady, bx0, by0, a_reach),
        (ax0, ay0, adx, ady, bx1, by1, a_reach),
        (bx0, by0, bdx, bdy, ax0, ay0, b_reach),
        (bx0, by0, bdx, bdy, ax1, ay1, b_reach),
    ):
        t1, t2 = dx * (cy - sy), dy * (cx - sx)
        det = t1 - t2
        dets.append(det)
        near.append(np.abs(det) <= reach + 1e-12 * (np.abs(t1) + np.abs(t2)))
    return tuple(dets), (near[2], near[3], near[0], near[1])


def _envelopes_meet(p0: np.ndarray, p1: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Whether the envelopes of segments i and j meet (boundaries included)."""
    low, high = np.minimum(p0, p1), np.maximum(p0, p1)
    out: np.ndarray = ((low[i] <= high[j]) & (low[j] <= high[i])).all(axis=1)
    return out


def _overlap_ends(
    p1: np.ndarray, p2: np.ndarray, q1: np.ndarray, q2: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GEOS's ``computeCollinearIntersection``: the two ends of the stretch collinear segments share, and whether
    there is one."""
    q1p, q2p, p1q, p2q = _in_env(p1, p2, q1), _in_env(p1, p2, q2), _in_env(q1, q2, p1), _in_env(q1, q2, p2)
    first, second = np.zeros_like(p1), np.zeros_like(p1)
    done = np.zeros(len(p1), dtype=bool)
    for cond, u, v in (
        (q1p & q2p, q1, q2),
        (p1q & p2q, p1, p2),
        (q1p & p1q, q1, p1),
        (q1p & p2q, q1, p2),
        (q2p & p1q, q2, p1),
        (q2p & p2q, q2, p2),
    ):
        now = cond & ~done
        first[now], second[now] = u[now], v[now]
        done |= now
    return first, second, done


def _hot_pixels(
    chain: np.ndarray, vertex_at: np.ndarray, crossing_at: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The hot pixels (scaled integer centres, in x then y order), whether each is a node already, and the pixel of
    each chain point (``vertex_at``, ``crossing_at``: the chain points the vertices and intersections are)."""
    scaled = round_half_up(chain * SCALE)
    unique, inverse = _unique_rows(scaled)
    node = np.zeros(len(unique), dtype=bool)
    node[inverse[crossing_at]] = True
    # a pixel holding two vertices (of one line or two) is a node (GEOS's HotPixelIndex.add)
    node |= np.bincount(inverse[vertex_at], minlength=len(unique)) >= 2
    return unique, node, inverse


def _unique_rows(scaled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of integral (x, y), sorted by x then y, and the index of each row among them."""
    x, y = scaled[:, 0], scaled[:, 1]
    x0, y0 = float(x.min()), float(y.min())
    span = float(y.max()) - y0 + 1.0
    if max(abs(x0), abs(y0), float(np.abs(scaled).max())) < 2.0**52 and (float(x.max()) - x0 + 1.0) * span < 2.0**62:
        # one int64 key per row, ordered as the rows (exact: the values are integers below 2**52)
        keys, inverse = np.unique(
            (x - x0).astype(np.int64) * int(span) + (y - y0).astype(np.int64), return_inverse=True
        )
        rows = np.column_stack(
            [x0 + (keys // int(span)).astype(np.float64), y0 + (keys % int(span)).astype(np.float64)]
        )
        return rows, inverse.reshape(-1)
    unique, inverse = np.unique(x + 1j * y, return_inverse=True)
    return np.column_stack([unique.real, unique.imag]), inverse.reshape(-1)


def near_pairs(points: np.ndarray, p0: np.ndarray, p1: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Candidate (point, segment) pairs: every point within ``reach`` of segment p0 → p1 is among them (each pair once).

    The points are put in square cells of a side about that of a square holding four of them
    on average (at least four reaches); each segment is cut in chunks no longer than a cell less
    two reaches, so that each chunk's envelope, grown by ``reach``, meets at most 2 × 2 cells: the points
    of those are its candidates. A long slanted segment, whose envelope would hold much of a
    park, is offered only the points along it.
    """
    if not len(points) or not len(p0):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    origin = points.min(axis=0) - 1.0
    extent = np.maximum(points.max(axis=0) + 1.0 - origin, 1.0)
    cell = max(float(np.sqrt(extent[0] * extent[1] * 4.0 / len(points))), 4.0 * reach, 1.0)
    width = int(extent[0] // cell) + 3
    pt_key = ((points[:, 1] - origin[1]) // cell).astype(np.int64) * width + (
        (points[:, 0] - origin[0]) // cell
    ).astype(np.int64)
    by_key = np.argsort(pt_key, kind="stable")
    # chunks no longer than a cell less two reaches: grown by the reach, each spans at most two cells across
    chunk = (cell - 2.0 * reach) * (1.0 - 1e-9)  # a hair shorter: rounding does not carry it into a third cell
    parts = np.maximum(np.ceil(np.hypot(*(p1 - p0).T) / chunk), 1).astype(np.int64)
    seg = np.repeat(np.arange(len(p0)), parts)
    step = np.arange(len(seg)) - np.repeat(np.cumsum(parts) - parts, parts)
    d = (p1 - p0)[seg]
    c0 = p0[seg] + d * (step / parts[seg])[:, None]
    c1 = p0[seg] + d * ((step + 1) / parts[seg])[:, None]
    low = ((np.minimum(c0, c1) - reach - origin) // cell).astype(np.int64)
    high = ((np.maximum(c0, c1) + reach - origin) // cell).astype(np.int64)
    segs, keys = [], []
    for dx in (0, 1):
        for dy in (0, 1):
            ok = (low[:, 0] + dx <= high[:, 0]) & (low[:, 1] + dy <= high[:, 1])
            segs.append(seg[ok])
            keys.append((low[ok, 1] + dy) * width + low[ok, 0] + dx)
    seg, key = np.concatenate(segs), np.concatenate(keys)
    # the points of each cell: where they start among the points cell by cell, and how many (none outside)
    in_cell = np.bincount(pt_key)
    start = np.cumsum(in_cell) - in_cell
    inside = (key >= 0) & (key < len(in_cell))
    key[~inside] = 0
    count = np.where(inside, in_cell[key], 0)
    many = parts[seg] > 1  # a segment of one chunk meets each cell once: its pairs come once already
    found, s = cell_points(by_key, start[key[~many]], count[~many], seg[~many])
    if not many.any():
        return found, s
    # a segment of many chunks meets a cell from several: each (segment, cell) once, then its points, in order
    many &= count > 0
    pair = np.sort(seg[many] * len(in_cell) + key[many])  # (np.unique hashes: slower)
    pair = pair[np.r_[True, pair[1:] != pair[:-1]][: len(pair)]]
    seg, key = pair // len(in_cell), pair % len(in_cell)
    more, s_more = cell_points(by_key, start[key], in_cell[key], seg)
    pairs = np.sort(more * len(p0) + s_more)
    return np.concatenate([found, pairs // len(p0)]), np.concatenate([s, pairs % len(p0)])


def cell_points(
    by_key: np.ndarray, start: np.ndarray, count: np.ndarray, seg: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The points of cells (``start``, ``count``: where they begin among ``by_key`` and how many), each with its
    segment ``seg``."""
    offset = np.cumsum(count) - count
    at = np.repeat(start - offset, count) + np.arange(int(offset[-1] + count[-1]) if len(count) else 0)
    return by_key[at], np.repeat(seg, count)


def _pieces(
    chain: np.ndarray,
    chain_line: np.ndarray,
    pixels: np.ndarray,
    node: np.ndarray,
    chain_pixel: np.ndarray,
    sub: np.ndarray,
    pix: np.ndarray,
) -> SnapNoding:
    """Each line cut at the node pixels it passes through; a piece given twice kept once (see the module notes).

    ``sub``, ``pix``: the node pixels each stretch from chain point ``sub`` to the next passes through.
    The points are pixels (their index among ``pixels``, which are in x then y order) until the end.
    """
    n = len(chain)
    head = np.r_[True, chain_line[1:] != chain_line[:-1]]
    tail = np.r_[chain_line[1:] != chain_line[:-1], True]
    d = chain[sub + 1] - chain[sub]
    t = ((pixels[pix] / SCALE - chain[sub]) * d).sum(axis=1) / (d * d).sum(axis=1)
    # where two are as far along (a diagonal stretch passing between two pixels' corners), x in its direction first:
    # GEOS's SegmentPointComparator (pixels are in x then y order)
    at_chain, at_hit = _merged(n, sub, t, np.where(d[:, 0] > 0, pix, -pix))
    ids = np.empty(n + len(sub), dtype=np.int64)
    ids[at_chain], ids[at_hit] = chain_pixel, pix
    flag = np.ones(len(ids), dtype=bool)
    flag[at_chain] = node[chain_pixel] | head | tail
    line = np.empty(len(ids), dtype=np.int64)
    line[at_chain], line[at_hit] = chain_line, chain_line[sub]
    # rounded points repeated in a row are one (a node if either is)
    start = np.r_[True, (line[1:] != line[:-1]) | (ids[1:] != ids[:-1])]
    flag = np.logical_or.reduceat(flag, np.flatnonzero(start))
    ids, line = ids[start], line[start]
    # a point where the line turns right back (A, B, A) is a node (GEOS's SegmentNodeList.addCollapsedNodes)
    flag[np.flatnonzero((line[2:] == line[:-2]) & (ids[2:] == ids[:-2])) + 1] = True
    # each point belongs to the piece its last node starts; a node (not a line's first point) also ends the one before
    piece = np.cumsum(flag) - 1
    also = flag & np.r_[False, line[1:] == line[:-1]]
    twice = 1 + also
    point = np.repeat(np.arange(len(ids)), twice)
    pid = piece[point]
    pid[(np.cumsum(twice) - twice)[also]] -= 1
    count = np.bincount(pid, minlength=piece[-1] + 1)
    real = count >= 2
    pid_line = np.zeros(len(count), dtype=np.int64)
    pid_line[piece] = line
    keep = real[pid]
    real_ids = np.flatnonzero(real)
    return _once(ids[point[keep]], np.searchsorted(real_ids, pid[keep]), pid_line[real_ids], pixels)


def _once(ids: np.ndarray, pid: np.ndarray, line: np.ndarray, pixels: np.ndarray) -> SnapNoding:
    """The pieces (pixels ``ids`` of piece ``pid``, sorted), each edge once: the first that gave it, as it gave it.

    Two pieces are one edge where they start alike from their lesser end (GEOS's ``EdgeKey``:
    the first two points, from the end that comes first in x, then y: the lesser pixel index).
    """
    count = np.bincount(pid)
    start = np.cumsum(count) - count
    end = start + count - 1
    f0, f1, l0, l1 = ids[start], ids[start + 1], ids[end], ids[end - 1]
    forward = np.where(f0 == l0, f1 < l1, f0 < l0)
    key = np.where(forward, f0 * len(pixels) + f1, l0 * len(pixels) + l1)
    by_key = np.argsort(key, kind="stable")
    k = key[by_key]
    kept = np.zeros(len(count), dtype=bool)
    kept[by_key] = np.r_[True, k[1:] != k[:-1]]
    mine = kept[pid]
    new_id = np.cumsum(kept) - 1
    pieces = shapely.linestrings(pixels[ids[mine]] / SCALE, indices=new_id[pid[mine]])
    return SnapNoding(np.asarray(pieces, dtype=object), line[kept])

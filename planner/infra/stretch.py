"""Numpy kernels for straight edges near convex parcels, in place of GEOS calls per pair.

:func:`planner.infra.taps.network_taps` needs, for every parcel–edge pair,
whether the edge passes within the service distance ``d`` of the parcel, the stretch of
the edge inside the parcel's service zone, and (for the chosen pairs) their distance.
With GEOS that is a distance test, a buffer, an intersection and projections per pair —
most of a readiness run. Most edges are straight two-point segments and most parcels
convex polygons; for those this module computes the same figures with numpy.

The zone is the parcel buffered by ``d`` as GEOS builds it
(``shapely.buffer(parcel, d, quad_segs=16)``): a convex polygon whose sides are the
parcel's sides moved out by ``d`` and, at each corner, a fan of equal chords of the
circle of radius ``d`` (the corner's turn cut into ``round(turn / (π/32))`` steps).
A segment meets it in one interval. Its ends are found in two steps: clip the segment
by the half-planes of the moved-out sides (as if the corners were mitred), then, where
an end lies beyond a corner (in the mitre outside the fan), move it to where the segment
crosses the fan — on the chord of the arc where it enters the circle.

Where an answer would hang on floating-point noise (the segment touches the zone at a
point, runs along a side, or passes within the circle but outside the chords), the pair
is marked :data:`ASK` and the caller asks GEOS. The tests compare both ways on random
segments and polygons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

__all__ = [
    "ASK",
    "FAR",
    "FOUND",
    "QUAD_SEGS",
    "ConvexRings",
    "convex_rings",
    "ring_distance",
    "spliced_rings",
    "zone_stretch",
]

QUAD_SEGS = 16
"""Segments per quarter circle of the buffered zone (as ``shapely.buffer(..., quad_segs=16)``)."""
MAX_CORNERS = 32
"""Parcels with more corners take the GEOS path (their arrays would be mostly padding)."""
FAR, FOUND, ASK = 0, 1, 2
"""Outcomes per pair: beyond ``d``; within ``d`` with its stretch; not certain — ask GEOS."""

_QUANTUM = np.pi / 2 / QUAD_SEGS
_MIN_TURN = 0.01  # rad; GEOS joins nearly straight corners without a fillet
_MIN_SIDE = 1e-3  # m
_TOL = 1e-7  # m; closer calls than this are left to GEOS
_ANGLE_TOL = 1e-9  # rad
_CHUNK = 1 << 13


@dataclass
class ConvexRings:
    """The corners of the parcels the kernels can take, counter-clockwise, and their sides.

    ``count[i]`` is the number of corners of parcel ``i`` (0: it takes the GEOS path)
    and ``start[i]`` where they begin in the per-corner arrays: ``x``, ``y``; ``ux``,
    ``uy``, ``side`` (unit direction and length of the side from this corner to the next);
    ``steps`` and ``inc`` (the chords of the fan at this corner, between the previous
    side and this one, and the angle of each).
    """

    count: np.ndarray
    start: np.ndarray
    x: np.ndarray
    y: np.ndarray
    ux: np.ndarray
    uy: np.ndarray
    side: np.ndarray
    steps: np.ndarray
    inc: np.ndarray


def convex_rings(geoms: np.ndarray) -> ConvexRings:
    """Which parcels the kernels can take, and their corners.

    A parcel qualifies when it is one polygon (or a one-part multipolygon) without
    holes, of at most :data:`MAX_CORNERS` corners, strictly convex with every corner
    turning by at least 0.01 rad (GEOS joins flatter corners without a fan) and no side
    shorter than a millimetre. The others take the GEOS path.
    """
    n = len(geoms)
    count = np.zeros(n, dtype=np.int64)
    start = np.zeros(n, dtype=np.int64)
    kind = shapely.get_type_id(geoms)
    single = (kind == 6) & (shapely.get_num_geometries(geoms) == 1)
    polys = geoms.copy()
    polys[single] = shapely.get_geometry(geoms[single], 0)  # a one-part multipolygon (as stored parcels are): its part
    ok = np.isin(kind, (3, 6)) & ~shapely.is_empty(polys)
    ok[ok] = (shapely.get_type_id(polys[ok]) == 3) & (shapely.get_num_interior_rings(polys[ok]) == 0)
    idx = np.flatnonzero(ok)
    size = shapely.get_num_coordinates(polys[idx]) - 1  # a polygon without holes: its exterior ring's
    fits = (size >= 3) & (size <= MAX_CORNERS)
    idx, size = idx[fits], size[fits]
    coords = shapely.get_coordinates(polys[idx])  # the exterior rings' coordinates, ring by ring
    coords = np.delete(coords, np.cumsum(size + 1) - 1, axis=0)  # the closing vertices
    owner = np.repeat(np.arange(len(idx)), size)
    begin = np.repeat(np.cumsum(size) - size, size)
    local = np.arange(len(coords)) - begin
    ring_size = np.repeat(size, size)
    area2 = np.bincount(
        owner,
        coords[:, 0] * coords[begin + (local + 1) % ring_size, 1]
        - coords[begin + (local + 1) % ring_size, 0] * coords[:, 1],
        minlength=len(idx),
    )
    # counter-clockwise: reverse the corners of clockwise rings
    ccw = np.repeat(area2 > 0, size)
    coords = coords[np.where(ccw, begin + local, begin + ring_size - 1 - local)]
    nxt = begin + (local + 1) % ring_size
    prv = begin + (local - 1) % ring_size
    dx, dy = coords[nxt, 0] - coords[:, 0], coords[nxt, 1] - coords[:, 1]
    side = np.hypot(dx, dy)
    with np.errstate(divide="ignore", invalid="ignore"):
        ux, uy = dx / side, dy / side
    turn = np.arctan2(ux[prv] * uy - uy[prv] * ux, ux[prv] * ux + uy[prv] * uy)
    steps = np.floor(turn / _QUANTUM + 0.5)
    good = (
        (side >= _MIN_SIDE) & (turn >= _MIN_TURN) & (np.abs(turn / _QUANTUM - np.floor(turn / _QUANTUM) - 0.5) > 1e-6)
    )
    whole = np.bincount(owner, ~good, minlength=len(idx)) == 0
    keep = np.repeat(whole, size)
    kept = size[whole]
    count[idx[whole]] = kept
    start[idx[whole]] = np.cumsum(kept) - kept
    steps = np.maximum(steps[keep], 1.0)
    return ConvexRings(
        count, start, coords[keep, 0], coords[keep, 1], ux[keep], uy[keep], side[keep], steps, turn[keep] / steps
    )


def spliced_rings(rings: ConvexRings, rows: np.ndarray, new: ConvexRings) -> ConvexRings:
    """``rings`` with the parcels ``rows`` (distinct) now those of ``new`` (one parcel a row, in the order of ``rows``):
    what :func:`convex_rings` gives for the parcels so changed, without looking at the others again. The corners stay
    in the order of the parcels, one after another."""
    count = rings.count.copy()
    count[rows] = new.count
    start = np.cumsum(count) - count
    # where each corner is taken from: the corners of rings, then those of new
    taken = rings.start.copy()
    taken[rows] = new.start + len(rings.x)
    corner = np.repeat(taken - start, count) + np.arange(int(count.sum()))
    start[count == 0] = 0  # as convex_rings leaves it

    def joined(name: str) -> np.ndarray:
        both: np.ndarray = np.concatenate([getattr(rings, name), getattr(new, name)])
        return both[corner]

    return ConvexRings(count, start, *(joined(name) for name in ("x", "y", "ux", "uy", "side", "steps", "inc")))


def zone_stretch(
    s0: np.ndarray, s1: np.ndarray, rings: ConvexRings, parcel: np.ndarray, d: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stretch of straight segments ``s0``→``s1`` ((k, 2) arrays) inside the zones of parcels ``parcel``.

    Returns ``lo``, ``hi`` (m from ``s0``) and the outcome per pair: :data:`FOUND`
    (within ``d``; ``lo``, ``hi`` set), :data:`FAR` (beyond ``d``) or :data:`ASK`
    (ask GEOS). Every parcel must qualify (``rings.count[parcel] > 0``).
    """
    k = len(parcel)
    lo, hi = np.full(k, np.nan), np.full(k, np.nan)
    state = np.full(k, ASK, dtype=np.int8)
    counts = rings.count[parcel]
    for n in np.flatnonzero(np.bincount(counts)):  # corners per parcel: small counts (np.unique sorts)
        group = np.flatnonzero(counts == n)
        for at in range(0, len(group), _CHUNK):
            part = group[at : at + _CHUNK]
            lo[part], hi[part], state[part] = _stretch(s0[part], s1[part], rings, parcel[part], int(n), d)
    return lo, hi, state


def _stretch(
    s0: np.ndarray, s1: np.ndarray, rings: ConvexRings, parcel: np.ndarray, n: int, d: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # arrays are (n, k): one row per corner (and the side leaving it), one column per pair
    corner = rings.start[parcel] + np.arange(n)[:, None]
    seg = s1 - s0
    length = np.sqrt(seg[:, 0] * seg[:, 0] + seg[:, 1] * seg[:, 1])  # as GEOS measures it
    usable = length > _TOL  # a zero-length segment is GEOS's case
    with np.errstate(divide="ignore", invalid="ignore"):
        ex, ey = np.where(usable, seg[:, 0] / length, 0.0), np.where(usable, seg[:, 1] / length, 0.0)
    ux, uy, side = rings.ux[corner], rings.uy[corner], rings.side[corner]
    wx, wy = s0[:, 0] - rings.x[corner], s0[:, 1] - rings.y[corner]
    # the outward normal of a counter-clockwise side is (uy, -ux)
    slack = d - (uy * wx - ux * wy)  # how far inside the moved-out side s0 lies; falls by `rate` per m
    rate = uy * ex - ux * ey
    uw, ue = ux * wx + uy * wy, ux * ex + uy * ey  # position of s0 along each side, and its rate
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = slack / rate
    lo = np.maximum(np.where(rate < 0, cross, -np.inf).max(axis=0), 0.0)
    hi = np.minimum(np.where(rate > 0, cross, np.inf).min(axis=0), length)
    parallel = rate == 0
    far = (parallel & (slack < 0)).any(axis=0)
    ask = (parallel & (np.abs(slack) < _TOL)).any(axis=0)
    far |= lo > hi + _TOL
    ask |= ~usable | (~far & (hi - lo < _TOL))
    todo = ~far & ~ask
    previous = np.roll(np.arange(n), 1)
    for end, other, sign in ((lo, hi, 1.0), (hi, lo, -1.0)):
        at = uw + end * ue
        beyond = (at[previous] > side[previous]) & (at < 0) & todo  # in corner j's cone
        cols, rows = np.nonzero(beyond)
        if not len(rows):
            continue
        ends = _Ends(wx[cols, rows], wy[cols, rows], ex[rows], ey[rows], end[rows], other[rows], sign)
        moved, fate = _fan(
            ends,
            ux[previous[cols], rows],
            uy[previous[cols], rows],
            rings.steps[corner[cols, rows]],
            rings.inc[corner[cols, rows]],
            d,
        )
        end[rows] = moved
        ask[rows] |= fate == ASK
        far[rows] |= fate == FAR
        todo[rows] &= fate == FOUND
    found = todo & (hi - lo >= _TOL)
    ask |= todo & ~found
    # within d for sure: the stretch's middle lies inside by more than the tolerance
    mid = (lo + hi) / 2
    depth = (slack - mid * rate).min(axis=0)  # if the middle is beside a side, not beyond a corner
    at = uw + mid * ue
    beyond = (at[previous] > side[previous]) & (at < 0) & found
    cols, rows = np.nonzero(beyond)
    depth[rows] = d - np.hypot(wx[cols, rows] + mid[rows] * ex[rows], wy[cols, rows] + mid[rows] * ey[rows])
    ask |= found & (depth < _TOL)
    found &= ~ask
    state = np.where(found, FOUND, np.where(far & ~ask, FAR, ASK)).astype(np.int8)
    return np.where(found, lo, np.nan), np.where(found, hi, np.nan), state


@dataclass
class _Ends:
    """Segment ends lying beyond a corner: from the corner to ``s0`` (``wx``, ``wy``), the direction, the end
    (m from ``s0``), the other end, and the way to search (``sign``: +1 forward from ``lo``, -1 back from ``hi``)."""

    wx: np.ndarray
    wy: np.ndarray
    ex: np.ndarray
    ey: np.ndarray
    s: np.ndarray
    limit: np.ndarray
    sign: float


def _fan(
    ends: _Ends, ix: np.ndarray, iy: np.ndarray, steps: np.ndarray, inc: np.ndarray, d: float
) -> tuple[np.ndarray, np.ndarray]:
    """Move ends lying beyond a corner onto the corner's fan.

    ``ix``, ``iy``: the direction of the side arriving at the corner. Works in the
    corner's frame: ``xi`` along that side's outward normal (where the fan starts),
    ``eta`` along the side; the fan turns from angle 0 to ``steps × inc``. Returns the
    moved ends and their fate: FOUND (on the fan, or inside it already), FAR (the
    segment misses the circle: beyond ``d``), ASK (too close to call, or through the
    circle but outside the chords — within ``d`` with no stretch, GEOS's case).
    """
    s, sign = ends.s, ends.sign
    xi0, xie = iy * ends.wx - ix * ends.wy, iy * ends.ex - ix * ends.ey
    eta0, etae = ix * ends.wx + iy * ends.wy, ix * ends.ex + iy * ends.ey
    reach = d * np.cos(inc / 2)  # from the corner to each chord
    fate = np.full(len(s), FOUND, dtype=np.int8)
    radius = np.hypot(xi0 + s * xie, eta0 + s * etae)
    fate[np.abs(radius - d) <= _TOL] = ASK
    # inside the circle: inside the fan unless beyond the chord of its angle
    band = np.flatnonzero((radius < d - _TOL) & (radius > reach - _TOL))
    cm, sm = _chord(
        np.arctan2(eta0[band] + s[band] * etae[band], xi0[band] + s[band] * xie[band]), steps[band], inc[band]
    )
    gap = reach[band] - (cm * (xi0[band] + s[band] * xie[band]) + sm * (eta0[band] + s[band] * etae[band]))
    fate[band[np.abs(gap) <= _TOL]] = ASK
    move = np.zeros(len(s), dtype=bool)
    move[band[gap < -_TOL]] = True  # in the cap between the arc and its chord
    # outside the circle: where the segment, going on, enters it
    outside = (radius > d + _TOL) & (fate == FOUND)
    mid = -(xi0 * xie + eta0 * etae)
    across = xi0 * etae - eta0 * xie
    half = np.sqrt(np.maximum(d * d - across * across, 0.0))
    entry = mid - sign * half
    fate[outside & ((np.abs(np.abs(across) - d) <= _TOL) | (np.abs(ends.limit - entry) <= _TOL))] = ASK
    missed = (np.abs(across) > d) | (sign * (entry - s) < 0) | (sign * (ends.limit - entry) < 0)
    fate[outside & missed & (fate == FOUND)] = FAR
    move |= outside & (fate == FOUND)
    rows = np.flatnonzero(move)
    start = np.where(outside, entry, s)[rows]
    x0, xe, y0, ye = xi0[rows], xie[rows], eta0[rows], etae[rows]
    cm, sm = _chord(np.arctan2(y0 + start * ye, x0 + start * xe), steps[rows], inc[rows])
    with np.errstate(divide="ignore", invalid="ignore"):
        hit = (reach[rows] - (cm * x0 + sm * y0)) / (cm * xe + sm * ye)
    # where along the chord it is hit, from the chord's middle
    along = cm * (y0 + hit * ye) - sm * (x0 + hit * xe)
    half_chord = d * np.sin(inc[rows] / 2)
    clear = (np.abs(along) < half_chord - _TOL) & np.isfinite(hit)
    clear &= sign * (hit - s[rows]) >= 0
    clear &= sign * (ends.limit[rows] - hit) > _TOL  # the segment reaches the chord
    fate[rows[~clear]] = ASK
    moved = s.copy()
    moved[rows[clear]] = hit[clear]
    return moved, fate


def _chord(angle: np.ndarray, steps: np.ndarray, inc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The outward unit normal (in the corner's frame) of the chord of a fan an angle falls on."""
    mu = (np.clip(np.floor(angle / inc), 0, steps - 1) + 0.5) * inc
    return np.cos(mu), np.sin(mu)


def ring_distance(s0: np.ndarray, s1: np.ndarray, rings: ConvexRings, parcel: np.ndarray) -> np.ndarray:
    """Distance (m) from straight segments ``s0``→``s1`` to the parcels ``parcel`` (all qualifying).

    0 where the segment meets the parcel; else the least distance between an end of
    the segment and a side, or a corner and the segment (as GEOS measures it).
    """
    out = np.empty(len(parcel))
    counts = rings.count[parcel]
    for n in np.flatnonzero(np.bincount(counts)):  # corners per parcel: small counts (np.unique sorts)
        group = np.flatnonzero(counts == n)
        for at in range(0, len(group), _CHUNK):
            part = group[at : at + _CHUNK]
            out[part] = _distance(s0[part], s1[part], rings, parcel[part], int(n))
    return out


def _distance(s0: np.ndarray, s1: np.ndarray, rings: ConvexRings, parcel: np.ndarray, n: int) -> np.ndarray:
    corner = rings.start[parcel] + np.arange(n)[:, None]  # (n, k), as in _stretch
    seg = s1 - s0
    length = np.sqrt(seg[:, 0] * seg[:, 0] + seg[:, 1] * seg[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        ex, ey = np.where(length > 0, seg[:, 0] / length, 0.0), np.where(length > 0, seg[:, 1] / length, 0.0)
    ux, uy, side = rings.ux[corner], rings.uy[corner], rings.side[corner]
    wx, wy = s0[:, 0] - rings.x[corner], s0[:, 1] - rings.y[corner]
    out0, rate = uy * wx - ux * wy, uy * ex - ux * ey  # how far s0 lies outside each side's line, and its rate
    along0, along_rate = ux * wx + uy * wy, ux * ex + uy * ey
    # the segment meets the parcel: clip it by the sides' half-planes
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = -out0 / rate
    lo = np.maximum(np.where(rate < 0, cross, -np.inf).max(axis=0), 0.0)
    hi = np.minimum(np.where(rate > 0, cross, np.inf).min(axis=0), length)
    meets = (lo <= hi) & ~((rate == 0) & (out0 > 0)).any(axis=0)
    # corners to the segment
    r = np.clip(-(wx * ex + wy * ey), 0.0, length)
    best = ((wx + r * ex) ** 2 + (wy + r * ey) ** 2).min(axis=0)
    # the segment's ends to the sides
    for a, o in ((along0, out0), (along0 + length * along_rate, out0 + length * rate)):
        best = np.minimum(best, ((a - np.clip(a, 0.0, side)) ** 2 + o * o).min(axis=0))
    return np.where(meets, 0.0, np.sqrt(best))

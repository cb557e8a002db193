"""The parcel–edge pairs within a network's service distance, and the stretch of each edge within it.

:func:`planner.infra.taps.network_taps` finds each parcel's tap among these pairs. The pairs
are found from the envelopes (:class:`_Candidates`) and settled by the numpy kernels of
:mod:`planner.infra.stretch` where they are sure (a straight edge and a convex parcel), else by
GEOS; with the distances along the network (:class:`_Along`), a pair that can be neither a
parcel's best nor tie with it is dropped unsettled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from planner.infra.blocks import by_blocks
from planner.infra.edge_lookup import EdgeLookup
from planner.infra.snapround import squared_distance_m2
from planner.infra.stretch import (
    ASK,
    FAR,
    FOUND,
    ConvexRings,
    convex_rings,
    ring_distance,
    spliced_rings,
    zone_stretch,
)

__all__ = ["TIE_M", "ParcelShapes", "parcel_shapes"]

TIE_M = 1e-6
"""Taps this close in distance along the network (then laterally) are equally near (m)."""
_TOL_M = 1e-7  # distances this close to the service distance are left to GEOS
_PROBE_ROUNDS = 4  # candidates probed per parcel at most, nearest a source first, until one is within reach


@dataclass
class ParcelShapes:
    """The parcels' shapes as coverage uses them, made once for all networks by :func:`parcel_shapes`."""

    geoms: np.ndarray
    bounds: np.ndarray
    rings: ConvexRings

    _boxes: dict[float, np.ndarray] = field(default_factory=dict)
    _circle: tuple[np.ndarray, np.ndarray] | None = None

    def boxes(self, margin: float) -> np.ndarray:
        """Each parcel's envelope grown by ``margin`` (m); made once per margin."""
        if margin not in self._boxes:
            b = self.bounds
            self._boxes[margin] = shapely.box(b[:, 0] - margin, b[:, 1] - margin, b[:, 2] + margin, b[:, 3] + margin)
        return self._boxes[margin]

    def circle(self) -> tuple[np.ndarray, np.ndarray]:
        """A circle holding each parcel: the centre of its envelope, (n, 2), and the radius (m) to its farthest
        corner (of a parcel the kernels cannot take: half its envelope's diagonal), a micrometre more; made once."""
        if self._circle is None:
            b, r = self.bounds, self.rings
            centre = (b[:, :2] + b[:, 2:]) / 2
            radius = np.hypot(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) / 2
            owner = np.repeat(np.arange(len(r.count)), r.count)
            reach = np.hypot(r.x - centre[owner, 0], r.y - centre[owner, 1])
            convex = np.flatnonzero(r.count > 0)
            if len(convex):
                radius[convex] = np.maximum.reduceat(reach, r.start[convex])
            self._circle = (centre, radius + 1e-6)
        return self._circle

    def spliced(self, rows: np.ndarray, new: ParcelShapes) -> ParcelShapes:
        """These shapes with the parcels ``rows`` (distinct) now those of ``new`` (one a row, in the order of
        ``rows``): what :func:`parcel_shapes` gives for the parcels so changed, the others not looked at again."""
        geoms, bounds = self.geoms.copy(), self.bounds.copy()
        geoms[rows], bounds[rows] = new.geoms, new.bounds
        out = ParcelShapes(geoms, bounds, spliced_rings(self.rings, rows, new.rings))
        for margin, boxes in self._boxes.items():
            out._boxes[margin] = boxes.copy()
            out._boxes[margin][rows] = new.boxes(margin)
        if self._circle is not None:
            centre, radius = self._circle[0].copy(), self._circle[1].copy()
            centre[rows], radius[rows] = new.circle()
            out._circle = (centre, radius)
        return out


def parcel_shapes(parcels: pd.DataFrame) -> ParcelShapes:
    """The geometry, envelopes and (for the convex ones) corners of ``parcels``, in their order."""
    geoms = parcels.geometry.to_numpy()
    return ParcelShapes(geoms, shapely.bounds(geoms), convex_rings(geoms))


@dataclass
class _Along:
    """Distances along the network per edge: from the nearest live source to each end (``dist`` per node)."""

    dist: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray

    _bound: np.ndarray | None = field(default=None, init=False, repr=False)

    def bound(self, edge: np.ndarray) -> np.ndarray:
        """No point of these edges is nearer a source than this."""
        if self._bound is None:  # per edge, once: a candidate's is one look-up
            self._bound = np.minimum(self.dist[self.u], self.dist[self.v])
        least: np.ndarray = self._bound[edge]
        return least

    def nearest(self, edge: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The nearer end of the stretches [a, b] of these edges, along the network."""
        nearer: np.ndarray = np.minimum(self.dist[self.u[edge]] + a, self.dist[self.v[edge]] + (self.length[edge] - b))
        return nearer


@dataclass
class _Pairs:
    """The parcel–edge pairs within the service distance, in the order of an STRtree ``dwithin`` query.

    ``a``, ``b``: the stretch of the edge within the service distance of the parcel (m
    from the edge's start). ``fast``: the pair was settled by the numpy kernels (a
    straight edge and a convex parcel), else by GEOS.
    """

    parcel: np.ndarray
    edge: np.ndarray
    a: np.ndarray
    b: np.ndarray
    fast: np.ndarray
    geoms: np.ndarray
    edge_geoms: np.ndarray
    rings: ConvexRings
    start: np.ndarray
    end: np.ndarray
    later: np.ndarray
    """Pairs of parcels no source reaches, whose stretch (0, 0 until then) is made by :meth:`settle` if chosen."""
    service_distance_m: float
    apart: np.ndarray
    """The distance of each pair of the numpy kernels where it is known already (NaN: not yet)."""

    def settle(self, rows: np.ndarray) -> None:
        """Make the stretches of the pairs ``rows`` that were left for later."""
        rows = rows[self.later[rows]]
        if not len(rows):
            return
        e, p = self.edge[rows], self.parcel[rows]
        lo, hi, state = zone_stretch(self.start[e], self.end[e], self.rings, p, self.service_distance_m)
        self.a[rows], self.b[rows] = lo, hi
        open_ = state != FOUND  # within d (by the distance) yet not clear-cut for numpy: GEOS
        self.fast[rows[open_]] = False
        self.apart[rows[open_]] = np.nan  # measured by GEOS from now on
        if open_.any():
            self.a[rows[open_]], self.b[rows[open_]] = _stretch(
                self.edge_geoms[e[open_]], self.geoms, p[open_], self.service_distance_m
            )
        self.later[rows] = False

    def distance(self, rows: np.ndarray) -> np.ndarray:
        """Distance (m) between parcel and edge of the pairs ``rows``."""
        out: np.ndarray = self.apart[rows]  # measured already where settled by the same kernel
        fast = self.fast[rows] & np.isnan(out)
        slow = ~self.fast[rows]
        f, g = rows[fast], rows[slow]
        e = self.edge[f]
        out[fast] = ring_distance(self.start[e], self.end[e], self.rings, self.parcel[f])
        out[slow] = shapely.distance(self.edge_geoms[self.edge[g]], self.geoms[self.parcel[g]])
        return out

    def point_at(self, rows: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """(x, y) of the points ``pos`` m along the edges of the pairs ``rows``."""
        out = np.empty((len(rows), 2))
        fast = self.fast[rows]
        e = self.edge[rows]
        x0, y0 = self.start[:, 0][e], self.start[:, 1][e]  # columns: a gather of (k, 2) rows is slower
        dx, dy = self.end[:, 0][e] - x0, self.end[:, 1][e] - y0
        with np.errstate(divide="ignore", invalid="ignore"):  # a bent or empty edge's: GEOS below
            share = pos / np.sqrt(dx * dx + dy * dy)  # as GEOS
        out[:, 0], out[:, 1] = x0 + share * dx, y0 + share * dy
        if not fast.all():
            slow = shapely.line_interpolate_point(self.edge_geoms[e[~fast]], pos[~fast])
            out[~fast] = shapely.get_coordinates(slow).reshape(-1, 2)
        return out


def _pairs(
    tree: shapely.STRtree,
    edge_geoms: np.ndarray,
    shapes: ParcelShapes,
    service_distance_m: float,
    along: _Along | None = None,
    kept: dict[float, EdgeLookup] | None = None,
    ends: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> _Pairs:
    """The pairs within the service distance and their stretches: numpy where it is sure, else GEOS.

    Candidates come from the envelopes (a superset of ``tree.query(..., "dwithin")``),
    grouped by parcel and each parcel's in the order of the edges;
    :func:`planner.infra.stretch.zone_stretch` settles the pairs of straight edges and
    convex parcels; the rest, and the few it leaves open, are settled as before: by the
    ``dwithin`` query and :func:`_stretch`.

    With ``along``, only the pairs that may be a parcel's best are kept: each parcel's
    candidate on the edge nearest a source is settled first, and a candidate whose edge
    is farther from every source than that pair's tap (by more than :data:`TIE_M`) can
    neither be the best nor tie with it, so it is dropped unsettled. ``kept``: the edges' lookups
    made by earlier calls on the same edges (:class:`EdgeLookup`), by service distance. ``ends``: the edges'
    :func:`planner.infra.owners.line_ends` where known.
    """
    d = service_distance_m
    geoms = shapes.geoms
    cand = _Candidates.of(tree, edge_geoms, shapes, d, kept, ends)
    wanted = np.ones(len(cand.parcel), dtype=bool)
    todo = cand.fast.copy()
    later = np.zeros(len(cand.parcel), dtype=bool)  # unreached: the stretch is needed only if the pair is chosen
    if along is not None and len(cand.parcel):
        probe, wanted, later = cand.prune(along)
        todo[probe] = False
        todo &= wanted & ~later
    cand.settle(np.flatnonzero(todo))
    keep = np.flatnonzero(cand.within(tree, geoms, wanted))
    parcel_i, edge_i = cand.parcel[keep], cand.edge[keep]
    lo, hi, state = cand.lo[keep], cand.hi[keep], cand.state[keep]
    later = later[keep] & (state == FOUND)
    slow = np.flatnonzero(state != FOUND)
    if len(slow):
        lo[slow], hi[slow] = _stretch(edge_geoms[edge_i[slow]], geoms, parcel_i[slow], d)
    return _Pairs(
        parcel_i,
        edge_i,
        lo,
        hi,
        state == FOUND,
        geoms,
        edge_geoms,
        shapes.rings,
        cand.start,
        cand.end,
        later,
        d,
        cand.apart[keep],
    )


@dataclass
class _Candidates:
    """The parcel–edge pairs whose envelopes meet (of a long slanted edge: a piece's), and what is known so far of
    each one's stretch.

    ``lo``, ``hi``: the stretch (NaN until settled); ``state``: ``FOUND`` (within the
    service distance, stretch known), ``FAR`` (beyond it) or ``ASK`` (not yet known, or
    left to GEOS). ``start``, ``end``: the first and last point of every edge.
    """

    parcel: np.ndarray
    edge: np.ndarray
    edge_geoms: np.ndarray
    start: np.ndarray
    end: np.ndarray
    fast: np.ndarray
    """The pair can be settled by the numpy kernels: a straight edge and a convex parcel."""
    rings: ConvexRings
    circle: tuple[np.ndarray, np.ndarray]
    """:meth:`ParcelShapes.circle`."""
    service_distance_m: float
    lo: np.ndarray
    hi: np.ndarray
    state: np.ndarray
    apart: np.ndarray
    """The distance (m) of the pairs measured by :func:`planner.infra.stretch.ring_distance` (NaN: not measured)."""

    @classmethod
    def of(
        cls,
        tree: shapely.STRtree,
        edge_geoms: np.ndarray,
        shapes: ParcelShapes,
        service_distance_m: float,
        kept: dict[float, EdgeLookup] | None = None,
        ends: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> _Candidates:
        """The candidates of ``shapes`` among the edges of ``tree``, grouped by parcel, each parcel's by edge.

        ``kept``: where the edges' lookup for this service distance is kept between calls (a parcel edit taps
        one parcel: the pieces of every long slanted edge are not cut again for it)."""
        d = service_distance_m
        reach = d * (1 + 1e-9) + 1e-6
        lookup = None if kept is None else kept.get(d)
        if lookup is None or len(lookup.count) != len(edge_geoms):
            lookup = EdgeLookup.of(edge_geoms, reach, ends)
            if kept is not None:
                kept[d] = lookup
        start, end, count, wide = lookup.start, lookup.end, lookup.count, lookup.wide
        boxes = shapes.boxes(reach)
        cand_p, cand_e = tree.query(boxes)
        if lookup.pieces is not None:
            keep = ~wide[cand_e]
            pieces, piece_edge = lookup.pieces, lookup.piece_edge
            got_p, got = pieces.query(boxes)
            cand_p, cand_e = np.concatenate([cand_p[keep], got_p]), np.concatenate([cand_e[keep], piece_edge[got]])
        # each parcel's candidates in the order of the edges, not of the tree: the same pairs come in the same order
        # from a tree of only some of the edges (planner.province), so ties fall the same way
        key = cand_p.astype(np.int64) * max(len(edge_geoms), 1) + cand_e
        # the keys are distinct but for a pair found twice (by two pieces), kept once below. They come in runs (the
        # query's, by parcel), which timsort takes as they are: 0.017 s for the road's 1,197,484 against 0.05-0.065 s
        # by numpy's quicksort on a CPU without AVX-512 (AMD EPYC; with AVX-512 its quicksort is vectorised)
        order = np.argsort(key, kind="stable")
        cand_p, cand_e = cand_p[order], cand_e[order]
        if wide.any() and len(key):  # a parcel near two pieces of an edge: the pair once (no pair: none)
            key = key[order]
            once = np.r_[True, key[1:] != key[:-1]]
            cand_p, cand_e = cand_p[once], cand_e[once]
        fast = (shapes.rings.count[cand_p] > 0) & (count[cand_e] == 2)
        n = len(cand_p)
        unknown = np.full(n, np.nan)
        state = np.full(n, ASK, dtype=np.int8)
        known = (unknown, unknown.copy(), state, unknown.copy())
        return cls(cand_p, cand_e, edge_geoms, start, end, fast, shapes.rings, shapes.circle(), d, *known)

    def settle(self, rows: np.ndarray) -> None:
        """Settle the pairs ``rows`` with the numpy kernels: those surely beyond the service distance by
        :meth:`least_apart`, the others by their stretch (:func:`planner.infra.stretch.zone_stretch`)."""
        far = self.least_apart(rows) > self.service_distance_m + _TOL_M  # FAR for GEOS too
        self.state[rows[far]] = FAR
        rows = rows[~far]
        e = self.edge[rows]
        self.lo[rows], self.hi[rows], self.state[rows] = zone_stretch(
            self.start[e], self.end[e], self.rings, self.parcel[rows], self.service_distance_m
        )

    def least_apart(self, rows: np.ndarray) -> np.ndarray:
        """No point of the parcel of pairs ``rows`` (of straight edges) is nearer its edge than this (m): the
        distance from the edge to the centre of the parcel's :meth:`ParcelShapes.circle` less its radius. Some 20
        numpy steps a pair (:func:`planner.infra.stretch.ring_distance` takes some 60), a block at a time."""
        return by_blocks(self._least_apart, rows)

    def _least_apart(self, rows: np.ndarray) -> np.ndarray:
        centre, radius = self.circle
        p, e = self.parcel[rows], self.edge[rows]
        ax, ay = self.start[:, 0][e], self.start[:, 1][e]
        dx, dy = self.end[:, 0][e] - ax, self.end[:, 1][e] - ay
        least: np.ndarray = np.sqrt(squared_distance_m2(centre[:, 0][p], centre[:, 1][p], ax, ay, dx, dy)) - radius[p]
        return least

    def prune(self, along: _Along) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The pairs that may be their parcel's best along the network, and those of parcels no source reaches.

        Each parcel's candidate on the edge nearest a source (its probe) is settled first;
        a candidate whose edge is farther from every source than the probe's tap can
        neither win nor tie. A probe beyond the service distance (an edge leaving the
        parcel's nearest corner, say) tells nothing: the next nearest candidate is probed,
        up to :data:`_PROBE_ROUNDS` times. The pairs of a parcel no source reaches tie at
        infinity: the lateral distance decides, so whether they are within the service
        distance is settled here by the distance alone, and their stretch later, for the
        chosen pair. Returns the probes, the pairs wanted, and those left for later.
        """
        new = np.r_[True, self.parcel[1:] != self.parcel[:-1]]  # candidates come grouped by parcel
        first = np.flatnonzero(new)
        group = np.cumsum(new) - 1
        bound = along.bound(self.edge)
        least = np.minimum.reduceat(bound, first)
        limit = np.full(len(first), np.inf)
        probes = self._probe(bound, group, least, along, limit)
        wanted = bound <= limit[group]
        later = self.fast & (least[group] == np.inf)
        rows = np.flatnonzero(later)
        cut = self._unreached(rows, group[rows])
        wanted[cut] = later[cut] = False
        return probes, wanted, later

    def _unreached(self, rows: np.ndarray, group: np.ndarray) -> np.ndarray:
        """Measure the pairs ``rows`` of parcels no source reaches (``group``: their parcel's, grouped) that may be
        their parcel's laterally nearest; return the others.

        Each parcel's pair least apart by :meth:`least_apart` is measured first
        (:func:`planner.infra.stretch.ring_distance`); a pair surely farther than it (by more
        than :data:`TIE_M`) can neither be the nearest within the service distance nor tie
        with it. The others' distances settle whether they are within the service distance.
        """
        if not len(rows):
            return rows
        least = self.least_apart(rows)
        new = np.r_[True, group[1:] != group[:-1]]
        parcel = np.cumsum(new) - 1
        lowest = np.flatnonzero(least == np.minimum.reduceat(least, np.flatnonzero(new))[parcel])
        probe = lowest[np.r_[True, parcel[lowest[1:]] != parcel[lowest[:-1]]]]  # one a parcel
        e = self.edge[rows[probe]]
        self.apart[rows[probe]] = ring_distance(self.start[e], self.end[e], self.rings, self.parcel[rows[probe]])
        keep = least <= self.apart[rows[probe]][parcel] + TIE_M
        keep[probe] = False
        measure = rows[keep]
        e = self.edge[measure]
        self.apart[measure] = ring_distance(self.start[e], self.end[e], self.rings, self.parcel[measure])
        keep[probe] = True
        cut: np.ndarray = rows[~keep]
        rows = rows[keep]
        gap = self.apart[rows] - self.service_distance_m
        self.state[rows] = np.where(gap < -_TOL_M, FOUND, np.where(gap > _TOL_M, FAR, ASK))
        self.lo[rows[self.state[rows] == FOUND]] = 0.0
        self.hi[rows[self.state[rows] == FOUND]] = 0.0
        return cut

    def _probe(
        self, bound: np.ndarray, group: np.ndarray, least: np.ndarray, along: _Along, limit: np.ndarray
    ) -> np.ndarray:
        """Settle probes, each parcel's candidate on the edge nearest a source first, until each parcel reached
        (``least``: its candidates' least ``bound``) has one within the service distance; set ``limit`` (per
        parcel) to its tap's distance along the network and the tie margin. Returns the probes."""
        probes = []
        left = bound  # the bound of the candidates not probed yet (inf: probed)
        lowest = np.flatnonzero(bound == least[group])  # the first round on all candidates, as they are
        rows: np.ndarray | None = None
        for round_ in range(_PROBE_ROUNDS):
            if round_:  # the candidates of the parcels reached and not settled yet, not probed
                open_ = np.isfinite(least) & (limit == np.inf)
                if rows is None:  # after the first round: a pass over all candidates, then over those left
                    rows = np.flatnonzero(open_[group] & np.isfinite(left))
                else:
                    rows = rows[open_[group[rows]] & np.isfinite(left[rows])]
                if not len(rows):
                    break
                new = np.r_[True, group[rows[1:]] != group[rows[:-1]]]
                least_left = np.minimum.reduceat(left[rows], np.flatnonzero(new))
                lowest = rows[left[rows] == least_left[np.cumsum(new) - 1]]
            if not len(lowest):
                break
            probe = lowest[np.r_[True, group[lowest[1:]] != group[lowest[:-1]]]]  # each parcel's first such
            probe = probe[np.isfinite(left[probe])]
            if left is bound:
                left = bound.copy()
            left[probe] = np.inf
            probe = probe[self.fast[probe]]
            self.settle(probe)
            probes.append(probe)
            sure = probe[self.state[probe] == FOUND]
            limit[group[sure]] = along.nearest(self.edge[sure], self.lo[sure], self.hi[sure]) + 2 * TIE_M
        return np.concatenate(probes) if probes else np.zeros(0, dtype=np.int64)

    def within(self, tree: shapely.STRtree, geoms: np.ndarray, wanted: np.ndarray) -> np.ndarray:
        """Which pairs ``wanted`` are within the service distance; those numpy left open, by the ``dwithin`` query."""
        ask = np.flatnonzero((self.state == ASK) & wanted)
        within: np.ndarray = (self.state == FOUND) & wanted
        if len(ask):  # the pairs numpy left open: the query as before
            asked = np.unique(self.parcel[ask])
            got_p, got_e = tree.query(geoms[asked], predicate="dwithin", distance=self.service_distance_m)
            size = len(self.edge_geoms)
            within[ask] = np.isin(self.parcel[ask] * size + self.edge[ask], asked[got_p] * size + got_e)
        return within


def _stretch(
    edge_geoms: np.ndarray, geoms: np.ndarray, parcel_i: np.ndarray, service_distance_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Where along each edge (m from its ``u`` end) its stretch within the service distance of the parcel lies.

    Any point of that stretch can take the parcel's service connection; the tap goes to
    the end nearer a source. The zone is the parcel buffered by the service distance
    (a polygon just inside the true circle arcs, so a tap is never beyond reach).
    """
    k = len(parcel_i)
    if not k:
        return np.zeros(0), np.zeros(0)
    used = np.unique(parcel_i)
    zones = np.empty(len(geoms), dtype=object)
    zones[used] = shapely.buffer(geoms[used], service_distance_m, quad_segs=16)
    inside = shapely.intersection(edge_geoms, zones[parcel_i])
    coords, owner = shapely.get_coordinates(inside, return_index=True)
    pos = shapely.line_locate_point(edge_geoms[owner], shapely.points(coords))
    frame = pd.DataFrame({"owner": owner, "pos": pos}).groupby("owner")["pos"].agg(["min", "max"]).reindex(range(k))
    # a stretch too thin for the polygon zone: the nearest point
    nearest = shapely.line_locate_point(
        edge_geoms, shapely.get_point(shapely.shortest_line(edge_geoms, geoms[parcel_i]), 0)
    )
    return frame["min"].fillna(pd.Series(nearest)).to_numpy(), frame["max"].fillna(pd.Series(nearest)).to_numpy()

"""Which parcels a network serves: tap points, distances along the network, capacity.

For every parcel and network:

- the **tap point**: a point *on an edge* (not a node) within the network's service
  distance of the parcel — of the stretches of edges that close, the point nearest a
  live source along the network (for a parcel fronting a main, the end of its frontage
  toward the source); between taps equally near along the network (to
  :data:`TIE_M`), the one on the edge laterally nearest the parcel (to :data:`TIE_M`),
  then the edge first in the network's order, and on that edge the end of the stretch
  toward the edge's start;
- the **lateral distance** from the parcel to that edge (``distance_m``);
- the **network distance** from the nearest live source to the tap point, along the
  network (one multi-source Dijkstra for the whole park), and the serving source;
- the serving source's **load** (the demand of producing and building parcels it
  serves: their declared ``power_kva`` / ``water_m3d``, else a per-mu default by
  industry from ``data/demand_per_mu.csv``; sewage is 85% of water) and what is left.

A parcel is connected when the lateral distance is within the service distance, the
network distance within the service radius, and the source has capacity left (or the
parcel is already one of its loads). Otherwise the reason says which condition failed.
For roads the source is the highway gateway: a parcel with frontage on a road that
leads to it is connected, and the reason gives the distance by road.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import shapely

from planner.infra.network import Network, source_distances
from planner.infra.stretch import ASK, FAR, FOUND, ConvexRings, convex_rings, ring_distance, zone_stretch
from planner.resources import data_path
from planner.vocab import CAPACITY_UNITS

__all__ = [
    "Coverage",
    "ParcelShapes",
    "add_loads",
    "demand",
    "network_coverage",
    "network_taps",
    "parcel_shapes",
    "served_coverage",
    "source_loads",
]

SEWAGE_SHARE = 0.85
"""Sewage is taken as 85% of the water a parcel uses."""
TIE_M = 1e-6
"""Taps this close in distance along the network (then laterally) are equally near (m)."""
_TOL_M = 1e-7  # distances this close to the service distance are left to GEOS
_DEMAND_COLUMN = {
    "power": "power_kva_per_mu",
    "water": "water_m3d_per_mu",
    "drainage": "water_m3d_per_mu",
    "gas": "gas_nm3h_per_mu",
    "heat": "heat_mw_per_mu",
    "telecom": "telecom_ports_per_mu",
}
_DECLARED = {"power": "power_kva", "water": "water_m3d", "drainage": "water_m3d"}
_CONSUMING = ("under_construction", "in_production")


@lru_cache(maxsize=1)
def _demand_table() -> pd.DataFrame:
    return pd.read_csv(data_path("demand_per_mu.csv"), dtype={"division": str}).set_index("division")


def demand(parcels: pd.DataFrame, network: str, *, power_factor: float = 1.0, declared: bool = True) -> np.ndarray:
    """Each parcel's demand on ``network`` in the unit of its sources' capacity.

    The declared figure where there is one (``power_kva``; ``water_m3d``, and 85% of it
    for drainage), else the industry's default per mu times the parcel's area. Power
    is installed kVA times ``power_factor`` (demand × coincidence factor), the load a
    substation carries. ``declared=False``: the defaults alone (what a parcel not yet
    drawing is expected to need).
    """
    need, expected = _demands(parcels, network, power_factor)
    return need if declared else expected


def _demands(parcels: pd.DataFrame, network: str, power_factor: float) -> tuple[np.ndarray, np.ndarray]:
    """Demand as declared (else by default), and by default alone; see :func:`demand`."""
    table = _demand_table()
    column = _DEMAND_COLUMN[network]
    division = parcels["industry"].fillna("").astype(str).str[:3]
    per_mu = division.map(table[column]).fillna(table.loc["default", column]).to_numpy(dtype=float)
    factor = {"drainage": SEWAGE_SHARE, "power": power_factor}.get(network, 1.0)
    expected = per_mu * parcels["area_mu"].to_numpy(dtype=float) * factor
    declared = _DECLARED.get(network)
    if not declared:
        return expected, expected
    given = parcels[declared].to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isnan(given), expected, given * factor), expected


@dataclass
class Coverage:
    """One network's service of every parcel (index ``parcel_id``).

    Columns: ``connected`` (bool), ``distance_m`` (lateral), ``network_m`` (along the
    network from the serving source to the tap point), ``source_id``, ``line_id`` (of
    the tapped edge), ``tap_x``/``tap_y``, ``reason`` (Chinese), ``failed`` (the first
    condition that failed: ``distance``, ``unreached``, ``radius``, ``capacity``, or
    empty). ``sources``: each source's capacity, load and remaining capacity.
    """

    network: str
    table: pd.DataFrame
    sources: pd.DataFrame


def network_coverage(
    network: Network,
    parcels: pd.DataFrame,
    *,
    service_distance_m: float,
    service_radius_m: float,
    power_factor: float = 1.0,
    shapes: ParcelShapes | None = None,
) -> Coverage:
    """Tap points, distances, serving sources and capacity of ``network`` for every parcel.

    ``power_factor`` turns installed kVA into substation load (the park's
    ``power_coincidence_factor``). ``shapes``: :func:`parcel_shapes` of these
    parcels, to share between networks (computed here if not given).

    Three steps, each of which :mod:`planner.province` also runs on its own, a piece
    of the park at a time: :func:`network_taps` (per parcel), :func:`source_loads`
    (a sum over the park's parcels) and :func:`served_coverage` (per parcel again).
    """
    p = parcels.reset_index(drop=True)
    if not len(network.edges):  # a layer whose lines are all out of service reaches nothing
        return _nothing(network, p)
    taps = network_taps(network, p, service_distance_m=service_distance_m, shapes=shapes)
    loads = source_loads(network, p, taps, service_radius_m=service_radius_m, power_factor=power_factor)
    return served_coverage(
        network,
        p,
        taps,
        loads,
        service_distance_m=service_distance_m,
        service_radius_m=service_radius_m,
        power_factor=power_factor,
    )


def network_taps(
    network: Network,
    parcels: pd.DataFrame,
    *,
    service_distance_m: float,
    shapes: ParcelShapes | None = None,
    distances: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Each parcel's tap point, lateral and network distance and serving source (row of ``network.sources``).

    One row per parcel, in their order: ``parcel_id``, ``distance_m`` (``inf`` beyond
    20 service distances), ``network_m`` (``inf`` where unreached), ``source`` (``-1``
    where none), ``line_id``, ``tap_x``, ``tap_y`` and ``near`` (an edge lies within
    the service distance). ``distances``: :func:`planner.infra.network.source_distances`
    of the network (computed here if not given); :mod:`planner.province` gives those of
    the whole park's network with ``network`` holding only the edges near these parcels.
    A parcel's figures depend only on the edges within 20 service distances of it and on
    those distances. Between equally good taps, the edge first in ``network.edges``.
    """
    p = parcels.reset_index(drop=True)
    if shapes is None:
        shapes = parcel_shapes(p)
    elif len(shapes.geoms) != len(p):
        raise ValueError("`shapes` are not those of these parcels")
    geoms = shapes.geoms
    edges = network.edges
    edge_geoms = edges.geometry.to_numpy()
    tree = network.edge_tree
    dist, origin = source_distances(network) if distances is None else distances

    n = len(p)
    out = pd.DataFrame({"parcel_id": p["parcel_id"].to_numpy()})
    out["distance_m"] = np.nan
    out["network_m"] = np.inf
    out["source"] = -1
    out["line_id"] = None
    out["tap_x"] = np.nan
    out["tap_y"] = np.nan
    near = np.zeros(n, dtype=bool)
    if len(edges):
        ends = _Along(dist, edges["u"].to_numpy(), edges["v"].to_numpy(), edges["length_m"].to_numpy())
        pairs = _pairs(tree, edge_geoms, shapes, service_distance_m, ends)
        parcel_i, edge_i = pairs.parcel, pairs.edge
        length = edges["length_m"].to_numpy()[edge_i]
        u, v = edges["u"].to_numpy()[edge_i], edges["v"].to_numpy()[edge_i]
        via_u, via_v = dist[u] + pairs.a, dist[v] + (length - pairs.b)
        use_u = via_u <= via_v + TIE_M  # a tie between the two ends of the stretch: the one toward u
        along = np.where(use_u, via_u, via_v)
        pick, lateral = _best(parcel_i, along, pairs.distance)
        pairs.settle(pick)  # unreached: a tie at infinity, so the tap is the start of the stretch
        taps = pairs.point_at(pick, np.where(use_u[pick], pairs.a[pick], pairs.b[pick]))
        idx = parcel_i[pick]
        out.loc[idx, "distance_m"] = lateral
        out.loc[idx, "network_m"] = along[pick]
        out.loc[idx, "source"] = np.where(use_u[pick], origin[u[pick]], origin[v[pick]])
        out.loc[idx, "line_id"] = edges["line_id"].to_numpy()[edge_i[pick]]
        out.loc[idx, "tap_x"] = taps[:, 0]
        out.loc[idx, "tap_y"] = taps[:, 1]
        near[idx] = True
    if (~near).any():  # how far the network is from the others
        far = np.flatnonzero(~near)
        out.loc[far, "distance_m"] = np.inf
        if len(edges):
            # how far, up to 20 service distances (beyond, "more than" is all a planner needs)
            reach = 20 * service_distance_m
            (found, _), d = tree.query_nearest(geoms[far], return_distance=True, all_matches=False, max_distance=reach)
            out.loc[far[found], "distance_m"] = d
    out["near"] = near
    return out


def source_loads(
    network: Network,
    parcels: pd.DataFrame,
    taps: pd.DataFrame,
    *,
    service_radius_m: float,
    power_factor: float = 1.0,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """The load on each source (row of ``network.sources``): the demand of the consuming parcels it serves.

    ``taps``: :func:`network_taps` of ``parcels``. ``rows``, given, is each parcel's
    position among all the park's parcels, and the result is instead ``(position,
    source, demand)`` of each parcel that loads a source: pieces of a park add up to the
    same figures as the whole park with :func:`add_loads`.
    """
    need, _ = _need(network, parcels, power_factor)
    along = taps["network_m"].to_numpy(dtype=float)
    in_radius = taps["near"].to_numpy(dtype=bool) & np.isfinite(along) & (along <= service_radius_m)
    src = taps["source"].to_numpy()
    served = np.flatnonzero(in_radius & parcels["status"].isin(_CONSUMING).to_numpy() & (src >= 0))
    if rows is not None:
        return np.column_stack([np.asarray(rows, dtype=float)[served], src[served], need[served]])
    loads = np.zeros(len(network.sources))
    np.add.at(loads, src[served], need[served])
    return loads


def add_loads(pieces: list[np.ndarray], sources: int) -> np.ndarray:
    """The loads of ``sources`` sources from the ``(position, source, demand)`` pieces of :func:`source_loads`.

    Added in the order of the parcels' positions, as :func:`source_loads` adds them for
    the whole park, so the sums are the same to the last bit.
    """
    loads = np.zeros(sources)
    if not pieces:
        return loads
    rows = np.concatenate(pieces)
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    np.add.at(loads, rows[:, 1].astype(np.int64), rows[:, 2])
    return loads


def _need(network: Network, p: pd.DataFrame, power_factor: float) -> tuple[np.ndarray, np.ndarray]:
    if network.name in _DEMAND_COLUMN:
        return _demands(p, network.name, power_factor)
    return np.zeros(len(p)), np.zeros(len(p))


def served_coverage(
    network: Network,
    parcels: pd.DataFrame,
    taps: pd.DataFrame,
    loads: np.ndarray,
    *,
    service_distance_m: float,
    service_radius_m: float,
    power_factor: float = 1.0,
) -> Coverage:
    """The coverage of ``parcels`` from their :func:`network_taps` and the park's :func:`source_loads`."""
    p = parcels.reset_index(drop=True)
    out = taps.drop(columns=["near"])
    near = taps["near"].to_numpy(dtype=bool)
    reached = near & np.isfinite(out["network_m"].to_numpy())
    in_radius = reached & (out["network_m"].to_numpy() <= service_radius_m)
    src = out["source"].to_numpy()
    consuming = p["status"].isin(_CONSUMING).to_numpy()
    _, expected = _need(network, p, power_factor)
    capacity = network.sources["capacity"].to_numpy(dtype=float)
    remaining = capacity - loads
    has_capacity = np.isnan(capacity)  # roads, or a capacity not stated: not limited
    # a parcel not yet drawing needs room for its expected load (per-mu default × area)
    full = np.zeros(len(p), dtype=bool)
    ok = in_radius & (src >= 0)
    full[ok] = ~has_capacity[src[ok]] & (remaining[src[ok]] < expected[ok]) & ~consuming[ok]
    out["connected"] = in_radius & ~full
    out["failed"] = np.select([~near, ~reached, ~in_radius, full], ["distance", "unreached", "radius", "capacity"], "")
    source_ids = network.sources["source_id"].to_numpy()
    out["source_id"] = np.where(src >= 0, source_ids[np.maximum(src, 0)] if len(source_ids) else None, None)
    out["reason"] = _reasons(network, out, service_distance_m, service_radius_m, capacity, loads, remaining)
    sources = network.sources[["source_id", "kind", "name", "capacity"]].copy()
    sources["load"] = loads
    sources["remaining"] = remaining
    table = out.drop(columns=["source"]).set_index("parcel_id")
    table["network_m"] = table["network_m"].where(np.isfinite(table["network_m"]))
    table["distance_m"] = table["distance_m"].where(np.isfinite(table["distance_m"]))  # beyond the search: unknown
    return Coverage(network.name, table, sources.set_index("source_id"))


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
        if open_.any():
            self.a[rows[open_]], self.b[rows[open_]] = _stretch(
                self.edge_geoms[e[open_]], self.geoms, p[open_], self.service_distance_m
            )
        self.later[rows] = False

    def distance(self, rows: np.ndarray) -> np.ndarray:
        """Distance (m) between parcel and edge of the pairs ``rows``."""
        out = np.empty(len(rows))
        fast = self.fast[rows]
        f, g = rows[fast], rows[~fast]
        e = self.edge[f]
        out[fast] = ring_distance(self.start[e], self.end[e], self.rings, self.parcel[f])
        out[~fast] = shapely.distance(self.edge_geoms[self.edge[g]], self.geoms[self.parcel[g]])
        return out

    def point_at(self, rows: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """(x, y) of the points ``pos`` m along the edges of the pairs ``rows``."""
        out = np.empty((len(rows), 2))
        fast = self.fast[rows]
        e = self.edge[rows[fast]]
        step = self.end[e] - self.start[e]
        share = pos[fast] / np.sqrt(step[:, 0] * step[:, 0] + step[:, 1] * step[:, 1])  # as GEOS
        out[fast] = self.start[e] + share[:, None] * step
        slow = shapely.line_interpolate_point(self.edge_geoms[self.edge[rows[~fast]]], pos[~fast])
        out[~fast] = shapely.get_coordinates(slow).reshape(-1, 2)
        return out


@dataclass
class ParcelShapes:
    """The parcels' shapes as coverage uses them, made once for all networks by :func:`parcel_shapes`."""

    geoms: np.ndarray
    bounds: np.ndarray
    rings: ConvexRings

    _boxes: dict[float, np.ndarray] = field(default_factory=dict)

    def boxes(self, margin: float) -> np.ndarray:
        """Each parcel's envelope grown by ``margin`` (m); made once per margin."""
        if margin not in self._boxes:
            b = self.bounds
            self._boxes[margin] = shapely.box(b[:, 0] - margin, b[:, 1] - margin, b[:, 2] + margin, b[:, 3] + margin)
        return self._boxes[margin]


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

    def bound(self, edge: np.ndarray) -> np.ndarray:
        """No point of these edges is nearer a source than this."""
        return np.minimum(self.dist[self.u[edge]], self.dist[self.v[edge]])

    def nearest(self, edge: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The nearer end of the stretches [a, b] of these edges, along the network."""
        return np.minimum(self.dist[self.u[edge]] + a, self.dist[self.v[edge]] + (self.length[edge] - b))


def _pairs(
    tree: shapely.STRtree,
    edge_geoms: np.ndarray,
    shapes: ParcelShapes,
    service_distance_m: float,
    along: _Along | None = None,
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
    neither be the best nor tie with it, so it is dropped unsettled.
    """
    d = service_distance_m
    geoms, rings = shapes.geoms, shapes.rings
    cand_p, cand_e = tree.query(shapes.boxes(d * (1 + 1e-9) + 1e-6))
    # each parcel's candidates in the order of the edges, not of the tree: the same pairs come in the same order
    # from a tree of only some of the edges (planner.province), so ties fall the same way
    order = np.argsort(cand_p.astype(np.int64) * max(len(edge_geoms), 1) + cand_e, kind="stable")
    cand_p, cand_e = cand_p[order], cand_e[order]
    coords, which = shapely.get_coordinates(edge_geoms, return_index=True)
    count = np.bincount(which, minlength=len(edge_geoms))
    last = np.cumsum(count) - 1
    start, end = coords[last - count + 1], coords[last]
    fast = (rings.count[cand_p] > 0) & (count[cand_e] == 2)
    lo = np.full(len(cand_p), np.nan)
    hi = np.full(len(cand_p), np.nan)
    state = np.full(len(cand_p), ASK, dtype=np.int8)

    def settle(rows: np.ndarray) -> None:
        lo[rows], hi[rows], state[rows] = zone_stretch(start[cand_e[rows]], end[cand_e[rows]], rings, cand_p[rows], d)

    wanted = np.ones(len(cand_p), dtype=bool)
    todo = fast.copy()
    later = np.zeros(len(cand_p), dtype=bool)  # unreached: the stretch is needed only if the pair is chosen
    if along is not None and len(cand_p):
        new = np.r_[True, cand_p[1:] != cand_p[:-1]]  # candidates come grouped by parcel
        first = np.flatnonzero(new)
        group = np.cumsum(new) - 1
        bound = along.bound(cand_e)
        least = np.minimum.reduceat(bound, first)
        lowest = np.flatnonzero(bound == least[group])
        probe = lowest[np.r_[True, group[lowest[1:]] != group[lowest[:-1]]]]  # each parcel's first such
        probe = probe[fast[probe] & np.isfinite(bound[probe])]
        settle(probe)
        todo[probe] = False
        sure = probe[state[probe] == FOUND]
        limit = np.full(len(first), np.inf)
        limit[group[sure]] = along.nearest(cand_e[sure], lo[sure], hi[sure]) + 2 * TIE_M
        wanted = bound <= limit[group]
        todo &= wanted
        # a parcel no source reaches: its pairs tie at infinity and the lateral distance decides, so within d
        # or not is settled by the distance alone, and the stretch later for the chosen pair
        later = fast & (least[group] == np.inf)
        todo &= ~later
        rows = np.flatnonzero(later)
        gap = ring_distance(start[cand_e[rows]], end[cand_e[rows]], rings, cand_p[rows]) - d
        state[rows] = np.where(gap < -_TOL_M, FOUND, np.where(gap > _TOL_M, FAR, ASK))
        lo[rows[state[rows] == FOUND]] = 0.0
        hi[rows[state[rows] == FOUND]] = 0.0
    settle(np.flatnonzero(todo))
    ask = np.flatnonzero((state == ASK) & wanted)
    within = (state == FOUND) & wanted
    if len(ask):  # the pairs numpy left open: the query as before
        asked = np.unique(cand_p[ask])
        got_p, got_e = tree.query(geoms[asked], predicate="dwithin", distance=d)
        size = len(edge_geoms)
        within[ask] = np.isin(cand_p[ask] * size + cand_e[ask], asked[got_p] * size + got_e)
    keep = np.flatnonzero(within)
    parcel_i, edge_i, lo, hi, state = cand_p[keep], cand_e[keep], lo[keep], hi[keep], state[keep]
    later = later[keep] & (state == FOUND)
    slow = np.flatnonzero(state != FOUND)
    if len(slow):
        lo[slow], hi[slow] = _stretch(edge_geoms[edge_i[slow]], geoms, parcel_i[slow], d)
    return _Pairs(parcel_i, edge_i, lo, hi, state == FOUND, geoms, edge_geoms, rings, start, end, later, d)


def _best(
    parcel: np.ndarray, along: np.ndarray, lateral_of: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Row of the best pair of each parcel with pairs (``parcel`` comes grouped, in the query's order), and its
    lateral distance.

    Reached before unreached (an unreached pair is infinitely far along the network),
    then nearest along the network, then nearest laterally, then the first. Distances
    within :data:`TIE_M` of the least are ties: below a micrometre the figures are
    rounding noise of the geometry engine, which would otherwise pick between two taps
    metres apart (a square parcel at a street corner, between the two streets).
    ``lateral_of(rows)`` gives the lateral distances of pairs ``rows``; it is asked only
    for the pairs tied along the network.
    """
    if not len(parcel):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    new = np.r_[True, parcel[1:] != parcel[:-1]]
    first = np.flatnonzero(new)
    group = np.cumsum(new) - 1
    tied = np.flatnonzero(along <= np.minimum.reduceat(along, first)[group] + TIE_M)
    lateral = lateral_of(tied)
    near = np.full(len(first), np.inf)
    np.minimum.at(near, group[tied], lateral)
    winner = lateral <= near[group[tied]] + TIE_M
    chosen = np.full(len(first), len(parcel))
    np.minimum.at(chosen, group[tied[winner]], tied[winner])
    return chosen, lateral[np.searchsorted(tied, chosen)]


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


def _nothing(network: Network, p: pd.DataFrame) -> Coverage:
    """Coverage of a network with no line in service: nothing is connected."""
    table = pd.DataFrame(
        {
            "connected": False,
            "distance_m": np.nan,
            "network_m": np.nan,
            "source_id": None,
            "line_id": None,
            "tap_x": np.nan,
            "tap_y": np.nan,
            "failed": "distance",
            "reason": f"没有在用的{network.label}线路",
        },
        index=pd.Index(p["parcel_id"].to_numpy(), name="parcel_id"),
    )
    sources = pd.DataFrame(
        columns=["kind", "name", "capacity", "load", "remaining"], index=pd.Index([], name="source_id")
    )
    return Coverage(network.name, table, sources)


def _reasons(
    network: Network,
    out: pd.DataFrame,
    service_distance_m: float,
    service_radius_m: float,
    capacity: np.ndarray,
    loads: np.ndarray,
    remaining: np.ndarray,
) -> np.ndarray:
    """The reason of each parcel's result, in Chinese: built per kind of result, each distinct figure formatted once."""
    label = network.label
    unit = CAPACITY_UNITS[network.name][0] if network.name in CAPACITY_UNITS else ""
    names = network.sources["name"].to_numpy().astype(str).astype(object)
    failed = out["failed"].to_numpy()
    lateral = out["distance_m"].to_numpy(dtype=float)
    along = out["network_m"].to_numpy(dtype=float)
    src = out["source"].to_numpy()
    line_id = out["line_id"].to_numpy().astype(str).astype(object)
    # per source: its capacity note, and what is left of it
    full = np.array(
        [
            f"{n}容量不足：负荷 {load:,.0f} / 能力 {cap:,.0f} {unit}，剩余 {max(left, 0):,.0f} 不够本地块"
            for n, load, cap, left in zip(names, loads, capacity, remaining, strict=True)
        ],
        dtype=object,
    )
    left = np.array(
        ["" if np.isnan(cap) else f"，剩余 {rest:,.0f} {unit}" for cap, rest in zip(capacity, remaining, strict=True)],
        dtype=object,
    )
    texts = np.empty(len(out), dtype=object)
    beyond = f"，超过服务距离 {service_distance_m:g} m"
    rows = np.flatnonzero((failed == "distance") & np.isinf(lateral))
    texts[rows] = f"{label}线路距地块超过 {20 * service_distance_m:,.0f} m{beyond}"
    rows = np.flatnonzero((failed == "distance") & ~np.isinf(lateral))
    texts[rows] = f"最近的{label}线路距地块 " + _figures(lateral[rows], ",.0f") + (" m" + beyond)
    rows = np.flatnonzero(failed == "unreached")
    texts[rows] = (
        f"{label}线路（" + line_id[rows] + "）距地块 " + _figures(lateral[rows], ",.0f") + " m，但未接通任何源点"
    )
    rows = np.flatnonzero(failed == "radius")
    texts[rows] = (
        f"经{label}网络至"
        + names[src[rows]]
        + " "
        + _figures(along[rows] / 1000, ",.1f")
        + f" km，超过服务半径 {service_radius_m / 1000:g} km"
    )
    rows = np.flatnonzero(failed == "capacity")
    texts[rows] = full[src[rows]]
    rows = np.flatnonzero(failed == "")
    far, near = _figures(along[rows] / 1000, ",.1f"), _figures(lateral[rows], ",.0f")
    if network.name == "road":
        texts[rows] = "临路（" + line_id[rows] + "，" + near + " m），经道路 " + far + " km 至" + names[src[rows]]
    else:
        texts[rows] = f"{label}线路距地块 " + near + " m，经网络 " + far + " km 至" + names[src[rows]] + left[src[rows]]
    return texts


def _figures(values: np.ndarray, spec: str) -> np.ndarray:
    """``format(value, spec)`` of each value (``spec``: ``",.0f"`` or ``",.1f"``) as an object array.

    Each distinct figure is formatted once: the values are first rounded as ``format``
    rounds them (to even on exact halves, as ``np.rint`` does); a value whose tenths may
    sit on a half once multiplied by 10 is formatted from itself.
    """
    if spec == ",.0f":
        rounded = np.rint(values)
    else:
        tenths = values * 10
        with np.errstate(invalid="ignore"):  # inf: formatted from itself
            near_half = ~(np.abs(tenths - np.floor(tenths) - 0.5) >= 1e-9 * np.maximum(1.0, np.abs(tenths)))
        rounded = np.where(near_half, values, np.rint(tenths) / 10)
    distinct, inverse = np.unique(rounded, return_inverse=True)
    return np.array([format(v, spec) for v in distinct.tolist()], dtype=object)[inverse.ravel()]

"""Where each parcel taps a network: the point on an edge, its lateral distance and its distance along the network.

For every parcel and network the **tap point** is a point *on an edge* (not a node)
within the network's service distance of the parcel — of the stretches of edges that
close, the point nearest a live source along the network (for a parcel fronting a main,
the end of its frontage toward the source); between taps equally near along the network
(to :data:`TIE_M`), the one on the edge laterally nearest the parcel (to :data:`TIE_M`),
then the edge first in the network's order, and on that edge the end of the stretch
toward the edge's start. Only the edges of a level a parcel can tap count
(:func:`planner.infra.levels.tappable`: a road at grade, a pipe or cable at grade or
below; a parcel beside a viaduct is served by the streets under it, or not at all).
With it come the **lateral distance** from the parcel to that
edge and the **network distance** from the nearest live source to the tap point (one
multi-source Dijkstra for the whole park), and the serving source.

The parcel–edge pairs within the service distance are found from the envelopes and
settled by the numpy kernels of :mod:`planner.infra.stretch` where they are sure (a
straight edge and a convex parcel), else by GEOS (:mod:`planner.infra.tap_pairs`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from planner.infra.levels import nearest_within
from planner.infra.network import Network, source_distances
from planner.infra.tap_pairs import TIE_M, ParcelShapes, _Along, _pairs, parcel_shapes

__all__ = ["TIE_M", "ParcelShapes", "network_taps", "parcel_shapes"]


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
    the service distance); where the network has edges a parcel may not tap, also the one
    nearest each parcel not ``near`` within the service distance: ``beside_id`` (its
    line), ``beside_m`` (NaN: none) and ``beside_level``. ``distances``: :func:`planner.infra.network.source_distances`
    of the network (computed here if not given); :mod:`planner.province` gives those of
    the whole park's network with ``network`` holding only the edges near these parcels.
    A parcel's figures depend only on the edges within 20 service distances of it and on
    those distances. Between equally good taps, the edge first in ``network.edges``.
    """
    p = parcels.reset_index(drop=True)
    if shapes is None:
        shapes = parcel_shapes(p)
    elif len(shapes.geoms) != len(p):
        msg = "`shapes` are not those of these parcels"
        raise ValueError(msg)
    geoms = shapes.geoms
    rows, tree = network.tap_edges  # the edges of a level a parcel can tap (planner.infra.levels.tappable)
    edges = network.edges if len(rows) == len(network.edges) else network.edges.iloc[rows]
    edge_geoms = edges.geometry.to_numpy()
    dist, origin = source_distances(network) if distances is None else distances

    n = len(p)
    # the columns as numpy arrays, made into a frame once (setting rows of a frame costs ~1 ms a column)
    distance_m, network_m = np.full(n, np.nan), np.full(n, np.inf)
    source, line_at = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)  # line_at: row of edges
    tap_x, tap_y = np.full(n, np.nan), np.full(n, np.nan)
    near = np.zeros(n, dtype=bool)
    if len(edges):
        ends = _Along(dist, edges["u"].to_numpy(), edges["v"].to_numpy(), edges["length_m"].to_numpy())
        kept = network.__dict__.setdefault("tap_lookup", {})  # per service distance: see _Candidates.of
        first, last, count = network.edge_ends
        known = (first, last, count) if len(rows) == len(network.edges) else (first[rows], last[rows], count[rows])
        pairs = _pairs(tree, edge_geoms, shapes, service_distance_m, ends, kept, known)
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
        distance_m[idx] = lateral
        network_m[idx] = along[pick]
        source[idx] = np.where(use_u[pick], origin[u[pick]], origin[v[pick]])
        line_at[idx] = edge_i[pick]
        tap_x[idx], tap_y[idx] = taps[:, 0], taps[:, 1]
        near[idx] = True
    if (~near).any():  # how far the network is from the others
        far = np.flatnonzero(~near)
        distance_m[far] = np.inf
        if len(edges):
            # how far, up to 20 service distances (beyond, "more than" is all a planner needs)
            reach = 20 * service_distance_m
            (found, _), d = tree.query_nearest(geoms[far], return_distance=True, all_matches=False, max_distance=reach)
            distance_m[far[found]] = d
    columns = {
        "parcel_id": p["parcel_id"].array,  # text stays text (made into objects and back: ~30 ms a column)
        "distance_m": distance_m,
        "network_m": network_m,
        "source": source,
        "line_id": _line_ids(edges["line_id"], line_at),
        "tap_x": tap_x,
        "tap_y": tap_y,
        "near": near,
    }
    return pd.DataFrame(columns | _beside(network, geoms, near, service_distance_m))


def _beside(network: Network, geoms: np.ndarray, near: np.ndarray, service_distance_m: float) -> dict[str, object]:
    """Where the network has edges a parcel may not tap (a viaduct, say): of each parcel not ``near`` a line it may
    tap, the nearest such edge within the service distance (for its reason), as the columns ``beside_*``."""
    off_rows, off_tree = network.untappable_edges
    if off_tree is None:  # most parks: nothing to look up
        return {}
    beside, beside_m = np.full(len(geoms), -1, dtype=np.int64), np.full(len(geoms), np.nan)
    far = np.flatnonzero(~near)
    beside[far], beside_m[far] = nearest_within(off_tree, off_rows, geoms[far], service_distance_m)
    level = network.edges["level"].to_numpy()
    return {
        "beside_id": _line_ids(network.edges["line_id"], beside),
        "beside_m": beside_m,
        "beside_level": np.where(beside >= 0, level[np.maximum(beside, 0)], 0),
    }


def _line_ids(ids: pd.Series, at: np.ndarray) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """``ids[at]``, missing where ``at`` is -1: text taken as text (not made into Python objects and back)."""
    if isinstance(ids.dtype, pd.StringDtype):
        return ids.array.take(at, allow_fill=True)
    out = np.full(len(at), None, dtype=object)
    out[at >= 0] = ids.to_numpy()[at[at >= 0]]
    return out


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

"""Candidate works where none are drawn: each network extended along the roads that do not carry it yet.

Utilities in Chinese parks are laid along the roads. For each utility network with lines in
service, every road segment (the road network noded at its junctions, as the network model
nodes it) that does not carry the network — fewer than two of its quarter points lie within
:data:`CARRY_M` of a line of the network — is a candidate extension along the road's
centreline. Where an end of the segment lies within :data:`CARRY_M` of the network (or of
a drawn planned line), a short tie to the nearest point of it is part of the candidate, so
that the extension meets the network as a main laid beside the road would. Candidates on
adjacent segments share their junction, so an extension grows segment by segment; which
segments must come before which is worked out on the network model
(:mod:`planner.buildout.model`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.buildout.costs import UnitCosts
from planner.buildout.works import empty_works, work_frame
from planner.infra.network import Network, build_network
from planner.vocab import NETWORK_ITEMS, NETWORKS

__all__ = ["CARRY_M", "candidate_lines", "road_segments", "unsplit"]

CARRY_M = 30.0
"""A road carries a network when the network runs within this distance of its centreline (m)."""


def road_segments(roads: gpd.GeoDataFrame, *, built: Network | None = None) -> gpd.GeoDataFrame:
    """The roads in service noded at their junctions, one row per segment (``line_id`` of its road, geometry).

    ``built``: the road network readiness built of these roads with the park's sources
    (:class:`~planner.infra.graphs.GraphCache`): its edges are these segments where no source
    cut one (:func:`unsplit`), and then they are taken as they are instead of noding the roads again.
    """
    network = built if built is not None and unsplit(built) else build_network("road", roads)
    if network is None or not len(network.edges):
        return gpd.GeoDataFrame({"line_id": []}, geometry=gpd.GeoSeries([], crs=roads.crs), crs=roads.crs)
    return network.edges[["line_id", "geometry"]].reset_index(drop=True)


def unsplit(network: Network) -> bool:
    """Whether no source of ``network`` cut an edge where it ties on: its edges are then those built without sources.

    :func:`~planner.infra.network.build_network` cuts the edge a source ties onto in two at the
    tie point; the source then sits on a node of two edges of one line that nothing else
    meets. A source on a node that is not such (an end, a junction) cut nothing.
    """
    if not len(network.sources):
        return True
    edges = network.edges
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    tie = network.sources["edge"].to_numpy(dtype=int)
    at_u = network.sources["pos_m"].to_numpy(dtype=float) <= edges["length_m"].to_numpy(dtype=float)[tie] / 2
    nodes = np.where(at_u, u[tie], v[tie])
    degree = np.bincount(np.r_[u, v], minlength=len(network.nodes))
    line = edges["line_id"].astype(str).to_numpy(dtype=object)
    for node in nodes[degree[nodes] == 2]:  # few: the sources' nodes
        meeting = np.flatnonzero((u == node) | (v == node))
        if len(set(line[meeting])) == 1:
            return False
    return True


def candidate_lines(
    lines: Mapping[str, gpd.GeoDataFrame],
    costs: UnitCosts,
    *,
    networks: Sequence[str] | None = None,
    carry_m: float = CARRY_M,
    roads_built: Network | None = None,
) -> gpd.GeoDataFrame:
    """Candidate extensions of each utility network along the roads that do not carry it (a works table).

    ``lines``: each network's line layer (``road`` among them). ``networks``: the networks to
    extend (default: every utility network with a line in service). Each candidate's cost is
    its length times the unit cost of the network's ``default`` class. ``roads_built``: the
    road network readiness built of ``lines["road"]`` (see :func:`road_segments`).
    """
    roads = lines.get("road")
    crs = roads.crs if roads is not None else None
    if roads is None or not len(roads):
        return empty_works(crs)
    segments = road_segments(roads, built=roads_built)
    if not len(segments):
        return empty_works(crs)
    seg_geoms = segments.geometry.to_numpy()
    quarters = np.column_stack(
        [shapely.line_interpolate_point(seg_geoms, f, normalized=True) for f in (0.25, 0.5, 0.75)]
    )
    # the quarter points in one tree for every network, each network's lines looked up in it: few lines, many points
    points = shapely.STRtree(quarters.ravel())
    ends = np.column_stack([shapely.get_point(seg_geoms, 0), shapely.get_point(seg_geoms, -1)])
    frames = []
    wanted = [n for n in NETWORK_ITEMS if n != "road"] if networks is None else [n for n in networks if n != "road"]
    for net in wanted:
        layer = lines.get(net)
        if layer is None or not len(layer):
            continue
        live = layer["in_service"].astype("boolean").fillna(True).to_numpy(dtype=bool)
        if not live.any():
            continue
        geoms = layer.geometry.to_numpy()
        _, found = points.query(geoms, predicate="dwithin", distance=carry_m)
        near = np.zeros(quarters.size, dtype=bool)
        near[found] = True
        bare = np.flatnonzero(~near.reshape(quarters.shape).all(axis=1))
        if not len(bare):
            continue
        tree = shapely.STRtree(geoms)
        frames.append(
            _candidates(
                net, seg_geoms[bare], ends[bare], segments["line_id"].to_numpy()[bare], tree, geoms, costs, carry_m
            )
        )
    if not frames:
        return empty_works(crs)
    rows = pd.concat(frames, ignore_index=True)
    return work_frame(rows, crs)


def _candidates(
    net: str,
    segs: np.ndarray,
    ends: np.ndarray,
    roads: np.ndarray,
    tree: shapely.STRtree,
    geoms: np.ndarray,
    costs: UnitCosts,
    carry_m: float,
) -> pd.DataFrame:
    """The candidate extensions of ``net`` along road segments ``segs``: each tied to the network at its ends."""
    coords, owner = shapely.get_coordinates(segs, return_index=True)
    first = np.searchsorted(owner, np.arange(len(segs)))
    last = np.r_[first[1:], len(coords)] - 1
    parts, keys = [coords], [np.c_[owner, np.ones(len(owner), dtype=int)]]
    for side in (0, 1):
        (found, line), _ = tree.query_nearest(
            ends[:, side], max_distance=carry_m, return_distance=True, all_matches=False
        )
        if not len(found):
            continue
        ties = shapely.get_coordinates(shapely.shortest_line(ends[found, side], geoms[line]))[1::2]
        end = coords[first[found] if side == 0 else last[found]]
        apart = np.hypot(*(ties - end).T) > 1e-6  # a tie to the nearest point, unless the segment ends on it
        parts.append(ties[apart])
        keys.append(np.c_[found[apart], np.full(int(apart.sum()), 0 if side == 0 else 2)])
    # each segment's coordinates with its tie before (side 0) or after (side 1)
    key = np.concatenate(keys)
    order = np.lexsort((key[:, 1], key[:, 0]))
    built = shapely.linestrings(np.concatenate(parts)[order], indices=key[order, 0])
    length = shapely.length(built)
    per_km = costs.per_km(net, np.array(["default"], dtype=object))[0]
    label = NETWORKS[net][0]
    return pd.DataFrame(
        {
            "work_id": [f"{net}-ext-{k + 1:04d}" for k in range(len(segs))],
            "kind": "line",
            "origin": "candidate",
            "network": net,
            "line_id": [f"{net}-ext-{k + 1:04d}" for k in range(len(segs))],
            "name": [f"{road}{label}延伸" for road in roads],
            "length_m": length,
            "size_class": "default",
            "cost_wan": length / 1000.0 * per_km,
            "cost_basis": costs.basis(net, "line", "default"),
            "geometry": built,
        }
    )

"""Candidate works as they were made before their speed-up (planner/buildout/candidates.py at commit 4d70585).

Kept as the reference of ``tests/buildout/test_model.py``: the candidates made now must be
these, row for row. Only the module's docstring is new.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.buildout.costs import UnitCosts
from planner.buildout.works import empty_works, work_frame
from planner.infra.network import build_network
from planner.vocab import NETWORK_ITEMS, NETWORKS

__all__ = ["CARRY_M", "candidate_lines", "road_segments"]

CARRY_M = 30.0
"""A road carries a network when the network runs within this distance of its centreline (m)."""


def road_segments(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The roads in service noded at their junctions, one row per segment (``line_id`` of its road, geometry)."""
    network = build_network("road", roads)
    if network is None or not len(network.edges):
        return gpd.GeoDataFrame({"line_id": []}, geometry=gpd.GeoSeries([], crs=roads.crs), crs=roads.crs)
    return network.edges[["line_id", "geometry"]].reset_index(drop=True)


def candidate_lines(
    lines: Mapping[str, gpd.GeoDataFrame],
    costs: UnitCosts,
    *,
    networks: Sequence[str] | None = None,
    carry_m: float = CARRY_M,
) -> gpd.GeoDataFrame:
    """Candidate extensions of each utility network along the roads that do not carry it (a works table).

    ``lines``: each network's line layer (``road`` among them). ``networks``: the networks to
    extend (default: every utility network with a line in service). Each candidate's cost is
    its length times the unit cost of the network's ``default`` class.
    """
    roads = lines.get("road")
    crs = roads.crs if roads is not None else None
    if roads is None or not len(roads):
        return empty_works(crs)
    segments = road_segments(roads)
    if not len(segments):
        return empty_works(crs)
    seg_geoms = segments.geometry.to_numpy()
    quarters = np.column_stack(
        [shapely.line_interpolate_point(seg_geoms, f, normalized=True) for f in (0.25, 0.5, 0.75)]
    )
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
        tree = shapely.STRtree(geoms)
        near = np.zeros(quarters.shape, dtype=bool)
        for k in range(quarters.shape[1]):
            found, _ = tree.query(quarters[:, k], predicate="dwithin", distance=carry_m)
            near[np.unique(found), k] = True
        bare = np.flatnonzero(~near.all(axis=1))
        if not len(bare):
            continue
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
    coords = [shapely.get_coordinates(s) for s in segs]
    for side in (0, 1):
        (found, line), _ = tree.query_nearest(
            ends[:, side], max_distance=carry_m, return_distance=True, all_matches=False
        )
        if not len(found):
            continue
        ties = shapely.get_coordinates(shapely.shortest_line(ends[found, side], geoms[line]))[1::2]
        for f, tie in zip(found, ties, strict=True):
            if np.hypot(*(tie - coords[f][0 if side == 0 else -1])) > 1e-6:
                coords[f] = np.vstack([tie, coords[f]]) if side == 0 else np.vstack([coords[f], tie])
    built = np.array([shapely.linestrings(c) for c in coords], dtype=object)
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

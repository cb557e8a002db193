"""Road gateways inferred where the main roads cross the park boundary, for a road network with none declared.

A real park's road layer (an OpenStreetMap extract, a planning CAD drawing) rarely comes with
the points where traffic enters the park. Without one the road network has no live source,
and no parcel is served by road. :func:`infer_gateways` puts a gateway where a road of the
highest classes present crosses the boundary (园区四至): the crossings of the roads of the two
highest :data:`~planner.vocab.ROAD_CLASSES` among the roads that cross it (a road without a
class ranks last). Crossings closer than :data:`GATEWAY_MERGE_M` to one another (the two
carriageways of one road, a road drawn as several lines) are one gateway. Each is named by
its roads' names and marked ``inferred``, so that it is never taken for a declared gateway.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse
import scipy.sparse.csgraph
import shapely

from planner.errors import Problem
from planner.vocab import ROAD_CLASSES

__all__ = [
    "GATEWAY_CLASSES",
    "GATEWAY_MERGE_M",
    "INFERRED_PREFIX",
    "declared_gateways",
    "gateway_keys",
    "gateway_notes",
    "infer_gateways",
    "is_inferred",
]

GATEWAY_MERGE_M = 60.0
"""Crossings closer than this (m) are one gateway: the carriageways of one road, one road drawn as several lines."""
GATEWAY_CLASSES = 2
"""How many of the highest road classes present among the crossing roads give gateways."""
INFERRED_PREFIX = "gw-inferred-"
"""The id of an inferred gateway: this prefix and its number (``gw-inferred-01``)."""

_RANK = {code: k for k, code in enumerate(ROAD_CLASSES)}
_UNCLASSED = len(ROAD_CLASSES)


def infer_gateways(lines: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Gateways where the main roads of ``lines`` cross ``boundary`` (both in the park CRS), as source rows.

    Returns the rows of the ``sources`` layer (``source_id``, ``network`` ``road``, ``kind``
    ``gateway``, ``name``, ``in_service``, ``inferred`` true) with the roads each stands
    for: ``roads`` (their names, ``、``-joined, or their line ids where unnamed),
    ``line_ids`` and ``road_class``. Numbered west to east, then south to north. Empty when
    no road in service crosses the boundary.
    """
    columns = ["source_id", "network", "kind", "name", "in_service", "inferred", "roads", "line_ids", "road_class"]
    empty = gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in columns}, geometry=gpd.GeoSeries([], crs=lines.crs))
    rings = _rings(boundary)
    if rings is None or not len(lines):
        return empty
    live = lines[lines["in_service"].fillna(True).astype(bool).to_numpy()] if "in_service" in lines else lines
    geoms = live.geometry.to_numpy()
    crossing = np.flatnonzero(~shapely.is_missing(geoms) & shapely.intersects(geoms, rings))
    if not len(crossing):
        return empty
    klass = (
        live["road_class"].to_numpy(dtype=object)[crossing] if "road_class" in live else np.full(len(crossing), None)
    )
    rank = np.array([_RANK.get(k, _UNCLASSED) if isinstance(k, str) else _UNCLASSED for k in klass])
    kept_ranks = np.unique(rank)[:GATEWAY_CLASSES]
    main = crossing[np.isin(rank, kept_ranks)]
    points, owner = _crossing_points(geoms[main], rings)
    if not len(points):
        return empty
    groups = _groups(points)
    ids = live["line_id"].astype(str).to_numpy()[main]
    names = live["name"].to_numpy(dtype=object)[main] if "name" in live else np.full(len(main), None)
    classes = klass[np.isin(crossing, main)]
    rows = []
    for g in np.unique(groups):
        at = np.flatnonzero(groups == g)
        members = list(dict.fromkeys(owner[at].tolist()))
        named = list(dict.fromkeys(str(names[m]) for m in members if isinstance(names[m], str) and names[m]))
        line_ids = list(dict.fromkeys(ids[m] for m in members))
        best = min((classes[m] for m in members), key=lambda k: _RANK.get(k, _UNCLASSED) if isinstance(k, str) else 99)
        rows.append((points[at[0]], "、".join(named) or "、".join(line_ids), ", ".join(line_ids), best))
    rows.sort(key=lambda r: (round(r[0].x, 3), round(r[0].y, 3)))
    return gpd.GeoDataFrame(
        {
            "source_id": [f"{INFERRED_PREFIX}{k + 1:02d}" for k in range(len(rows))],
            "network": "road",
            "kind": "gateway",
            "name": [f"{r[1]}（推断出入口）" for r in rows],
            "in_service": True,
            "inferred": True,
            "roads": [r[1] for r in rows],
            "line_ids": [r[2] for r in rows],
            "road_class": [r[3] for r in rows],
        },
        geometry=gpd.GeoSeries([r[0] for r in rows], crs=lines.crs),
        crs=lines.crs,
    )


def _rings(boundary: gpd.GeoDataFrame) -> shapely.Geometry | None:
    """The boundary's outline (outer rings and holes), or ``None`` if it has no polygon."""
    geoms = boundary.geometry.to_numpy() if len(boundary) else np.array([])
    geoms = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)] if len(geoms) else geoms
    if not len(geoms):
        return None
    outline = shapely.boundary(shapely.union_all(geoms))
    return None if shapely.is_empty(outline) else outline


def _crossing_points(geoms: np.ndarray, rings: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Each point where a line meets the outline, and the line it is on (a stretch along the outline: its middle)."""
    meets = shapely.intersection(geoms, rings)
    parts, owner = shapely.get_parts(meets, return_index=True)
    kind = shapely.get_type_id(parts)
    linear = kind == shapely.GeometryType.LINESTRING
    points = parts.copy()
    points[linear] = shapely.line_interpolate_point(parts[linear], 0.5, normalized=True)
    keep = (kind == shapely.GeometryType.POINT) | linear
    return points[keep], owner[keep]


def _groups(points: np.ndarray) -> np.ndarray:
    """A group number per point: points within :data:`GATEWAY_MERGE_M` of one another (chained) share one."""
    tree = shapely.STRtree(points)
    left, right = tree.query(points, predicate="dwithin", distance=GATEWAY_MERGE_M)
    n = len(points)
    graph = scipy.sparse.coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _count, labels = scipy.sparse.csgraph.connected_components(graph, directed=False)
    return np.asarray(labels)


def declared_gateways(sources: gpd.GeoDataFrame) -> np.ndarray:
    """Which sources are live road gateways a record declared (not inferred by the planner)."""
    if not len(sources):
        return np.zeros(0, dtype=bool)
    live = sources["in_service"].fillna(True).astype(bool).to_numpy() if "in_service" in sources else True
    inferred = sources["inferred"].fillna(False).astype(bool).to_numpy() if "inferred" in sources else False
    return np.asarray((sources["network"] == "road").to_numpy() & live & ~inferred, dtype=bool)


def is_inferred(sources: gpd.GeoDataFrame) -> np.ndarray:
    """Which sources the planner inferred (road gateways on the park boundary)."""
    if "inferred" not in sources or not len(sources):
        return np.zeros(len(sources), dtype=bool)
    return np.asarray(sources["inferred"].fillna(False).astype(bool).to_numpy(), dtype=bool)


def gateway_notes(gateways: gpd.GeoDataFrame, origin: str | None) -> list[Problem]:
    """What the inference did, one note per gateway (with its roads), or why there is none, for the reports."""
    where = {"imported": "the park boundary", "hull": "the park boundary drawn round the parcels (concave hull)"}.get(
        origin or "", "the park boundary"
    )
    fix = "declare gateways with `planner import PARK gateways.geojson --layer sources` (kind gateway)"
    if not len(gateways):
        message = (
            f"the road network has no gateway and no road in service crosses {where}: none could be inferred; "
            f"{fix}, or import the park boundary with `planner import PARK boundary.geojson --layer boundary`"
        )
        where_zh = "园区四至（宗地凹包）" if origin == "hull" else "园区四至"
        zh = (
            f"路网没有出入口，也没有在用道路穿过{where_zh}：无法推断出入口；请用 "
            "`planner import 园区 gateways.geojson --layer sources` 声明出入口（kind `gateway`），"
            "或用 `planner import 园区 boundary.geojson --layer boundary` 导入园区四至"
        )
        return [Problem("warning", None, None, message, feature="road network", zh=zh)]
    notes = []
    for sid, roads, klass in gateways[["source_id", "roads", "road_class"]].itertuples(index=False):
        label = f"{ROAD_CLASSES[klass][0]} / {ROAD_CLASSES[klass][1]}" if isinstance(klass, str) else "unclassed road"
        notes.append(
            Problem(
                "warning",
                str(sid),
                None,
                f"road gateway inferred where {roads} ({label}) crosses {where}: the road network declares none; "
                f"{fix} to replace the inferred ones",
                feature="source",
                zh=f"在{roads}（{ROAD_CLASSES[klass][0] if isinstance(klass, str) else '未分级道路'}）与"
                f"{'园区四至（宗地凹包）' if origin == 'hull' else '园区四至'}相交处推断出道路出入口："
                "路网未声明出入口；如需替换推断的出入口，"
                "请用 `planner import 园区 gateways.geojson --layer sources` 声明（kind `gateway`）",
            )
        )
    return notes


def gateway_keys(frame: gpd.GeoDataFrame) -> list[tuple[str, str, float, float]]:
    """Inferred gateways as comparable rows: id, name and position to the millimetre."""
    xy = shapely.get_coordinates(frame.geometry.to_numpy()) if len(frame) else np.zeros((0, 2))
    return sorted(
        (str(i), str(n), round(float(x), 3), round(float(y), 3))
        for i, n, (x, y) in zip(frame["source_id"], frame["name"], xy, strict=True)
    )

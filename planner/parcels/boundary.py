"""The park boundary (园区四至 / 规划范围): imported, or drawn as the concave hull of the parcels.

The store keeps it in the layer ``boundary`` (one or more polygons). A park without one
gets the concave hull of its parcels (:func:`hull_boundary`), with
``shapely.concave_hull(…, ratio=HULL_RATIO)``: ratio 1 is the convex hull, 0 the tightest
hull through the parcels' corners. 0.3 follows the outline of a park's blocks without
cutting in between neighbouring blocks along their roads.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from planner.errors import Problem
from planner.fields import Field
from planner.parcels.polygons import as_multipolygons, check_polygon_layer
from planner.vocab import BOUNDARY_ORIGINS

__all__ = ["BOUNDARY_FIELDS", "HULL_RATIO", "check_boundary", "hull_boundary", "park_boundary"]

HULL_RATIO = 0.3
"""The ``ratio`` of ``shapely.concave_hull`` for a boundary drawn round the parcels (1 = convex hull)."""

BOUNDARY_FIELDS: tuple[Field, ...] = (
    Field("boundary_id", "str", "identity", "范围编号", "boundary id", required=True),
    Field("name", "str", "identity", "名称", "name"),
    Field("geometry", "geometry", "identity", "范围", "extent", required=True),
    Field(
        "origin",
        "str",
        "identity",
        "来源",
        "origin",
        allowed=BOUNDARY_ORIGINS,
        description="imported: from the park's file; hull: the concave hull of the parcels, drawn by the planner.",
    ),
    Field("version", "int", "edits", "版本", "version", origin="managed"),
    Field("updated_at", "datetime", "edits", "更新时间", "updated at", origin="managed"),
    Field("updated_by", "str", "edits", "更新人", "updated by", origin="managed"),
)
_BY_NAME = {f.name: f for f in BOUNDARY_FIELDS}


def check_boundary(boundary: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Check the boundary layer: ids, polygons (kept as MultiPolygons); ``origin`` is ``imported`` where not given."""
    boundary, problems = check_polygon_layer(
        boundary, BOUNDARY_FIELDS, _BY_NAME, id_column="boundary_id", what="park boundary"
    )
    boundary["origin"] = boundary["origin"].fillna("imported")
    return as_multipolygons(boundary), problems


def hull_boundary(parcels: gpd.GeoDataFrame, *, ratio: float = HULL_RATIO) -> gpd.GeoDataFrame:
    """The concave hull of the parcels as a one-row boundary layer (``origin`` ``hull``); empty without parcels."""
    geoms = parcels.geometry.to_numpy()
    geoms = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    frame = gpd.GeoDataFrame(
        {"boundary_id": pd.Series(dtype=object), "name": pd.Series(dtype=object), "origin": pd.Series(dtype=object)},
        geometry=gpd.GeoSeries([], crs=parcels.crs),
        crs=parcels.crs,
    )
    if not len(geoms):
        return frame
    hull = shapely.concave_hull(shapely.MultiPolygon(list(shapely.get_parts(geoms))), ratio=ratio)
    shapely.prepare(hull)
    outside = geoms[~shapely.covers(hull, geoms)]  # the hull holds every parcel whole: add those it cuts
    if len(outside):  # (only these: the union of 100,000 parcels took 10 s, and those inside add nothing)
        hull = shapely.union(hull, shapely.union_all(outside))
    if shapely.get_type_id(hull) != shapely.GeometryType.POLYGON:
        hull = shapely.convex_hull(hull) if shapely.get_type_id(hull) != shapely.GeometryType.MULTIPOLYGON else hull
    if shapely.get_type_id(hull) == shapely.GeometryType.POLYGON:
        hull = shapely.MultiPolygon([hull])
    return gpd.GeoDataFrame(
        {"boundary_id": ["hull"], "name": ["园区范围（宗地凹包）"], "origin": ["hull"]},
        geometry=gpd.GeoSeries([hull], crs=parcels.crs),
        crs=parcels.crs,
    )


def park_boundary(boundary: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The park's boundary: the stored one if there is one, else the concave hull of the parcels."""
    if len(boundary):
        return boundary
    return hull_boundary(parcels)

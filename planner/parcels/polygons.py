"""Checks shared by the park's polygon layers beside the parcels (standard factories, the boundary)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import pandas as pd
import shapely

from planner.errors import Problem
from planner.fields import Field, check_columns, check_geometry, drop_z, dtype_of

__all__ = ["as_multipolygons", "check_polygon_layer"]

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


def check_polygon_layer(
    frame: gpd.GeoDataFrame, fields: Sequence[Field], by_name: Mapping[str, Field], *, id_column: str, what: str
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Columns checked by the field dictionary, Polygon/MultiPolygon shapes, Z dropped, absent columns added."""
    frame = frame.reset_index(drop=True)
    frame, problems = check_columns(frame, by_name, id_column=id_column, what=what)
    problems += check_geometry(frame, id_column, allowed=_POLYGONAL, type_text="Polygon or MultiPolygon", what=what)
    frame, z_repairs = drop_z(frame, id_column, what=what)
    problems += z_repairs
    for f in fields:
        if f.name not in frame.columns and f.kind != "geometry":
            frame[f.name] = pd.Series([None] * len(frame), index=frame.index, dtype=dtype_of(f.kind))
    return frame, problems


def as_multipolygons(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer with each Polygon made a one-part MultiPolygon (how the stores keep polygon layers)."""
    geoms = frame.geometry.to_numpy()
    single = shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON
    if not single.any():
        return frame
    geoms = geoms.copy()
    geoms[single] = [shapely.MultiPolygon([g]) for g in geoms[single]]
    return frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
